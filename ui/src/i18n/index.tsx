import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { en } from "./en";
import { zhCN, type MessageKey, type Messages } from "./zh-CN";

export type Language = "zh-CN" | "en";
export type { MessageKey } from "./zh-CN";
export const LANGUAGES: Language[] = ["zh-CN", "en"];

const catalogs: Record<Language, Messages> = { "zh-CN": zhCN, en };

/** Fill `{name}` placeholders. */
export function format(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function translate(lang: Language, key: MessageKey, params?: Record<string, string | number>) {
  return format(catalogs[lang][key], params);
}

/** A key that may not exist (e.g. a specialty code from the server): falls back to the raw text. */
export function isMessageKey(key: string): key is MessageKey {
  return key in zhCN;
}

interface I18n {
  lang: Language;
  setLang(lang: Language): void;
  t(key: MessageKey, params?: Record<string, string | number>): string;
  /** A server message that carries both languages (findings, flags, reasons). */
  msg(message: { zh: string; en: string }): string;
  /** A date and time in the user's language. */
  dateTime(iso: string): string;
  /** A number (or a share, with `percent`) in the user's language. */
  num(value: number, options?: Intl.NumberFormatOptions): string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children, initial = "zh-CN" }: { children: ReactNode; initial?: Language }) {
  const [lang, setLangState] = useState<Language>(initial);
  const setLang = useCallback((next: Language) => {
    setLangState(next);
    document.documentElement.lang = next;
  }, []);
  const value = useMemo<I18n>(
    () => ({
      lang,
      setLang,
      t: (key, params) => translate(lang, key, params),
      msg: (m) => (lang === "zh-CN" ? m.zh : m.en),
      dateTime: (iso) =>
        new Intl.DateTimeFormat(lang, { dateStyle: "short", timeStyle: "short" }).format(new Date(iso)),
      num: (value, options) => new Intl.NumberFormat(lang, options).format(value),
    }),
    [lang, setLang],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error("useI18n outside <I18nProvider>");
  return ctx;
}
