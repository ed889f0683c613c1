import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Form, Input, Modal, Radio, Skeleton, Table, Tag } from "antd";
import { useState } from "react";
import type { ComplaintView, Outcome } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { clock, secondsLeft } from "../queue/countdown";
import { useNow } from "../queue/useNow";

type Kind = Outcome["kind"];
const KINDS: Kind[] = ["facts_do_not_match", "service_timeout", "compliance_violation"];
/** The stored outcome codes (`complaint_list`) and the request's kinds differ for one of them. */
const STORED: Record<string, Kind> = {
  facts_mismatch: "facts_do_not_match",
  facts_do_not_match: "facts_do_not_match",
  service_timeout: "service_timeout",
  compliance_violation: "compliance_violation",
};

function outcome(kind: Kind, detail: string): Outcome {
  switch (kind) {
    case "facts_do_not_match":
      return { kind, clarification: detail };
    case "service_timeout":
      return { kind, compensation: detail };
    case "compliance_violation":
      return { kind, finding: detail };
  }
}

/** Complaints with the 24-hour response clock and the three outcomes (R-CMP-1, R-CMP-2). */
export function ComplaintsScreen() {
  const { t, dateTime } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const now = useNow();
  const [open, setOpen] = useState<ComplaintView | null>(null);
  const list = useQuery({ queryKey: ["complaint_list"], queryFn: () => backend.call("complaint_list", {}), refetchInterval: 30_000 });
  const resolve = useMutation({
    mutationFn: (f: { kind: Kind; detail: string }) =>
      backend.call("complaint_resolve", { complaint_id: open!.id, outcome: outcome(f.kind, f.detail) }),
    onSuccess: () => {
      setOpen(null);
      void client.invalidateQueries({ queryKey: ["complaint_list"] });
    },
  });
  if (list.isPending) return <Skeleton active />;
  if (list.isError) return <Alert type="error" showIcon role="alert" title={errorText(t, list.error)} />;
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 18 }}>{t("complaints.heading")}</h2>} data-testid="complaints-screen">
      <Table<ComplaintView>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={list.data.complaints}
        locale={{ emptyText: t("complaints.empty") }}
        columns={[
          { title: t("complaints.receivedAt"), dataIndex: "received_at", width: 150, render: (d: string) => dateTime(d) },
          { title: t("complaints.physician"), dataIndex: "physician_id", width: 110 },
          { title: t("complaints.text"), dataIndex: "text", className: "wrap-anywhere" },
          {
            title: t("complaints.clock"),
            key: "clock",
            width: 150,
            render: (_, c) => {
              if (c.outcome) return null;
              const left = secondsLeft(c.respond_by, now);
              return left < 0 ? <Tag color="red">{t("queue.breached", { time: clock(left) })}</Tag> : <span style={{ fontVariantNumeric: "tabular-nums" }}>{clock(left)}</span>;
            },
          },
          {
            title: t("complaints.status"),
            dataIndex: "status",
            width: 90,
            render: (st: string) => (st === "open" || st === "closed" ? t(`complaints.status.${st}`) : st),
          },
          {
            title: t("complaints.outcome"),
            key: "outcome",
            width: 200,
            render: (_, c) =>
              c.outcome ? (
                <span className="wrap-anywhere">
                  {STORED[c.outcome] ? t(`complaints.outcome.${STORED[c.outcome]!}`) : c.outcome}
                  {c.notes && <> — {c.notes}</>}
                  {c.regulator_report && <Tag color="red">{t("complaints.report")}</Tag>}
                </span>
              ) : (
                <Button size="small" onClick={() => setOpen(c)} data-testid="resolve">
                  {t("complaints.resolve")}
                </Button>
              ),
          },
        ]}
      />
      <Modal open={open !== null} title={t("complaints.resolveHeading")} footer={null} onCancel={() => setOpen(null)} destroyOnHidden>
        <Form<{ kind: Kind; detail: string }> layout="vertical" initialValues={{ kind: "facts_do_not_match", detail: "" }} onFinish={(f) => resolve.mutate(f)}>
          <Form.Item name="kind" label={t("complaints.kind")}>
            <Radio.Group options={KINDS.map((k) => ({ value: k, label: t(`complaints.outcome.${k}`) }))} style={{ display: "grid" }} />
          </Form.Item>
          <Form.Item name="detail" label={t("complaints.detail")} rules={[{ required: true, whitespace: true, message: t("signIn.required") }]}>
            <Input.TextArea autoSize={{ minRows: 2, maxRows: 4 }} />
          </Form.Item>
          {resolve.isError && <Alert type="error" showIcon role="alert" title={errorText(t, resolve.error)} style={{ marginBottom: 8 }} />}
          <Button type="primary" htmlType="submit" loading={resolve.isPending}>
            {t("complaints.resolve")}
          </Button>
        </Form>
      </Modal>
    </Card>
  );
}
