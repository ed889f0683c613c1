import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import type { Backend } from "../backend";
import { BackendContext } from "../backend/context";
import { I18nProvider, type Language } from "../i18n";

export function newQueryClient() {
  return new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } });
}

/**
 * What every screen needs: the backend, the query cache and the language. No Ant Design
 * here — it is in the entry chunk; antd's theme wraps the signed-in chunk (AntdTheme).
 */
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
        <I18nProvider initial={language}>{children}</I18nProvider>
      </QueryClientProvider>
    </BackendContext.Provider>
  );
}
