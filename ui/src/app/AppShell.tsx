import { LockOutlined, LogoutOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Layout, Segmented, Skeleton, Space, Tag, Typography } from "antd";
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { BackendContext, useBackend } from "../backend/context";
import { LockScreen } from "../features/session/LockScreen";
import { SignInScreen } from "../features/session/SignInScreen";
import { SyncBanner, SyncIndicator } from "../features/sync/SyncIndicator";
import { LANGUAGES, useI18n, type Language } from "../i18n";
import { errorText } from "./errors";
import { clearPatientData, SESSION_KEY, sessionAwareBackend, setSession } from "./session";
import type { Tab } from "./Workspace";

/**
 * The signed-in workspace (every feature screen) is a separate chunk: the first screen —
 * sign-in — does not wait for code it does not use (cold start, issue 7). It is fetched in
 * the background once the first screen is up, so signing in does not wait for it either.
 */
const loadWorkspace = () => import("./Workspace");
const Workspace = lazy(() => loadWorkspace().then((m) => ({ default: m.Workspace })));

/** How often the lock state is re-read (the core locks itself after the idle timeout). */
export const SESSION_POLL_MS = 15_000;

export function AppShell() {
  const { t, lang, setLang } = useI18n();
  const raw = useBackend();
  const client = useQueryClient();
  const backend = useMemo(() => sessionAwareBackend(raw, client), [raw, client]);
  const info = useQuery({ queryKey: ["app_info"], queryFn: () => raw.call("app_info", {}) });
  const session = useQuery({
    queryKey: SESSION_KEY,
    queryFn: () => raw.call("session_status", {}),
    refetchInterval: SESSION_POLL_MS,
    refetchOnWindowFocus: true,
  });
  const state = session.data?.state;
  const firstScreenUp = session.data !== undefined;
  useEffect(() => {
    if (!firstScreenUp) return;
    const prefetch = () => void loadWorkspace();
    if (typeof window.requestIdleCallback === "function") {
      const id = window.requestIdleCallback(prefetch, { timeout: 2_000 });
      return () => window.cancelIdleCallback(id);
    }
    const id = window.setTimeout(prefetch, 500);
    return () => window.clearTimeout(id);
  }, [firstScreenUp]);
  const userId = session.data?.user?.id;
  useEffect(() => {
    // R-SEC-6: leaving the active state (idle lock noticed by polling) forgets patient data.
    if (state !== undefined && state !== "active") clearPatientData(client);
  }, [state, userId, client]);

  // The open tab, for this stretch of the session only: after a lock or sign-out the user
  // starts again on their role's first tab, with no patient screen reopened by itself.
  const [nav, setNav] = useState<{ user: string; tab: Tab } | null>(null);
  if (state !== undefined && state !== "active" && nav !== null) setNav(null);
  const lock = useMutation({ mutationFn: () => raw.call("lock", {}), onSuccess: (s) => setSession(client, s) });
  const signOut = useMutation({ mutationFn: () => raw.call("sign_out", {}), onSuccess: (s) => setSession(client, s) });

  let body;
  if (session.isPending) body = <Skeleton active />;
  else if (session.isError)
    body = (
      <Alert
        type="error"
        showIcon
        title={errorText(t, session.error)}
        action={<Button onClick={() => void session.refetch()}>{t("app.retry")}</Button>}
      />
    );
  else if (session.data.state === "signed_out") body = <SignInScreen status={session.data} />;
  else if (session.data.state === "locked" || !session.data.user) body = <LockScreen status={session.data} />;
  else {
    const id = session.data.user.id;
    body = (
      <Suspense fallback={<Skeleton active />}>
        <Workspace key={id} user={session.data.user} tab={nav?.user === id ? nav.tab : null} onTab={(tab) => setNav({ user: id, tab })} />
      </Suspense>
    );
  }

  const user = session.data?.state === "active" ? session.data.user : null;
  return (
    <BackendContext.Provider value={backend}>
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
            {user && (
              <>
                <SyncIndicator onOpen={() => setNav({ user: user.id, tab: "sync" })} />
                <Typography.Text style={{ color: "#fff" }} data-testid="current-user">
                  {t("app.signedInAs", { name: user.display_name })} · {user.roles.map((r) => t(`role.${r}`)).join("/")}
                </Typography.Text>
                <Button icon={<LockOutlined />} onClick={() => lock.mutate()} data-testid="lock-button">
                  {t("app.lock")}
                </Button>
                <Button icon={<LogoutOutlined />} onClick={() => signOut.mutate()} data-testid="sign-out-button">
                  {t("app.signOut")}
                </Button>
              </>
            )}
            <Segmented<Language>
              aria-label={t("app.language")}
              value={lang}
              onChange={setLang}
              options={LANGUAGES.map((l) => ({ value: l, label: l === "zh-CN" ? "中文" : "English" }))}
            />
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 16 }}>
          {user && <SyncBanner />}
          {body}
        </Layout.Content>
      </Layout>
    </BackendContext.Provider>
  );
}
