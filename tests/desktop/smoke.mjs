// The real-window smoke test: the built MedDesk app under Xvfb, driven through
// tauri-driver + WebKitWebDriver. Asserts the window shows the MedDesk home screen with the
// demo queue, then saves a screenshot for the README.
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

const driver = await startDriver();
let session;
try {
  session = await Session.create(driver.url, app, ["--demo", "--data-dir", dataDir, "--assets", assets]);

  await check("window shows the MedDesk home screen", async () => {
    const home = await session.waitFor('[data-testid="home-screen"]', 60_000);
    assert.equal(await session.title(), "MedDesk");
    const text = await session.text(home);
    assert.match(text, /接诊队列/);
  });

  await check("demo queue comes from the Rust core over IPC, most urgent first", async () => {
    const rows = await session.findAll("tr.ant-table-row");
    assert.ok(rows.length >= 5, `expected the demo queue, got ${rows.length} rows`);
    const first = await session.text(rows[0]);
    assert.match(first, /急诊/, `first row is an emergency: ${first}`);
    const badge = await session.waitFor('[data-testid="demo-badge"]', 5_000);
    assert.equal(await session.text(badge), "演示数据");
  });

  await check("screenshot of the real window saved", async () => {
    const png = await session.screenshot();
    assert.ok(png.length > 10_000, "a real screenshot, not an empty frame");
    assert.equal(png.subarray(1, 4).toString(), "PNG");
    writeFileSync(path.join(shots, "desktop-home.png"), png);
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
