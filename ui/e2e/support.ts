import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import path from "node:path";

export const shots = path.resolve(import.meta.dirname, "../../docs/screenshots");

export function serverUrl(): string {
  const url = process.env.MEDDESK_URL;
  if (!url) throw new Error("MEDDESK_URL is not set: global setup did not start meddesk serve");
  return url;
}

/** Call a workstation command over the HTTP front, as the UI does, with the run's token. */
export function apiOf(request: APIRequestContext, url = serverUrl()) {
  const base = new URL(url);
  const token = /token=([0-9a-f]+)/.exec(base.hash)?.[1] ?? "";
  return async <T = unknown>(command: string, body: unknown): Promise<T> => {
    const res = await request.post(`${base.origin}/api/${command}`, { data: body, headers: { authorization: `Bearer ${token}` } });
    const json = (await res.json()) as T;
    if (!res.ok()) throw new Error(`${command}: HTTP ${res.status()} ${JSON.stringify(json)}`);
    return json;
  };
}

/** Sign in with a demo account through the sign-in screen's one-click fill. */
export async function signIn(page: Page, userId: "dr.demo" | "ph.demo" | "admin.demo", url = serverUrl()) {
  await page.goto(url);
  // The core holds one session for the workstation: leave whatever state a previous test left.
  const signOut = page.getByTestId("sign-out-button");
  const lock = page.getByTestId("lock-screen");
  const signInScreen = page.getByTestId("sign-in-screen");
  await expect(signOut.or(lock).or(signInScreen)).toBeVisible();
  if (await signOut.isVisible()) await signOut.click();
  if (await lock.isVisible()) await lock.getByRole("button", { name: /切换用户|Switch user/ }).click();
  await expect(signInScreen).toBeVisible();
  await page.getByTestId(`fill-${userId}`).click();
  await signInScreen.getByRole("button", { name: /^登\s*录$|^Sign in$/ }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();
}

/** Zero serious or critical axe-core violations on the current screen (issue 7). */
export async function expectAccessible(page: Page) {
  // Close any open drop-down first: we check the screen, not antd's transient popup list.
  await page.mouse.click(2, 2);
  await expect(page.locator(".ant-select-dropdown:visible")).toHaveCount(0);
  await expectAccessibleAsIs(page);
}

/** The same, with the screen as it is (e.g. a dialog open, which a click outside would close). */
export async function expectAccessibleAsIs(page: Page) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`)).toEqual([]);
}

/**
 * The open dialog has finished appearing: it is there, fully opaque, and nothing in it or
 * around it is still animating. (Its motion starts a frame after it mounts, so "no animation
 * yet" is not "done"; axe reads colours mid-fade otherwise.)
 */
export async function dialogSettled(page: Page) {
  await expect
    .poll(
      () =>
        page.evaluate(() => {
          const modal = document.querySelector(".ant-modal");
          if (!modal) return false;
          const moving = document.getAnimations().filter((a) => {
            const target = (a.effect as KeyframeEffect | null)?.target;
            return a.playState === "running" && target instanceof Element && target.closest(".ant-modal-root, .ant-modal-wrap") !== null;
          });
          let opaque = true;
          for (let el: Element | null = modal; el; el = el.parentElement) if (getComputedStyle(el).opacity !== "1") opaque = false;
          return moving.length === 0 && opaque;
        }),
      { timeout: 10_000 },
    )
    .toBe(true);
}

/** No dialog is open any more (its closing motion is over). */
export async function dialogGone(page: Page) {
  await expect(page.locator(".ant-modal-wrap:visible")).toHaveCount(0);
}
