import { act, render, renderHook, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState, type ReactNode } from "react";
import type { ConsultationRecord, ConsultationView, PrescriptionView, QueueView } from "../backend";
import { ScreenProviders as Providers } from "../../tests/providers";
import { fakeBackend } from "../../tests/fakeBackend";
import { consultation, entry, fakeCheck, ibuprofen, physician, prescriptionView, signedOut, syncOverview } from "../../tests/fixtures";
import { DraftScope, useDraft } from "./drafts";
import { newQueryClient } from "./Providers";
import { setSession } from "./session";
import { Workspace, type Tab } from "./Workspace";

function Harness() {
  const [tab, setTab] = useState<Tab | null>(null);
  return <Workspace user={physician} tab={tab} onTab={setTab} />;
}

/** A physician's workspace over a fake core that keeps what is saved and signed. */
function renderWorkspace() {
  let record: ConsultationRecord = { ...consultation().record, allergies: [], diagnoses: ["J06.9"] };
  let saved: PrescriptionView | null = null;
  const view = (): ConsultationView =>
    consultation({ record, prescriptions: saved ? [{ id: saved.id, status: saved.status, lines: saved.draft.items.length }] : [] });
  const queue = (): QueueView => ({ now: new Date().toISOString(), breached: 0, entries: [entry({ id: "c-1", complaint: "咽痛两天" })] });
  const backend = fakeBackend({
    queue_list: queue,
    consultation_claim: view,
    consultation_get: view,
    consultation_list_mine: () => ({ consultations: [{ id: "c-1", masked_name: "演**戊", status: "claimed", priority: "normal", arrived_at: new Date().toISOString() }] }),
    record_save: (r) => {
      record = r.record;
      return view();
    },
    template_list: () => ({ templates: [] }),
    drug_search: () => ({ hits: [ibuprofen] }),
    rx_check: fakeCheck,
    rx_save: (r) => (saved = prescriptionView({ draft: r.draft })),
    rx_sign: (r) => (saved = prescriptionView({ ...saved!, id: r.prescription_id, status: "signed", signed_at: new Date().toISOString() })),
    rx_get: () => saved!,
    sync_status: () => syncOverview(),
    follow_up_list: () => ({ due_today: [], overdue: [] }),
  });
  render(
    <Providers backend={backend} client={newQueryClient()}>
      <Harness />
    </Providers>,
  );
  return backend;
}

const drugInput = () => within(screen.getByTestId("rx-line-0")).getByRole("combobox", { name: /药品/ });

async function away(to: "nav-queue" | "nav-followUps" | "nav-sync") {
  await userEvent.click(screen.getByTestId(to));
  expect(screen.queryByTestId("consultation-screen")).toBeNull();
  await userEvent.click(screen.getByTestId("nav-consultation"));
  await screen.findByTestId("consultation-screen");
}

describe("unsaved drafts survive switching tabs and screens (issue 12 §6)", () => {
  it("keeps the prescription lines and the record form being edited until they are saved or signed", async () => {
    renderWorkspace();
    await userEvent.click(await screen.findByRole("button", { name: /接\s*诊/ }));
    await screen.findByTestId("consultation-screen");

    await userEvent.type(screen.getByLabelText("现病史"), "咳嗽三天");
    await userEvent.type(drugInput(), "blf");
    await userEvent.click(await screen.findByTestId("drug-option-ibuprofen"));
    await userEvent.type(screen.getByTestId("dose-0"), "200");
    expect(screen.getByTestId("rx-unsaved")).toBeInTheDocument();
    expect(screen.getByTestId("record-unsaved")).toBeInTheDocument();

    // Another screen and back, then the consultation list and back.
    await away("nav-queue");
    expect(screen.getByLabelText("现病史")).toHaveValue("咳嗽三天");
    expect(drugInput()).toHaveValue("布洛芬");
    expect(screen.getByTestId("dose-0")).toHaveValue("200");
    expect(screen.getByTestId("rx-unsaved")).toBeInTheDocument();
    expect(screen.getByTestId("record-unsaved")).toBeInTheDocument();
    await userEvent.click(screen.getByTestId("back-to-list"));
    await userEvent.click(await screen.findByRole("button", { name: /打\s*开/ }));
    expect(await screen.findByLabelText("现病史")).toHaveValue("咳嗽三天");
    expect(screen.getByTestId("dose-0")).toHaveValue("200");

    // Saved: the record draft is gone, the saved record shows.
    await userEvent.click(screen.getByTestId("record-save"));
    await screen.findByTestId("record-saved");
    expect(screen.queryByTestId("record-unsaved")).toBeNull();
    await away("nav-sync");
    expect(screen.getByLabelText("现病史")).toHaveValue("咳嗽三天");
    expect(screen.queryByTestId("record-unsaved")).toBeNull();

    // Signed: the lines are the signed prescription now, shown as such after coming back.
    const sign = screen.getByTestId("rx-sign");
    await vi.waitFor(() => expect(sign).toBeEnabled());
    await userEvent.click(sign);
    await userEvent.click(within(await screen.findByTestId("sign-dialog")).getByTestId("confirm-sign"));
    expect(await screen.findByTestId("rx-status")).toHaveTextContent("待审核");
    await away("nav-followUps");
    expect(await screen.findByTestId("rx-status")).toHaveTextContent("待审核");
    expect(screen.queryByTestId("rx-unsaved")).toBeNull();
    expect(drugInput()).toBeDisabled();
  });
});

describe("the draft store", () => {
  const scope = (owner: string) =>
    function Scope({ children }: { children: ReactNode }) {
      return <DraftScope owner={owner}>{children}</DraftScope>;
    };

  it("keeps each user's drafts apart (R-SEC-7)", () => {
    const a = renderHook(() => useDraft<string>("record:c-1"), { wrapper: scope("dr.a") });
    act(() => a.result.current[1]("dr.a's notes"));
    const b = renderHook(() => useDraft<string>("record:c-1"), { wrapper: scope("dr.b") });
    expect(b.result.current[0]).toBeUndefined();
    expect(a.result.current[0]).toBe("dr.a's notes");
  });

  it("forgets every draft on lock and on sign-out (R-SEC-6)", () => {
    const a = renderHook(() => useDraft<string>("rx-lines:c-1"), { wrapper: scope("dr.a") });
    act(() => a.result.current[1]("lines"));
    const client = newQueryClient();
    act(() => setSession(client, { ...signedOut(), state: "locked", locked_user: "dr.a" }));
    expect(a.result.current[0]).toBeUndefined();
    act(() => a.result.current[1]("more lines"));
    act(() => setSession(client, signedOut()));
    expect(a.result.current[0]).toBeUndefined();
  });
});
