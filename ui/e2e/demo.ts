import type { APIRequestContext } from "@playwright/test";
import { apiOf } from "./support";

type Api = ReturnType<typeof apiOf>;
type Status = { state: string; demo_accounts: { user_id: string; password: string; totp: string | null }[] };

/** Sign the workstation in as a demo account over the HTTP front (the TOTP comes from the demo list). */
export async function apiSignIn(api: Api, userId: "dr.demo" | "ph.demo" | "admin.demo") {
  const status = await api<Status>("session_status", {});
  if (status.state !== "signed_out") await api("sign_out", {});
  const account = status.demo_accounts.find((a) => a.user_id === userId);
  if (!account) throw new Error(`no demo account ${userId}`);
  await api("sign_in", { user_id: account.user_id, password: account.password, totp: account.totp });
  return account.totp;
}

/**
 * Wait until the demo administrator's TOTP code is not `used` any more: the core refuses a
 * code a second time (replay), so a sign-in on screen after one over the API needs the next.
 */
export async function nextTotp(api: Api, used: string | null) {
  for (let i = 0; i < 40; i++) {
    const status = await api<Status>("session_status", {});
    const code = status.demo_accounts.find((a) => a.user_id === "admin.demo")?.totp ?? null;
    if (code !== used) return code;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error("the demo TOTP code did not change within 40 s");
}

/** A benign request the triage sends to general practice (so the demo physician may take it). */
export function generalRequest(n: number, arrivedAt: string | null = null) {
  const complaints = ["咽痛两天", "咳嗽三天", "流涕两天", "头痛两天", "腹泻一天"];
  return {
    patient: {
      id: `e2e-patient-${n}`,
      full_name: `测试患者${n}`,
      age_years: 20 + (n % 50),
      sex: n % 2 ? "male" : "female",
      identity_verified: true,
      id_number: null,
      conditions: [],
      demo: true,
    },
    channel: "text",
    complaint: `${complaints[n % complaints.length]}（第 ${n} 位）`,
    vitals: { temperature_c: null, spo2: null, heart_rate: null },
    kind: "ordinary",
    guardian_present: null,
    arrived_at: arrivedAt,
  };
}

/** File `count` requests through `intake_submit` (administrator), `batch` at a time. */
export async function fileRequests(request: APIRequestContext, url: string, count: number, batch = 20, arrivedAt?: (n: number) => string | null) {
  const api = apiOf(request, url);
  const ids: string[] = [];
  for (let start = 0; start < count; start += batch) {
    const done = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, k) =>
        api<{ consultation_id: string }>("intake_submit", generalRequest(start + k, arrivedAt?.(start + k) ?? null)),
      ),
    );
    ids.push(...done.map((d) => d.consultation_id));
  }
  return ids;
}
