import type { DoseUnit, Frequency } from "../../backend";

/** Administrations per day; `null` where a course has no fixed count (PRN). */
const PER_DAY: Record<Frequency, number | null> = {
  QD: 1,
  BID: 2,
  TID: 3,
  QID: 4,
  Q4H: 6,
  Q6H: 4,
  Q8H: 3,
  Q12H: 2,
  QN: 1,
  QW: 1 / 7,
  PRN: null,
  ONCE: null,
};

/** Units a pharmacy hands out by count, so dose × frequency × days is the quantity. */
export const DISPENSING_UNITS: ReadonlySet<DoseUnit> = new Set<DoseUnit>(["tablet", "capsule", "sachet"]);

/**
 * The quantity to dispense (R-RX-2), or `null` when it cannot be computed: the unit is an
 * amount (mg, mL …) rather than a count, the frequency has no daily count, or a field is empty.
 */
export function computeQuantity(
  dose: number | null | undefined,
  unit: DoseUnit | null | undefined,
  frequency: Frequency | null | undefined,
  days: number | null | undefined,
): number | null {
  if (!dose || !unit || !frequency || !DISPENSING_UNITS.has(unit)) return null;
  if (frequency === "ONCE") return Math.ceil(dose);
  const perDay = PER_DAY[frequency];
  if (perDay === null || !days) return null;
  // Round away float noise before ceiling (0.5 × 3 × 7 must be 11, not 11.000000001 → 12).
  return Math.ceil(Math.round(dose * perDay * days * 1e6) / 1e6);
}
