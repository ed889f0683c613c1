import { Space, Tag, Typography } from "antd";
import type { Finding, Severity } from "../../backend";
import { useI18n } from "../../i18n";

export const SEVERITY_COLOR: Record<Severity, string> = { block: "red", warn: "orange", info: "blue" };

/** Checker findings in the user's language, each with its source (R-RX-3). */
export function FindingList({ findings }: { findings: Finding[] }) {
  const { t, msg } = useI18n();
  return (
    <Space orientation="vertical" size={4} style={{ width: "100%" }}>
      {findings.map((f, i) => (
        <div
          key={`${f.rule}-${f.items.join(",")}-${i}`}
          data-testid={`finding-${f.severity}`}
          data-code={f.code}
          className="wrap-anywhere"
          style={{ borderLeft: `3px solid ${f.severity === "block" ? "#cf1322" : f.severity === "warn" ? "#d46b08" : "#1677ff"}`, paddingLeft: 6 }}
        >
          <Tag color={SEVERITY_COLOR[f.severity]}>{t(`severity.${f.severity}`)}</Tag>
          <span>{msg(f.message)}</span>
          <br />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t("rx.source", { source: f.source })}
          </Typography.Text>
        </div>
      ))}
    </Space>
  );
}
