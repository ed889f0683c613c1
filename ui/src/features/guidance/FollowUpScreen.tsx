import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Form, Input, Modal, Radio, Skeleton, Table, Tag } from "antd";
import { useState } from "react";
import type { FollowUpItem } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";

interface Fields {
  taken: "yes" | "no" | "unknown";
  improved: "yes" | "no" | "unknown";
  revisit_advice: string;
  notes: string;
}
const tri = (v: Fields["taken"]) => (v === "unknown" ? null : v === "yes");

/** Follow-ups due today and overdue, and the record form (R-FU-1, R-FU-2). */
export function FollowUpScreen() {
  const { t, dateTime } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const [open, setOpen] = useState<FollowUpItem | null>(null);
  const list = useQuery({ queryKey: ["follow_up_list"], queryFn: () => backend.call("follow_up_list", {}) });
  const record = useMutation({
    mutationFn: (f: Fields) =>
      backend.call("follow_up_record", {
        plan_id: open!.plan_id,
        taken_as_prescribed: tri(f.taken),
        symptoms_improved: tri(f.improved),
        revisit_advice: f.revisit_advice ?? "",
        notes: f.notes ?? "",
      }),
    onSuccess: () => {
      setOpen(null);
      void client.invalidateQueries({ queryKey: ["follow_up_list"] });
    },
  });
  const triOptions = [
    { value: "yes", label: t("followUp.yes") },
    { value: "no", label: t("followUp.no") },
    { value: "unknown", label: t("followUp.unknown") },
  ];
  const table = (rows: FollowUpItem[], testId: string) => (
    <Table<FollowUpItem>
      data-testid={testId}
      rowKey="plan_id"
      size="small"
      pagination={false}
      dataSource={rows}
      locale={{ emptyText: t("followUp.empty") }}
      columns={[
        { title: t("followUp.patient"), dataIndex: "patient", width: 120 },
        { title: t("followUp.plan"), dataIndex: "plan", className: "wrap-anywhere" },
        { title: t("followUp.kind.follow_up"), dataIndex: "kind", width: 120, render: (k: FollowUpItem["kind"]) => <Tag>{t(`followUp.kind.${k}`)}</Tag> },
        { title: t("followUp.dueAt"), dataIndex: "due_at", width: 160, render: (d: string) => dateTime(d) },
        {
          title: t("queue.actions"),
          key: "a",
          width: 120,
          render: (_, r) => (
            <Button size="small" onClick={() => setOpen(r)}>
              {t("followUp.record")}
            </Button>
          ),
        },
      ]}
    />
  );
  if (list.isPending) return <Skeleton active />;
  if (list.isError) return <Alert type="error" showIcon title={errorText(t, list.error)} />;
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 18 }}>{t("followUp.heading")}</h2>} data-testid="follow-up-screen">
      <h3 style={{ fontSize: 15 }}>{t("followUp.overdue")}</h3>
      {table(list.data.overdue, "overdue")}
      <h3 style={{ fontSize: 15, marginTop: 16 }}>{t("followUp.dueToday")}</h3>
      {table(list.data.due_today, "due-today")}
      <Modal open={open !== null} title={t("followUp.record")} footer={null} onCancel={() => setOpen(null)} destroyOnHidden>
        <Form<Fields> layout="vertical" initialValues={{ taken: "unknown", improved: "unknown", revisit_advice: "", notes: "" }} onFinish={(f) => record.mutate(f)}>
          <Form.Item name="taken" label={t("followUp.adherence")}>
            <Radio.Group options={triOptions} />
          </Form.Item>
          <Form.Item name="improved" label={t("followUp.improved")}>
            <Radio.Group options={triOptions} />
          </Form.Item>
          <Form.Item name="revisit_advice" label={t("followUp.revisit")}>
            <Input.TextArea autoSize={{ minRows: 1, maxRows: 3 }} />
          </Form.Item>
          <Form.Item name="notes" label={t("followUp.notes")}>
            <Input.TextArea autoSize={{ minRows: 1, maxRows: 3 }} />
          </Form.Item>
          {record.isError && <Alert type="error" showIcon role="alert" title={errorText(t, record.error)} style={{ marginBottom: 8 }} />}
          <Button type="primary" htmlType="submit" loading={record.isPending}>
            {t("followUp.record")}
          </Button>
        </Form>
      </Modal>
    </Card>
  );
}
