import type { Language, MessageKey } from "../../i18n";
import { isMessageKey } from "../../i18n";
import type { SyncOverview, SyncState } from "../../backend";

type T = (key: MessageKey, params?: Record<string, string | number>) => string;

/** The query every sync view shares, so the header and the screen show the same answer. */
export const SYNC_KEY = ["sync_status"] as const;
/** While signed in the status is re-read this often (the core's sync task runs on its own). */
export const SYNC_POLL_MS = 3_000;

/**
 * The link to the platform in one word, for the header and the screen's badge.
 * `local_only` is a profile without a platform: not an error, never shown as offline.
 */
export type Connection = "local_only" | "connecting" | "online" | "offline" | "needs_sign_in";

export function connectionOf(o: SyncOverview): Connection {
  if (!o.configured) return "local_only";
  const s = o.state;
  if (s === null || s.state === "idle") return o.last_error ? "offline" : "connecting";
  switch (s.state) {
    case "up_to_date":
      return "online";
    case "syncing":
      return o.last_error ? "connecting" : "online";
    case "needs_sign_in":
      return "needs_sign_in";
    default:
      return "offline";
  }
}

/**
 * Nothing is called synced while a change still waits for the platform's acknowledgement,
 * or was refused (issue 6, R-SEC-1).
 */
export function allSynced(o: SyncOverview): boolean {
  return connectionOf(o) === "online" && o.state?.state === "up_to_date" && o.pending_ops === 0 && o.rejected_ops === 0;
}

/** Seconds until the next attempt, counted down from when the answer arrived. */
export function retrySeconds(state: SyncState | null, answeredAt: number, now: number): number | null {
  if (state === null || !("retry_in_ms" in state)) return null;
  return Math.max(0, Math.ceil((state.retry_in_ms - Math.max(0, now - answeredAt)) / 1000));
}

/** The client's state in words (issue 7): what is happening and what happens next. */
export function stateText(t: T, o: SyncOverview, answeredAt: number, now: number): string {
  if (!o.configured) return t("sync.state.local_only");
  const s = o.state;
  const retry = retrySeconds(s, answeredAt, now);
  const next = retry === null ? "" : retry > 0 ? t("sync.retryIn", { s: retry }) : t("sync.retryNow");
  if (s === null) return o.last_error ? t("sync.state.failed") : t("sync.state.not_started");
  switch (s.state) {
    case "idle":
      return t("sync.state.idle");
    case "syncing":
      return t("sync.state.syncing");
    case "up_to_date":
      return o.pending_ops > 0 ? t("sync.state.up_to_date_pending", { n: o.pending_ops }) : t("sync.state.up_to_date");
    case "offline":
      return t("sync.state.offline", { next });
    case "rate_limited":
      return t("sync.state.rate_limited", { next });
    case "server_error":
      return t("sync.state.server_error", { status: s.status, next });
    case "bad_answer":
      return t("sync.state.bad_answer", { next });
    case "tls_failure":
      return t("sync.state.tls_failure", { next });
    case "needs_sign_in":
      return t("sync.state.needs_sign_in");
  }
}

/** `last_error` is "code: message"; the code is stable, the message is for people. */
export function splitError(lastError: string): { code: string; message: string } {
  const at = lastError.indexOf(":");
  if (at <= 0 || /\s/.test(lastError.slice(0, at))) return { code: "", message: lastError.trim() };
  return { code: lastError.slice(0, at), message: lastError.slice(at + 1).trim() };
}

/** "3 minutes ago" in the user's language. */
export function relativeTime(lang: Language, iso: string, now: number): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86_400), "day");
}

/** A key built from a server name, or the server's name itself when we have no words for it. */
export function named(t: T, prefix: string, name: string): string {
  const key = `${prefix}.${name}`;
  return isMessageKey(key) ? t(key) : name;
}
