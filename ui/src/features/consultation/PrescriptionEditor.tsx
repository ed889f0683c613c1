import { DeleteOutlined, QuestionCircleOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, AutoComplete, Button, Card, Col, Form, Input, InputNumber, Modal, Popover, Row, Select, Space, Tag, Typography } from "antd";
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import type {
  ConsultationKind,
  ConsultationView,
  DoseUnit,
  DrugHit,
  Finding,
  Frequency,
  Item,
  Override,
  PrescriptionView,
  Refusal,
  Route,
  RxDraft,
} from "../../backend";
import { useBackend } from "../../backend/context";
import { useDraftHandle, useDraftSelect } from "../../app/drafts";
import { errorText } from "../../app/errors";
import { FindingList, findingLabel, linesText, refusalFindingText, SEVERITY_COLOR } from "../../components/findings";
import { SignatureTag } from "../../components/signature";
import { useI18n } from "../../i18n";
import { recordDraft, rxLinesDraft, type RecordFields } from "./drafts";
import { DrugPicker } from "./DrugPicker";
import { SlipButtons } from "./SlipButtons";
import { icd10Label } from "./Icd10Picker";
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
  /** 禁忌说明 (R-RX-2): pre-filled from the label's contraindications when the drug is picked, editable. */
  contraindications: string | null;
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
    contraindications: null,
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
    contraindications: item.contraindications ?? null,
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
    ...(l.contraindications?.trim() ? { contraindications: l.contraindications.trim() } : {}),
  };
}

/** The lines worth checking and the draft they make (null: no line names a drug yet). */
function draftOf(lines: Line[], kind: RxDraft["kind"], diagnoses: RxDraft["diagnoses"]): { filled: Line[]; draft: RxDraft | null } {
  const filled = lines.filter((l) => (l.drug ?? l.drugText).trim() !== "");
  return { filled, draft: filled.length ? { kind, diagnoses, items: filled.map(toItem) } : null };
}

/** A picked drug's 禁忌说明 as the pack sources it (empty: the pack holds none for it). */
function contraindicationText(hit: DrugHit, lang: string): string | null {
  const notes = lang === "zh-CN" ? hit.contraindications.zh.join("；") : hit.contraindications.en.join("; ");
  return notes === "" ? null : notes;
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
  invalidDrug,
  update,
  remove,
}: {
  l: Line;
  i: number;
  editable: boolean;
  invalidDrug: boolean;
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
            invalid={invalidDrug}
            describedBy={invalidDrug ? `pick-hint-${l.key}` : undefined}
            onText={(text) => update(l.key, { drugText: text, drug: null, hit: null })}
            onPick={(hit) =>
              update(l.key, {
                hit,
                drug: hit.inn,
                drugText: lang === "zh-CN" ? hit.zh : hit.inn,
                strength: hit.forms[0]?.strength ?? null,
                route: hit.routes[0] ?? null,
                contraindications: contraindicationText(hit, lang),
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
      <Row gutter={6} style={{ marginTop: 4 }}>
        {field(
          `contra-${l.key}`,
          t("rx.contraindications"),
          <Input
            id={`contra-${l.key}`}
            size="small"
            disabled={!editable}
            maxLength={1000}
            value={l.contraindications ?? ""}
            placeholder={t("rx.contraindicationsNone")}
            onChange={(e) => update(l.key, { contraindications: e.target.value === "" ? null : e.target.value })}
            data-testid={`contra-${i}`}
          />,
          21,
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
    kind,
    editable,
    lineFindings,
    update,
    remove,
  }: {
    l: Line;
    i: number;
    kind: ConsultationKind;
    editable: boolean;
    lineFindings: Finding[];
    findingsKey: string;
    update: (key: number, patch: Partial<Line>) => void;
    remove: (key: number) => void;
  }) {
    const { t, msg } = useI18n();
    // Typed text that was not picked from the list is not a medicine (R-RX-8).
    const unpicked = lineFindings.some((f) => f.code === "unknown_drug");
    return (
      <div key={l.key} data-line-key={l.key} data-testid={`rx-line-${i}`} style={{ borderBottom: "1px solid #f0f0f0", padding: "6px 0" }}>
        <LineFields l={l} i={i} editable={editable} invalidDrug={unpicked} update={update} remove={remove} />
        {lineFindings.length > 0 && (
          <Space size={2} wrap style={{ marginTop: 4 }} data-testid={`line-findings-${i}`}>
            {lineFindings.map((f, j) => (
              <Tag
                key={j}
                color={SEVERITY_COLOR[f.severity]}
                data-severity={f.severity}
                data-code={f.code}
                title={msg(f.message)}
                className="wrap-anywhere"
                style={{ whiteSpace: "normal", maxWidth: "100%" }}
              >
                {t(`severity.${f.severity}`)} · {findingLabel(t, f, kind)}
                {f.severity === "block" && t("app.paren", { text: t("finding.notOverridable") })}
              </Tag>
            ))}
          </Space>
        )}
        {unpicked && (
          <div id={`pick-hint-${l.key}`} data-testid={`pick-hint-${i}`} style={{ color: "#cf1322", fontSize: 12, marginTop: 2 }}>
            {t("rx.pickHint")}
          </div>
        )}
      </div>
    );
  },
  (a, b) => a.l === b.l && a.i === b.i && a.kind === b.kind && a.editable === b.editable && a.findingsKey === b.findingsKey,
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

/** What the editor is given: the prescription it shows (none: a new one) and what to do with it. */
export interface PrescriptionEditorProps {
  view: ConsultationView;
  prescription: PrescriptionView | null;
  /** A save or a signature answered: this is the prescription now. */
  onPrescription: (p: PrescriptionView) => void;
  /** Start a new prescription (after a signed one). */
  onNew: () => void;
}

/** Lines, live checker findings beside them, save, sign with overrides (R-RX-1…8). */
export function PrescriptionEditor({ view, prescription, onPrescription, onNew }: PrescriptionEditorProps) {
  const { t, lang } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  // Unsaved lines live in the draft store, not only here (issue 12 §6): leaving the tab
  // unmounts this editor, coming back finds them.
  const linesDraft = useDraftHandle<Line[]>(rxLinesDraft(view.id));
  const [lines, setLines] = useState<Line[]>(
    () => linesDraft.read() ?? (prescription ? prescription.draft.items.map(fromItem) : [emptyLine()]),
  );
  // The lines as last saved (or as opened): anything else is an unsaved draft.
  const [pristine, setPristine] = useState<Line[] | null>(() => (linesDraft.read() ? null : lines));
  const unsaved = lines !== pristine;
  useEffect(() => {
    if (lines !== pristine) linesDraft.write(lines);
  }, [lines, pristine, linesDraft]);
  const [signOpen, setSignOpen] = useState(false);
  const [templateOpen, setTemplateOpen] = useState(false);
  const rootRef = useRef<HTMLDivElement>(null);
  const editable = view.status === "claimed" && (!prescription || EDITABLE.has(prescription.status));
  // The diagnoses the check and the signature use (R-RX-8): the record form's, saved or not
  // (the same draft store), else the saved record's — as the core falls back to it.
  const recordDiagnoses = useDraftSelect<RecordFields, string[] | undefined>(recordDraft(view.id), (f) => f?.diagnoses);
  const fromUnsavedRecord = editable && recordDiagnoses !== undefined && recordDiagnoses.length > 0 && recordDiagnoses !== view.record.diagnoses;
  const diagnoses = !editable && prescription ? prescription.draft.diagnoses : recordDiagnoses && recordDiagnoses.length > 0 ? recordDiagnoses : view.record.diagnoses;
  // The consultation type (R-RX-4): the signed draft's, else the consultation's.
  const kind: ConsultationKind = (!editable && prescription?.draft.kind) || view.prescription_kind;

  // Findings name lines by their index in the request's items: keep the map to the rows.
  const { filled, draft } = draftOf(lines, kind, diagnoses);
  const live = useLiveCheck(view.id, editable ? draft : null);
  // What a change handler needs to send the next draft to the checker itself, before React
  // renders the keystroke (issue 7: the render no longer sits before the request).
  const early = useRef<{ lines: Line[]; send: ((lines: Line[]) => void) | null }>({ lines, send: null });
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
  const current = useRef(lines);
  useEffect(() => {
    current.current = lines;
  }, [lines]);
  /** Saved or signed with `saved` lines: they are the prescription now, not a draft. */
  const settle = (saved: Line[]) => {
    setPristine(saved);
    if (current.current === saved) linesDraft.write(undefined);
  };

  const save = useMutation({
    mutationFn: (v: { draft: RxDraft; lines: Line[] }) =>
      backend.call("rx_save", {
        consultation_id: view.id,
        prescription_id: prescription && EDITABLE.has(prescription.status) ? prescription.id : null,
        draft: v.draft,
      }),
    onSuccess: (p, v) => {
      settle(v.lines);
      onPrescription(p);
      void client.invalidateQueries({ queryKey: ["consultation_get", view.id] });
    },
  });
  const sign = useMutation({
    mutationFn: async (v: { overrides: Override[]; validity: number; draft: RxDraft; lines: Line[] }) => {
      const saved = await save.mutateAsync({ draft: v.draft, lines: v.lines });
      return backend.call("rx_sign", { prescription_id: saved.id, overrides: v.overrides, validity_days: v.validity });
    },
    onSuccess: (p, v) => {
      setSignOpen(false);
      settle(v.lines);
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

  // A block is never overridden (R-RX-7, R-RX-8): nothing signs until the checker has answered
  // for exactly what is on screen and found none.
  const noDiagnosis = diagnoses.length === 0;
  const canSign = editable && draft !== null && check !== null && !live.checking && live.error === null && blocks.length === 0 && !noDiagnosis;
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
      save: () => draft && save.mutate({ draft, lines }),
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

  const refusal = prescription?.refusal ?? null;
  return (
    <Card
      size="small"
      ref={rootRef}
      data-testid="rx-editor"
      title={
        <Space wrap>
          <h3 style={{ margin: 0, fontSize: 16 }}>{t("rx.heading")}</h3>
          {prescription && <Tag data-testid="rx-status" data-status={prescription.status}>{t("rx.status", { status: t(`rxStatus.${prescription.status}`) })}</Tag>}
          {refusal && <Tag color="red" data-testid="rx-refused-tag">{t("rx.refusedTag")}</Tag>}
          {prescription?.signature && <SignatureTag check={prescription.signature} />}
          <Tag color="geekblue" data-testid="rx-kind" data-kind={kind}>
            {t("app.labelValue", { label: t("kind.label"), value: t(`kind.${kind}`) })}
          </Tag>
          {editable && unsaved && <Tag color="gold" data-testid="rx-unsaved">{t("rx.unsaved")}</Tag>}
        </Space>
      }
      extra={
        <Space wrap>
          {prescription && <SlipButtons prescriptionId={prescription.id} status={prescription.status} />}
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
            <Button size="small" onClick={onNew}>
              {t("rx.new")}
            </Button>
          )}
          <Shortcuts />
        </Space>
      }
    >
      {refusal && <RefusalAlert refusal={refusal} kind={kind} />}
      <div data-testid="rx-diagnosis" style={{ marginBottom: 8 }}>
        <Typography.Text strong>{t("app.labelColon", { label: t("rx.diagnosis") })}</Typography.Text>
        {noDiagnosis ? (
          <Typography.Text type="danger">{t("finding.diagnosis_missing")}</Typography.Text>
        ) : (
          diagnoses.map((d) => <Tag key={d}>{icd10Label(d, lang)}</Tag>)
        )}
        {fromUnsavedRecord && <Typography.Text type="secondary">{t("app.paren", { text: t("rx.diagnosisUnsaved") })}</Typography.Text>}
      </div>
      {editable && noDiagnosis && (
        <Alert
          type="error"
          showIcon
          role="status"
          data-testid="diagnosis-block"
          style={{ marginBottom: 8 }}
          title={
            <span>
              <Tag color="red">{t("severity.block")}</Tag>
              {t("finding.diagnosis_missing")}
            </span>
          }
          description={t("rx.diagnosisMissing")}
          action={
            <Button size="small" onClick={() => document.getElementById("diagnoses")?.focus()}>
              {t("rx.diagnosisGoTo")}
            </Button>
          }
        />
      )}
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
                kind={kind}
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
              <FindingList
                kind={kind}
                overrides={prescription && !editable ? prescription.overrides : undefined}
                findings={[...blocks.filter((f) => f.items.length === 0), ...general.filter((f) => f.severity !== "block"), ...findings.filter((f) => f.items.length > 0)]}
              />
            </div>
          </div>
        </Col>
      </Row>
      {(save.isError || sign.isError) && (
        <Alert type="error" showIcon role="alert" title={errorText(t, save.error ?? sign.error)} style={{ marginTop: 8 }} />
      )}
      {editable && (blocks.length > 0 || noDiagnosis) && (
        <Alert
          type="error"
          showIcon
          title={t("rx.blocked")}
          style={{ marginTop: 8 }}
          role="status"
          data-testid="sign-blocked"
          description={
            <>
              {t("rx.blockedList")}
              <ul style={{ margin: 0, paddingLeft: 18 }}>
                {noDiagnosis && !blocks.some((f) => f.code === "diagnosis_missing") && <li data-code="diagnosis_missing">{t("finding.diagnosis_missing")}</li>}
                {blocks.map((f, i) => (
                  <li key={`${f.rule}-${f.items.join()}-${i}`} data-code={f.code}>
                    {f.items.length > 0
                      ? t("finding.onLines", { lines: linesText(t, f.items.map((x) => x + 1), lang), label: findingLabel(t, f, kind) })
                      : findingLabel(t, f, kind)}
                  </li>
                ))}
              </ul>
            </>
          }
        />
      )}
      {prescription?.status === "signed" && !refusal && <Alert type="success" showIcon title={t("rx.signed")} style={{ marginTop: 8 }} />}
      {editable && (
        <Space style={{ marginTop: 8 }}>
          <Button onClick={() => draft && save.mutate({ draft, lines })} disabled={!draft} loading={save.isPending} data-testid="rx-save">
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
        kind={kind}
        busy={sign.isPending}
        onCancel={() => setSignOpen(false)}
        onSign={(overrides, validity) => draft && sign.mutate({ overrides, validity, draft, lines })}
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

/**
 * The platform refused the signature (issue 12 §6, one truth on screen): said on the
 * prescription itself, the reason and every finding localised by code — never the platform's
 * own text — and the prescription is an editable draft again.
 */
function RefusalAlert({ refusal, kind }: { refusal: Refusal; kind: ConsultationKind }) {
  const { t, lang, dateTime } = useI18n();
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      data-testid="rx-refusal"
      data-code={refusal.code}
      style={{ marginBottom: 8 }}
      title={<strong>{t("rx.refused.title")}</strong>}
      description={
        <>
          <div>{t("rx.refused.reason", { reason: t(`sync.code.${refusal.code}`) })}</div>
          {refusal.findings.length > 0 && (
            <>
              <div>{t("rx.refused.findings")}</div>
              <ul style={{ margin: 0, paddingLeft: 18 }} data-testid="rx-refusal-findings">
                {refusal.findings.map((f, i) => (
                  <li key={`${f}-${i}`}>{refusalFindingText(t, lang, f, kind)}</li>
                ))}
              </ul>
            </>
          )}
          <div>{t("rx.refused.at", { time: dateTime(new Date(refusal.at).toISOString()) })}</div>
          <div>{t("rx.refused.editable")}</div>
        </>
      }
    />
  );
}

/** One reason per warning (R-RX-7); blocks never reach this dialog. */
export function SignDialog({
  open,
  warns,
  kind,
  busy,
  onCancel,
  onSign,
}: {
  open: boolean;
  warns: Finding[];
  kind: ConsultationKind;
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
            label={`${t("rx.overrideReason")}: ${findingLabel(t, w, kind)} — ${msg(w.message)}`}
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
