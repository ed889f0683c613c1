import { useQuery } from "@tanstack/react-query";
import { Alert, Card, Progress, Skeleton, Table, Tag } from "antd";
import type { Indicators } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { ResponseDistribution } from "./ResponseDistribution";

/** A rate as a bar with the target marked; green at or above target (R-KPI-1). */
function RateBar({ rate, target, label }: { rate: number | null; target: number; label: string }) {
  const { t, num } = useI18n();
  if (rate === null) return <span>{t("kpi.na")}</span>;
  const pct = Math.round(rate * 1000) / 10;
  return (
    <div style={{ position: "relative" }}>
      <Progress
        aria-label={`${label}: ${num(rate, { style: "percent", maximumFractionDigits: 1 })}`}
        percent={pct}
        size="small"
        status={rate >= target ? "success" : "exception"}
        format={() => num(rate, { style: "percent", maximumFractionDigits: 1 })}
      />
      <span
        aria-hidden
        style={{ position: "absolute", top: 0, bottom: 0, left: `calc(${target * 100}% * 0.82)`, borderLeft: "2px dashed #555" }}
      />
    </div>
  );
}

/** Completion vs 85 %, compliance vs 98 %, response times and their distribution, satisfaction (R-KPI-1…3). */
export function KpiScreen() {
  const { t, num } = useI18n();
  const backend = useBackend();
  const report = useQuery({ queryKey: ["kpi_report"], queryFn: () => backend.call("kpi_report", { months: 12 }) });
  if (report.isPending) return <Skeleton active />;
  if (report.isError) return <Alert type="error" showIcon role="alert" title={errorText(t, report.error)} />;
  const r = report.data;
  const pct = (v: number) => num(v, { style: "percent" });
  const maxRoute = Math.max(1, ...r.complaints_by_route.map((c) => c.complaints));
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 18 }}>{t("kpi.heading")}</h2>} data-testid="kpi-screen">
      <Table<Indicators>
        rowKey={(i) => `${i.physician}-${i.month}`}
        size="small"
        pagination={false}
        dataSource={r.indicators}
        locale={{ emptyText: t("kpi.empty") }}
        scroll={{ x: 1170 }}
        columns={[
          { title: t("kpi.physician"), dataIndex: "physician", width: 100 },
          { title: t("kpi.month"), dataIndex: "month", width: 90 },
          { title: t("kpi.consultations"), dataIndex: "consultations", width: 80 },
          {
            title: t("kpi.completion", { target: pct(r.completion_target) }),
            key: "c",
            width: 160,
            render: (_, i) => <RateBar rate={i.completion_rate} target={r.completion_target} label={t("kpi.completion", { target: pct(r.completion_target) })} />,
          },
          {
            title: t("kpi.compliance", { target: pct(r.compliance_target) }),
            key: "p",
            width: 160,
            render: (_, i) => <RateBar rate={i.compliance_rate} target={r.compliance_target} label={t("kpi.compliance", { target: pct(r.compliance_target) })} />,
          },
          { title: t("kpi.sla"), key: "s", width: 100, render: (_, i) => (i.within_sla_rate === null ? t("kpi.na") : pct(i.within_sla_rate)) },
          {
            title: t("kpi.median"),
            key: "m",
            width: 100,
            render: (_, i) => (i.median_response_seconds === null ? t("kpi.na") : t("kpi.minutes", { n: num(i.median_response_seconds / 60, { maximumFractionDigits: 1 }) })),
          },
          {
            title: (
              <span>
                {t("kpi.distribution")}{" "}
                <Tag color="red" style={{ marginInlineEnd: 0 }}>
                  {t("kpi.bucketShort.4")} {t("kpi.pastSla")}
                </Tag>
              </span>
            ),
            key: "dist",
            width: 180,
            render: (_, i) => <ResponseDistribution counts={i.response_distribution} physician={i.physician} month={i.month} />,
          },
          {
            title: t("kpi.satisfaction"),
            key: "sat",
            width: 130,
            render: (_, i) =>
              [i.satisfaction_speed, i.satisfaction_professionalism, i.satisfaction_attitude]
                .map((x) => (x === null ? t("kpi.na") : num(x, { maximumFractionDigits: 1 })))
                .join(" / "),
          },
          { title: t("kpi.complaints"), dataIndex: "complaints", width: 70 },
        ]}
      />
      <h3 style={{ fontSize: 15, marginTop: 16 }}>{t("kpi.byRoute")}</h3>
      <svg width="100%" height={Math.max(24, r.complaints_by_route.length * 24)} role="img" aria-label={t("kpi.byRoute")}>
        {r.complaints_by_route.map((c, i) => (
          <g key={c.route} transform={`translate(0, ${i * 24})`}>
            <text x={0} y={16} fontSize={12}>
              {c.route}
            </text>
            <rect x={160} y={4} height={16} width={`${(c.complaints / maxRoute) * 50}%`} fill="#007a7a" />
            <text x={150} y={16} fontSize={12} textAnchor="end">
              {c.complaints}
            </text>
          </g>
        ))}
      </svg>
    </Card>
  );
}
