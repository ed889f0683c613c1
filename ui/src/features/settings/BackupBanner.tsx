import { Alert } from "antd";
import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../backend/context";
import { SESSION_KEY } from "../../app/session";
import { useI18n } from "../../i18n";

/**
 * Backups happen by themselves (R-SEC-4, issue 13 §5); the header says so when they do not:
 * the folder cannot be reached, or the last good backup is more than 48 hours old. The
 * session status carries the core's answer (polled with the lock state).
 */
export function BackupBanner() {
  const { t, lang } = useI18n();
  const backend = useBackend();
  const session = useQuery({ queryKey: SESSION_KEY, queryFn: () => backend.call("session_status", {}) });
  const health = session.data?.backup;
  if (!health || (!health.overdue && !health.problem)) return null;
  const last = health.last_good_at
    ? new Date(health.last_good_at).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" })
    : t("backup.banner.never");
  const detail = health.problem ? health.problem.slice(health.problem.indexOf(":") + 1).trim() : null;
  return (
    <Alert
      type="warning"
      showIcon
      role="alert"
      style={{ marginBottom: 12 }}
      data-testid="backup-banner"
      title={health.problem?.startsWith("backup_folder_unreachable") ? t("backup.banner.unreachable") : t("backup.banner.overdue", { last })}
      description={detail ? `${t("backup.banner.last", { last })} · ${detail}` : t("backup.banner.tellIt")}
    />
  );
}
