import { expect, test } from "@playwright/test";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { expectAccessible, shots, signIn } from "./support";

mkdirSync(shots, { recursive: true });

test("sync status: the demo's embedded platform brings the physician up to date; the screen is accessible", async ({ page }) => {
  await signIn(page, "dr.demo");
  const indicator = page.getByTestId("sync-indicator");
  await expect(indicator).toBeVisible();
  await page.getByTestId("nav-sync").click();
  const screen = page.getByTestId("sync-screen");
  await expect(screen).toBeVisible();
  // The demo starts a platform on loopback: online and up to date within seconds (issue 7).
  await expect(screen.getByTestId("sync-connection")).toHaveText("在线", { timeout: 10_000 });
  await expect(screen.getByTestId("sync-state")).toHaveText("已是最新", { timeout: 10_000 });
  await expect(screen.getByTestId("sync-pending-count")).toHaveText("0");
  await expect(screen.getByTestId("last-sync")).toBeVisible();
  await expect(indicator).toHaveAttribute("data-connection", "online");
  await expect(page.getByTestId("offline-banner")).toHaveCount(0);
  // "Sync now" asks the core and the screen stays up to date.
  await screen.getByTestId("sync-now").click();
  await expect(screen.getByTestId("sync-state")).toHaveText("已是最新", { timeout: 10_000 });
  await expectAccessible(page);
  await page.screenshot({ path: path.join(shots, "sync-status.png"), fullPage: true });
});
