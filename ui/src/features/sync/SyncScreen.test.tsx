import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { SyncOverview } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import { ScreenProviders as Providers } from "../../../tests/providers";
import type { Language } from "../../i18n";
import { fakeBackend } from "../../../tests/fakeBackend";
import { rejectedChange, syncOverview } from "../../../tests/fixtures";
import { SyncScreen } from "./SyncScreen";

function renderSync(overview: SyncOverview, language: Language = "zh-CN", handlers: Parameters<typeof fakeBackend>[0] = {}) {
  const backend = fakeBackend({ sync_status: () => overview, ...handlers });
  render(
    <Providers backend={backend} client={newQueryClient()} language={language}>
      <SyncScreen />
    </Providers>,
  );
  return backend;
}

// Data first: an overview from the core in, what the screen says out.
const cases: {
  name: string;
  overview: SyncOverview;
  language?: Language;
  says: (string | RegExp)[];
  never?: (string | RegExp)[];
}[] = [
  {
    name: "up to date with nothing waiting",
    overview: syncOverview(),
    says: ["在线", "已是最新", "已同步", /\d+\s*秒钟?前|现在/],
  },
  {
    name: "up to date but changes still wait: pending, never synced (issue 6)",
    overview: syncOverview({ pending_ops: 2 }),
    says: ["已收到平台全部更新，2 项本机更改等待平台确认"],
    never: ["已同步", "已是最新"],
  },
  {
    name: "offline counts down to the next attempt and names the error code",
    overview: syncOverview({
      state: { state: "offline", retry_in_ms: 12_000 },
      online: false,
      pending_ops: 3,
      last_error: "offline: connection refused",
    }),
    says: ["离线", /离线 — 1[12] 秒后重试/, "offline", "connection refused"],
    never: ["已同步", "在线"],
  },
  {
    name: "offline in English",
    overview: syncOverview({ state: { state: "offline", retry_in_ms: 12_000 }, online: false, last_error: "offline: connection refused" }),
    language: "en",
    says: [/Offline — retrying in 1[12] s/],
  },
  {
    name: "the platform refused sign-in: say what to do",
    overview: syncOverview({ state: { state: "needs_sign_in" }, online: false, last_error: "unauthorized: token expired" }),
    says: ["平台拒绝了登录 — 请锁定后再解锁以重新登录", "unauthorized"],
  },
  {
    name: "server error carries the HTTP status",
    overview: syncOverview({ state: { state: "server_error", status: 503, retry_in_ms: 4_000 }, online: false, last_error: "server_error: 503" }),
    says: [/平台出错（HTTP 503）— [34] 秒后重试/],
  },
  {
    name: "an audit trail that disagrees with the platform's anchor is an alarm, not a footnote (issue 13 §4)",
    overview: syncOverview({
      audit_anchored: 1_204,
      last_error: "audit_anchor_mismatch: audit_tail_cut: the audit trail has 1180 entries; 1204 were anchored outside it",
    }),
    says: ["审计日志与平台保存的锚点不一致", "audit_anchor_mismatch"],
  },
  {
    name: "the anchored count is shown",
    overview: syncOverview({ audit_anchored: 1_204 }),
    says: ["已锚定 1,204 条审计记录"],
    never: ["审计日志与平台保存的锚点不一致"],
  },
  {
    name: "initial sync shows how far it got",
    overview: syncOverview({ state: { state: "syncing" }, cursor: 250, head: 1000 }),
    says: ["正在同步…", "初次同步：已接收 250 / 1,000"],
    never: ["已同步"],
  },
];

describe("sync screen", () => {
  it.each(cases)("$name", async ({ overview, language, says, never = [] }) => {
    renderSync(overview, language);
    const root = await screen.findByTestId("sync-screen");
    for (const s of says) expect(within(root).getAllByText(s, { exact: false }).length).toBeGreaterThan(0);
    for (const s of never) expect(within(root).queryByText(s)).not.toBeInTheDocument();
  });

  it("a progress bar only while head is ahead of the cursor", async () => {
    renderSync(syncOverview({ state: { state: "syncing" }, cursor: 250, head: 1000 }));
    expect(await screen.findByRole("progressbar")).toHaveAttribute("aria-valuenow", "25");
  });

  it("no platform configured: offline-only work, said calmly, no sync button", async () => {
    renderSync(syncOverview({ configured: false, platform_url: null, state: null, online: false, last_sync_at: null }));
    const note = await screen.findByTestId("local-only");
    expect(note).toHaveTextContent("此配置未连接平台，仅在本机离线工作");
    // Information, not an error.
    expect(note).toHaveAttribute("role", "status");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.queryByTestId("sync-now")).not.toBeInTheDocument();
    expect(screen.queryByText("离线")).not.toBeInTheDocument();
  });

  it("a refused signature's findings in the user's words, not the platform's English (issue 12 §6)", async () => {
    renderSync(
      syncOverview({
        rejected_ops: 1,
        rejected: [
          rejectedChange({
            op_id: "op-rx",
            operation: "sign_prescription",
            record: { kind: "prescription", id: "9a0c7a52-1111-4222-8333-944455556666" },
            rejection: { code: "invalid_prescription", message: "invalid prescription: unknown_drug@1, diagnosis_missing", findings: ["unknown_drug@1", "diagnosis_missing"] },
          }),
        ],
      }),
    );
    const reason = await screen.findByTestId("rejection-op-rx");
    expect(reason).toHaveTextContent("处方不符合开具规定");
    expect(reason).toHaveTextContent("第 1 行：药品未从药品列表中选择");
    expect(reason).toHaveTextContent("缺少临床诊断");
    expect(reason).not.toHaveTextContent("invalid prescription");
  });

  it("every rejected operation with its translated reason, the server's message, and the kept draft", async () => {
    renderSync(
      syncOverview({
        rejected_ops: 2,
        rejected: [
          rejectedChange({
            op_id: "op-a",
            kept_draft: [
              { field: "history", value: "咽痛两天，无发热" },
              { field: "advice", value: "多饮水，三天后复诊" },
            ],
          }),
          rejectedChange({
            op_id: "op-b",
            operation: "claim_consultation",
            rejection: { code: "already_claimed", message: "dr.other took it first" },
          }),
        ],
      }),
    );
    const table = await screen.findByTestId("rejected");
    expect(within(table).getByText("更新病历")).toBeInTheDocument();
    expect(within(table).getByText("接诊")).toBeInTheDocument();
    expect(screen.getByTestId("rejection-op-a")).toHaveTextContent("记录已被他人更新the record changed on the platform");
    expect(screen.getByTestId("rejection-op-b")).toHaveTextContent("已被其他医生接诊dr.other took it first");
    expect(within(table).getByText("现病史、医嘱建议")).toBeInTheDocument();
    expect(within(table).getByText("此操作没有需要保留的内容")).toBeInTheDocument();
    // The draft's text stays folded until asked for, then shows in full.
    expect(screen.queryByText("多饮水，三天后复诊")).not.toBeInTheDocument();
    await userEvent.click(within(table).getAllByRole("button", { name: /展开行/ })[0]!);
    const draft = await screen.findByTestId("kept-draft-op-a");
    expect(draft).toHaveTextContent("咽痛两天，无发热");
    expect(draft).toHaveTextContent("多饮水，三天后复诊");
    // Only the row with a draft can expand (its button now collapses it).
    expect(within(table).getAllByRole("button", { name: /展开行|关闭行/ })).toHaveLength(1);
  });

  it("an unknown code from a newer core still shows, as the code itself", async () => {
    renderSync(syncOverview({ rejected_ops: 1, rejected: [rejectedChange({ operation: "merge_patients", rejection: { code: "brand_new" as never, message: "m" } })] }));
    const table = await screen.findByTestId("rejected");
    expect(within(table).getByText("merge_patients")).toBeInTheDocument();
    expect(within(table).getByText("brand_new")).toBeInTheDocument();
  });

  it("sync now asks the core and shows its answer", async () => {
    let overview = syncOverview({ state: { state: "offline", retry_in_ms: 30_000 }, online: false, last_error: "offline: down" });
    const backend = renderSync(overview, "zh-CN", {
      sync_status: () => overview,
      sync_now: () => (overview = syncOverview({ state: { state: "syncing" } })),
    });
    await screen.findByText(/离线 — \d+ 秒后重试/);
    await userEvent.click(screen.getByTestId("sync-now"));
    expect(await screen.findByText("正在同步…")).toBeInTheDocument();
    expect(backend.calls.filter((c) => c.command === "sync_now")).toHaveLength(1);
  });
});
