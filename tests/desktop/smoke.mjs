// The real-window smoke test: the built MedDesk app under Xvfb, driven through
// tauri-driver + WebKitWebDriver. Signs in with the demo physician, checks the intake queue
// from the Rust core over IPC, takes the demo patient who reports a penicillin allergy,
// records it, prescribes amoxicillin and waits for the checker's block finding (issue 7).
// Saves docs/screenshots/desktop-home.png (the README shows it) and desktop-prescribing.png.
// Asks the core for a 处方笺 over IPC: the command is registered and the window may call it.
// Then the pharmacist reviews a signed prescription: the clinical picture, the confirmation.
//
// Usage (from the repo root, inside xvfb-run): node tests/desktop/smoke.mjs <app-binary>
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Session, startDriver } from "./webdriver.mjs";

const app = path.resolve(process.argv[2] ?? "target/debug/meddesk-desktop");
const assets = path.resolve("assets");
const dataDir = mkdtempSync(path.join(tmpdir(), "meddesk-smoke-"));
const shots = path.resolve("docs/screenshots");
mkdirSync(shots, { recursive: true });
const ENTER = "\uE007";

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ✓ ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  ✗ ${name}: ${e.message}`);
  }
}

async function type(session, css, text) {
  const el = await session.waitFor(css, 10_000);
  await session.cmd("POST", `/element/${el}/value`, { text });
}

async function script(session, body, ...args) {
  return session.cmd("POST", "/execute/sync", { script: body, args });
}

async function savePng(session, name) {
  const png = await session.screenshot();
  assert.ok(png.length > 10_000, "a real screenshot, not an empty frame");
  assert.equal(png.subarray(1, 4).toString(), "PNG");
  writeFileSync(path.join(shots, name), png);
}

const driver = await startDriver();
let session;
try {
  session = await Session.create(driver.url, app, ["--demo", "--data-dir", dataDir, "--assets", assets]);

  await check("window shows the sign-in screen with the demo accounts", async () => {
    const signIn = await session.waitFor('[data-testid="sign-in-screen"]', 60_000);
    assert.equal(await session.title(), "MedDesk");
    assert.match(await session.text(signIn), /登\s*录/);
    const badge = await session.waitFor('[data-testid="demo-badge"]', 5_000);
    assert.equal(await session.text(badge), "演示数据");
    await session.waitFor('[data-testid="demo-accounts"]', 10_000);
  });

  await check("the demo physician signs in and sees the queue from the Rust core, most urgent first", async () => {
    await session.clickWhenReady('[data-testid="fill-dr.demo"]', 5_000);
    await session.clickWhenReady('[data-testid="sign-in-screen"] button[type="submit"]', 5_000);
    await session.waitFor('[data-testid="queue-screen"] .queue-row', 20_000);
    const rows = await session.findAll('[data-testid="queue-screen"] .queue-row');
    assert.ok(rows.length >= 5, `expected the demo queue, got ${rows.length} rows`);
    assert.match(await session.text(rows[0]), /急诊/);
    await savePng(session, "desktop-home.png");
  });

  await check("take the patient who reports a penicillin allergy and record it", async () => {
    const clicked = await script(
      session,
      `const row = [...document.querySelectorAll('[data-testid="queue-screen"] .queue-row')]
         .find((r) => r.textContent.includes("青霉素过敏"));
       const button = row && row.querySelector("button");
       if (button) button.click();
       return Boolean(button);`,
    );
    assert.ok(clicked, "the demo patient with a penicillin allergy is in the queue");
    await session.waitFor('[data-testid="consultation-screen"]', 10_000);
    await type(session, "#allergies", `青霉素${ENTER}`);
    await session.clickWhenReady('[data-testid="record-save"]', 5_000);
    await session.waitFor('[data-testid="record-saved"]', 10_000);
  });

  await check("a line with amoxicillin gets the checker's block finding, and signing is disabled", async () => {
    await type(session, '[data-testid="rx-line-0"] input[role="combobox"]', "amxl");
    await session.clickWhenReady('[data-testid="drug-option-amoxicillin"]', 10_000);
    await type(session, '[data-testid="dose-0"]', "500");
    const finding = await session.waitFor('[data-testid="findings"] [data-testid="finding-block"][data-code="allergy"]', 10_000);
    assert.match(await session.text(finding), /青霉素/);
    const disabled = await script(session, `return document.querySelector('[data-testid="rx-sign"]').disabled;`);
    assert.equal(disabled, true, "sign is disabled while a block finding stands");
    await savePng(session, "desktop-prescribing.png");
  });

  await check("a drug typed and not picked is no drug: the unknown_drug block, and signing stays disabled", async () => {
    await session.clickWhenReady('[data-testid="add-line"]', 5_000);
    await type(session, '[data-testid="rx-line-1"] input[role="combobox"]', "blf");
    const finding = await session.waitFor(
      '[data-testid="findings"] [data-testid="finding-block"][data-code="unknown_drug"]',
      10_000,
    );
    assert.match(await session.text(finding), /不可忽略/);
    await session.waitFor('[data-testid="pick-hint-1"]', 5_000);
    const disabled = await script(session, `return document.querySelector('[data-testid="rx-sign"]').disabled;`);
    assert.equal(disabled, true, "sign is disabled while the typed drug is not picked");
  });

  await check("the 处方笺 command answers through the window's IPC (registered and permitted)", async () => {
    const answer = await session.cmd("POST", "/execute/async", {
      script: `const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__
          .invoke("rx_slip", { request: { prescription_id: "00000000-0000-7000-8000-000000000000" } })
          .then(() => done({ ok: true }), (e) => done({ ok: false, error: JSON.stringify(e) }));`,
      args: [],
    });
    // A prescription that does not exist: the core's own answer, not "command not allowed".
    assert.equal(answer.ok, false);
    assert.match(answer.error, /not_found/);
  });

  await check("the pharmacist sees the clinical picture and confirms an approval in the real window", async () => {
    // The physician's prescription for the patient on screen, made through the core's IPC
    // (the same commands the editor calls): a diagnosis, a complete loratadine line, signed
    // with every warning's reason.
    const made = await session.cmd("POST", "/execute/async", {
      script: `const done = arguments[arguments.length - 1];
        const call = (c, request) => window.__TAURI_INTERNALS__.invoke(c, { request });
        (async () => {
          const mine = await call("consultation_list_mine", {});
          const c = mine.consultations.find((x) => x.status === "claimed");
          await call("record_save", { consultation_id: c.id, record: {
            chief_complaint: "", history: "", medication_history: "", advice: "",
            allergies: [{ substance: "青霉素" }], diagnoses: ["J30.4"],
            clinical: { weight_kg: 60, egfr: 95, current_medications: [] } } });
          const line = { drug: "loratadine", strength: "10 mg", dose: { value: 10, unit: "mg" },
            route: "oral", frequency: "QD", days: 5, quantity: 5 };
          const rx = await call("rx_save", { consultation_id: c.id, draft: { items: [line] } });
          const overrides = rx.check.findings.filter((f) => f.severity === "warn")
            .map((f) => ({ code: f.code, items: f.items, reason: "桌面冒烟测试" }));
          const signed = await call("rx_sign", { prescription_id: rx.id, overrides });
          return signed.status;
        })().then((status) => done({ ok: true, status }), (e) => done({ ok: false, error: JSON.stringify(e) }));`,
      args: [],
    });
    assert.equal(made.ok, true, made.error);
    assert.equal(made.status, "signed");
    await session.clickWhenReady('[data-testid="sign-out-button"]', 5_000);
    await session.clickWhenReady('[data-testid="fill-ph.demo"]', 10_000);
    await session.clickWhenReady('[data-testid="sign-in-screen"] button[type="submit"]', 5_000);
    const context = await session.waitFor('[data-testid="review-item"] [data-testid="review-context"]', 20_000);
    assert.match(await session.text(context), /J30\.4/);
    assert.match(await session.text(context), /青霉素/);
    await session.clickWhenReady('[data-testid="review-item"] [data-testid="approve"]', 5_000);
    // The dialog zooms in: its text reads as rendered once it is visible.
    const dialog = await session.waitFor('[data-testid="approve-dialog"]', 10_000);
    let shown = "";
    for (let t0 = Date.now(); Date.now() - t0 < 10_000 && !/通过后处方立即生效/.test(shown); ) {
      shown = await session.text(dialog);
      if (!/通过后处方立即生效/.test(shown)) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(shown, /通过后处方立即生效/);
    await session.clickWhenReady('[data-testid="confirm-approve"]', 5_000);
    await session.waitFor('[data-testid="review-screen"] .ant-empty', 20_000);
  });
} catch (e) {
  results.push({ name: "session", ok: false });
  console.log(`  ✗ session: ${e.message}`);
} finally {
  await session?.delete();
  await driver.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`desktop: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
