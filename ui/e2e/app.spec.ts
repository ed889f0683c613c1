import { expect, test } from "@playwright/test";
import { expectAccessible, serverUrl } from "./support";

test("the sign-in screen lists the demo accounts, marked as such, and is accessible", async ({ page }) => {
  await page.goto(serverUrl());
  const signIn = page.getByTestId("sign-in-screen");
  await expect(signIn.or(page.getByTestId("current-user"))).toBeVisible();
  if (await page.getByTestId("sign-out-button").isVisible()) await page.getByTestId("sign-out-button").click();
  await expect(signIn).toBeVisible();
  const demo = page.getByTestId("demo-accounts");
  await expect(demo).toContainText("演示账号");
  await expect(demo).toContainText("admin.demo");
  await expect(demo).toContainText(/当前验证码 \d{6}/);
  // The token left the address bar once read.
  expect(page.url()).not.toContain("token=");
  await expectAccessible(page);
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto(serverUrl());
  await expect(page.getByTestId("sign-in-screen")).toBeVisible();
  await page.getByLabel("用户名").fill("dr.demo");
  await page.getByLabel("密码").fill("not-the-password");
  await page.getByRole("button", { name: /^登\s*录$/ }).click();
  await expect(page.getByRole("alert")).toContainText("用户名或密码错误");
  await expectAccessible(page);
});

test("an empty field is named on submit, tied to its input, and focused", async ({ page }) => {
  await page.goto(serverUrl());
  await expect(page.getByTestId("sign-in-screen")).toBeVisible();
  await page.getByRole("button", { name: /^登\s*录$/ }).click();
  const user = page.getByLabel("用户名");
  await expect(user).toBeFocused();
  await expect(user).toHaveAttribute("aria-invalid", "true");
  await expect(user).toHaveAccessibleDescription("请填写此项");
  await expectAccessible(page);
});

test("the administrator needs the TOTP code", async ({ page }) => {
  await page.goto(serverUrl());
  await page.getByLabel("用户名").fill("admin.demo");
  await page.getByLabel("密码").fill("demo-administrator");
  await page.getByRole("button", { name: /^登\s*录$/ }).click();
  await expect(page.getByLabel("动态验证码（6 位）")).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("动态验证码");
  await expectAccessible(page);
});

test("the language switches to English at runtime", async ({ page }) => {
  await page.goto(serverUrl());
  await page.getByText("English", { exact: true }).click();
  await expect(page.getByText("Demo accounts (demo data only, not real accounts)")).toBeVisible();
});

test("the API refuses a call without the per-run token", async ({ request }) => {
  const base = new URL(serverUrl());
  const res = await request.post(`${base.origin}/api/session_status`, { data: {} });
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
