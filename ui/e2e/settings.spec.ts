import { expect, test } from "@playwright/test";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { expectAccessible, shots, signIn } from "./support";

// One workstation, one session: the roles take turns.
test.describe.configure({ mode: "serial" });
mkdirSync(shots, { recursive: true });

test("physician: the profile's settings as text, nothing to change or back up", async ({ page }) => {
  await signIn(page, "dr.demo");
  await page.getByTestId("nav-settings").click();
  const settings = page.getByTestId("settings-screen");
  await expect(settings.getByTestId("settings-readonly")).toBeVisible();
  await expect(settings.getByTestId("lock-timeout")).toHaveText(/^\d+ 分钟$/);
  await expect(settings).toContainText("修改后从下次登录或解锁起生效。");
  await expect(settings.getByTestId("retention")).toHaveText(/年（[\d,]+ 天）/);
  await expect(settings.getByRole("spinbutton")).toHaveCount(0);
  await expect(settings.getByTestId("backup-now")).toHaveCount(0);
  await expectAccessible(page);
});

test("administrator: a refused folder is shown on its field; the timeout saves; back up now", async ({ page }) => {
  test.setTimeout(60_000);
  await signIn(page, "admin.demo");
  await page.getByTestId("nav-settings").click();
  const settings = page.getByTestId("settings-screen");
  const minutes = settings.getByRole("spinbutton", { name: "空闲自动锁定（分钟）" });
  const folder = settings.getByRole("textbox", { name: "备份文件夹" });
  await expect(minutes).toBeVisible();
  const before = { minutes: await minutes.inputValue(), folder: await folder.inputValue() };
  expect(path.isAbsolute(before.folder)).toBe(true);

  // The core refuses a relative folder (invalid_value): the message sits on that field.
  await folder.fill("backups/relative");
  await folder.press("Enter");
  await expect(settings.getByText(/备份文件夹须为绝对路径/)).toBeVisible();
  await expect(folder).toHaveAttribute("aria-invalid", "true");

  // Keyboard only: back to the real folder, a new timeout, Enter saves.
  await folder.fill(before.folder);
  await minutes.fill("15");
  await minutes.press("Enter");
  await expect(settings.getByTestId("settings-saved")).toHaveText("设置已保存");
  await expect(folder).not.toHaveAttribute("aria-invalid", "true");

  await settings.getByTestId("backup-now").click();
  const result = settings.getByTestId("backup-result");
  await expect(result).toContainText(/备份完成：(完整|增量)备份，[\d.]+/);
  await expect(result).toContainText(".mdbk");
  await expect(settings.getByTestId("last-backup")).toContainText(".mdbk");
  await expectAccessible(page);
  await page.screenshot({ path: path.join(shots, "settings.png"), fullPage: true });

  // The new timeout is what the core now holds; put the shared profile back as it was.
  await page.reload();
  await page.getByTestId("nav-settings").click();
  await expect(minutes).toHaveValue("15");
  await minutes.fill(before.minutes);
  await minutes.press("Enter");
  await expect(settings.getByTestId("settings-saved")).toBeVisible();
});
