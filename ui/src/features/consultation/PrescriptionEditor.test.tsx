import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { RxCheckRequest, RxSignRequest } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import { ScreenProviders as Providers } from "../../../tests/providers";
import { fakeBackend } from "../../../tests/fakeBackend";
import { amoxicillin, checkOf, consultation, finding, ibuprofen } from "../../../tests/fixtures";
import { ConsultationScreen } from "./ConsultationScreen";

const warn = finding({
  code: "dose_high",
  severity: "warn",
  message: { zh: "单次剂量高于说明书上限", en: "Single dose above the labelled maximum" },
  source: "NMPA label",
  rule: "dose.single",
});

function renderConsultation() {
  const signs: RxSignRequest[] = [];
  const checks: RxCheckRequest[] = [];
  // What the findings panel said when each check left: "1" once React has rendered a draft
  // whose answer is not in yet, "0" while it still shows the previous draft's.
  const renderedWhenSent: (string | null)[] = [];
  const backend = fakeBackend({
    consultation_get: () => consultation(),
    consultation_list_mine: () => ({ consultations: [] }),
    template_list: () => ({ templates: [] }),
    drug_search: (r) => ({ hits: [amoxicillin, ibuprofen].filter((h) => h.matched.startsWith(r.query) || h.zh.includes(r.query)) }),
    rx_check: (r) => {
      checks.push(r);
      renderedWhenSent.push(document.querySelector('[data-testid="findings"]')?.getAttribute("data-checking") ?? null);
      const items = r.draft.items;
      return checkOf([
        ...items.flatMap((it, i) => (it.drug === "amoxicillin" ? [finding({ items: [i] })] : [])),
        ...items.flatMap((it, i) => (it.drug === "ibuprofen" && (it.dose?.value ?? 0) > 400 ? [{ ...warn, items: [i] }] : [])),
      ]);
    },
    rx_save: (r) => ({
      id: "rx-1",
      consultation_id: r.consultation_id,
      physician_id: "dr.demo",
      status: "draft",
      draft: r.draft,
      check: checkOf([]),
      overrides: [],
      validity_days: 3,
      signed_at: null,
      valid_until: null,
      reviews: [],
    }),
    rx_sign: (r) => {
      signs.push(r);
      return {
        id: r.prescription_id,
        consultation_id: "c-1",
        physician_id: "dr.demo",
        status: "signed",
        draft: { diagnoses: [], items: [] },
        check: checkOf([]),
        overrides: r.overrides,
        validity_days: r.validity_days ?? 3,
        signed_at: new Date().toISOString(),
        valid_until: null,
        reviews: [],
      };
    },
  });
  render(
    <Providers backend={backend} client={newQueryClient()}>
      <ConsultationScreen consultationId="c-1" onOpen={() => {}} onClose={() => {}} />
    </Providers>,
  );
  return { backend, signs, checks, renderedWhenSent };
}

async function pickDrug(line: number, query: string, optionId: string) {
  const row = await screen.findByTestId(`rx-line-${line}`);
  const input = within(row).getByRole("combobox", { name: /药品/ });
  await userEvent.type(input, query);
  await userEvent.click(await screen.findByTestId(`drug-option-${optionId}`));
}

describe("prescribing", () => {
  it("shows the de-identified header and a block finding as you pick the drug; signing is disabled with the reason", async () => {
    renderConsultation();
    expect(await screen.findByTestId("masked-name")).toHaveTextContent("演**戊");
    await pickDrug(0, "amxl", "amoxicillin");
    expect(await screen.findByTestId("line-findings-0")).toHaveTextContent("禁止 · 患者对青霉素过敏");
    const panel = screen.getByTestId("findings");
    expect(within(panel).getByTestId("finding-block")).toHaveTextContent("患者对青霉素过敏");
    expect(within(panel).getByTestId("finding-block")).toHaveTextContent("依据：FDA label");
    expect(screen.getByTestId("rx-sign")).toBeDisabled();
    expect(screen.getByTestId("sign-blocked")).toHaveTextContent("禁止类问题不能被忽略");
  });

  it("a dose keystroke's check leaves from the change handler, before React renders it, and only once", async () => {
    const { checks, renderedWhenSent } = renderConsultation();
    await pickDrug(0, "blf", "ibuprofen");
    const panel = screen.getByTestId("findings");
    await vi.waitFor(() => expect(panel).toHaveAttribute("data-checking", "0"));
    const before = checks.length;
    await userEvent.type(screen.getByTestId("dose-0"), "6");
    await vi.waitFor(() => expect(panel).toHaveAttribute("data-checking", "0"));
    const sent = checks.slice(before);
    expect(sent.map((c) => c.draft.items[0]?.dose?.value)).toEqual([6]);
    // Sent while the screen still showed the previous draft as checked: no render before it.
    expect(renderedWhenSent.slice(before)).toEqual(["0"]);
  });

  it("re-checks on a dose keystroke and asks for an override reason per warning before signing", async () => {
    const { signs, checks } = renderConsultation();
    await pickDrug(0, "blf", "ibuprofen");
    const dose = screen.getByTestId("dose-0");
    await userEvent.type(dose, "600");
    expect(await screen.findByTestId("finding-warn")).toHaveTextContent("单次剂量高于说明书上限");
    expect(checks.at(-1)?.draft.items[0]?.dose?.value).toBe(600);
    const sign = screen.getByTestId("rx-sign");
    await vi.waitFor(() => expect(sign).toBeEnabled());
    await userEvent.click(sign);
    const dialog = await screen.findByTestId("sign-dialog");
    await userEvent.click(within(dialog).getByTestId("confirm-sign"));
    expect(await within(dialog).findByText("请填写此项")).toBeInTheDocument();
    expect(signs).toHaveLength(0);
    await userEvent.type(within(dialog).getByTestId("override-0"), "既往耐受良好");
    await userEvent.click(within(dialog).getByTestId("confirm-sign"));
    await vi.waitFor(() => expect(signs).toHaveLength(1));
    expect(signs[0]).toEqual({
      prescription_id: "rx-1",
      overrides: [{ code: "dose_high", items: [0], reason: "既往耐受良好" }],
      validity_days: 3,
    });
  });
});
