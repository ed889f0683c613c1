import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Skeleton, Table } from "antd";
import type { QueueEntry } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { FlagTags } from "../queue/QueueScreen";

/** Requests held after a sensitive-word match, released by an administrator (R-TRI-5). */
export function HeldScreen() {
  const { t, dateTime } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const queue = useQuery({
    queryKey: ["queue_list", "held"],
    queryFn: () => backend.call("queue_list", { route: null, all_routes: true }),
    refetchInterval: 10_000,
  });
  const release = useMutation({
    mutationFn: (id: string) => backend.call("intake_release", { consultation_id: id }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["queue_list"] }),
  });
  if (queue.isPending) return <Skeleton active />;
  if (queue.isError) return <Alert type="error" showIcon role="alert" title={errorText(t, queue.error)} />;
  const held = queue.data.entries.filter((e) => e.held);
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 18 }}>{t("held.heading")}</h2>} data-testid="held-screen">
      {release.isError && <Alert type="error" showIcon role="alert" title={errorText(t, release.error)} style={{ marginBottom: 8 }} />}
      <Table<QueueEntry>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={held}
        locale={{ emptyText: t("held.empty") }}
        columns={[
          { title: t("queue.patient"), key: "p", width: 120, render: (_, e) => e.patient.masked_name },
          { title: t("complaints.receivedAt"), dataIndex: "arrived_at", width: 150, render: (d: string) => dateTime(d) },
          { title: t("queue.complaint"), dataIndex: "complaint", className: "wrap-anywhere" },
          { title: t("queue.flags"), key: "f", width: 200, render: (_, e) => <FlagTags flags={e.flags} /> },
          {
            title: t("queue.actions"),
            key: "a",
            width: 100,
            render: (_, e) => (
              <Button size="small" onClick={() => release.mutate(e.id)} loading={release.isPending && release.variables === e.id} data-testid="release">
                {t("held.release")}
              </Button>
            ),
          },
        ]}
      />
    </Card>
  );
}
