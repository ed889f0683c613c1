import { Tag } from "antd";
import type { SignatureCheck, SignatureStatus } from "../backend";
import { useI18n } from "../i18n";

const COLOR: Record<SignatureStatus, string> = { verified: "green", pending_certificate: "blue", not_checked: "default", invalid: "red" };

/** An electronic signature as this workstation verified it (R-RX-10): status, the verifier's code, the platform's time. */
export function SignatureTag({ check }: { check: SignatureCheck }) {
  const { t, dateTime } = useI18n();
  return (
    <Tag color={COLOR[check.status]} data-testid="signature-status" data-status={check.status}>
      {t(`signature.${check.status}`)}
      {check.status === "invalid" && check.code && t("app.paren", { text: check.code })}
      {check.timestamp_ms !== null && t("app.paren", { text: t("signature.timestamp", { time: dateTime(new Date(check.timestamp_ms).toISOString()) }) })}
    </Tag>
  );
}
