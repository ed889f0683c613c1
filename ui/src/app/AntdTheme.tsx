import { App as AntApp, ConfigProvider } from "antd";
import enUS from "antd/locale/en_US";
import zhCNLocale from "antd/locale/zh_CN";
import type { ReactNode } from "react";
import { useI18n } from "../i18n";

/**
 * Ant Design's locale and theme. Only the signed-in chunk (and the tests of its screens)
 * use it: the first screen is plain React, so antd is not in the entry chunk (issue 7).
 */
export function AntdTheme({ children }: { children: ReactNode }) {
  const { lang } = useI18n();
  return (
    <ConfigProvider
      locale={lang === "zh-CN" ? zhCNLocale : enUS}
      theme={{
        // Contrast ≥ 4.5:1 for secondary text (axe-core, WCAG AA): antd's defaults are lighter.
        token: {
          colorPrimary: "#007a7a",
          // Hovered and pressed primary buttons stay ≥ 4.5:1 with white text too (antd derives
          // lighter shades; a dialog that opens under the pointer showed one, and axe failed).
          colorPrimaryHover: "#006b6b",
          colorPrimaryActive: "#005c5c",
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
