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
      theme={{ token: { colorPrimary: "#007a7a", borderRadius: 4 } }}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export function Providers({
  backend,
  children,
  language = "zh-CN",
}: {
  backend: Backend;
  children: ReactNode;
  language?: Language;
}) {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } }),
  );
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
