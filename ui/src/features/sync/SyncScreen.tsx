import { SyncOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, Badge, Button, Card, Descriptions, Empty, Progress, Skeleton, Space, Table, Tag, Typography } from "antd";
import type { ReactNode } from "react";
import type { RejectedChange, SyncOverview } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { refusalFindingText } from "../../components/findings";
import { useI18n } from "../../i18n";
import { useNow } from "../queue/useNow";
import { allSynced, connectionOf, named, relativeTime, splitError, stateText, SYNC_KEY, type Connection } from "./model";
import { useSyncStatus } from "./useSyncStatus";

/** How long after "Sync now" the status is read again (one push/pull round on loopback). */
const SYNC_SETTLE_MS = 1_000;

const BADGE: Record<Connection, "success" | "processing" | "default" | "warning"> = {
  local_only: "default",
  connecting: "processing",
  online: "success",
  offline: "default",
  needs_sign_in: "warning",
};

/** Where this workstation stands with the platform, and every change it refused (issues 6, 7). */
export function SyncScreen() {
  const { t } = useI18n();
  const sync = useSyncStatus();
  const heading = <h2 style={{ margin: 0, fontSize: 18 }}>{t("sync.heading")}</h2>;
  if (sync.isPending) return <Skeleton active />;
  if (sync.isError)
    return (
      <Card title={heading} data-testid="sync-screen">
        <Alert type="error" showIcon role="alert" title={errorText(t, sync.error)} action={<Button onClick={() => void sync.refetch()}>{t("app.retry")}</Button>} />
      </Card>
    );
  return (
    <Space orientation="vertical" style={{ width: "100%" }} data-testid="sync-screen">
      <Overview o={sync.data} answeredAt={sync.dataUpdatedAt} heading={heading} />
      {sync.data.configured && <Rejected rejected={sync.data.rejected} total={sync.data.rejected_ops} />}
    </Space>
  );
}

function Overview({ o, answeredAt, heading }: { o: SyncOverview; answeredAt: number; heading: ReactNode }) {
  const { t, lang, dateTime, num } = useI18n();
  const now = useNow();
  const client = useQueryClient();
  const backend = useBackend();
  const syncNow = useMutation({
    mutationFn: () => backend.call("sync_now", {}),
    onSuccess: (next) => {
      client.setQueryData(SYNC_KEY, next);
      // The core wakes its sync task and answers at once; read the outcome a moment later.
      setTimeout(() => void client.invalidateQueries({ queryKey: SYNC_KEY }), SYNC_SETTLE_MS);
    },
  });
  const connection = connectionOf(o);
  const error = o.last_error ? splitError(o.last_error) : null;
  return (
    <Card
      title={heading}
      extra={
        o.configured && (
          <Button type="primary" icon={<SyncOutlined />} loading={syncNow.isPending} onClick={() => syncNow.mutate()} data-testid="sync-now">
            {t("sync.syncNow")}
          </Button>
        )
      }
    >
      {!o.configured ? (
        <Alert type="info" showIcon role="status" title={t("sync.localOnly")} data-testid="local-only" />
      ) : (
        <Space orientation="vertical" style={{ width: "100%" }}>
          {syncNow.isError && <Alert type="error" showIcon role="alert" title={errorText(t, syncNow.error)} />}
          {error?.code === "audit_anchor_mismatch" && (
            <Alert type="error" showIcon role="alert" title={t("sync.auditMismatch")} data-testid="audit-mismatch" />
          )}
          <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
            <Descriptions.Item label={t("sync.stateLabel")} span={2}>
              <Space wrap>
                <Badge status={BADGE[connection]} text={<strong data-testid="sync-connection">{t(`sync.connection.${connection}`)}</strong>} />
                <span data-testid="sync-state" role="status">
                  {stateText(t, o, answeredAt, now)}
                </span>
                {allSynced(o) && <Tag color="green">{t("sync.indicator.synced")}</Tag>}
              </Space>
            </Descriptions.Item>
            <Descriptions.Item label={t("sync.pending")}>
              <span data-testid="sync-pending-count">{num(o.pending_ops)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t("sync.rejectedCount")}>
              <span data-testid="sync-rejected-count">{num(o.rejected_ops)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t("sync.lastSync")}>
              {o.last_sync_at ? (
                <span data-testid="last-sync">
                  {relativeTime(lang, o.last_sync_at, now)}{" "}
                  <Typography.Text type="secondary">({dateTime(o.last_sync_at)})</Typography.Text>
                </span>
              ) : (
                t("sync.never")
              )}
            </Descriptions.Item>
            <Descriptions.Item label={t("sync.lastError")}>
              {error ? (
                <span data-testid="last-error">
                  {error.code && <Typography.Text code>{error.code}</Typography.Text>}{" "}
                  <Typography.Text type="secondary">{error.message}</Typography.Text>
                </span>
              ) : (
                t("sync.noError")
              )}
            </Descriptions.Item>
            <Descriptions.Item label={t("sync.auditAnchored")}>
              {o.audit_anchored === null ? t("sync.noError") : t("sync.auditAnchoredCount", { count: o.audit_anchored.toLocaleString() })}
            </Descriptions.Item>
            <Descriptions.Item label={t("sync.platform")} span={2}>
              <Typography.Text className="wrap-anywhere">{o.platform_url}</Typography.Text>
            </Descriptions.Item>
          </Descriptions>
          {o.head > o.cursor && (
            <div data-testid="sync-progress">
              <Typography.Text>{t("sync.progress", { cursor: num(o.cursor), head: num(o.head) })}</Typography.Text>
              <Progress
                percent={Math.floor((o.cursor / o.head) * 100)}
                aria-label={t("sync.progress", { cursor: num(o.cursor), head: num(o.head) })}
              />
            </div>
          )}
        </Space>
      )}
    </Card>
  );
}

function Rejected({ rejected, total }: { rejected: RejectedChange[]; total: number }) {
  const { t, lang, dateTime } = useI18n();
  return (
    <Card
      size="small"
      title={
        <h3 style={{ margin: 0, fontSize: 15 }}>
          {t("sync.rejected.heading")} {total > 0 && <Tag color="red">{total}</Tag>}
        </h3>
      }
      data-testid="rejected"
    >
      {rejected.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("sync.rejected.empty")} />
      ) : (
        <>
          <Typography.Paragraph type="secondary">{t("sync.rejected.hint")}</Typography.Paragraph>
          <Table<RejectedChange>
            size="small"
            rowKey="op_id"
            pagination={false}
            dataSource={rejected}
            expandable={{
              expandedRowRender: (r) => <KeptDraft change={r} />,
              rowExpandable: (r) => r.kept_draft.length > 0,
            }}
            columns={[
              { key: "operation", title: t("sync.rejected.operation"), render: (_, r) => named(t, "sync.op", r.operation) },
              {
                key: "record",
                title: t("sync.rejected.record"),
                render: (_, r) => (
                  <span>
                    {named(t, "sync.kind", r.record.kind)} <Typography.Text code>{r.record.id.slice(0, 8)}</Typography.Text>
                  </span>
                ),
              },
              {
                key: "reason",
                title: t("sync.rejected.reason"),
                render: (_, r) => (
                  <div data-testid={`rejection-${r.op_id}`}>
                    <Tag color="red">{named(t, "sync.code", r.rejection.code)}</Tag>
                    {r.rejection.findings && r.rejection.findings.length > 0 ? (
                      // A validity refusal names its findings by code: said in the user's words,
                      // not the platform's English (issue 12 §6).
                      <ul style={{ margin: 0, paddingLeft: 18 }} data-testid={`rejection-findings-${r.op_id}`}>
                        {r.rejection.findings.map((f, i) => (
                          <li key={`${f}-${i}`}>{refusalFindingText(t, lang, f)}</li>
                        ))}
                      </ul>
                    ) : (
                      <Typography.Text type="secondary" className="wrap-anywhere">
                        {r.rejection.message}
                      </Typography.Text>
                    )}
                  </div>
                ),
              },
              {
                key: "when",
                title: t("sync.rejected.when"),
                render: (_, r) => (
                  <Space orientation="vertical" size={0}>
                    <span>{t("sync.rejected.rejectedAt", { time: dateTime(r.rejected_at) })}</span>
                    <Typography.Text type="secondary">{t("sync.rejected.madeAt", { time: dateTime(r.made_at) })}</Typography.Text>
                  </Space>
                ),
              },
              {
                key: "draft",
                title: t("sync.rejected.draft"),
                render: (_, r) => (r.kept_draft.length > 0 ? r.kept_draft.map((f) => named(t, "sync.field", f.field)).join("、") : t("sync.rejected.noDraft")),
              },
            ]}
          />
        </>
      )}
    </Card>
  );
}

/** What the user wrote, kept so nothing is lost when the platform refuses it (issue 6). */
function KeptDraft({ change }: { change: RejectedChange }) {
  const { t } = useI18n();
  return (
    <Descriptions size="small" column={1} title={t("sync.rejected.draft")} data-testid={`kept-draft-${change.op_id}`}>
      {change.kept_draft.map((f, i) => (
        <Descriptions.Item key={`${f.field}-${i}`} label={named(t, "sync.field", f.field)}>
          <span className="wrap-anywhere" style={{ whiteSpace: "pre-wrap" }}>
            {f.value}
          </span>
        </Descriptions.Item>
      ))}
    </Descriptions>
  );
}
