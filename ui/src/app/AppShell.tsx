import { Layout, Segmented, Space, Tag, Typography } from "antd";
import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../backend/context";
import { HomeScreen } from "../features/home/HomeScreen";
import { LANGUAGES, useI18n, type Language } from "../i18n";

export function AppShell() {
  const { t, lang, setLang } = useI18n();
  const backend = useBackend();
  const info = useQuery({ queryKey: ["app_info"], queryFn: () => backend.call("app_info", {}) });

  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Header
        style={{ display: "flex", alignItems: "center", justifyContent: "space-between", background: "#004d4d" }}
      >
        <Space>
          <Typography.Title level={4} style={{ color: "#fff", margin: 0 }} data-testid="app-title">
            {t("app.title")}
          </Typography.Title>
          {info.data?.profile === "demo" && (
            <Tag color="gold" data-testid="demo-badge">
              {t("app.demoBadge")}
            </Tag>
          )}
          {info.data && <Typography.Text style={{ color: "#cfe" }}>v{info.data.version}</Typography.Text>}
        </Space>
        <Segmented<Language>
          aria-label={t("app.language")}
          value={lang}
          onChange={setLang}
          options={LANGUAGES.map((l) => ({ value: l, label: l === "zh-CN" ? "中文" : "English" }))}
        />
      </Layout.Header>
      <Layout.Content style={{ padding: 24 }}>
        <HomeScreen />
      </Layout.Content>
    </Layout>
  );
}
