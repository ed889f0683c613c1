import { expect, test } from "@playwright/test";
import path from "node:path";

const shots = path.resolve(import.meta.dirname, "../../docs/screenshots");

function serverUrl(): string {
  const url = process.env.MEDDESK_URL;
  if (!url) throw new Error("MEDDESK_URL is not set: global setup did not start meddesk serve");
  return url;
}

test("the home screen shows the demo intake queue from the real core, most urgent first", async ({ page }) => {
  await page.goto(serverUrl());
  const home = page.getByTestId("home-screen");
  await expect(home).toBeVisible();
  await expect(home.getByText("接诊队列")).toBeVisible();
  const rows = home.locator("tr.ant-table-row");
  await expect(rows.first()).toContainText("急诊");
  expect(await rows.count()).toBeGreaterThanOrEqual(5);
  // De-identified: masked names only (R-REC-1).
  await expect(home).not.toContainText("演示患者甲");
  await expect(home).toContainText("演**");
  // The token left the address bar once read.
  expect(page.url()).not.toContain("token=");
  await page.screenshot({ path: path.join(shots, "queue.png") });
});

test("the language switches to English at runtime", async ({ page }) => {
  await page.goto(serverUrl());
  await page.getByText("English", { exact: true }).click();
  await expect(page.getByText("Intake queue")).toBeVisible();
  await expect(page.getByText("Emergency triage").first()).toBeVisible();
});

test("the API refuses a call without the per-run token", async ({ request }) => {
  const base = new URL(serverUrl());
  const res = await request.post(`${base.origin}/api/home_summary`, { data: {} });
  expect(res.status()).toBe(401);
  expect((await res.json()).code).toBe("unauthorized");
});

test("the served page carries a strict Content-Security-Policy", async ({ request }) => {
  const base = new URL(serverUrl());
  const res = await request.get(`${base.origin}/`);
  expect(res.status()).toBe(200);
  const csp = res.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("default-src 'self'");
  expect(csp).not.toContain("unsafe-eval");
});
