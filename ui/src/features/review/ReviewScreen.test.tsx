import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReviewItem, RxReviewRequest } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import { ScreenProviders as Providers } from "../../../tests/providers";
import { fakeBackend } from "../../../tests/fakeBackend";
import { checkOf, finding } from "../../../tests/fixtures";
import { ReviewScreen } from "./ReviewScreen";

const warn = finding({ code: "interaction", severity: "warn", message: { zh: "两药合用出血风险增加", en: "Bleeding risk" }, items: [0, 1] });

function item(id: string): ReviewItem {
  return {
    round: 2,
    patient: { masked_name: "演**乙", age_years: 61, sex: "male", identity_verified: true, guardian_present: null },
    prescription: {
      id,
      consultation_id: "c-1",
      physician_id: "dr.demo",
      status: "signed",
      draft: {
        diagnoses: ["I10"],
        items: [
          { drug: "阿司匹林肠溶片（拜阿司匹灵）非常长的中文药品名称用于测试换行", dose: { value: 100, unit: "mg" }, frequency: "QD", days: 30 },
          { drug: "warfarin", dose: { value: 3, unit: "mg" }, frequency: "QD", days: 30 },
        ],
      },
      check: checkOf([warn]),
      overrides: [{ code: "interaction", items: [0, 1], reason: "INR 监测中" }],
      validity_days: 3,
      signed_at: new Date().toISOString(),
      valid_until: null,
      reviews: [{ pharmacist: "ph.demo", approved: false, reasons: ["interaction"], note: "请说明" }],
    },
  };
}

function renderReview() {
  const reviews: RxReviewRequest[] = [];
  const backend = fakeBackend({
    review_queue: () => ({ items: [item("rx-a"), item("rx-b")].filter((i) => !reviews.some((r) => r.prescription_id === i.prescription.id)) }),
    rx_review: (r) => {
      reviews.push(r);
      return item(r.prescription_id).prescription;
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
  it("shows findings, overrides and history; approves one and rejects the other with structured reasons", async () => {
    const reviews = renderReview();
    const cards = await screen.findAllByTestId("review-item");
    expect(cards).toHaveLength(2);
    const first = cards[0]!;
    expect(first).toHaveTextContent("第 2 次审核");
    expect(within(first).getByTestId("overrides")).toHaveTextContent("两药合用出血风险增加 — INR 监测中");
    expect(within(first).getByTestId("history")).toHaveTextContent("ph.demo：已驳回 (存在相互作用) — 请说明");
    await userEvent.click(within(first).getByTestId("approve"));
    await vi.waitFor(() => expect(reviews).toEqual([{ prescription_id: "rx-a", decision: { decision: "approve" } }]));
    await vi.waitFor(() => expect(screen.getAllByTestId("review-item")).toHaveLength(1));

    await userEvent.click(screen.getByTestId("reject"));
    await userEvent.click(await screen.findByTestId("confirm-reject"));
    expect(await screen.findByText("请填写此项")).toBeInTheDocument();
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
});
