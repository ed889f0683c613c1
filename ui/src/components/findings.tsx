import { Space, Tag, Typography } from "antd";
import type { ConsultationKind, Finding, FindingCode, Override, Severity } from "../backend";
import { isMessageKey, useI18n, type MessageKey } from "../i18n";

type T = (key: MessageKey, params?: Record<string, string | number>) => string;

export const SEVERITY_COLOR: Record<Severity, string> = { block: "red", warn: "orange", info: "blue" };

/** The rule id of the course limit set by the consultation type (R-RX-4, R-RX-8). */
const COURSE_REGULATORY_RULE = "course.regulatory_limit";

/**
 * What a finding is about, in the user's words, from its stable code (R-RX-7): the screen
 * never depends on the backend's wording for it; the backend's message is the detail.
 */
export function findingLabel(t: T, f: { code: FindingCode | string; rule?: string; items?: number[] }, kind?: ConsultationKind): string {
  if (f.code === "template_incomplete" && f.items !== undefined && f.items.length === 0) return t("finding.template_empty");
  if (f.code === "course_too_long" && f.rule === COURSE_REGULATORY_RULE && kind) return t("finding.course_regulatory", { kind: t(`kind.${kind}`) });
  const key = `finding.${f.code}`;
  return isMessageKey(key) ? t(key) : t("finding.unknown", { code: f.code });
}

/** "第 1、2 行" / "line 1, 2" for 1-based line numbers. */
export function linesText(t: T, lines: number[], lang: string): string {
  return t("finding.lines", { lines: lines.join(lang === "zh-CN" ? "、" : ", ") });
}

/**
 * A finding as the platform names it in a refusal: `code` or `code@lines` (1-based), e.g.
 * `unknown_drug@1,2` — localised by code, never the platform's text.
 */
export function refusalFindingText(t: T, lang: string, finding: string, kind?: ConsultationKind): string {
  const at = finding.indexOf("@");
  const code = at < 0 ? finding : finding.slice(0, at);
  const lines =
    at < 0
      ? []
      : finding
          .slice(at + 1)
          .split(",")
          .map((n) => Number(n.trim()))
          .filter((n) => Number.isInteger(n) && n > 0);
  // The validity rule's course finding is always the consultation type's limit.
  const label = findingLabel(t, { code, rule: code === "course_too_long" ? COURSE_REGULATORY_RULE : undefined, items: lines.map((n) => n - 1) }, kind);
  return lines.length > 0 ? t("finding.onLines", { lines: linesText(t, lines, lang), label }) : label;
}

/** The physician's override that answers this finding (same code, same lines), if any. */
export function overrideOf(f: Finding, overrides: Override[]): Override | undefined {
  return overrides.find((o) => o.code === f.code && o.items.join() === f.items.join());
}

/**
 * Checker findings in the user's language (R-RX-3, R-RX-7): severity, what it is about (by
 * code), the lines, the checker's detail and its source; a block says it cannot be overridden;
 * with `overrides`, the physician's reason sits next to the finding it overrides (R-RX-9).
 */
export function FindingList({ findings, kind, overrides }: { findings: Finding[]; kind?: ConsultationKind; overrides?: Override[] }) {
  const { t, msg, lang } = useI18n();
  return (
    <Space orientation="vertical" size={4} style={{ width: "100%" }}>
      {findings.map((f, i) => {
        const o = overrides ? overrideOf(f, overrides) : undefined;
        return (
          <div
            key={`${f.rule}-${f.items.join(",")}-${i}`}
            data-testid={`finding-${f.severity}`}
            data-code={f.code}
            className="wrap-anywhere"
            style={{ borderLeft: `3px solid ${f.severity === "block" ? "#cf1322" : f.severity === "warn" ? "#d46b08" : "#1677ff"}`, paddingLeft: 6 }}
          >
            <Tag color={SEVERITY_COLOR[f.severity]}>{t(`severity.${f.severity}`)}</Tag>
            {f.severity === "block" && <Tag color="red">{t("finding.notOverridable")}</Tag>}
            <strong>{findingLabel(t, f, kind)}</strong>
            {f.items.length > 0 && (
              <span>
                {" "}
                · {linesText(t, f.items.map((x) => x + 1), lang)}
              </span>
            )}
            <br />
            <span>{msg(f.message)}</span>
            <br />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t("rx.source", { source: f.source })}
            </Typography.Text>
            {o && (
              <div data-testid="override-reason" style={{ marginTop: 2 }}>
                <em>{t("review.overrideReason", { reason: o.reason })}</em>
              </div>
            )}
          </div>
        );
      })}
    </Space>
  );
}
