import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Checkbox, Col, Empty, Form, Input, Modal, Row, Skeleton, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import type { Item, RejectionReason, ReviewItem } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { FindingList } from "../consultation/FindingList";

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
      ]}
    />
  );
}

function ReviewCard({ item, onReject }: { item: ReviewItem; onReject: (id: string) => void }) {
  const { t, msg } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const rx = item.prescription;
  const approve = useMutation({
    mutationFn: () => backend.call("rx_review", { prescription_id: rx.id, decision: { decision: "approve" } }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["review_queue"] }),
  });
  const p = item.patient;
  return (
    <Card
      size="small"
      data-testid="review-item"
      title={
        <Space wrap>
          <strong>{p.masked_name}</strong>
          <span>
            {p.age_years !== null ? t("queue.age", { age: p.age_years }) : ""} {t(`sex.${p.sex ?? "unknown"}`)}
          </span>
          <Tag>{t("review.round", { n: item.round })}</Tag>
          <Tag color={rx.check.verdict === "block" ? "red" : rx.check.verdict === "warn" ? "orange" : "green"}>
            {rx.check.verdict === "pass" ? t("verdict.pass") : t(`severity.${rx.check.verdict}`)}
          </Tag>
        </Space>
      }
      extra={
        <Space>
          <Button type="primary" onClick={() => approve.mutate()} loading={approve.isPending} data-testid="approve">
            {t("review.approve")}
          </Button>
          <Button danger onClick={() => onReject(rx.id)} data-testid="reject">
            {t("review.reject")}
          </Button>
        </Space>
      }
    >
      {approve.isError && <Alert type="error" showIcon role="alert" title={errorText(t, approve.error)} style={{ marginBottom: 8 }} />}
      <Row gutter={12}>
        <Col span={14}>
          <Typography.Text strong>{t("review.lines")}</Typography.Text>
          <Lines items={rx.draft.items} />
        </Col>
        <Col span={10}>
          <Typography.Text strong>{t("rx.findings")}</Typography.Text>
          {rx.check.findings.length === 0 ? <div>{t("rx.noFindings")}</div> : <FindingList findings={rx.check.findings} />}
          <div style={{ marginTop: 8 }}>
            <Typography.Text strong>{t("review.overrides")}</Typography.Text>
            <ul style={{ paddingLeft: 18, margin: 0 }} data-testid="overrides">
              {rx.overrides.map((o, i) => {
                const f = rx.check.findings.find((x) => x.code === o.code && x.items.join() === o.items.join());
                return (
                  <li key={i} className="wrap-anywhere">
                    {f ? msg(f.message) : o.code} — <em>{o.reason}</em>
                  </li>
                );
              })}
            </ul>
          </div>
          <div style={{ marginTop: 8 }}>
            <Typography.Text strong>{t("review.history")}</Typography.Text>
            {rx.reviews.length === 0 ? (
              <div>{t("review.noHistory")}</div>
            ) : (
              <ul style={{ paddingLeft: 18, margin: 0 }} data-testid="history">
                {rx.reviews.map((r, i) => (
                  <li key={i} className="wrap-anywhere">
                    {t("review.by", { pharmacist: r.pharmacist, result: r.approved ? t("review.approved") : t("review.rejected") })}
                    {r.reasons.length > 0 && ` (${r.reasons.map((x) => t(`reject.${x}`)).join("、")})`}
                    {r.note && ` — ${r.note}`}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </Col>
      </Row>
    </Card>
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
