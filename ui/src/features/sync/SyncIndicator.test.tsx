import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { SessionStatus, SyncOverview, SyncStatus } from "../../backend";
import { AppShell } from "../../app/AppShell";
import { newQueryClient, Providers as AppProviders } from "../../app/Providers";
import { ScreenProviders as Providers } from "../../../tests/providers";
import { fakeBackend } from "../../../tests/fakeBackend";
import { active, consultation, entry, locked, syncOverview } from "../../../tests/fixtures";
import { ConsultationScreen } from "../consultation/ConsultationScreen";
import { SYNC_KEY, SYNC_POLL_MS } from "./model";

function renderApp(sync: () => SyncOverview, handlers: Parameters<typeof fakeBackend>[0] = {}) {
  let status: SessionStatus = active();
  const backend = fakeBackend({
    app_info: () => ({ name: "MedDesk", version: "0.1.0", profile: "demo", pack_version: "t", pack_hash: "0", triage_rules_version: "t" }),
    session_status: () => status,
    lock: () => (status = locked()),
    unlock: () => (status = active()),
    queue_list: () => ({ now: new Date().toISOString(), entries: [entry({ complaint: "咽痛" })], breached: 0 }),
    sync_status: sync,
    ...handlers,
  });
  const client = newQueryClient();
  render(
    <AppProviders backend={backend} client={client}>
      <AppShell />
    </AppProviders>,
  );
  return { backend, client };
}

// Data first: the core's overview in, the header's words and the banner out.
const cases: { name: string; overview: SyncOverview; says: string[]; never: string[]; banner: string | null }[] = [
  {
    name: "online and nothing waiting: synced",
    overview: syncOverview(),
    says: ["在线", "已同步"],
    never: ["离线"],
    banner: null,
  },
  {
    name: "up to date yet 3 changes wait: pending, never synced (issue 6)",
    overview: syncOverview({ pending_ops: 3 }),
    says: ["在线", "3 项待同步"],
    never: ["已同步"],
    banner: null,
  },
  {
    name: "refused changes are counted and nothing is called synced",
    overview: syncOverview({ rejected_ops: 2 }),
    says: ["在线", "2 项被拒绝"],
    never: ["已同步"],
    banner: null,
  },
  {
    name: "offline: a calm banner says the work is kept",
    overview: syncOverview({ state: { state: "offline", retry_in_ms: 9_000 }, online: false, pending_ops: 1, last_error: "offline: refused" }),
    says: ["离线", "1 项待同步"],
    never: ["已同步", "在线"],
    banner: "离线 — 您的工作已保存在本机，恢复连接后会自动同步。",
  },
  {
    name: "the platform refused sign-in: the banner says what to do",
    overview: syncOverview({ state: { state: "needs_sign_in" }, online: false, last_error: "unauthorized: expired" }),
    says: ["需重新登录平台"],
    never: ["已同步"],
    banner: "平台拒绝了登录 — 请锁定后再解锁以重新登录平台。您的工作已保存在本机。",
  },
  {
    name: "no platform: local only, not offline, no banner",
    overview: syncOverview({ configured: false, platform_url: null, state: null, online: false, last_sync_at: null }),
    says: ["仅本机"],
    never: ["离线", "已同步"],
    banner: null,
  },
];

// The signed-in chunk is lazy (the first screen carries no antd); load it once up front so
// the first test does not spend its wait on transforming antd under jsdom.
beforeAll(async () => {
  await import("../../app/SignedIn");
});

describe("sync indicator in the header", () => {
  it.each(cases)("$name", async ({ overview, says, never, banner }) => {
    renderApp(() => overview);
    const indicator = await screen.findByTestId("sync-indicator");
    for (const s of says) expect(within(indicator).getByText(s)).toBeInTheDocument();
    for (const s of never) expect(within(indicator).queryByText(s)).not.toBeInTheDocument();
    expect(indicator).toHaveAccessibleName(`同步状态：${says.join(" · ")}。打开同步页面`);
    if (banner) expect(screen.getByText(banner)).toBeInTheDocument();
    else {
      expect(screen.queryByTestId("offline-banner")).not.toBeInTheDocument();
      expect(screen.queryByTestId("sign-in-banner")).not.toBeInTheDocument();
    }
  });

  it("opens the sync screen, which every role has in the navigation", async () => {
    renderApp(() => syncOverview({ pending_ops: 1 }));
    await screen.findByTestId("queue-screen");
    expect(screen.getByTestId("nav-sync")).toBeInTheDocument();
    await userEvent.click(await screen.findByTestId("sync-indicator"));
    expect(await screen.findByTestId("sync-screen")).toBeInTheDocument();
    expect(screen.queryByTestId("queue-screen")).not.toBeInTheDocument();
  });

  it("after a lock the user starts again on their first tab, not on the screen left open", async () => {
    renderApp(() => syncOverview());
    await userEvent.click(await screen.findByTestId("sync-indicator"));
    await screen.findByTestId("sync-screen");
    await userEvent.click(screen.getByTestId("lock-button"));
    await userEvent.type(await screen.findByLabelText("密码"), "pw-123{Enter}");
    expect(await screen.findByTestId("queue-screen")).toBeInTheDocument();
    expect(screen.queryByTestId("sync-screen")).not.toBeInTheDocument();
  });

  it("polls while signed in and stops, forgetting the answer, once locked", async () => {
    const { backend, client } = renderApp(() => syncOverview());
    await screen.findByTestId("sync-indicator");
    const polls = () => backend.calls.filter((c) => c.command === "sync_status").length;
    await vi.waitFor(() => expect(polls()).toBeGreaterThanOrEqual(2), { timeout: SYNC_POLL_MS * 2 });
    await userEvent.click(screen.getByTestId("lock-button"));
    await screen.findByTestId("lock-screen");
    expect(screen.queryByTestId("sync-indicator")).not.toBeInTheDocument();
    expect(client.getQueryData(SYNC_KEY)).toBeUndefined();
    const after = polls();
    await act(() => new Promise((r) => setTimeout(r, SYNC_POLL_MS + 500)));
    expect(polls()).toBe(after);
  });
});

describe("a record's sync tag in the consultation header", () => {
  const words: [SyncStatus, string][] = [
    ["local_only", "同步: 仅本机"],
    ["pending", "同步: 待同步"],
    ["synced", "同步: 已同步"],
    ["rejected", "同步: 被平台拒绝"],
  ];
  it.each(words)("%s", async (sync, text) => {
    const backend = fakeBackend({ consultation_get: () => consultation({ sync }) });
    render(
      <Providers backend={backend} client={newQueryClient()}>
        <ConsultationScreen consultationId="c-1" onOpen={() => undefined} onClose={() => undefined} />
      </Providers>,
    );
    const header = await screen.findByTestId("patient-header");
    expect(within(header).getByTestId("record-sync")).toHaveTextContent(text);
  });
});
