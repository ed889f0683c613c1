import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { BackendError, type QueueView } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import { ScreenProviders as Providers } from "../../../tests/providers";
import { fakeBackend } from "../../../tests/fakeBackend";
import { entry, physician } from "../../../tests/fixtures";
import { QueueScreen } from "./QueueScreen";

function view(): QueueView {
  const now = Date.now();
  return {
    now: new Date(now).toISOString(),
    breached: 1,
    entries: [
      entry({ id: "e1", priority: "emergency", complaint: "胸闷", route: { kind: "emergency" }, respond_by: new Date(now + 125_000).toISOString() }),
      entry({
        id: "e2",
        complaint: "高血压复诊",
        route: { kind: "specialist", specialty: "cardiology" },
        respond_by: new Date(now - 5 * 60_000).toISOString(),
        escalated: true,
      }),
      entry({
        id: "e3",
        complaint: "流涕两天",
        flags: [{ code: "guardian_required", rule: "guardian.under6", message: { zh: "6 岁以下儿童需监护人陪同", en: "A child under 6 needs a guardian" } }],
      }),
      entry({ id: "e4", complaint: "失眠", held: true, patient: { masked_name: "演**辛", age_years: 39, sex: "male", identity_verified: false }, claimable: false, flags: [{ code: "sensitive_word", rule: "lex.1", message: { zh: "涉及精神药品", en: "Psychotropic request" } }] }),
    ],
  };
}

function renderQueue(handlers: Parameters<typeof fakeBackend>[0] = {}) {
  const opened: string[] = [];
  const backend = fakeBackend({ queue_list: () => view(), ...handlers });
  render(
    <Providers backend={backend} client={newQueryClient()}>
      <QueueScreen user={physician} onOpen={(id) => opened.push(id)} />
    </Providers>,
  );
  return { backend, opened };
}

describe("intake queue", () => {
  it("shows priority, route, a live countdown, overdue and escalated rows, held rows and flags", async () => {
    renderQueue();
    const queue = await screen.findByTestId("queue-screen");
    expect(within(queue).getByText("待接诊 4 人，其中 1 人已超时")).toBeInTheDocument();
    expect(within(queue).getByText("急诊")).toBeInTheDocument();
    expect(within(queue).getByText("专科：心血管内科")).toBeInTheDocument();
    expect(within(queue).getByTestId("breached")).toHaveTextContent(/已超时 0[45]:\d\d/);
    expect(within(queue).getByText("已升级")).toBeInTheDocument();
    const first = within(queue).getAllByTestId("countdown")[0]!;
    const before = first.textContent;
    expect(before).toMatch(/^0[12]:\d\d$/);
    await act(() => new Promise((r) => setTimeout(r, 1100)));
    expect(within(queue).getAllByTestId("countdown")[0]!.textContent).not.toBe(before);
    // Only the unverified patient is marked so (R-RX-8: they cannot be prescribed for).
    expect(within(queue).getAllByTestId("identity-unverified")).toHaveLength(1);
    expect(within(queue).getByTestId("identity-unverified")).toHaveTextContent("未实名认证");
    const flag = within(queue).getByTestId("flag-guardian_required");
    expect(flag).toHaveTextContent("需监护人");
    expect(flag).toHaveAttribute("aria-label", "需监护人: 6 岁以下儿童需监护人陪同");
    expect(within(queue).getAllByText("待审核放行").length).toBeGreaterThanOrEqual(2);
    // Held and not claimable: only 3 take buttons for 4 rows.
    expect(within(queue).getAllByRole("button", { name: /接\s*诊/ })).toHaveLength(3);
  });

  it("take opens the consultation; someone else taking it first is said plainly", async () => {
    let first = true;
    const { opened } = renderQueue({
      consultation_claim: (r) => {
        if (first) {
          first = false;
          throw new BackendError("conflict", "someone else already took this consultation");
        }
        return { id: r.consultation_id } as never;
      },
    });
    await screen.findByTestId("queue-screen");
    const buttons = screen.getAllByRole("button", { name: /接\s*诊/ });
    await userEvent.click(buttons[0]!);
    expect(await screen.findByTestId("take-error")).toHaveTextContent("该咨询已被其他医生接诊");
    await userEvent.click(screen.getAllByRole("button", { name: /接\s*诊/ })[1]!);
    await vi.waitFor(() => expect(opened).toEqual(["e2"]));
  });

  it("asks the core for the whole queue (up to 1,000) and renders a large one virtually", async () => {
    const many: QueueView = { now: new Date().toISOString(), breached: 0, entries: Array.from({ length: 1000 }, (_, i) => entry({ id: `q${i}`, complaint: `请求 ${i}` })) };
    const { backend } = renderQueue({ queue_list: () => many });
    const queue = await screen.findByTestId("queue-screen");
    expect(within(queue).getByTestId("queue-summary")).toHaveTextContent("待接诊 1000 人");
    expect(backend.calls.find((c) => c.command === "queue_list")?.request).toEqual({ route: null, all_routes: false, limit: 1000 });
    // Virtual: only what fits the viewport is in the DOM, not 1,000 rows.
    expect(queue.querySelectorAll(".queue-row").length).toBeLessThan(100);
  });

  it("is a table with column headers; rows are reached with the arrows and Enter on a row takes it", async () => {
    const claimed: string[] = [];
    const { opened } = renderQueue({
      consultation_claim: (r) => {
        claimed.push(r.consultation_id);
        return { id: r.consultation_id } as never;
      },
    });
    const queue = await screen.findByTestId("queue-screen");
    const table = within(queue).getByRole("table", { name: "接诊队列" });
    expect(within(table).getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["优先级", "患者", "方式", "分诊", "主诉", "筛查提示", "响应剩余", "操作"]);
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(4);
    // One row in the tab order (roving tabindex): the first.
    expect(rows.map((r) => r.tabIndex)).toEqual([0, -1, -1, -1]);
    rows[0]!.focus();
    await userEvent.keyboard("{ArrowDown}{ArrowDown}{ArrowDown}");
    expect(document.activeElement).toHaveTextContent("失眠");
    // Held and not claimable: Enter does nothing there.
    await userEvent.keyboard("{Enter}");
    expect(claimed).toEqual([]);
    await userEvent.keyboard("{ArrowUp}{Enter}");
    await vi.waitFor(() => expect(opened).toEqual(["e3"]));
    expect(claimed).toEqual(["e3"]);
  });

  it("a poll shows what changed in a row (rows skip re-rendering only when nothing shown changed)", async () => {
    let polls = 0;
    renderQueue({
      queue_list: () => {
        polls++;
        const v = view();
        // Every poll: fresh objects with a new seconds_left; from the second on, one complaint changes.
        return { ...v, entries: v.entries.map((e) => ({ ...e, seconds_left: e.seconds_left - polls, complaint: polls > 1 && e.id === "e3" ? "流涕三天" : e.complaint })) };
      },
    });
    const queue = await screen.findByTestId("queue-screen");
    expect(within(queue).getByText("流涕两天")).toBeInTheDocument();
    expect(await within(queue).findByText("流涕三天", {}, { timeout: 6_000 })).toBeInTheDocument();
    expect(within(queue).getByText("胸闷")).toBeInTheDocument();
  });

  it("a breached row is marked from its own countdown cell", async () => {
    renderQueue();
    const queue = await screen.findByTestId("queue-screen");
    const breached = within(queue).getByTestId("breached");
    expect(breached.closest(".queue-row")?.querySelector(".queue-breached-mark")).not.toBeNull();
    expect(within(queue).getByText("胸闷").closest(".queue-row")?.querySelector(".queue-breached-mark")).toBeNull();
  });

  it("filters by route through the core", async () => {
    const { backend } = renderQueue();
    await screen.findByTestId("queue-screen");
    await userEvent.click(screen.getByRole("combobox", { name: "按分诊筛选" }));
    await userEvent.click(await screen.findByTitle("专科：心血管内科"));
    await vi.waitFor(() =>
      expect(backend.calls.some((c) => c.command === "queue_list" && (c.request as { route: string | null }).route === "specialist:cardiology")).toBe(true),
    );
  });
});
