import { expect, test } from "@playwright/test";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { apiSignIn, fileRequests, nextTotp } from "./demo";
import { startServer, type Served } from "./server";
import { apiOf, expectAccessible, shots, signIn } from "./support";

mkdirSync(shots, { recursive: true });

// Answered consultations change the KPIs other tests see: this file has its own core.
let served: Served;
test.beforeAll(async () => {
  served = await startServer();
});
test.afterAll(async () => {
  await served.stop();
});

test("KPIs: the core's response-time buckets per physician and month, past-SLA marked; accessible", async ({ page, request }) => {
  test.setTimeout(90_000);
  const api = apiOf(request, served.url);
  // Two requests answered in each bucket: ≤5, ≤10, ≤20, ≤30 minutes and past the SLA.
  const waited = [2, 4, 7, 9, 14, 18, 24, 28, 40, 55];
  const used = await apiSignIn(api, "admin.demo");
  const ids = await fileRequests(request, served.url, waited.length, 10, (n) => new Date(Date.now() - waited[n]! * 60_000).toISOString());
  await apiSignIn(api, "dr.demo");
  for (const id of ids) await api("consultation_claim", { consultation_id: id });
  await api("sign_out", {});
  await nextTotp(api, used);

  await signIn(page, "admin.demo", served.url);
  await page.getByTestId("nav-kpi").click();
  const kpi = page.getByTestId("kpi-screen");
  const chart = kpi.getByRole("img", { name: /^dr\.demo \d{4}-\d{2} 响应时间分布：/ });
  await expect(chart).toBeVisible();
  for (let i = 0; i < 5; i++) await expect(chart.getByTestId(`bucket-${i}`)).toHaveAttribute("data-count", "2");
  await expect(chart).toHaveAccessibleName(/≤5 分钟 2, ≤10 分钟 2, ≤20 分钟 2, ≤30 分钟 2, >30 分钟（超时） 2$/);
  await expect(chart.locator("[data-past-sla]")).toHaveCount(1);
  await expect(chart.getByTestId("bucket-4")).toHaveAttribute("data-past-sla", "true");
  await expectAccessible(page);
  await page.screenshot({ path: path.join(shots, "kpi.png"), fullPage: true });
});
