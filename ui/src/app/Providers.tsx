import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { App as AntApp, ConfigProvider } from "antd";
import enUS from "antd/locale/en_US";
import zhCNLocale from "antd/locale/zh_CN";
import { useState, type ReactNode } from "react";
import type { Backend } from "../backend";
import { BackendContext } from "../backend/context";
import { I18nProvider, useI18n, type Language } from "../i18n";

function AntdLocale({ children }: { children: ReactNode }) {
  const { lang } = useI18n();
  return (
    <ConfigProvider
      locale={lang === "zh-CN" ? zhCNLocale : enUS}
      theme={{
        // Contrast ≥ 4.5:1 for secondary text (axe-core, WCAG AA): antd's defaults are lighter.
        token: {
          colorPrimary: "#007a7a",
          borderRadius: 4,
          colorTextSecondary: "#595959",
          colorTextDescription: "#595959",
          colorTextTertiary: "#595959",
          colorTextPlaceholder: "#6e6e6e",
          colorError: "#cf1322",
        },
      }}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export function newQueryClient() {
  return new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } });
}

export function Providers({
  backend,
  children,
  language = "zh-CN",
  client,
}: {
  backend: Backend;
  children: ReactNode;
  language?: Language;
  /** Tests pass their own to look into the cache. */
  client?: QueryClient;
}) {
  const [queryClient] = useState(() => client ?? newQueryClient());
  return (
    <BackendContext.Provider value={backend}>
      <QueryClientProvider client={queryClient}>
        <I18nProvider initial={language}>
          <AntdLocale>{children}</AntdLocale>
        </I18nProvider>
      </QueryClientProvider>
    </BackendContext.Provider>
  );
}
