import { fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ConsultationView, MessageSendRequest, ThreadMessage } from "../../backend";
import { BackendError } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import type { Language } from "../../i18n";
import { SYNC_POLL_MS } from "../sync/model";
import { ScreenProviders as Providers } from "../../../tests/providers";
import { fakeBackend } from "../../../tests/fakeBackend";
import { consultation, syncOverview } from "../../../tests/fixtures";
import { ConsultationScreen } from "./ConsultationScreen";

function message(over: Partial<ThreadMessage>): ThreadMessage {
  return { id: crypto.randomUUID(), from: "patient", body: "", sent_at: new Date().toISOString(), ...over };
}

const thread: ThreadMessage[] = [
  message({ from: "system", body: "患者已提交问诊", sent_at: "2026-11-22T08:00:00Z" }),
  message({ from: "patient", body: "医生您好，我咽痛两天了", sent_at: "2026-11-22T08:01:00Z" }),
  message({ from: "physician", body: "您好，有没有发热？", sent_at: "2026-11-22T08:02:00Z" }),
];

/** The consultation screen over a fake core whose thread grows with each `message_send`. */
function renderThread(
  over: Partial<ConsultationView> = {},
  send?: (r: MessageSendRequest) => ConsultationView | Promise<ConsultationView>,
  language: Language = "zh-CN",
) {
  let view = consultation(over);
  let cursor = 10;
  const sent: MessageSendRequest[] = [];
  const backend = fakeBackend({
    consultation_get: () => view,
    sync_status: () => syncOverview({ cursor, head: cursor }),
    template_list: () => ({ templates: [] }),
    message_send: (r) => {
      sent.push(r);
      if (send) return send(r) as ConsultationView;
      view = { ...view, messages: [...view.messages, message({ from: "physician", body: r.body.trim() })] };
      return view;
    },
  });
  const client = newQueryClient();
  render(
    <Providers backend={backend} client={client} language={language}>
      <ConsultationScreen consultationId="c-1" onOpen={() => {}} onClose={() => {}} />
    </Providers>,
  );
  /** A message reaches the core's copy: sync pulled it, so the cursor moved. */
  const arrive = (m: ThreadMessage) => {
    view = { ...view, messages: [...view.messages, m] };
    cursor += 1;
  };
  /** …and the screen's next read of the view, without waiting for its poll. */
  const arriveNow = async (m: ThreadMessage) => {
    arrive(m);
    client.setQueryData(["consultation_get", "c-1"], view);
    await screen.findByText(m.body, { selector: ".thread-body" });
  };
  return { sent, arrive, arriveNow, backend };
}

async function log() {
  return screen.findByRole("log", { name: "与患者的消息记录" });
}

describe("the consultation's message thread", () => {
  it("lists the messages oldest first, each with its sender in text, in a polite labelled log", async () => {
    renderThread({ messages: thread });
    const region = await log();
    expect(region).toHaveAttribute("aria-live", "polite");
    const items = within(region).getAllByRole("listitem");
    expect(items.map((li) => li.getAttribute("data-from"))).toEqual(["system", "patient", "physician"]);
    expect(items[0]).toHaveTextContent(/^系统.*患者已提交问诊$/);
    expect(items[1]).toHaveTextContent(/^患者.*医生您好，我咽痛两天了$/);
    expect(items[2]).toHaveTextContent(/^医生.*您好，有没有发热？$/);
    // The send time is a machine-readable <time> as well as localized text.
    expect(items[1]!.querySelector("time")).toHaveAttribute("dateTime", "2026-11-22T08:01:00Z");
  });

  it("shows an empty state and a disabled send button until something is typed", async () => {
    renderThread();
    expect(within(await log()).getByText("暂无消息")).toBeVisible();
    const send = screen.getByTestId("thread-send");
    expect(send).toBeDisabled();
    await userEvent.type(screen.getByLabelText("回复患者"), "   ");
    expect(send).toBeDisabled();
  });

  it("sends on Ctrl+Enter (not on Enter), clears the box and shows the message in the log", async () => {
    const { sent } = renderThread({ messages: thread.slice(0, 2) });
    const box = await screen.findByLabelText("回复患者");
    expect(within(await log()).getAllByRole("listitem")).toHaveLength(2);
    await userEvent.type(box, "请问有没有发热？{Enter}");
    expect(sent).toEqual([]);
    await userEvent.type(box, "体温多少{Control>}{Enter}{/Control}");
    expect(sent).toEqual([{ consultation_id: "c-1", body: "请问有没有发热？\n体温多少" }]);
    await screen.findByText(/体温多少/, { selector: ".thread-body" });
    const items = within(await log()).getAllByRole("listitem");
    expect(items.map((li) => li.getAttribute("data-from"))).toEqual(["system", "patient", "physician"]);
    expect(items[2]).toHaveTextContent(/^医生.*请问有没有发热？\s*体温多少$/);
    expect(box).toHaveValue("");
    expect(box).toHaveFocus();
  });

  it("sends on ⌘+Enter and from the button", async () => {
    const { sent } = renderThread();
    const box = await screen.findByLabelText("回复患者");
    await userEvent.type(box, "好的{Meta>}{Enter}{/Meta}");
    await userEvent.type(box, "按时服药");
    await userEvent.click(screen.getByTestId("thread-send"));
    expect(sent.map((r) => r.body)).toEqual(["好的", "按时服药"]);
  });

  it("disables sending while a message is on its way", async () => {
    let release: (v: ConsultationView) => void = () => {};
    const { sent } = renderThread({}, () => new Promise<ConsultationView>((resolve) => (release = resolve)));
    const box = await screen.findByLabelText("回复患者");
    await userEvent.type(box, "稍等{Control>}{Enter}{/Control}");
    const send = screen.getByTestId("thread-send");
    expect(send).toBeDisabled();
    await userEvent.type(box, "{Control>}{Enter}{/Control}");
    expect(sent).toHaveLength(1);
    release(consultation({ messages: [message({ from: "physician", body: "稍等" })] }));
    await screen.findByText("稍等", { selector: ".thread-body" });
    expect(box).toHaveValue("");
  });

  it("shows the core's refusal in an alert and keeps the draft", async () => {
    renderThread({}, () => {
      throw new BackendError("conflict", "messages are sent within an open consultation");
    });
    const box = await screen.findByLabelText("回复患者");
    await userEvent.type(box, "复查结果如何{Control>}{Enter}{/Control}");
    expect(await screen.findByRole("alert")).toHaveTextContent("操作冲突：messages are sent within an open consultation");
    expect(box).toHaveValue("复查结果如何");
    // Editing the draft clears the stale error.
    await userEvent.type(box, "？");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("counts characters near the 2,000 limit and refuses to send past it", async () => {
    renderThread();
    const box = await screen.findByLabelText("回复患者");
    fireEvent.change(box, { target: { value: "咳".repeat(1_700) } });
    expect(screen.queryByTestId("thread-count")).toBeNull();
    fireEvent.change(box, { target: { value: "咳".repeat(1_990) } });
    expect(screen.getByTestId("thread-count")).toHaveTextContent("1,990 / 2,000 字");
    expect(screen.getByTestId("thread-send")).toBeEnabled();
    fireEvent.change(box, { target: { value: "咳".repeat(2_003) } });
    expect(screen.getByTestId("thread-count")).toHaveTextContent("超出 2,000 字上限 3 字");
    expect(box).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("thread-send")).toBeDisabled();
  });

  it("is read-only, with the reason, when the consultation is closed or not the user's", async () => {
    renderThread({ status: "completed", messages: thread });
    expect(await screen.findByTestId("thread-readonly")).toHaveTextContent("问诊状态为「已完成」，消息只读");
    expect(screen.queryByLabelText("回复患者")).toBeNull();
    expect(within(await log()).getAllByRole("listitem")).toHaveLength(3);
  });

  it("is read-only for a consultation another physician treats", async () => {
    renderThread({ mine: false });
    expect(await screen.findByTestId("thread-readonly")).toHaveTextContent("仅接诊医生可以回复");
    expect(screen.queryByRole("textbox", { name: "回复患者" })).toBeNull();
  });
  it("shows a patient's message that arrives by sync while the screen is open (re-read when the cursor moves)", async () => {
    const { arrive } = renderThread({ messages: thread.slice(0, 1) });
    expect(within(await log()).getAllByRole("listitem")).toHaveLength(1);
    arrive(message({ from: "patient", body: "刚量了体温，37.8 度" }));
    const item = await screen.findByText("刚量了体温，37.8 度", { selector: ".thread-body" }, { timeout: SYNC_POLL_MS * 3 });
    expect(item.closest("li")).toHaveAttribute("data-from", "patient");
  });

  it("is not re-read on a timer: each read of a patient record is an audited access", async () => {
    const { backend } = renderThread({ messages: thread });
    await log();
    const reads = () => backend.calls.filter((c) => c.command === "consultation_get").length;
    const polls = () => backend.calls.filter((c) => c.command === "sync_status").length;
    const before = reads();
    const startPolls = polls();
    await vi.waitFor(() => expect(polls()).toBeGreaterThan(startPolls + 1), { timeout: SYNC_POLL_MS * 4 });
    expect(reads()).toBe(before);
  });

  it("follows the newest message at the bottom, leaves a reader who scrolled up, and follows their own reply", async () => {
    const { arriveNow } = renderThread({ messages: thread });
    const region = await log();
    // jsdom lays nothing out: give the log a height and a content height.
    let contentHeight = 1_000;
    Object.defineProperty(region, "scrollHeight", { configurable: true, get: () => contentHeight });
    Object.defineProperty(region, "clientHeight", { configurable: true, get: () => 300 });

    region.scrollTop = 700;
    fireEvent.scroll(region);
    contentHeight = 1_100;
    await arriveNow(message({ from: "patient", body: "还有点咳嗽" }));
    expect(region.scrollTop).toBe(1_100);

    region.scrollTop = 100;
    fireEvent.scroll(region);
    contentHeight = 1_200;
    await arriveNow(message({ from: "patient", body: "晚上咳得厉害" }));
    expect(region.scrollTop).toBe(100);

    contentHeight = 1_300;
    await userEvent.type(screen.getByLabelText("回复患者"), "夜间咳嗽可以先用蜂蜜水{Control>}{Enter}{/Control}");
    await screen.findByText("夜间咳嗽可以先用蜂蜜水", { selector: ".thread-body" });
    expect(region.scrollTop).toBe(1_300);
  });

  it("speaks English when the user does", async () => {
    renderThread({ messages: thread.slice(1) }, undefined, "en");
    const region = await screen.findByRole("log", { name: "Messages with the patient" });
    const items = within(region).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent(/^Patient/);
    expect(items[1]).toHaveTextContent(/^Physician/);
    expect(screen.getByLabelText("Reply to the patient")).toBeVisible();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
  });
});
