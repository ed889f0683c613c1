// Cold start to an interactive screen and idle memory of MedDesk, against a hello-world
// Tauri window measured the same way in the same run (issue 2, issue 7).
//
// Each round launches the app through tauri-driver (the same driver overhead for both),
// times from the new-session request until the app's ready element exists, waits for the
// app to idle, then sums RSS and PSS over the app process and its WebKit children.
//
// Usage (inside xvfb-run): node tests/desktop/measure.mjs <meddesk-binary> <hello-binary> [rounds]
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Session, startDriver } from "./webdriver.mjs";

const meddesk = path.resolve(process.argv[2] ?? "target/debug/meddesk-desktop");
const hello = path.resolve(process.argv[3] ?? "target/debug/hello-tauri");
const rounds = Number(process.argv[4] ?? 5);
const IDLE_MS = 5_000;

function procs() {
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      let exe = "";
      try {
        exe = readlinkSync(`/proc/${name}/exe`);
      } catch {
        /* kernel thread or gone */
      }
      out.push({ pid: Number(name), ppid, exe });
    } catch {
      /* process ended while listing */
    }
  }
  return out;
}

function kb(file, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(file, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS and PSS (MiB) of the app process and all its descendants (WebKit web/network processes). */
function treeMemory(binary) {
  const all = procs();
  const roots = all.filter((p) => p.exe === binary).map((p) => p.pid);
  const tree = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  let rss = 0;
  let pss = 0;
  for (const pid of tree) {
    rss += kb(`/proc/${pid}/status`, "VmRSS");
    pss += kb(`/proc/${pid}/smaps_rollup`, "Pss");
  }
  return { processes: tree.size, rss_mib: rss / 1024, pss_mib: pss / 1024 };
}

async function once(driverUrl, binary, args, readyCss) {
  const t0 = performance.now();
  const session = await Session.create(driverUrl, binary, args);
  try {
    await session.waitFor(readyCss, 60_000);
    const startMs = performance.now() - t0;
    await sleep(IDLE_MS);
    return { start_ms: startMs, ...treeMemory(binary) };
  } finally {
    await session.delete();
    await sleep(500);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const dataDir = mkdtempSync(path.join(tmpdir(), "meddesk-measure-"));
const driver = await startDriver();
const samples = { hello: [], meddesk: [] };
try {
  for (let i = 0; i < rounds; i++) {
    samples.hello.push(await once(driver.url, hello, [], "#hello"));
    samples.meddesk.push(
      await once(
        driver.url,
        meddesk,
        ["--demo", "--data-dir", dataDir, "--assets", path.resolve("assets")],
        // The first interactive screen is sign-in; its demo accounts come from the core over IPC.
        '[data-testid="demo-accounts"] button',
      ),
    );
  }
} finally {
  await driver.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const summary = {};
for (const [name, xs] of Object.entries(samples)) {
  summary[name] = {
    start_ms: median(xs.map((x) => x.start_ms)),
    rss_mib: median(xs.map((x) => x.rss_mib)),
    pss_mib: median(xs.map((x) => x.pss_mib)),
    processes: median(xs.map((x) => x.processes)),
  };
}
const ratio = {
  start: summary.meddesk.start_ms / summary.hello.start_ms,
  rss: summary.meddesk.rss_mib / summary.hello.rss_mib,
  pss: summary.meddesk.pss_mib / summary.hello.pss_mib,
};
console.log(`rounds: ${rounds} (medians), idle wait ${IDLE_MS} ms`);
console.log("app        start-to-ready   RSS (MiB)   PSS (MiB)   processes");
for (const [name, s] of Object.entries(summary)) {
  console.log(
    `${name.padEnd(10)} ${s.start_ms.toFixed(0).padStart(10)} ms ${s.rss_mib.toFixed(1).padStart(11)} ${s.pss_mib
      .toFixed(1)
      .padStart(11)} ${String(s.processes).padStart(11)}`,
  );
}
console.log(`ratio meddesk/hello: start ${ratio.start.toFixed(2)}×, RSS ${ratio.rss.toFixed(2)}×, PSS ${ratio.pss.toFixed(2)}×`);
mkdirSync("target/measure", { recursive: true });
writeFileSync("target/measure/desktop.json", JSON.stringify({ rounds, summary, ratio, samples }, null, 2));
