import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ConsultationView, PrescriptionView, RxCheckRequest, RxSignRequest } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import type { Language } from "../../i18n";
import { ScreenProviders as Providers } from "../../../tests/providers";
import { fakeBackend } from "../../../tests/fakeBackend";
import { amoxicillin, checkOf, consultation, fakeCheck, ibuprofen, prescriptionView } from "../../../tests/fixtures";
import { ConsultationScreen } from "./ConsultationScreen";

function renderConsultation(over: Partial<ConsultationView> = {}, opts: { rxGet?: PrescriptionView; language?: Language } = {}) {
  const signs: RxSignRequest[] = [];
  const checks: RxCheckRequest[] = [];
  // What the findings panel said when each check left: "1" once React has rendered a draft
  // whose answer is not in yet, "0" while it still shows the previous draft's.
  const renderedWhenSent: (string | null)[] = [];
  const base = consultation(over);
  const backend = fakeBackend({
    consultation_get: () => base,
    consultation_list_mine: () => ({ consultations: [] }),
    template_list: () => ({ templates: [] }),
    icd10_search: () => ({ hits: [{ code: "J06.9", en: "Acute upper respiratory infection", zh: "急性上呼吸道感染" }] }),
    drug_search: (r) => ({ hits: [amoxicillin, ibuprofen].filter((h) => h.matched.startsWith(r.query) || h.zh.includes(r.query)) }),
    rx_check: (r) => {
      checks.push(r);
      renderedWhenSent.push(document.querySelector('[data-testid="findings"]')?.getAttribute("data-checking") ?? null);
      return fakeCheck(r);
    },
    rx_get: () => opts.rxGet ?? prescriptionView(),
    rx_save: (r) => prescriptionView({ draft: r.draft }),
    rx_sign: (r) => {
      signs.push(r);
      return prescriptionView({
        id: r.prescription_id,
        status: "signed",
        overrides: r.overrides,
        validity_days: r.validity_days ?? 3,
        signed_at: new Date().toISOString(),
        signature: { status: "pending_certificate", code: null, timestamp_ms: null },
      });
    },
  });
  render(
    <Providers backend={backend} client={newQueryClient()} language={opts.language}>
      <ConsultationScreen consultationId="c-1" onOpen={() => {}} onClose={() => {}} />
    </Providers>,
  );
  return { backend, signs, checks, renderedWhenSent };
}

const withDiagnosis = (over: Partial<ConsultationView> = {}, opts: Parameters<typeof renderConsultation>[1] = {}) =>
  renderConsultation({ record: { ...consultation().record, diagnoses: ["J06.9"] }, ...over }, opts);

async function pickDrug(line: number, query: string, optionId: string) {
  const row = await screen.findByTestId(`rx-line-${line}`);
  const input = within(row).getByRole("combobox", { name: /药品/ });
  await userEvent.type(input, query);
  await userEvent.click(await screen.findByTestId(`drug-option-${optionId}`));
}

describe("prescribing", () => {
  it("shows the de-identified header and a block finding as you pick the drug; signing is disabled with the reason", async () => {
    withDiagnosis();
    expect(await screen.findByTestId("masked-name")).toHaveTextContent("演**戊");
    await pickDrug(0, "amxl", "amoxicillin");
    expect(await screen.findByTestId("line-findings-0")).toHaveTextContent("禁止 · 过敏（不可忽略）");
    const panel = screen.getByTestId("findings");
    const block = within(panel).getByTestId("finding-block");
    expect(block).toHaveTextContent("过敏");
    expect(block).toHaveTextContent("不可忽略");
    // The checker's own sentence is the detail, with its source.
    expect(block).toHaveTextContent("患者对青霉素过敏");
    expect(block).toHaveTextContent("依据：FDA label");
    expect(screen.getByTestId("rx-sign")).toBeDisabled();
    expect(screen.getByTestId("sign-blocked")).toHaveTextContent("禁止类问题不能被忽略");
    expect(screen.getByTestId("sign-blocked")).toHaveTextContent("第 1 行：过敏");
  });

  it("picking a drug pre-fills the line's 禁忌说明 from the label, which stays editable and travels with the line", async () => {
    const { checks } = withDiagnosis();
    await pickDrug(0, "amxl", "amoxicillin");
    const notes = (await screen.findByTestId("contra-0")) as HTMLInputElement;
    expect(notes.value).toBe("测试禁忌甲；测试禁忌乙");
    await userEvent.type(notes, "；另加一条");
    await vi.waitFor(() => expect(checks.at(-1)?.draft.items[0]?.contraindications).toBe("测试禁忌甲；测试禁忌乙；另加一条"));
    // A drug the pack holds no contraindication for starts empty, with a prompt.
    await userEvent.click(screen.getByTestId("add-line"));
    await pickDrug(1, "blf", "ibuprofen");
    const second = (await screen.findByTestId("contra-1")) as HTMLInputElement;
    expect(second.value).toBe("");
    expect(second.placeholder).toContain("知识库未收录");
  });

  it("a drug typed but not picked is no drug: the unknown_drug block on its line with a pick-from-the-list hint, no way to sign", async () => {
    const { checks } = withDiagnosis();
    const row = await screen.findByTestId("rx-line-0");
    const input = within(row).getByRole("combobox", { name: /药品/ });
    await userEvent.type(input, "blf");
    await userEvent.keyboard("{Escape}");
    // The typed text goes to the checker as it is: the core decides, and it is no drug.
    await vi.waitFor(() => expect(checks.at(-1)?.draft.items[0]?.drug).toBe("blf"));
    const tags = await screen.findByTestId("line-findings-0");
    expect(tags).toHaveTextContent("禁止 · 药品未从药品列表中选择（不可忽略）");
    expect(screen.getByTestId("pick-hint-0")).toHaveTextContent("请从下拉列表中选择药品");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input.getAttribute("aria-describedby")).toBe(screen.getByTestId("pick-hint-0").id);
    expect(screen.getByTestId("rx-sign")).toBeDisabled();
    expect(screen.getByTestId("sign-blocked")).toHaveTextContent("第 1 行：药品未从药品列表中选择");
    // Picking it from the list clears the block.
    await userEvent.clear(input);
    await pickDrug(0, "blf", "ibuprofen");
    await vi.waitFor(() => expect(screen.queryByTestId("pick-hint-0")).toBeNull());
    expect(checks.at(-1)?.draft.items[0]?.drug).toBe("ibuprofen");
  });

  it("the diagnosis is required: a block at the top until one is chosen in the record, which the check then carries", async () => {
    const { checks } = renderConsultation();
    expect(await screen.findByTestId("diagnosis-block")).toHaveTextContent("缺少临床诊断");
    expect(screen.getByTestId("rx-diagnosis")).toHaveTextContent("缺少临床诊断");
    await pickDrug(0, "blf", "ibuprofen");
    await vi.waitFor(() => expect(checks.at(-1)?.draft.diagnoses).toEqual([]));
    expect(screen.getByTestId("rx-sign")).toBeDisabled();
    expect(screen.getByTestId("sign-blocked")).toHaveTextContent("缺少临床诊断");
    // Chosen in the record (not saved yet): the prescription uses it at once.
    await userEvent.type(screen.getByLabelText("诊断（ICD-10）"), "J06");
    await userEvent.click(await screen.findByTitle("J06.9 急性上呼吸道感染"));
    await vi.waitFor(() => expect(screen.queryByTestId("diagnosis-block")).toBeNull());
    expect(screen.getByTestId("rx-diagnosis")).toHaveTextContent("J06.9 急性上呼吸道感染");
    expect(screen.getByTestId("rx-diagnosis")).toHaveTextContent("病历中的诊断尚未保存");
    await vi.waitFor(() => expect(checks.at(-1)?.draft.diagnoses).toEqual(["J06.9"]));
    await vi.waitFor(() => expect(screen.getByTestId("rx-sign")).toBeEnabled());
  });

  it("shows the consultation type in the header and the editor, and sends it with the check", async () => {
    const { checks } = withDiagnosis({ prescription_kind: "chronic" });
    expect(await screen.findByTestId("consultation-kind")).toHaveTextContent("慢性病");
    expect(screen.getByTestId("rx-kind")).toHaveTextContent("问诊类型：慢性病");
    await pickDrug(0, "blf", "ibuprofen");
    await vi.waitFor(() => expect(checks.at(-1)?.draft.kind).toBe("chronic"));
  });

  it("a dose keystroke's check leaves from the change handler, before React renders it, and only once", async () => {
    const { checks, renderedWhenSent } = withDiagnosis();
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

  it("re-checks on a dose keystroke and asks for an override reason per warning (and none for a block) before signing", async () => {
    const { signs, checks } = withDiagnosis();
    await pickDrug(0, "blf", "ibuprofen");
    const dose = screen.getByTestId("dose-0");
    await userEvent.type(dose, "600");
    expect(await screen.findByTestId("finding-warn")).toHaveTextContent("单次剂量高于说明书上限");
    expect(screen.getByTestId("finding-warn")).toHaveTextContent("单次剂量过高");
    expect(screen.getByTestId("finding-warn")).not.toHaveTextContent("不可忽略");
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
    expect(await screen.findByTestId("rx-status")).toHaveTextContent("待审核");
    // R-RX-10: the physician's own copy says where its signature stands.
    expect(screen.getByTestId("signature-status")).toHaveTextContent("签名待平台认证证书");
  });
});

describe("a signature the platform refused (one truth on screen)", () => {
  const refused = prescriptionView({
    id: "rx-9",
    status: "draft",
    draft: { kind: "ordinary", diagnoses: [], items: [{ drug: "blf" }] },
    check: checkOf([]),
    refusal: { code: "invalid_prescription", findings: ["unknown_drug@1", "diagnosis_missing", "course_too_long@1,2"], at: Date.UTC(2026, 11, 4, 9, 30) },
  });
  const summary = { prescriptions: [{ id: "rx-9", status: "draft" as const, lines: 1 }] };

  it("says so on the prescription, localised by code with its line numbers, and the prescription is an editable draft", async () => {
    withDiagnosis(summary, { rxGet: refused });
    await userEvent.click(await screen.findByTestId("open-rx-0"));
    const alert = await screen.findByTestId("rx-refusal");
    expect(alert).toHaveTextContent("平台拒绝了此处方签名");
    expect(alert).toHaveTextContent("原因：处方不符合开具规定");
    const items = within(screen.getByTestId("rx-refusal-findings")).getAllByRole("listitem");
    expect(items.map((li) => li.textContent)).toEqual([
      "第 1 行：药品未从药品列表中选择",
      "缺少临床诊断",
      "第 1、2 行：疗程超过常见病处方的规定上限",
    ]);
    expect(alert).toHaveTextContent("处方已退回为草稿");
    expect(alert).not.toHaveTextContent("invalid_prescription");
    // A draft: never "signed, awaiting the pharmacist"; the lines can be edited and signed again.
    expect(screen.getByTestId("rx-status")).toHaveTextContent("草稿");
    expect(screen.getByTestId("rx-refused-tag")).toHaveTextContent("被平台拒绝");
    expect(screen.queryByText("处方已签名，等待药师审核")).toBeNull();
    expect(screen.queryByText("该处方已签名，不能修改")).toBeNull();
    expect(within(screen.getByTestId("rx-line-0")).getByRole("combobox", { name: /药品/ })).toBeEnabled();
    expect(screen.getByTestId("rx-sign")).toBeInTheDocument();
  });

  it("edits are kept when the open prescription's button is pressed again; another one asks before discarding them", async () => {
    withDiagnosis({ prescriptions: [...summary.prescriptions, { id: "rx-10", status: "draft", lines: 1 }] }, { rxGet: refused });
    await userEvent.click(await screen.findByTestId("open-rx-0"));
    await screen.findByTestId("rx-refusal");
    await userEvent.type(screen.getByTestId("dose-0"), "2");
    expect(screen.getByTestId("rx-unsaved")).toBeInTheDocument();
    await userEvent.click(screen.getByTestId("open-rx-0"));
    expect(screen.getByTestId("dose-0")).toHaveValue("2");
    await userEvent.click(screen.getByTestId("open-rx-1"));
    expect(await screen.findByText("当前处方有未保存的修改，打开其他处方会丢弃这些修改。")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "继续编辑" }));
    expect(screen.getByTestId("dose-0")).toHaveValue("2");
    await userEvent.click(screen.getByTestId("open-rx-1"));
    await userEvent.click(await screen.findByTestId("confirm-discard"));
    await vi.waitFor(() => expect(screen.queryByTestId("rx-unsaved")).toBeNull());
  });

  it("in English too", async () => {
    withDiagnosis(summary, { rxGet: refused, language: "en" });
    await userEvent.click(await screen.findByTestId("open-rx-0"));
    const alert = await screen.findByTestId("rx-refusal");
    expect(alert).toHaveTextContent("The platform refused this prescription's signature");
    expect(alert).toHaveTextContent("Reason: The prescription is not valid");
    expect(alert).toHaveTextContent("Line 1: Medicine not picked from the drug list");
    expect(alert).toHaveTextContent("No clinical diagnosis");
  });
});
