import { useI18n, type MessageKey } from "../../i18n";

/** Buckets ≤5, ≤10, ≤20, ≤30 minutes and past the 30-minute SLA, as the core counts them (R-KPI-2). */
export const BUCKETS = 5;
const PAST_SLA = BUCKETS - 1;
const BAR_W = 26;
const GAP = 6;
const CHART_H = 40;
const WIDTH = BUCKETS * (BAR_W + GAP);
const HEIGHT = CHART_H + 30;

/**
 * One physician's month of response times as a small bar chart, the last bar (past the
 * 30-minute SLA, R-TRI-3) red and labelled. Screen readers get every count in the label.
 */
export function ResponseDistribution({ counts, physician, month }: { counts: number[]; physician: string; month: string }) {
  const { t, num } = useI18n();
  // A core older or newer than this UI may send another length: show what fits the five buckets.
  const buckets = Array.from({ length: BUCKETS }, (_, i) => counts[i] ?? 0);
  const max = Math.max(1, ...buckets);
  const total = buckets.reduce((a, b) => a + b, 0);
  const listed = buckets.map((c, i) => `${t(`kpi.bucket.${i}` as MessageKey)} ${num(c)}`).join(", ");
  const label = t("kpi.distributionLabel", { physician, month, counts: total === 0 ? t("kpi.distributionEmpty") : listed });
  return (
    <svg
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={label}
      data-testid="response-distribution"
      style={{ display: "block", overflow: "visible" }}
    >
      <title>{label}</title>
      {buckets.map((c, i) => {
        const past = i === PAST_SLA;
        const h = c === 0 ? 0 : Math.max(2, (c / max) * CHART_H);
        const x = i * (BAR_W + GAP);
        return (
          <g key={i} data-testid={`bucket-${i}`} data-count={c} data-past-sla={past ? "true" : undefined} aria-hidden>
            {past && <rect x={x - 2} y={0} width={BAR_W + 4} height={CHART_H + 28} fill="#fff1f0" stroke="#cf1322" strokeDasharray="3 2" />}
            <rect x={x} y={10 + CHART_H - h} width={BAR_W} height={h} fill={past ? "#cf1322" : "#007a7a"} />
            <text x={x + BAR_W / 2} y={8 + CHART_H - h} fontSize={10} textAnchor="middle" fill={past ? "#a8071a" : "#262626"}>
              {num(c)}
            </text>
            <text x={x + BAR_W / 2} y={CHART_H + 20} fontSize={10} textAnchor="middle" fill={past ? "#a8071a" : "#595959"} fontWeight={past ? 600 : 400}>
              {t(`kpi.bucketShort.${i}` as MessageKey)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
