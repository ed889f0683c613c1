import { BackendError } from "../backend";
import type { MessageKey } from "../i18n";

type T = (key: MessageKey, params?: Record<string, string | number>) => string;

/** What a backend error means to the user, in their language; branch on the stable code. */
export function errorText(t: T, error: unknown): string {
  const e = BackendError.from(error);
  switch (e.code) {
    case "wrong_credentials":
    case "totp_required":
    case "totp_invalid":
    case "forbidden":
      return t(`error.${e.code}`);
    case "conflict":
    case "rule_violation":
      return t(`error.${e.code}`, { message: e.message });
    default:
      return t("error.other", { message: e.message });
  }
}
