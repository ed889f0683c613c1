import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useBackend } from "../backend/context";
import { LANGUAGES, useI18n } from "../i18n";
import "./first-screen.css";

/** The app's name, profile and version: one query, shared with the signed-in header. */
export function useAppInfo() {
  const backend = useBackend();
  return useQuery({ queryKey: ["app_info"], queryFn: () => backend.call("app_info", {}) });
}

/** zh-CN / English as two toggle buttons (the signed-in header has antd's Segmented). */
export function LanguageSwitch() {
  const { t, lang, setLang } = useI18n();
  return (
    <div role="group" aria-label={t("app.language")} className="md-lang">
      {LANGUAGES.map((l) => (
        <button key={l} type="button" aria-pressed={lang === l} onClick={() => setLang(l)}>
          {l === "zh-CN" ? "中文" : "English"}
        </button>
      ))}
    </div>
  );
}

/**
 * The frame of the first screen — sign-in, lock, loading, error — in plain elements: it is
 * what a cold start waits for, so it must not wait for Ant Design (issue 7).
 */
export function FirstScreenFrame({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const info = useAppInfo();
  return (
    <div className="md-shell">
      <header className="md-header">
        <div className="md-header-start">
          <span className="md-title" data-testid="app-title">
            {t("app.title")}
          </span>
          {info.data?.profile === "demo" && (
            <span className="md-badge" data-testid="demo-badge">
              {t("app.demoBadge")}
            </span>
          )}
          {info.data && <span className="md-version">v{info.data.version}</span>}
        </div>
        <LanguageSwitch />
      </header>
      <main className="md-content">{children}</main>
    </div>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <div role="status" className="md-loading">
      {t("app.loading")}
    </div>
  );
}

/** A failure with a retry button, announced as an alert. */
export function ErrorNotice({ text, onRetry }: { text: string; onRetry: () => void }) {
  const { t } = useI18n();
  return (
    <div role="alert" className="md-alert">
      <p className="md-alert-row">
        <span>{text}</span>
        <button type="button" className="md-button" onClick={onRetry}>
          {t("app.retry")}
        </button>
      </p>
    </div>
  );
}
