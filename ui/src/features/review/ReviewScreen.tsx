import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Checkbox, Col, Descriptions, Empty, Form, Input, Modal, Row, Skeleton, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import type { Item, RejectionReason, ReviewItem } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { FindingList, findingLabel } from "../../components/findings";
import { SignatureTag } from "../../components/signature";

export const REJECTION_REASONS: RejectionReason[] = [
  "inappropriate_indication",
  "dose_or_frequency",
  "interaction",
  "contraindication",
  "duplicate_therapy",
  "quantity_or_course",
  "incomplete_information",
  "other",
];

function Lines({ items }: { items: Item[] }) {
  const { t } = useI18n();
  return (
    <Table<Item & { n: number }>
      size="small"
      pagination={false}
      rowKey="n"
      dataSource={items.map((it, n) => ({ ...it, n }))}
      columns={[
        { title: "#", dataIndex: "n", width: 40, render: (n: number) => n + 1 },
        { title: t("rx.drug"), dataIndex: "drug", className: "wrap-anywhere" },
        { title: t("rx.strength"), dataIndex: "strength", width: 100 },
        { title: t("rx.dose"), key: "dose", width: 100, render: (_, it) => (it.dose ? `${it.dose.value} ${t(`unit.${it.dose.unit}`)}` : "") },
        { title: t("rx.route"), key: "route", width: 90, render: (_, it) => (it.route ? t(`routeOf.${it.route}`) : "") },
        { title: t("rx.frequency"), key: "f", width: 110, render: (_, it) => (it.frequency ? t(`freq.${it.frequency}`) : "") },
        { title: t("rx.days"), dataIndex: "days", width: 60 },
        { title: t("rx.quantity"), dataIndex: "quantity", width: 70 },
        {
          title: t("rx.contraindications"),
          key: "contra",
          className: "wrap-anywhere",
          render: (_, it) => <span data-testid={`review-contra-${it.n}`}>{it.contraindications ?? "—"}</span>,
        },
      ]}
    />
  );
}

const none = (v: unknown) => v === null || v === undefined;

/**
 * The clinical picture the prescription was checked against (R-RX-9), as kept with it: what
 * was not recorded says so, never a blank that reads as "none".
 */
function ContextPanel({ item }: { item: ReviewItem }) {
  const { t, lang, num } = useI18n();
  const rx = item.prescription;
  const c = rx.context;
  const notRecorded = <Typography.Text type="secondary">{t("review.notRecorded")}</Typography.Text>;
  const yesNo = (v: boolean | null | undefined) => (none(v) ? notRecorded : v ? <Tag color="orange">{t("review.yes")}</Tag> : t("review.no"));
  const list = (xs: string[] | null | undefined, empty: string) => (none(xs) ? notRecorded : xs!.length === 0 ? empty : xs!.join(lang === "zh-CN" ? "、" : ", "));
  const age = c?.age_years ?? item.patient.age_years;
  const sex = c?.sex ?? item.patient.sex;
  const verified = c?.identity_verified ?? item.patient.identity_verified;
  const kind = rx.draft.kind;
  return (
    <section aria-label={t("review.context")} data-testid="review-context">
      <Typography.Text strong>{t("review.context")}</Typography.Text>
      {c === null && <Alert type="warning" showIcon title={t("review.contextMissing")} style={{ margin: "4px 0" }} />}
      <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }} bordered style={{ marginTop: 4 }}>
        <Descriptions.Item label={t("review.diagnoses")} span={2}>
          <span data-testid="context-diagnoses">
            {rx.draft.diagnoses.length === 0 ? (
              <Typography.Text type="danger">{t("finding.diagnosis_missing")}</Typography.Text>
            ) : (
              rx.draft.diagnoses.join(lang === "zh-CN" ? "、" : ", ")
            )}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t("review.kind")}>{kind ? t(`kind.${kind}`) : notRecorded}</Descriptions.Item>
        <Descriptions.Item label={t("review.ageSex")}>
          {none(age) ? t("review.notRecorded") : t("queue.age", { age: age! })} · {t(`sex.${sex ?? "unknown"}`)}
        </Descriptions.Item>
        <Descriptions.Item label={t("review.weight")}>
          <span data-testid="context-weight">{none(c?.weight_kg) ? notRecorded : t("review.weightValue", { kg: num(c!.weight_kg!) })}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t("review.allergies")}>
          <span data-testid="context-allergies">
            {none(c?.allergies)
              ? notRecorded
              : c!.allergies!.length === 0
                ? t("review.noAllergies")
                : c!.allergies!.map((a) => (a.reaction ? `${a.substance}${t("app.paren", { text: a.reaction })}` : a.substance)).join(lang === "zh-CN" ? "、" : ", ")}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t("review.renal")}>
          <span data-testid="context-egfr">{none(c?.egfr) ? notRecorded : t("review.egfrValue", { egfr: num(c!.egfr!) })}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t("review.hepatic")}>{none(c?.hepatic_impairment) ? notRecorded : t(`hepatic.${c!.hepatic_impairment!}`)}</Descriptions.Item>
        <Descriptions.Item label={t("review.pregnancy")}>{yesNo(c?.pregnant)}</Descriptions.Item>
        <Descriptions.Item label={t("review.lactation")}>{yesNo(c?.lactating)}</Descriptions.Item>
        <Descriptions.Item label={t("review.conditions")}>{c ? list(c.conditions, t("review.none")) : notRecorded}</Descriptions.Item>
        <Descriptions.Item label={t("review.currentMedications")}>
          <span data-testid="context-medications">{list(c?.current_medications, t("review.none"))}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t("review.identity")}>
          <Tag color={verified ? "green" : "red"} data-testid="context-identity">
            {verified ? t("consultation.verified") : t("consultation.unverified")}
          </Tag>
        </Descriptions.Item>
      </Descriptions>
    </section>
  );
}

/** What takes effect when the pharmacist approves: the lines and how long it is valid. */
function ApproveDialog({ item, open, busy, error, onCancel, onConfirm }: { item: ReviewItem; open: boolean; busy: boolean; error: unknown; onCancel: () => void; onConfirm: () => void }) {
  const { t, dateTime } = useI18n();
  const rx = item.prescription;
  return (
    <Modal
      open={open}
      title={t("review.approveHeading")}
      onCancel={onCancel}
      width={760}
      destroyOnHidden
      footer={[
        <Button key="cancel" onClick={onCancel}>
          {t("review.cancel")}
        </Button>,
        <Button key="ok" type="primary" loading={busy} onClick={onConfirm} data-testid="confirm-approve">
          {t("review.confirmApprove")}
        </Button>,
      ]}
    >
      <div data-testid="approve-dialog">
        <Typography.Paragraph>
          {item.patient.masked_name} · {t("review.approveEffect")}
        </Typography.Paragraph>
        <Lines items={rx.draft.items} />
        <Typography.Paragraph style={{ marginTop: 8 }} data-testid="approve-validity">
          <strong>{rx.valid_until ? t("review.validUntil", { time: dateTime(rx.valid_until) }) : t("review.validDays", { days: rx.validity_days })}</strong>
        </Typography.Paragraph>
        {error !== null && <Alert type="error" showIcon role="alert" title={errorText(t, error)} />}
      </div>
    </Modal>
  );
}

function ReviewCard({ item, onReject }: { item: ReviewItem; onReject: (id: string) => void }) {
  const { t, dateTime } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const rx = item.prescription;
  const [confirming, setConfirming] = useState(false);
  const approve = useMutation({
    mutationFn: () => backend.call("rx_review", { prescription_id: rx.id, decision: { decision: "approve" } }),
    onSuccess: () => {
      setConfirming(false);
      void client.invalidateQueries({ queryKey: ["review_queue"] });
    },
  });
  const p = item.patient;
  // A block is never approved (R-RX-8), nor a signature that does not verify (R-RX-10): the
  // core refuses both too; say so before the click.
  const blocked = rx.check.findings.some((f) => f.severity === "block");
  const badSignature = item.signature.status === "invalid";
  const kind = rx.draft.kind;
  const headingId = `review-${rx.id}`;
  return (
    <Card
      size="small"
      data-testid="review-item"
      aria-labelledby={headingId}
      title={
        <Space wrap id={headingId}>
          <strong>{p.masked_name}</strong>
          <span>
            {p.age_years !== null ? t("queue.age", { age: p.age_years }) : ""} {t(`sex.${p.sex ?? "unknown"}`)}
          </span>
          <Tag>{t("review.round", { n: item.round })}</Tag>
          {kind && <Tag color="geekblue">{t(`kind.${kind}`)}</Tag>}
          <Tag color={rx.check.verdict === "block" ? "red" : rx.check.verdict === "warn" ? "orange" : "green"}>
            {rx.check.verdict === "pass" ? t("verdict.pass") : t(`severity.${rx.check.verdict}`)}
          </Tag>
          <SignatureTag check={item.signature} />
          {rx.signed_at && (
            <Typography.Text type="secondary" style={{ fontWeight: "normal" }}>
              {t("review.signedAt")} {dateTime(rx.signed_at)}
            </Typography.Text>
          )}
        </Space>
      }
      extra={
        <Space>
          <Button type="primary" disabled={blocked || badSignature} onClick={() => setConfirming(true)} data-testid="approve">
            {t("review.approve")}
          </Button>
          <Button danger onClick={() => onReject(rx.id)} data-testid="reject">
            {t("review.reject")}
          </Button>
        </Space>
      }
    >
      {badSignature && (
        <Alert
          type="error"
          showIcon
          role="status"
          title={t("signature.invalidBlocks", { code: item.signature.code ?? "—" })}
          style={{ marginBottom: 8 }}
          data-testid="signature-invalid"
        />
      )}
      {blocked && <Alert type="error" showIcon role="status" title={t("review.blocked")} style={{ marginBottom: 8 }} data-testid="review-blocked" />}
      <ContextPanel item={item} />
      <Row gutter={12} style={{ marginTop: 8 }}>
        <Col span={14}>
          <Typography.Text strong>{t("review.lines")}</Typography.Text>
          <Lines items={rx.draft.items} />
        </Col>
        <Col span={10}>
          <Typography.Text strong>{t("rx.findings")}</Typography.Text>
          {rx.check.findings.length === 0 ? (
            <div>{t("rx.noFindings")}</div>
          ) : (
            <FindingList findings={rx.check.findings} kind={kind} overrides={rx.overrides} />
          )}
          <Overrides item={item} />
          <div style={{ marginTop: 8 }}>
            <Typography.Text strong>{t("review.history")}</Typography.Text>
            {rx.reviews.length === 0 ? (
              <div>{t("review.noHistory")}</div>
            ) : (
              <ol style={{ paddingLeft: 18, margin: 0 }} data-testid="history">
                {rx.reviews.map((r, i) => (
                  <li key={i} className="wrap-anywhere">
                    {t("review.by", { pharmacist: r.pharmacist, result: r.approved ? t("review.approved") : t("review.rejected") })}
                    {r.reasons.length > 0 && ` (${r.reasons.map((x) => t(`reject.${x}`)).join("、")})`}
                    {r.note && ` — ${r.note}`}
                  </li>
                ))}
              </ol>
            )}
          </div>
        </Col>
      </Row>
      <ApproveDialog
        item={item}
        open={confirming}
        busy={approve.isPending}
        error={approve.isError ? approve.error : null}
        onCancel={() => {
          setConfirming(false);
          approve.reset();
        }}
        onConfirm={() => approve.mutate()}
      />
    </Card>
  );
}

/** Every override reason, each with the finding it answers (R-RX-7, R-RX-9). */
function Overrides({ item }: { item: ReviewItem }) {
  const { t, msg } = useI18n();
  const rx = item.prescription;
  if (rx.overrides.length === 0) return null;
  return (
    <div style={{ marginTop: 8 }}>
      <Typography.Text strong>{t("review.overrides")}</Typography.Text>
      <ul style={{ paddingLeft: 18, margin: 0 }} data-testid="overrides">
        {rx.overrides.map((o, i) => {
          const f = rx.check.findings.find((x) => x.code === o.code && x.items.join() === o.items.join());
          return (
            <li key={i} className="wrap-anywhere">
              {findingLabel(t, f ?? o, rx.draft.kind)}
              {f && t("app.paren", { text: msg(f.message) })} — <em>{o.reason}</em>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** Pharmacist review of signed prescriptions (R-RX-6). */
export function ReviewScreen() {
  const { t } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const [rejecting, setRejecting] = useState<string | null>(null);
  const queue = useQuery({ queryKey: ["review_queue"], queryFn: () => backend.call("review_queue", {}), refetchInterval: 10_000 });
  const reject = useMutation({
    mutationFn: (f: { reasons: RejectionReason[]; note: string }) =>
      backend.call("rx_review", {
        prescription_id: rejecting!,
        decision: { decision: "reject", reasons: f.reasons, note: f.note ?? "" },
      }),
    onSuccess: () => {
      setRejecting(null);
      void client.invalidateQueries({ queryKey: ["review_queue"] });
    },
  });
  const rejectingItem = queue.data?.items.find((i) => i.prescription.id === rejecting);
  if (queue.isPending) return <Skeleton active />;
  if (queue.isError) return <Alert type="error" showIcon role="alert" title={errorText(t, queue.error)} />;
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 18 }}>{t("review.heading")}</h2>} data-testid="review-screen">
      {queue.data.items.length === 0 && <Empty description={t("review.empty")} />}
      <Space orientation="vertical" style={{ width: "100%" }}>
        {queue.data.items.map((item) => (
          <ReviewCard key={item.prescription.id} item={item} onReject={setRejecting} />
        ))}
      </Space>
      <Modal open={rejecting !== null} title={t("review.rejectHeading")} footer={null} onCancel={() => setRejecting(null)} destroyOnHidden>
        <Form<{ reasons: RejectionReason[]; note: string }> layout="vertical" onFinish={(f) => reject.mutate(f)} initialValues={{ reasons: [], note: "" }}>
          <Typography.Paragraph>
            {rejectingItem && `${rejectingItem.patient.masked_name} · `}
            {t("review.rejectHint")}
          </Typography.Paragraph>
          <Form.Item name="reasons" label={t("review.reasons")} rules={[{ required: true, type: "array", min: 1, message: t("signIn.required") }]}>
            <Checkbox.Group options={REJECTION_REASONS.map((r) => ({ value: r, label: t(`reject.${r}`) }))} style={{ display: "grid", gridTemplateColumns: "1fr 1fr" }} />
          </Form.Item>
          <Form.Item name="note" label={t("review.note")}>
            <Input.TextArea autoSize={{ minRows: 2, maxRows: 4 }} data-testid="reject-note" />
          </Form.Item>
          {reject.isError && <Alert type="error" showIcon role="alert" title={errorText(t, reject.error)} style={{ marginBottom: 8 }} />}
          <Button danger type="primary" htmlType="submit" loading={reject.isPending} data-testid="confirm-reject">
            {t("review.reject")}
          </Button>
        </Form>
      </Modal>
    </Card>
  );
}
