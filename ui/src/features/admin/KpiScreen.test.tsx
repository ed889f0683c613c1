import { render, screen, within } from "@testing-library/react";
import type { Indicators, KpiReport } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import { ScreenProviders as Providers } from "../../../tests/providers";
import type { Language } from "../../i18n";
import { fakeBackend } from "../../../tests/fakeBackend";
import { KpiScreen } from "./KpiScreen";

function indicators(over: Partial<Indicators>): Indicators {
  return {
    physician: "dr.demo",
    month: "2026-11",
    consultations: 20,
    completion_rate: 0.9,
    completion_meets_target: true,
    prescriptions: 10,
    compliance_rate: 1,
    compliance_meets_target: true,
    within_sla_rate: 0.9,
    median_response_seconds: 420,
    response_distribution: [0, 0, 0, 0, 0],
    satisfaction_speed: null,
    satisfaction_professionalism: null,
    satisfaction_attitude: null,
    complaints: 0,
    ...over,
  };
}

function renderKpi(rows: Indicators[], language: Language = "zh-CN") {
  const report: KpiReport = { completion_target: 0.85, compliance_target: 0.98, indicators: rows, complaints_by_route: [] };
  render(
    <Providers backend={fakeBackend({ kpi_report: () => report })} client={newQueryClient()} language={language}>
      <KpiScreen />
    </Providers>,
  );
}

// Data first: the core's bucket counts in, one chart per physician and month out.
const cases: { name: string; row: Indicators; language?: Language; counts: number[]; label: string }[] = [
  {
    name: "counts in every bucket, two past the SLA",
    row: indicators({ physician: "dr.li", month: "2026-10", response_distribution: [7, 4, 3, 1, 2] }),
    counts: [7, 4, 3, 1, 2],
    label: "dr.li 2026-10 响应时间分布：≤5 分钟 7, ≤10 分钟 4, ≤20 分钟 3, ≤30 分钟 1, >30 分钟（超时） 2",
  },
  {
    name: "nothing past the SLA",
    row: indicators({ physician: "dr.wang", month: "2026-11", response_distribution: [12, 0, 0, 0, 0] }),
    counts: [12, 0, 0, 0, 0],
    label: "dr.wang 2026-11 响应时间分布：≤5 分钟 12, ≤10 分钟 0, ≤20 分钟 0, ≤30 分钟 0, >30 分钟（超时） 0",
  },
  {
    name: "no responses at all",
    row: indicators({ physician: "dr.zhao", month: "2026-09", response_distribution: [0, 0, 0, 0, 0] }),
    counts: [0, 0, 0, 0, 0],
    label: "dr.zhao 2026-09 响应时间分布：无响应记录",
  },
  {
    name: "thousands, in English",
    row: indicators({ physician: "dr.li", month: "2026-08", response_distribution: [1200, 30, 0, 0, 5] }),
    language: "en",
    counts: [1200, 30, 0, 0, 5],
    label: "Response times of dr.li in 2026-08: ≤5 min 1,200, ≤10 min 30, ≤20 min 0, ≤30 min 0, >30 min (past SLA) 5",
  },
];

describe("KPI response-time distribution", () => {
  it.each(cases)("$name", async ({ row, language, counts, label }) => {
    renderKpi([row], language);
    const chart = await screen.findByRole("img", { name: label });
    counts.forEach((c, i) => {
      const bar = within(chart).getByTestId(`bucket-${i}`);
      expect(bar).toHaveAttribute("data-count", String(c));
      expect(bar).toHaveTextContent(new Intl.NumberFormat(language ?? "zh-CN").format(c));
    });
    // Only the last bucket is past the 30-minute SLA, drawn in the error colour.
    const marked = chart.querySelectorAll("[data-past-sla]");
    expect(marked).toHaveLength(1);
    expect(marked[0]).toBe(within(chart).getByTestId("bucket-4"));
    expect(marked[0]).toHaveTextContent(">30");
    const bars = [...chart.querySelectorAll("g > rect:not([stroke])")].map((r) => r.getAttribute("fill"));
    expect(bars).toEqual(["#007a7a", "#007a7a", "#007a7a", "#007a7a", "#cf1322"]);
    // Taller bar for the larger count.
    const heights = [...chart.querySelectorAll("g > rect:not([stroke])")].map((r) => Number(r.getAttribute("height")));
    const top = counts.indexOf(Math.max(...counts));
    if (counts[top]! > 0) expect(Math.max(...heights)).toBe(heights[top]);
    else expect(heights).toEqual([0, 0, 0, 0, 0]);
  });

  it("one chart per physician and month, and the column says which bucket is past the SLA", async () => {
    renderKpi([
      indicators({ physician: "dr.li", month: "2026-10", response_distribution: [1, 0, 0, 0, 0] }),
      indicators({ physician: "dr.li", month: "2026-11", response_distribution: [0, 1, 0, 0, 0] }),
      indicators({ physician: "dr.wang", month: "2026-11", response_distribution: [0, 0, 0, 0, 3] }),
    ]);
    await screen.findByTestId("kpi-screen");
    expect(screen.getAllByTestId("response-distribution")).toHaveLength(3);
    expect(screen.getByRole("columnheader", { name: /响应时间分布\s*>30 超时/ })).toBeInTheDocument();
  });
});
