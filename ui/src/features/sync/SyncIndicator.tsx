import { CloudOutlined, CloudSyncOutlined, DesktopOutlined, DisconnectOutlined, WarningOutlined } from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Tag } from "antd";
import { useEffect, type ReactNode } from "react";
import { useI18n } from "../../i18n";
import { allSynced, connectionOf, type Connection } from "./model";
import { useSyncStatus } from "./useSyncStatus";

const ICONS: Record<Connection, ReactNode> = {
  local_only: <DesktopOutlined />,
  connecting: <CloudSyncOutlined />,
  online: <CloudOutlined />,
  offline: <DisconnectOutlined />,
  needs_sign_in: <WarningOutlined />,
};

/**
 * The header's sync summary on every screen (issue 7): online or offline, how many changes
 * wait, how many were refused. A click opens the sync screen.
 */
export function SyncIndicator({ onOpen }: { onOpen: () => void }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const sync = useSyncStatus();
  const o = sync.data;
  // A change reaching (or being refused by) the platform changes a record's sync tag:
  // re-read open consultations then, not on every poll.
  const settled = o ? `${o.pending_ops}/${o.rejected_ops}` : null;
  useEffect(() => {
    if (settled !== null) void client.invalidateQueries({ queryKey: ["consultation_get"] });
  }, [settled, client]);

  if (!o) {
    if (!sync.isError) return null;
    return (
      <Button size="small" onClick={onOpen} data-testid="sync-indicator">
        {t("sync.indicator.unknown")}
      </Button>
    );
  }
  const connection = connectionOf(o);
  const parts = [t(`sync.connection.${connection}`)];
  if (o.pending_ops > 0) parts.push(t("sync.indicator.pending", { n: o.pending_ops }));
  if (o.rejected_ops > 0) parts.push(t("sync.indicator.rejected", { n: o.rejected_ops }));
  // "Synced" only when nothing waits and nothing was refused (issue 6).
  if (allSynced(o)) parts.push(t("sync.indicator.synced"));
  const status = parts.join(" · ");
  return (
    <Button
      size="small"
      icon={ICONS[connection]}
      onClick={onOpen}
      aria-label={t("sync.indicator.label", { status })}
      data-testid="sync-indicator"
      data-connection={connection}
    >
      <span>{t(`sync.connection.${connection}`)}</span>
      {o.pending_ops > 0 && (
        <Tag color="blue" style={{ marginInlineEnd: 0 }} data-testid="sync-pending">
          {t("sync.indicator.pending", { n: o.pending_ops })}
        </Tag>
      )}
      {o.rejected_ops > 0 && (
        <Tag color="red" style={{ marginInlineEnd: 0 }} data-testid="sync-rejected">
          {t("sync.indicator.rejected", { n: o.rejected_ops })}
        </Tag>
      )}
      {allSynced(o) && (
        <Tag color="green" style={{ marginInlineEnd: 0 }}>
          {t("sync.indicator.synced")}
        </Tag>
      )}
    </Button>
  );
}

/**
 * Calm, not alarming: offline is a normal state for a workstation that keeps everything
 * locally (R-SEC-1); the banner says the work is safe and what happens next.
 */
export function SyncBanner() {
  const { t } = useI18n();
  const sync = useSyncStatus();
  if (!sync.data) return null;
  const connection = connectionOf(sync.data);
  if (connection === "offline")
    return <Alert type="info" role="status" showIcon icon={<DisconnectOutlined />} title={t("sync.banner.offline")} style={{ marginBottom: 12 }} data-testid="offline-banner" />;
  if (connection === "needs_sign_in")
    return <Alert type="warning" showIcon title={t("sync.banner.needs_sign_in")} style={{ marginBottom: 12 }} data-testid="sign-in-banner" />;
  return null;
}
