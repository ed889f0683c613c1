import type { TriageRoute } from "../../backend";
import { isMessageKey, type MessageKey } from "../../i18n";

type T = (key: MessageKey, params?: Record<string, string | number>) => string;

export function specialtyLabel(t: T, specialty: string): string {
  const key = `specialty.${specialty}`;
  return isMessageKey(key) ? t(key) : specialty;
}

export function routeLabel(t: T, route: TriageRoute): string {
  if (route.kind !== "specialist") return t(`route.${route.kind}`);
  return t("route.specialist", { specialty: specialtyLabel(t, route.specialty) });
}

/** The wire form `queue_list` filters by. */
export function routeParam(route: TriageRoute): string {
  return route.kind === "specialist" ? `specialist:${route.specialty}` : route.kind;
}
