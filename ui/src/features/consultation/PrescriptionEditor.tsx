import { DeleteOutlined, QuestionCircleOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, AutoComplete, Button, Card, Col, Form, Input, InputNumber, Modal, Popover, Row, Select, Space, Tag, Typography } from "antd";
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import type {
  ConsultationView,
  DoseUnit,
  DrugHit,
  Finding,
  Frequency,
  Item,
  Override,
  PrescriptionView,
  Route,
  RxDraft,
} from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { DrugPicker } from "./DrugPicker";
import { FindingList, SEVERITY_COLOR } from "./FindingList";
import { computeQuantity } from "./quantity";
import { useLiveCheck } from "./useLiveCheck";

const UNITS: DoseUnit[] = ["mg", "g", "mcg", "IU", "U", "mL", "tablet", "capsule", "puff", "drop", "sachet"];
const FREQUENCIES: Frequency[] = ["QD", "BID", "TID", "QID", "Q4H", "Q6H", "Q8H", "Q12H", "QN", "QW", "PRN", "ONCE"];
const ROUTES: Route[] = ["oral", "iv", "im", "sc", "inhaled", "topical", "rectal", "vaginal", "sublingual", "ophthalmic", "nasal", "transdermal"];

export interface Line {
  key: number;
  drugText: string;
  drug: string | null;
  hit: DrugHit | null;
  strength: string | null;
  dose: number | null;
  unit: DoseUnit;
  route: Route | null;
  frequency: Frequency | null;
  days: number | null;
  quantity: number | null;
  quantityManual: boolean;
}

let nextKey = 1;
export function emptyLine(): Line {
  return {
    key: nextKey++,
    drugText: "",
    drug: null,
    hit: null,
    strength: null,
    dose: null,
    unit: "mg",
    route: null,
    frequency: null,
    days: null,
    quantity: null,
    quantityManual: false,
  };
}

function fromItem(item: Item): Line {
  return {
    ...emptyLine(),
    drugText: item.drug,
    drug: item.drug,
    strength: item.strength ?? null,
    dose: item.dose?.value ?? null,
    unit: item.dose?.unit ?? "mg",
    route: item.route ?? null,
    frequency: item.frequency ?? null,
    days: item.days ?? null,
    quantity: item.quantity ?? null,
    quantityManual: item.quantity !== undefined,
  };
}

function quantityOf(l: Line): number | null {
  return l.quantityManual ? l.quantity : computeQuantity(l.dose, l.unit, l.frequency, l.days);
}

function toItem(l: Line): Item {
  const q = quantityOf(l);
  return {
    drug: l.drug ?? l.drugText,
    ...(l.strength ? { strength: l.strength } : {}),
    ...(l.dose ? { dose: { value: l.dose, unit: l.unit } } : {}),
    ...(l.route ? { route: l.route } : {}),
    ...(l.frequency ? { frequency: l.frequency } : {}),
    ...(l.days ? { days: l.days } : {}),
    ...(q ? { quantity: q } : {}),
  };
}

/** The lines worth checking and the draft they make (null: no line names a drug yet). */
function draftOf(lines: Line[], kind: RxDraft["kind"], diagnoses: RxDraft["diagnoses"]): { filled: Line[]; draft: RxDraft | null } {
  const filled = lines.filter((l) => (l.drug ?? l.drugText).trim() !== "");
  return { filled, draft: filled.length ? { kind, diagnoses, items: filled.map(toItem) } : null };
}

const EDITABLE = new Set(["draft", "rejected"]);

function Shortcuts() {
  const { t } = useI18n();
  return (
    <Popover
      trigger="click"
      title={t("rx.shortcuts")}
      content={
        <ul style={{ margin: 0, paddingLeft: 18 }} data-testid="shortcut-help">
          <li>{t("rx.shortcut.addLine")}</li>
          <li>{t("rx.shortcut.save")}</li>
          <li>{t("rx.shortcut.sign")}</li>
          <li>{t("rx.shortcut.remove")}</li>
          <li>{t("rx.shortcut.navigate")}</li>
        </ul>
      }
    >
      <Button size="small" icon={<QuestionCircleOutlined />}>
        {t("rx.shortcuts")}
      </Button>
    </Popover>
  );
}

/**
 * A line's fields; memoised apart from its findings, so a keystroke re-renders only its own
 * line and a checker answer re-renders only the findings, not the inputs (issue 7: ≤ 50 ms).
 */
const LineFields = memo(function LineFields({
  l,
  i,
  editable,
  update,
  remove,
}: {
  l: Line;
  i: number;
  editable: boolean;
  update: (key: number, patch: Partial<Line>) => void;
  remove: (key: number) => void;
}) {
  const { t, lang } = useI18n();
  const n = i + 1;
  const strengths = l.hit?.forms ?? (l.strength ? [{ form: "", strength: l.strength }] : []);
  const computed = computeQuantity(l.dose, l.unit, l.frequency, l.days);
  return (
    <>
      <Row gutter={6} align="bottom">
        {field(
          `drug-${l.key}`,
          `${t("rx.line", { n })} · ${t("rx.drug")}`,
          <DrugPicker
            id={`drug-${l.key}`}
            text={l.drugText}
            disabled={!editable}
            onText={(text) => update(l.key, { drugText: text, drug: null, hit: null })}
            onPick={(hit) =>
              update(l.key, {
                hit,
                drug: hit.inn,
                drugText: lang === "zh-CN" ? hit.zh : hit.inn,
                strength: hit.forms[0]?.strength ?? null,
                route: hit.routes[0] ?? null,
              })
            }
          />,
          9,
        )}
        {field(
          `strength-${l.key}`,
          t("rx.strength"),
          // The pack lists forms for some drugs only: pick one or type the strength.
          <AutoComplete
            id={`strength-${l.key}`}
            size="small"
            disabled={!editable}
            style={{ width: "100%" }}
            value={l.strength ?? ""}
            onChange={(v: string) => update(l.key, { strength: v === "" ? null : v })}
            options={strengths.map((f) => ({ value: f.strength, label: `${f.strength} ${f.form}` }))}
            data-testid={`strength-${i}`}
          />,
          5,
        )}
        {field(
          `dose-${l.key}`,
          t("rx.dose"),
          <InputNumber
            id={`dose-${l.key}`}
            size="small"
            disabled={!editable}
            min={0}
            style={{ width: "100%" }}
            value={l.dose}
            onChange={(v) => update(l.key, { dose: typeof v === "number" ? v : null })}
            data-testid={`dose-${i}`}
          />,
          4,
        )}
        {field(
          `unit-${l.key}`,
          t("rx.unit"),
          <Select
            id={`unit-${l.key}`}
            size="small"
            disabled={!editable}
            style={{ width: "100%" }}
            value={l.unit}
            onChange={(v: DoseUnit) => update(l.key, { unit: v })}
            options={UNITS.map((u) => ({ value: u, label: t(`unit.${u}`) }))}
          />,
          3,
        )}
        <Col span={3}>
          {editable && (
            <Button
              size="small"
              danger
              type="text"
              icon={<DeleteOutlined />}
              aria-label={t("rx.removeLine", { n })}
              title={t("rx.removeLine", { n })}
              onClick={() => remove(l.key)}
            />
          )}
        </Col>
      </Row>
      <Row gutter={6} style={{ marginTop: 4 }}>
        {field(
          `route-${l.key}`,
          t("rx.route"),
          <Select
            id={`route-${l.key}`}
            size="small"
            disabled={!editable}
            style={{ width: "100%" }}
            value={l.route}
            onChange={(v: Route) => update(l.key, { route: v })}
            options={ROUTES.map((r) => ({ value: r, label: t(`routeOf.${r}`) }))}
          />,
          6,
        )}
        {field(
          `freq-${l.key}`,
          t("rx.frequency"),
          <Select
            id={`freq-${l.key}`}
            size="small"
            disabled={!editable}
            style={{ width: "100%" }}
            value={l.frequency}
            onChange={(v: Frequency) => update(l.key, { frequency: v })}
            options={FREQUENCIES.map((f) => ({ value: f, label: `${f} ${t(`freq.${f}`)}` }))}
            data-testid={`freq-${i}`}
          />,
          7,
        )}
        {field(
          `days-${l.key}`,
          t("rx.days"),
          <InputNumber
            id={`days-${l.key}`}
            size="small"
            disabled={!editable}
            min={1}
            max={90}
            style={{ width: "100%" }}
            value={l.days}
            onChange={(v) => update(l.key, { days: typeof v === "number" ? v : null })}
          />,
          4,
        )}
        {field(
          `qty-${l.key}`,
          t("rx.quantity"),
          <InputNumber
            id={`qty-${l.key}`}
            size="small"
            disabled={!editable}
            min={0}
            style={{ width: "100%" }}
            value={l.quantityManual ? l.quantity : computed}
            onChange={(v) => update(l.key, { quantity: typeof v === "number" ? v : null, quantityManual: typeof v === "number" })}
            data-testid={`qty-${i}`}
          />,
          7,
        )}
      </Row>
    </>
  );
});

/** One line: its fields and the checker's findings for it. */
const LineRow = memo(
  function LineRow({
    l,
    i,
    editable,
    lineFindings,
    update,
    remove,
  }: {
    l: Line;
    i: number;
    editable: boolean;
    lineFindings: Finding[];
    findingsKey: string;
    update: (key: number, patch: Partial<Line>) => void;
    remove: (key: number) => void;
  }) {
    const { t, msg } = useI18n();
    return (
      <div key={l.key} data-line-key={l.key} data-testid={`rx-line-${i}`} style={{ borderBottom: "1px solid #f0f0f0", padding: "6px 0" }}>
        <LineFields l={l} i={i} editable={editable} update={update} remove={remove} />
        {lineFindings.length > 0 && (
          <Space size={2} wrap style={{ marginTop: 4 }} data-testid={`line-findings-${i}`}>
            {lineFindings.map((f, j) => (
              <Tag key={j} color={SEVERITY_COLOR[f.severity]} data-severity={f.severity} className="wrap-anywhere" style={{ whiteSpace: "normal", maxWidth: "100%" }}>
                {t(`severity.${f.severity}`)} · {msg(f.message)}
              </Tag>
            ))}
          </Space>
        )}
      </div>
    );
  },
  (a, b) => a.l === b.l && a.i === b.i && a.editable === b.editable && a.findingsKey === b.findingsKey,
);

function field(id: string, label: string, control: React.ReactNode, span: number) {
  return (
    <Col span={span}>
      <label htmlFor={id} style={{ fontSize: 12, color: "#555", display: "block" }}>
        {label}
      </label>
      {control}
    </Col>
  );
}

/** Lines, live checker findings beside them, save, sign with overrides (R-RX-1…7). */
export function PrescriptionEditor({
  view,
  prescription,
  onPrescription,
}: {
  view: ConsultationView;
  prescription: PrescriptionView | null;
  onPrescription: (p: PrescriptionView | null) => void;
}) {
  const { t } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const [lines, setLines] = useState<Line[]>(() =>
    prescription ? prescription.draft.items.map(fromItem) : [emptyLine()],
  );
  const [signOpen, setSignOpen] = useState(false);
  const [templateOpen, setTemplateOpen] = useState(false);
  const rootRef = useRef<HTMLDivElement>(null);
  const editable = view.status === "claimed" && (!prescription || EDITABLE.has(prescription.status));
  const diagnoses = view.record.diagnoses;

  // Findings name lines by their index in the request's items: keep the map to the rows.
  const { filled, draft } = draftOf(lines, view.prescription_kind, diagnoses);
  const live = useLiveCheck(view.id, editable ? draft : null);
  // What a change handler needs to send the next draft to the checker itself, before React
  // renders the keystroke (issue 7: the render no longer sits before the request).
  const early = useRef<{ lines: Line[]; send: ((lines: Line[]) => void) | null }>({ lines, send: null });
  const kind = view.prescription_kind;
  const sendCheck = live.send;
  useLayoutEffect(() => {
    early.current = { lines, send: editable ? (ls) => sendCheck(draftOf(ls, kind, diagnoses).draft) : null };
  }, [lines, editable, kind, diagnoses, sendCheck]);
  const check = editable ? live.result : (prescription?.check ?? null);
  const findings = check?.findings ?? [];
  const byLine = (l: Line): Finding[] => {
    const idx = filled.indexOf(l);
    return idx < 0 ? [] : findings.filter((f) => f.items.includes(idx));
  };
  const general = findings.filter((f) => f.items.length === 0);
  const blocks = findings.filter((f) => f.severity === "block");
  const warns = findings.filter((f) => f.severity === "warn");

  const update = useCallback((key: number, patch: Partial<Line>) => {
    const apply = (ls: Line[]) => ls.map((l) => (l.key === key ? { ...l, ...patch } : l));
    setLines(apply);
    // The lines as this change leaves them, checked now; the render follows (and its effect
    // sends nothing more unless the rendered draft differs from this one).
    const e = early.current;
    e.lines = apply(e.lines);
    e.send?.(e.lines);
  }, []);
  const remove = useCallback((key: number) => setLines((ls) => ls.filter((x) => x.key !== key)), []);

  const save = useMutation({
    mutationFn: (d: RxDraft) =>
      backend.call("rx_save", {
        consultation_id: view.id,
        prescription_id: prescription && EDITABLE.has(prescription.status) ? prescription.id : null,
        draft: d,
      }),
    onSuccess: (p) => {
      onPrescription(p);
      void client.invalidateQueries({ queryKey: ["consultation_get", view.id] });
    },
  });
  const sign = useMutation({
    mutationFn: async (v: { overrides: Override[]; validity: number }) => {
      if (!draft) throw new Error(t("rx.empty"));
      const saved = await save.mutateAsync(draft);
      return backend.call("rx_sign", { prescription_id: saved.id, overrides: v.overrides, validity_days: v.validity });
    },
    onSuccess: (p) => {
      setSignOpen(false);
      onPrescription(p);
      void client.invalidateQueries({ queryKey: ["consultation_get", view.id] });
    },
  });
  const templates = useQuery({
    queryKey: ["template_list", diagnoses[0] ?? null],
    queryFn: () => backend.call("template_list", { diagnosis: diagnoses[0] ?? null }),
    enabled: editable,
  });
  const saveTemplate = useMutation({
    mutationFn: (name: string) => backend.call("template_save", { name, diagnosis: diagnoses[0] ?? null, draft: draft! }),
    onSuccess: () => {
      setTemplateOpen(false);
      void client.invalidateQueries({ queryKey: ["template_list"] });
    },
  });

  const canSign = editable && draft !== null && blocks.length === 0 && !live.checking;
  const addLine = () => {
    const line = emptyLine();
    setLines((ls) => [...ls, line]);
    setTimeout(() => document.getElementById(`drug-${line.key}`)?.focus(), 0);
  };

  // Keyboard: the whole flow without the mouse (issue 7; listed in the help popover and README).
  const keys = useRef<{ addLine: () => void; save: () => void; sign: () => void } | null>(null);
  useEffect(() => {
    keys.current = {
      addLine,
      save: () => draft && save.mutate(draft),
      sign: () => canSign && setSignOpen(true),
    };
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || !editable) return;
      if (e.key === "n" || e.key === "N") keys.current?.addLine();
      else if (e.key === "s" || e.key === "S") keys.current?.save();
      else if (e.key === "Enter") keys.current?.sign();
      else if (e.key === "Delete") {
        const row = (document.activeElement as HTMLElement | null)?.closest("[data-line-key]");
        const key = Number(row?.getAttribute("data-line-key"));
        if (key) setLines((ls) => ls.filter((l) => l.key !== key));
      } else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [editable]);

  return (
    <Card
      size="small"
      ref={rootRef}
      data-testid="rx-editor"
      title={
        <Space wrap>
          <h3 style={{ margin: 0, fontSize: 16 }}>{t("rx.heading")}</h3>
          {prescription && <Tag data-testid="rx-status">{t("rx.status", { status: t(`rxStatus.${prescription.status}`) })}</Tag>}
        </Space>
      }
      extra={
        <Space wrap>
          {editable && (
            <Select
              aria-label={t("rx.applyTemplate")}
              placeholder={t("rx.applyTemplate")}
              size="small"
              style={{ width: 160 }}
              value={null}
              options={(templates.data?.templates ?? []).map((tp) => ({ value: tp.id, label: tp.name }))}
              onChange={(id: string) => {
                const tp = templates.data?.templates.find((x) => x.id === id);
                if (tp) setLines(tp.draft.items.map(fromItem));
              }}
            />
          )}
          {editable && (
            <Button size="small" disabled={!draft} onClick={() => setTemplateOpen(true)}>
              {t("rx.saveTemplate")}
            </Button>
          )}
          {!editable && view.status === "claimed" && (
            <Button size="small" onClick={() => { onPrescription(null); setLines([emptyLine()]); }}>
              {t("rx.new")}
            </Button>
          )}
          <Shortcuts />
        </Space>
      }
    >
      {!editable && prescription && <Alert type="info" showIcon title={t("rx.readOnly")} style={{ marginBottom: 8 }} />}
      <Row gutter={12}>
        <Col span={15}>
          {lines.map((l, i) => {
            const lineFindings = byLine(l);
            return (
              <LineRow
                key={l.key}
                l={l}
                i={i}
                editable={editable}
                lineFindings={lineFindings}
                findingsKey={JSON.stringify(lineFindings)}
                update={update}
                remove={remove}
              />
            );
          })}
          {editable && (
            <Button size="small" onClick={addLine} style={{ marginTop: 8 }} data-testid="add-line" disabled={lines.length >= 5}>
              {t("rx.addLine")}
            </Button>
          )}
        </Col>
        <Col span={9}>
          <div aria-live="polite" data-testid="findings" data-checking={live.checking ? "1" : "0"}>
            <Typography.Text strong>{t("rx.findings")}</Typography.Text>{" "}
            {live.checking && <Typography.Text type="secondary">{t("rx.checking")}</Typography.Text>}
            {live.error !== null && <Alert type="error" showIcon role="alert" title={errorText(t, live.error)} style={{ marginTop: 4 }} />}
            <div style={{ marginTop: 6 }}>
              {check && findings.length === 0 && <Typography.Text type="success">{t("rx.noFindings")}</Typography.Text>}
              <FindingList findings={[...general, ...findings.filter((f) => f.items.length > 0)]} />
            </div>
          </div>
        </Col>
      </Row>
      {(save.isError || sign.isError) && (
        <Alert type="error" showIcon role="alert" title={errorText(t, save.error ?? sign.error)} style={{ marginTop: 8 }} />
      )}
      {editable && blocks.length > 0 && (
        <Alert type="error" showIcon title={t("rx.blocked")} style={{ marginTop: 8 }} data-testid="sign-blocked" />
      )}
      {prescription?.status === "signed" && <Alert type="success" showIcon title={t("rx.signed")} style={{ marginTop: 8 }} />}
      {editable && (
        <Space style={{ marginTop: 8 }}>
          <Button onClick={() => draft && save.mutate(draft)} disabled={!draft} loading={save.isPending} data-testid="rx-save">
            {t("rx.save")}
          </Button>
          <Button type="primary" disabled={!canSign} onClick={() => setSignOpen(true)} data-testid="rx-sign">
            {t("rx.sign")}
          </Button>
        </Space>
      )}
      <SignDialog
        open={signOpen}
        warns={warns}
        busy={sign.isPending}
        onCancel={() => setSignOpen(false)}
        onSign={(overrides, validity) => sign.mutate({ overrides, validity })}
      />
      <Modal
        open={templateOpen}
        title={t("rx.saveTemplate")}
        footer={null}
        onCancel={() => setTemplateOpen(false)}
        destroyOnHidden
      >
        <Form<{ name: string }> layout="vertical" onFinish={(f) => saveTemplate.mutate(f.name)}>
          <Form.Item name="name" label={t("rx.templateName")} rules={[{ required: true, message: t("signIn.required") }]}>
            <Input autoFocus />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={saveTemplate.isPending}>
            {t("rx.saveTemplate")}
          </Button>
        </Form>
      </Modal>
    </Card>
  );
}

/** One reason per warning (R-RX-7); blocks never reach this dialog. */
export function SignDialog({
  open,
  warns,
  busy,
  onCancel,
  onSign,
}: {
  open: boolean;
  warns: Finding[];
  busy: boolean;
  onCancel: () => void;
  onSign: (overrides: Override[], validity: number) => void;
}) {
  const { t, msg } = useI18n();
  const [form] = Form.useForm<{ reasons: string[]; validity: number }>();
  return (
    <Modal open={open} title={t("rx.overrideHeading")} onCancel={onCancel} footer={null} destroyOnHidden>
      <Form
        form={form}
        layout="vertical"
        initialValues={{ validity: 3, reasons: warns.map(() => "") }}
        onFinish={(f) =>
          onSign(
            warns.map((w, i) => ({ code: w.code, items: w.items, reason: (f.reasons[i] ?? "").trim() })),
            f.validity,
          )
        }
        data-testid="sign-dialog"
      >
        {warns.length > 0 && <Typography.Paragraph>{t("rx.overrideIntro")}</Typography.Paragraph>}
        {warns.map((w, i) => (
          <Form.Item
            key={`${w.rule}-${i}`}
            name={["reasons", i]}
            label={`${t("rx.overrideReason")}: ${msg(w.message)}`}
            rules={[{ required: true, whitespace: true, message: t("signIn.required") }]}
          >
            <Input.TextArea autoSize={{ minRows: 1, maxRows: 3 }} data-testid={`override-${i}`} />
          </Form.Item>
        ))}
        <Form.Item name="validity" label={t("rx.validity")} rules={[{ required: true, type: "number", min: 1, max: 3 }]}>
          <InputNumber min={1} max={3} precision={0} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} data-testid="confirm-sign">
          {t("rx.confirmSign")}
        </Button>
      </Form>
    </Modal>
  );
}
