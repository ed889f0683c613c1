import { LockOutlined, LogoutOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Button, Layout, Segmented, Space, Tag, Typography } from "antd";
import { useState } from "react";
import type { SignedIn as User } from "../backend";
import { useBackend } from "../backend/context";
import { BackupBanner } from "../features/settings/BackupBanner";
import { SyncBanner, SyncIndicator } from "../features/sync/SyncIndicator";
import { LANGUAGES, useI18n, type Language } from "../i18n";
import { AntdTheme } from "./AntdTheme";
import { DraftScope } from "./drafts";
import { useAppInfo } from "./FirstScreen";
import { setSession } from "./session";
import { Workspace, type Tab } from "./Workspace";

/**
 * Everything after sign-in, with Ant Design: its own chunk, loaded lazily and prefetched once
 * the first screen is up (AppShell), so the first screen never waits for antd (issue 7).
 * It is mounted per signed-in user and unmounted on lock or sign-out, so the open tab lasts
 * for this stretch of the session only: no patient screen reopens by itself after a lock.
 */
export function SignedIn({ user }: { user: User }) {
  return (
    <AntdTheme>
      <DraftScope owner={user.id}>
        <SignedInLayout user={user} />
      </DraftScope>
    </AntdTheme>
  );
}

function SignedInLayout({ user }: { user: User }) {
  const { t, lang, setLang } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const info = useAppInfo();
  const [tab, setTab] = useState<Tab | null>(null);
  const lock = useMutation({ mutationFn: () => backend.call("lock", {}), onSuccess: (s) => setSession(client, s) });
  const signOut = useMutation({ mutationFn: () => backend.call("sign_out", {}), onSuccess: (s) => setSession(client, s) });

  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Header
        style={{ display: "flex", alignItems: "center", justifyContent: "space-between", background: "#004d4d", paddingInline: 16 }}
      >
        <Space>
          <Typography.Text style={{ color: "#fff", fontSize: 18, fontWeight: 600 }} data-testid="app-title">
            {t("app.title")}
          </Typography.Text>
          {info.data?.profile === "demo" && (
            <Tag color="gold" data-testid="demo-badge">
              {t("app.demoBadge")}
            </Tag>
          )}
          {info.data && <Typography.Text style={{ color: "#cfe" }}>v{info.data.version}</Typography.Text>}
        </Space>
        <Space>
          <SyncIndicator onOpen={() => setTab("sync")} />
          <Typography.Text style={{ color: "#fff" }} data-testid="current-user">
            {t("app.signedInAs", { name: user.display_name })} · {user.roles.map((r) => t(`role.${r}`)).join("/")}
          </Typography.Text>
          <Button icon={<LockOutlined />} onClick={() => lock.mutate()} data-testid="lock-button">
            {t("app.lock")}
          </Button>
          <Button icon={<LogoutOutlined />} onClick={() => signOut.mutate()} data-testid="sign-out-button">
            {t("app.signOut")}
          </Button>
          <Segmented<Language>
            aria-label={t("app.language")}
            value={lang}
            onChange={setLang}
            options={LANGUAGES.map((l) => ({ value: l, label: l === "zh-CN" ? "中文" : "English" }))}
          />
        </Space>
      </Layout.Header>
      <Layout.Content style={{ padding: 16 }}>
        <SyncBanner />
        <BackupBanner />
        <Workspace user={user} tab={tab} onTab={setTab} />
      </Layout.Content>
    </Layout>
  );
}
