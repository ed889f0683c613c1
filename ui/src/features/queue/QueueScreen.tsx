import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Empty, Select, Skeleton, Space, Table, Tag, Tooltip, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { createContext, useContext, useMemo, useState, type ReactNode } from "react";
import { BackendError, type Flag, type Priority, type QueueEntry, type SignedIn } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { clock, secondsLeft } from "./countdown";
import { routeLabel, specialtyLabel } from "./labels";
import { useNow } from "./useNow";

const PRIORITY_COLOR: Record<Priority, string> = { emergency: "red", urgent: "orange", normal: "blue" };
/** New requests appear without a reload (issue 7). */
export const QUEUE_POLL_MS = 3_000;
/** Above this many rows the table renders only what is on screen. */
const VIRTUAL_FROM = 100;
/** The core answers at most 1,000 of the most urgent waiting requests; ask for all of them. */
export const QUEUE_LIMIT = 1000;

/**
 * The ticking clock, read only by the cells that show it: the second-by-second tick then
 * re-renders a few visible countdowns, never the whole (possibly 1,000-row) table.
 */
const NowContext = createContext<number>(0);

function Ticking({ children }: { children: ReactNode }) {
  const now = useNow();
  return <NowContext.Provider value={now}>{children}</NowContext.Provider>;
}

function TimeLeft({ respondBy }: { respondBy: string }) {
  const { t } = useI18n();
  const left = secondsLeft(respondBy, useContext(NowContext));
  return left < 0 ? (
    // The marker lets the row's first cell show the breach (see styles.css).
    <Space size={2} wrap className="queue-breached-mark">
      <Tag color="red" data-testid="breached">
        {t("queue.breached", { time: clock(left) })}
      </Tag>
      <Tag color="magenta">{t("queue.escalated")}</Tag>
    </Space>
  ) : (
    <span style={{ fontVariantNumeric: "tabular-nums" }} data-testid="countdown">
      {clock(left)}
    </span>
  );
}

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

const heldClass = (e: QueueEntry) => (e.held ? "queue-row-held" : "");

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

  const pendingId = take.isPending ? take.variables : null;
  const takeOne = take.mutate;
  const columns = useMemo<ColumnsType<QueueEntry>>(() => [
    {
      title: t("queue.priority"),
      dataIndex: "priority",
      width: 90,
      render: (p: Priority) => <Tag color={PRIORITY_COLOR[p]}>{t(`priority.${p}`)}</Tag>,
    },
    {
      title: t("queue.patient"),
      key: "patient",
      width: 150,
      // Plain spans, not antd components: a fast scroll through 1,000 rows renders ~8 new
      // rows a frame, and each component's style hooks cost time there (issue 7).
      render: (_, e) => (
        <span>
          {e.patient.masked_name}
          <span className="queue-secondary">
            {t(`sex.${e.patient.sex ?? "unknown"}`)}
            {e.patient.age_years !== null && ` · ${t("queue.age", { age: e.patient.age_years })}`}
          </span>
        </span>
      ),
    },
    { title: t("queue.channel"), dataIndex: "channel", width: 70, render: (c: QueueEntry["channel"]) => t(`channel.${c}`) },
    { title: t("queue.route"), key: "route", width: 170, render: (_, e) => <Tag>{routeLabel(t, e.route)}</Tag> },
    { title: t("queue.complaint"), dataIndex: "complaint", width: 260, ellipsis: { showTitle: true } },
    {
      title: t("queue.flags"),
      key: "flags",
      width: 200,
      render: (_, e) =>
        e.held || e.flags.length > 0 ? (
          <Space size={2} wrap>
            {e.held && <Tag color="purple">{t("queue.held")}</Tag>}
            <FlagTags flags={e.flags} />
          </Space>
        ) : null,
    },
    {
      title: t("queue.timeLeft"),
      key: "time",
      width: 150,
      render: (_, e) => <TimeLeft respondBy={e.respond_by} />,
    },
    {
      title: t("queue.actions"),
      key: "take",
      width: 110,
      render: (_, e) =>
        e.claimable ? (
          <Button size="small" type="primary" loading={pendingId === e.id} onClick={() => takeOne(e.id)}>
            {t("queue.take")}
          </Button>
        ) : (
          <Typography.Text type="secondary">{e.held ? t("queue.held") : t("queue.notClaimable")}</Typography.Text>
        ),
    },
  ], [t, pendingId, takeOne]);

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
      <Ticking>
        <Table<QueueEntry>
          rowKey="id"
          size="small"
          columns={columns}
          dataSource={entries}
          pagination={false}
          virtual={entries.length > VIRTUAL_FROM}
          scroll={entries.length > VIRTUAL_FROM ? { y: 560, x: 1200 } : { x: 1200 }}
          locale={{ emptyText: <Empty description={t("queue.empty")} /> }}
          rowClassName={heldClass}
        />
      </Ticking>
    </Card>
  );
}
