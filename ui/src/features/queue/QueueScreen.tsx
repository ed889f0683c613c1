import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Select, Skeleton, Space, Tag, Tooltip, Typography } from "antd";
import { useCallback, useState } from "react";
import { BackendError, type Flag, type SignedIn } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { specialtyLabel } from "./labels";
import { QueueTable } from "./QueueTable";

/** New requests appear without a reload (issue 7). */
export const QUEUE_POLL_MS = 3_000;
/** The core answers at most 1,000 of the most urgent waiting requests; ask for all of them. */
export const QUEUE_LIMIT = 1000;

export function FlagTags({ flags }: { flags: Flag[] }) {
  const { t, msg } = useI18n();
  return (
    <Space size={2} wrap>
      {flags.map((f) => (
        <Tooltip key={f.code + f.rule} title={msg(f.message)}>
          <Tag color="volcano" tabIndex={0} aria-label={`${t(`flag.${f.code}`)}: ${msg(f.message)}`} data-testid={`flag-${f.code}`}>
            {t(`flag.${f.code}`)}
          </Tag>
        </Tooltip>
      ))}
    </Space>
  );
}

export function QueueScreen({ user, onOpen }: { user: SignedIn; onOpen: (id: string) => void }) {
  const backend = useBackend();
  const client = useQueryClient();
  const { t } = useI18n();
  const [route, setRoute] = useState<string | null>(null);
  const queue = useQuery({
    queryKey: ["queue_list", route],
    queryFn: () => backend.call("queue_list", { route, all_routes: false, limit: QUEUE_LIMIT }),
    refetchInterval: QUEUE_POLL_MS,
  });
  const take = useMutation({
    mutationFn: (id: string) => backend.call("consultation_claim", { consultation_id: id }),
    onSuccess: (view) => {
      client.setQueryData(["consultation_get", view.id], view);
      onOpen(view.id);
    },
    onSettled: () => void client.invalidateQueries({ queryKey: ["queue_list"] }),
  });

  const routeOptions = [
    { value: "", label: t("queue.allRoutes") },
    { value: "emergency", label: t("route.emergency") },
    { value: "general", label: t("route.general") },
    ...user.specialties
      .filter((s) => s !== "general" && s !== "emergency")
      .map((s) => ({ value: `specialist:${s}`, label: t("route.specialist", { specialty: specialtyLabel(t, s) }) })),
  ];

  const pendingId = take.isPending ? (take.variables ?? null) : null;
  const takeOne = take.mutate;
  const onTake = useCallback((id: string) => takeOne(id), [takeOne]);

  if (queue.isPending) return <Skeleton active />;
  if (queue.isError)
    return (
      <Alert
        type="error"
        showIcon
        title={errorText(t, queue.error)}
        action={<Button onClick={() => void queue.refetch()}>{t("app.retry")}</Button>}
      />
    );
  const { entries, breached } = queue.data;
  const takeError = take.error ? BackendError.from(take.error) : null;
  return (
    <Card
      data-testid="queue-screen"
      title={
        <Space orientation="vertical" size={0}>
          <h2 style={{ margin: 0, fontSize: 18 }}>{t("queue.heading")}</h2>
          <Typography.Text type="secondary" data-testid="queue-summary">
            {t("queue.summary", { count: entries.length, breached })}
          </Typography.Text>
        </Space>
      }
      extra={
        <Select
          aria-label={t("queue.filterRoute")}
          style={{ width: 200 }}
          value={route ?? ""}
          onChange={(v: string) => setRoute(v === "" ? null : v)}
          options={routeOptions}
          data-testid="route-filter"
        />
      }
    >
      {takeError && (
        <Alert
          type={takeError.code === "conflict" ? "warning" : "error"}
          showIcon
          role="alert"
          closable={{ onClose: () => take.reset() }}
          title={takeError.code === "conflict" ? t("queue.taken") : errorText(t, takeError)}
          style={{ marginBottom: 12 }}
          data-testid="take-error"
        />
      )}
      <QueueTable entries={entries} pendingId={pendingId} onTake={onTake} />
    </Card>
  );
}
