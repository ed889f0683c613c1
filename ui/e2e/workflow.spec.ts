import { execFileSync } from "node:child_process";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { dialogGone, dialogSettled, expectAccessible, expectAccessibleAsIs, serverUrl, shots, signIn } from "./support";

// One workstation, one session: the roles take turns in order (R-ROLE-*).
test.describe.configure({ mode: "serial" });
test.setTimeout(90_000);

mkdirSync(shots, { recursive: true });

async function pick(page: Page, combo: Locator, title: string) {
  await combo.click();
  await page.locator(`.ant-select-dropdown:visible .ant-select-item-option[title="${title}"]`).click();
  await expect(page.locator(".ant-select-dropdown:visible")).toHaveCount(0);
}

async function pickDrug(page: Page, line: Locator, query: string, id: string) {
  await line.getByRole("combobox", { name: /药品/ }).fill(query);
  await page.locator(".ant-select-dropdown:visible").getByTestId(`drug-option-${id}`).click();
}

/** Milliseconds from the keystroke to the frame after the findings panel shows `want`. */
async function timeKey(page: Page, key: string, code: string, want: boolean): Promise<number> {
  const done = page.evaluate(
    ([code, want]) =>
      new Promise<number>((resolve, reject) => {
        const w = window as unknown as { __t0: number };
        const panel = document.querySelector('[data-testid="findings"]');
        if (!panel) return reject(new Error("no findings panel"));
        const has = () => panel.querySelector(`[data-code="${code}"]`) !== null;
        const obs = new MutationObserver(() => {
          if (has() === want) {
            obs.disconnect();
            requestAnimationFrame(() => {
              // The last rx_check round trip (HTTP + the core's check), to split UI from core.
              const calls = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).filter((e) =>
                e.name.endsWith("/api/rx_check"),
              );
              const last = calls.at(-1);
              const split = window as unknown as { __rtt: number[]; __pre: number[]; __post: number[] };
              split.__rtt ??= [];
              split.__pre ??= [];
              split.__post ??= [];
              const now = performance.now();
              if (last) {
                split.__rtt.push(last.duration);
                split.__pre.push(last.startTime - w.__t0);
                split.__post.push(now - last.responseEnd);
              }
              resolve(now - w.__t0);
            });
          }
        });
        obs.observe(panel, { childList: true, subtree: true, attributes: true });
        setTimeout(() => reject(new Error(`finding ${code} never became ${want}`)), 5_000);
      }),
    [code, want] as const,
  );
  await page.keyboard.press(key);
  return done;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

test("physician: queue → take → record an allergy → a block finding appears as the drug is picked", async ({ page }) => {
  await signIn(page, "dr.demo");
  const queue = page.getByTestId("queue-screen");
  await expect(queue).toBeVisible();
  const rows = queue.locator(".queue-row");
  await expect(rows.first()).toContainText("急诊");
  expect(await rows.count()).toBeGreaterThanOrEqual(5);
  // De-identified: masked names only (R-REC-2).
  await expect(queue).not.toContainText("演示患者");
  await expect(queue.getByTestId("flag-guardian_required")).toBeVisible();
  await expect(queue.getByText("待审核放行").first()).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: path.join(shots, "queue.png") });

  await rows.filter({ hasText: "青霉素过敏" }).getByRole("button", { name: /接\s*诊/ }).click();
  const consultation = page.getByTestId("consultation-screen");
  await expect(consultation).toBeVisible();
  await expect(page.getByTestId("masked-name")).toHaveText(/^演\*+$/);

  // The message thread (issue 7, R-SVC-1 text): Ctrl+Enter sends through the real core, the
  // box clears, the message joins the log and the log keeps the newest one in view.
  const thread = page.getByRole("log", { name: "与患者的消息记录" });
  await expect(thread).toBeVisible();
  const box = page.getByLabel("回复患者");
  const replies = [
    "您好，我是李医生，已看到您的问诊。",
    "请问现在体温多少？有没有呼吸困难、胸闷或者皮疹？",
    "您提到青霉素过敏，请问以前用青霉素类药物后出现过什么反应，是皮疹、喉头发紧还是其他不适？是在多久以前？",
    "阿莫西林属于青霉素类，我不会给您开这类药物。",
    "请多喝温水，注意休息，如果出现高热不退、呼吸困难，请立即到附近医院急诊就诊。",
    "一会儿我把用药指导发给您，请按时服药。",
  ];
  for (const text of replies) {
    await box.fill(text);
    await box.press("Control+Enter");
    await expect(box).toHaveValue("");
    await expect(thread.getByTestId("thread-message").last()).toContainText(text);
  }
  const sent = thread.getByTestId("thread-message").filter({ hasText: replies[0]! });
  await expect(sent).toHaveAttribute("data-from", "physician");
  await expect(sent).toContainText("医生");
  // More than the log shows at once: the newest is in view, the first scrolled away.
  await expect(thread.getByTestId("thread-message").last()).toBeInViewport();
  await expect(sent).not.toBeInViewport();
  await expectAccessible(page);
  await page.screenshot({ path: path.join(shots, "consultation-thread.png"), fullPage: true });

  await page.getByLabel("过敏史（药物或药物类别）").fill("青霉素");
  await page.getByLabel("过敏史（药物或药物类别）").press("Enter");
  await page.getByTestId("record-save").click();
  await expect(page.getByTestId("record-saved")).toBeVisible();

  // R-RX-8: text typed and not picked from the list is no medicine, and a prescription needs a
  // clinical diagnosis: both are blocks that no reason overrides, and 签名提交 stays disabled.
  const line = page.getByTestId("rx-line-0");
  await line.getByRole("combobox", { name: /药品/ }).fill("blf");
  await page.keyboard.press("Escape");
  await expect(line.getByTestId("line-findings-0").locator('[data-code="unknown_drug"]')).toContainText("药品未从药品列表中选择");
  await expect(line.getByTestId("pick-hint-0")).toContainText("请从下拉列表中选择药品");
  await expect(page.getByTestId("diagnosis-block")).toContainText("缺少临床诊断");
  await expect(page.getByTestId("rx-sign")).toBeDisabled();
  await expect(page.getByTestId("sign-blocked")).toContainText("第 1 行：药品未从药品列表中选择");
  await expect(page.getByTestId("sign-blocked")).toContainText("缺少临床诊断");
  await expect(page.getByTestId("rx-kind")).toContainText("常见病");
  await expect(page.getByTestId("consultation-kind")).toHaveText("常见病");
  await expectAccessible(page);
  await page.screenshot({ path: path.join(shots, "prescribing-unpicked.png"), fullPage: true });

  // The diagnosis, chosen in the record, lifts its block; the drug is then picked from the list.
  const dx = page.getByLabel("诊断（ICD-10）");
  await dx.fill("J02.9");
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option[title^="J02.9 "]').click();
  await page.getByTestId("record-save").click();
  await expect(page.getByTestId("record-saved")).toBeVisible();
  await expect(page.getByTestId("diagnosis-block")).toHaveCount(0);
  await pickDrug(page, line, "amxl", "amoxicillin");
  await expect(line.getByTestId("pick-hint-0")).toHaveCount(0);
  const dose = line.getByTestId("dose-0");
  await dose.fill("500");
  const findings = page.getByTestId("findings");
  await expect(findings.getByTestId("finding-block").filter({ hasText: "青霉素" })).toBeVisible();
  await expect(page.getByTestId("rx-sign")).toBeDisabled();
  await expect(page.getByTestId("sign-blocked")).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: path.join(shots, "prescribing-finding.png"), fullPage: true });

  // Keystroke → finding (issue 7: ≤ 50 ms). 500 → 5000 mg adds a daily-dose block; Backspace removes it.
  await page.evaluate(() => {
    document.addEventListener("keydown", () => ((window as unknown as { __t0: number }).__t0 = performance.now()), true);
  });
  await dose.focus();
  await page.keyboard.press("End");
  await expect(page.getByTestId("findings")).toHaveAttribute("data-checking", "0");
  const appear: number[] = [];
  const disappear: number[] = [];
  for (let i = 0; i < 7; i++) {
    appear.push(await timeKey(page, "0", "daily_dose_high", true));
    disappear.push(await timeKey(page, "Backspace", "daily_dose_high", false));
  }
  const split = await page.evaluate(() => {
    const w = window as unknown as { __rtt?: number[]; __pre?: number[]; __post?: number[] };
    return { rtt: w.__rtt ?? [], pre: w.__pre ?? [], post: w.__post ?? [] };
  });
  const figures = {
    keystroke_to_request_median_ms: Math.round(median(split.pre) * 10) / 10,
    rx_check_round_trip_median_ms: Math.round(median(split.rtt) * 10) / 10,
    response_to_frame_median_ms: Math.round(median(split.post) * 10) / 10,
    appear_ms: appear.map((x) => Math.round(x * 10) / 10),
    disappear_ms: disappear.map((x) => Math.round(x * 10) / 10),
    appear_median_ms: Math.round(median(appear) * 10) / 10,
    disappear_median_ms: Math.round(median(disappear) * 10) / 10,
  };
  console.log(`keystroke → finding (Chromium, meddesk serve, ${process.env.MEDDESK_BIN ?? "target/debug/meddesk"}): ${JSON.stringify(figures)}`);
  if (process.env.MEDDESK_LATENCY_OUT) appendFileSync(process.env.MEDDESK_LATENCY_OUT, JSON.stringify(figures) + "\n");

  // Keyboard: Alt+N adds a line and puts the cursor in its drug search.
  await page.keyboard.press("Alt+n");
  await expect(page.getByTestId("rx-line-1")).toBeVisible();
  // The focus moves in a task after the line renders: wait for it rather than read it once.
  await expect.poll(() => page.evaluate(() => document.activeElement?.id ?? "")).toMatch(/^drug-/);
});

test("physician: a clean prescription is signed for review; lock hides patient data", async ({ page }) => {
  await signIn(page, "dr.demo");
  const queue = page.getByTestId("queue-screen");
  await queue.locator(".queue-row").filter({ hasText: "高血压复诊" }).getByRole("button", { name: /接\s*诊/ }).click();
  await expect(page.getByTestId("consultation-screen")).toBeVisible();
  // A chronic follow-up: 4-week courses are within its limit (R-RX-4).
  await expect(page.getByTestId("consultation-kind")).toHaveText("慢性病");
  await expect(page.getByTestId("consultation-kind-reason")).toHaveText("按预问诊");
  // The type is the physician's call, changed only with a reason (issue 12).
  const changeKind = async (label: string, reason: string) => {
    await page.getByTestId("consultation-kind-change").click();
    const ok = page.getByTestId("consultation-kind-ok");
    await dialogSettled(page);
    await page.getByTestId("consultation-kind-options").locator("label").filter({ hasText: label }).click();
    await expect(page.getByTestId("consultation-kind-options").getByRole("radio", { name: label })).toBeChecked();
    await expect(ok).toBeDisabled();
    await page.getByTestId("consultation-kind-reason-input").fill(reason);
    await ok.click();
    await expect(page.getByTestId("consultation-kind")).toHaveText(label);
    await expect(page.getByTestId("consultation-kind-reason")).toContainText(reason);
    await dialogGone(page);
  };
  await changeKind("急诊", "e2e：胸闷加重，按急诊处理");
  await changeKind("慢性病", "e2e：血压平稳，长期随访");
  const dx = page.getByLabel("诊断（ICD-10）");
  await dx.fill("原发性高血压");
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option[title^="I10 "]').click();
  await page.getByTestId("record-save").click();
  await expect(page.getByTestId("record-saved")).toBeVisible();

  for (const n of [0, 1]) {
    if (n === 1) {
      await page.getByRole("button", { name: /新处方/ }).click();
    }
    const line = page.getByTestId("rx-line-0");
    await pickDrug(page, line, "amlodipine", "amlodipine");
    // 禁忌说明 (R-RX-2) pre-filled from the label's contraindications, editable.
    await expect(line.getByTestId("contra-0")).toHaveValue(/对氨氯地平过敏者禁用/);
    await line.getByRole("combobox", { name: "规格" }).fill("5 mg");
    await line.getByTestId("dose-0").fill("1");
    await pick(page, line.getByRole("combobox", { name: "单位" }), "片");
    await pick(page, line.getByRole("combobox", { name: "频次" }), "QD 每日一次");
    await line.getByRole("spinbutton", { name: "天数" }).fill("30");
    await expect(line.getByTestId("qty-0")).toHaveValue("30");
    const sign = page.getByTestId("rx-sign");
    await expect(sign).toBeEnabled();
    await sign.click();
    const dialog = page.getByTestId("sign-dialog");
    await expect(dialog).toBeVisible();
    for (const box of await dialog.locator('textarea[data-testid^="override-"]').all()) await box.fill("e2e：已与患者确认");
    await page.getByTestId("confirm-sign").click();
    await expect(page.getByTestId("rx-status")).toContainText("待审核");
  }

  // The 处方笺 (R-RX-11) of the signed prescription, from the real core: before approval it
  // is marked 未审核 — 不得调配, and its Chinese text extracts.
  await expect(page.getByTestId("rx-editor")).toContainText("未经药师审核");
  const slipDownload = page.waitForEvent("download");
  await page.getByTestId("rx-slip-pdf").click();
  const slip = await slipDownload;
  expect(slip.suggestedFilename()).toMatch(/^rx-slip-.*\.pdf$/);
  const pdfPath = path.join(test.info().outputDir, "rx-slip.pdf");
  await slip.saveAs(pdfPath);
  const text = execFileSync("pdftotext", [pdfPath, "-"]).toString();
  expect(text).toContain("处方笺");
  expect(text).toContain("未审核");
  expect(text).toContain("氨氯地平");
  expect(text).toContain("对氨氯地平过敏者禁用");
  // The printed page as the README shows it (rendered by poppler, as a printer would get it).
  execFileSync("pdftoppm", ["-png", "-r", "110", "-singlefile", pdfPath, path.join(shots, "rx-slip")]);
  // Printing goes through the webview's print dialog from a frame holding the same PDF.
  await page.getByTestId("rx-slip-print").click();
  await expect(page.locator('iframe[data-testid="rx-slip-print-frame"]')).toHaveCount(1);

  await page.getByTestId("lock-button").click();
  const lock = page.getByTestId("lock-screen");
  await expect(lock).toBeVisible();
  await expect(lock).toContainText("演示医生 李");
  await expect(page.locator("body")).not.toContainText("演**");
  await expect(page.locator("body")).not.toContainText("高血压");
  await expectAccessible(page);
  await lock.getByLabel("密码").fill("demo-physician");
  await lock.getByRole("button", { name: /解\s*锁/ }).click();
  await expect(page.getByTestId("queue-screen")).toBeVisible();
});

test("pharmacist: review queue with findings; approve one, reject one with structured reasons", async ({ page }) => {
  await signIn(page, "ph.demo");
  const review = page.getByTestId("review-screen");
  await expect(review).toBeVisible();
  const items = review.getByTestId("review-item");
  await expect(items).toHaveCount(2);
  // R-RX-9: the clinical picture the prescription was checked against.
  const context = items.first().getByTestId("review-context");
  await expect(context.getByTestId("context-diagnoses")).toContainText("I10");
  await expect(context).toContainText("慢性病");
  await expect(context).toContainText("61岁 · 男");
  await expect(context.getByTestId("context-allergies")).toHaveText("未记录");
  await expect(context.getByTestId("context-weight")).toHaveText("未记录");
  await expect(context.getByTestId("context-identity")).toHaveText("已实名认证");
  // R-RX-10: the physician's signature, checked before the review (verified, or waiting for its certificate).
  await expect(items.first().getByTestId("signature-status")).toBeVisible();
  await expect(items.first().getByTestId("signature-status")).not.toHaveAttribute("data-status", "invalid");
  await expectAccessible(page);
  await page.screenshot({ path: path.join(shots, "review.png"), fullPage: true });
  // Approve asks first, showing what takes effect.
  await items.first().getByTestId("approve").click();
  const approve = page.getByTestId("approve-dialog");
  await expect(approve).toContainText("通过后处方立即生效");
  await expect(approve).toContainText(/amlodipine|氨氯地平/);
  await expect(approve.getByTestId("approve-validity")).toContainText("有效期");
  await expect(items).toHaveCount(2);
  // Checked once the dialog has finished zooming in (axe reads colours mid-animation otherwise).
  await dialogSettled(page);
  await expectAccessibleAsIs(page);
  await page.screenshot({ path: path.join(shots, "review-approve.png") });
  await page.getByTestId("confirm-approve").click();
  await expect(items).toHaveCount(1);
  await items.first().getByTestId("reject").click();
  await page.getByRole("checkbox", { name: "重复用药" }).check();
  await page.getByTestId("reject-note").fill("与上一张处方重复");
  await page.getByTestId("confirm-reject").click();
  await expect(review.getByText("暂无待审核的处方")).toBeVisible();
});

test("physician: guidance sheet of the approved prescription, preview in both languages and PDF export", async ({ page }) => {
  await signIn(page, "dr.demo");
  await page.getByTestId("nav-consultation").click();
  const list = page.getByTestId("consultation-empty");
  await expect(list).toBeVisible();
  const opens = list.getByRole("button", { name: /打\s*开/ });
  await expect(opens.first()).toBeVisible();
  const count = await opens.count();
  let found = false;
  for (let i = 0; i < count && !found; i++) {
    if (i > 0) await page.getByTestId("back-to-list").click();
    await opens.nth(i).click();
    await expect(page.getByTestId("consultation-screen")).toBeVisible();
    const approved = page.getByRole("button", { name: /已通过/ });
    if (await approved.count()) {
      await approved.first().click();
      found = true;
    }
  }
  expect(found).toBe(true);
  const panel = page.getByTestId("guidance-panel");
  await expect(panel.getByTestId("guidance-sheet")).toContainText("氨氯地平");
  await panel.getByText("English", { exact: true }).click();
  await expect(panel.getByTestId("guidance-sheet")).toContainText(/amlodipine/i);
  const download = page.waitForEvent("download");
  await panel.getByTestId("export-pdf").click();
  expect((await download).suggestedFilename()).toMatch(/\.pdf$/);
  await expectAccessible(page);
  await page.getByTestId("nav-followUps").click();
  await expect(page.getByTestId("follow-up-screen")).toBeVisible();
  await expectAccessible(page);
});

test("administrator: held requests, complaints with the 24-hour clock, KPIs", async ({ page, request }) => {
  await signIn(page, "admin.demo");
  await expect(page.getByTestId("complaints-screen")).toBeVisible();
  // A complaint arrives from the platform (no screen files one): file it through the API.
  const url = new URL(serverUrl());
  const token = /token=([0-9a-f]+)/.exec(url.hash)?.[1] ?? "";
  const api = (cmd: string, body: unknown) =>
    request.post(`${url.origin}/api/${cmd}`, { data: body, headers: { authorization: `Bearer ${token}` } });
  const q = await (await api("queue_list", { route: null, all_routes: true })).json();
  const filed = await api("complaint_file", { consultation_id: q.entries[0].id, text: "等待时间过长（演示）", received_at: null });
  expect(filed.status()).toBe(200);
  await page.getByTestId("nav-kpi").click();
  await page.getByTestId("nav-complaints").click();
  const complaints = page.getByTestId("complaints-screen");
  await expect(complaints).toContainText("等待时间过长");
  await expect(complaints).toContainText(/2[34]:\d\d:\d\d/);
  await expectAccessible(page);
  await complaints.getByTestId("resolve").first().click();
  await page.getByLabel("说明").fill("已电话澄清");
  await page.getByRole("button", { name: /^处\s*理$/ }).last().click();
  await expect(complaints).toContainText("与事实不符");

  await page.getByTestId("nav-kpi").click();
  await expect(page.getByTestId("kpi-screen")).toBeVisible();
  await expectAccessible(page);

  await page.getByTestId("nav-held").click();
  const held = page.getByTestId("held-screen");
  await expect(held).toContainText("地西泮");
  await expectAccessible(page);
  await held.getByTestId("release").first().click();
  await expect(held).not.toContainText("地西泮");
});
