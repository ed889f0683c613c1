import type { Language } from "../../i18n";

/** The field an `invalid_value` error names: the core writes "field `name`: why". */
export function fieldOf(message: string): string | null {
  return /field `([^`]+)`/.exec(message)?.[1] ?? null;
}

/** Retention in years as the policy states it (3 years → 1,096 days with a leap day). */
export function retentionYears(days: number): number {
  return Math.round((days / 365.25) * 10) / 10;
}

const UNITS = ["byte", "kilobyte", "megabyte", "gigabyte"] as const;

/** A file size in the user's language, in 1,024 steps (Intl unit formatting, e.g. "272.5 kB"). */
export function bytesText(lang: Language, bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return new Intl.NumberFormat(lang, {
    style: "unit",
    unit: UNITS[unit],
    unitDisplay: "short",
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}
