import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Patient, ReviewItem, RxReviewRequest } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import { ScreenProviders as Providers } from "../../../tests/providers";
import { fakeBackend } from "../../../tests/fakeBackend";
import { checkOf, finding, prescriptionView } from "../../../tests/fixtures";

import { ReviewScreen } from "./ReviewScreen";

const warn = finding({ code: "interaction", severity: "warn", message: { zh: "两药合用出血风险增加", en: "Bleeding risk" }, items: [0, 1], source: "FDA label §7", rule: "interaction.pair" });
const info = finding({ code: "renal", severity: "info", message: { zh: "肾功能正常，无需调整", en: "Renal function normal" }, items: [1], source: "NMPA label", rule: "renal.egfr" });

const context: Patient = {
  age_years: 61,
  sex: "male",
  weight_kg: 72.5,
  pregnant: false,
  lactating: false,
  egfr: 58,
  hepatic_impairment: "mild",
  allergies: [{ substance: "青霉素", reaction: "皮疹" }],
  conditions: ["I10", "E11.9"],
  current_medications: ["二甲双胍"],
  identity_verified: true,
};

function item(id: string, over: Partial<ReviewItem["prescription"]> = {}): ReviewItem {
  return {
    round: 2,
    signature: { status: "verified", code: null, timestamp_ms: Date.UTC(2026, 11, 4, 9, 0) },
    patient: { masked_name: "演**乙", age_years: 61, sex: "male", identity_verified: true, guardian_present: null },
    prescription: prescriptionView({
      id,
      status: "signed",
      draft: {
        kind: "chronic",
        diagnoses: ["I10", "I48.9"],
        items: [
          { drug: "阿司匹林肠溶片（拜阿司匹灵）非常长的中文药品名称用于测试换行", strength: "100 mg", dose: { value: 100, unit: "mg" }, route: "oral", frequency: "QD", days: 30, quantity: 30 },
          { drug: "warfarin", strength: "3 mg", dose: { value: 3, unit: "mg" }, route: "oral", frequency: "QD", days: 30, quantity: 30 },
        ],
      },
      check: checkOf([warn, info]),
      overrides: [{ code: "interaction", items: [0, 1], reason: "INR 监测中" }],
      validity_days: 3,
      signed_at: new Date().toISOString(),
      valid_until: "2026-12-07T09:30:00Z",
      reviews: [{ pharmacist: "ph.demo", approved: false, reasons: ["interaction"], note: "请说明" }],
      context,
      ...over,
    }),
  };
}

function renderReview(items: ReviewItem[] = [item("rx-a"), item("rx-b", { context: null, valid_until: null, validity_days: 2 })]) {
  const reviews: RxReviewRequest[] = [];
  const backend = fakeBackend({
    review_queue: () => ({ items: items.filter((i) => !reviews.some((r) => r.prescription_id === i.prescription.id)) }),
    rx_review: (r) => {
      reviews.push(r);
      return items.find((i) => i.prescription.id === r.prescription_id)!.prescription;
    },
  });
  render(
    <Providers backend={backend} client={newQueryClient()}>
      <ReviewScreen />
    </Providers>,
  );
  return reviews;
}

describe("pharmacist review", () => {
  it("shows the clinical picture the prescription was checked against (R-RX-9), 'not recorded' where it was not", async () => {
    renderReview();
    const cards = await screen.findAllByTestId("review-item");
    const full = within(cards[0]!).getByTestId("review-context");
    expect(full).toHaveTextContent("临床诊断I10、I48.9");
    expect(full).toHaveTextContent("问诊类型慢性病");
    expect(full).toHaveTextContent("年龄 / 性别61岁 · 男");
    expect(within(full).getByTestId("context-weight")).toHaveTextContent("72.5 kg");
    expect(within(full).getByTestId("context-allergies")).toHaveTextContent("青霉素（皮疹）");
    expect(within(full).getByTestId("context-egfr")).toHaveTextContent("58 mL/min/1.73 m²");
    expect(full).toHaveTextContent("肝功能损害轻度");
    expect(full).toHaveTextContent("妊娠否");
    expect(full).toHaveTextContent("哺乳否");
    expect(full).toHaveTextContent("慢性病I10、E11.9");
    expect(within(full).getByTestId("context-medications")).toHaveTextContent("二甲双胍");
    expect(within(full).getByTestId("context-identity")).toHaveTextContent("已实名认证");

    // Stored before the context was kept: every fact says "not recorded", never a blank.
    const bare = within(cards[1]!).getByTestId("review-context");
    expect(bare).toHaveTextContent("此处方未保存开方时的临床信息");
    expect(within(bare).getByTestId("context-weight")).toHaveTextContent("未记录");
    expect(within(bare).getByTestId("context-allergies")).toHaveTextContent("未记录");
    expect(within(bare).getByTestId("context-egfr")).toHaveTextContent("未记录");
    expect(within(bare).getByTestId("context-medications")).toHaveTextContent("未记录");
    expect(bare).toHaveTextContent("妊娠未记录");
  });

  it("allergies: none known is not the same as not recorded", async () => {
    renderReview([
      item("rx-a", { context: { ...context, allergies: [] } }),
      item("rx-b", { context: { ...context, allergies: undefined, current_medications: undefined, identity_verified: false } }),
    ]);
    const cards = await screen.findAllByTestId("review-item");
    expect(within(cards[0]!).getByTestId("context-allergies")).toHaveTextContent("无已知过敏");
    expect(within(cards[1]!).getByTestId("context-allergies")).toHaveTextContent("未记录");
    expect(within(cards[1]!).getByTestId("context-medications")).toHaveTextContent("未记录");
    expect(within(cards[1]!).getByTestId("context-identity")).toHaveTextContent("未实名认证");
  });

  it("shows every finding with its severity, message and source, the override reason beside the finding it overrides, and the history", async () => {
    renderReview();
    const first = (await screen.findAllByTestId("review-item"))[0]!;
    expect(first).toHaveTextContent("第 2 次审核");
    const w = within(first).getByTestId("finding-warn");
    expect(w).toHaveTextContent("警示");
    expect(w).toHaveTextContent("药物相互作用");
    expect(w).toHaveTextContent("两药合用出血风险增加");
    expect(w).toHaveTextContent("依据：FDA label §7");
    expect(within(w).getByTestId("override-reason")).toHaveTextContent("医生忽略理由：INR 监测中");
    const i = within(first).getByTestId("finding-info");
    expect(i).toHaveTextContent("提示");
    expect(i).toHaveTextContent("肾功能正常，无需调整");
    expect(within(i).queryByTestId("override-reason")).toBeNull();
    expect(within(first).getByTestId("overrides")).toHaveTextContent("药物相互作用（两药合用出血风险增加） — INR 监测中");
    expect(within(first).getByTestId("history")).toHaveTextContent("ph.demo：已驳回 (存在相互作用) — 请说明");
  });

  it("approve asks for a confirmation that shows what takes effect; reject needs at least one structured reason", async () => {
    const reviews = renderReview();
    const cards = await screen.findAllByTestId("review-item");
    await userEvent.click(within(cards[0]!).getByTestId("approve"));
    const dialog = await screen.findByTestId("approve-dialog");
    expect(dialog).toHaveTextContent("通过后处方立即生效");
    expect(dialog).toHaveTextContent("warfarin");
    expect(dialog).toHaveTextContent("阿司匹林肠溶片");
    expect(within(dialog).getByTestId("approve-validity")).toHaveTextContent("有效期至");
    // Nothing is decided by opening the dialog, nor by cancelling it.
    expect(reviews).toHaveLength(0);
    await userEvent.click(screen.getByRole("button", { name: /取\s*消/ }));
    expect(reviews).toHaveLength(0);
    await userEvent.click(within(cards[0]!).getByTestId("approve"));
    await userEvent.click(await screen.findByTestId("confirm-approve"));
    await vi.waitFor(() => expect(reviews).toEqual([{ prescription_id: "rx-a", decision: { decision: "approve" } }]));
    await vi.waitFor(() => expect(screen.getAllByTestId("review-item")).toHaveLength(1));

    // The second one has no end date yet: its validity in days.
    await userEvent.click(within(screen.getByTestId("review-item")).getByTestId("approve"));
    expect(within(await screen.findByTestId("approve-dialog")).getByTestId("approve-validity")).toHaveTextContent("有效期 2 天");
    await userEvent.click(screen.getByRole("button", { name: /取\s*消/ }));

    await userEvent.click(screen.getByTestId("reject"));
    await userEvent.click(await screen.findByTestId("confirm-reject"));
    expect(await screen.findByText("请填写此项")).toBeInTheDocument();
    expect(reviews).toHaveLength(1);
    await userEvent.click(screen.getByRole("checkbox", { name: "剂量或频次不适宜" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "存在相互作用" }));
    await userEvent.type(screen.getByTestId("reject-note"), "剂量偏大");
    await userEvent.click(screen.getByTestId("confirm-reject"));
    await vi.waitFor(() => expect(reviews).toHaveLength(2));
    expect(reviews[1]).toEqual({
      prescription_id: "rx-b",
      decision: { decision: "reject", reasons: ["dose_or_frequency", "interaction"], note: "剂量偏大" },
    });
  });

  it("shows the physician's signature status; an invalid signature cannot be approved (R-RX-10)", async () => {
    const bad = item("rx-b");
    bad.signature = { status: "invalid", code: "content_changed", timestamp_ms: null };
    renderReview([item("rx-a"), bad]);
    const cards = await screen.findAllByTestId("review-item");
    expect(within(cards[0]!).getByTestId("signature-status")).toHaveTextContent("签名已验证");
    expect(within(cards[0]!).getByTestId("signature-status")).toHaveTextContent("平台时间");
    expect(within(cards[0]!).getByTestId("approve")).toBeEnabled();
    expect(within(cards[1]!).getByTestId("signature-status")).toHaveTextContent("签名无效（content_changed）");
    expect(within(cards[1]!).getByTestId("signature-invalid")).toHaveTextContent("不能审核通过");
    expect(within(cards[1]!).getByTestId("approve")).toBeDisabled();
  });

  it("a prescription with a block cannot be approved (R-RX-8)", async () => {
    renderReview([
      item("rx-a", {
        check: checkOf([finding({ code: "unknown_drug", items: [0], rule: "drug.unknown", message: { zh: "第1行“blf”不是知识库中的药品。", en: "not a medicine" } })]),
      }),
    ]);
    const card = await screen.findByTestId("review-item");
    expect(within(card).getByTestId("approve")).toBeDisabled();
    expect(within(card).getByTestId("review-blocked")).toHaveTextContent("不能通过");
    expect(within(card).getByTestId("finding-block")).toHaveTextContent("药品未从药品列表中选择");
  });
});
