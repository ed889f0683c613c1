import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

const repo = path.resolve(import.meta.dirname, "../..");

/** A running `meddesk serve`: its URL (with the per-run token in the fragment) and how to stop it. */
export interface Served {
  url: string;
  stop(): Promise<void>;
}

/**
 * Start the real `meddesk serve` (demo profile, throw-away data dir, port chosen by the OS).
 * The shared one is started by global setup; a test that would change the queue for every
 * other test (e.g. 1,000 extra requests) starts its own.
 */
export async function startServer(): Promise<Served> {
  const bin = process.env.MEDDESK_BIN ?? path.join(repo, "target/debug/meddesk");
  // Another build of the UI (e.g. a copy of the previous one, for an A/B timing in one run).
  const uiDir = process.env.MEDDESK_UI_DIST ?? path.join(repo, "ui/dist");
  const dataDir = mkdtempSync(path.join(tmpdir(), "meddesk-e2e-"));
  const server = spawn(
    bin,
    ["--demo", "--data-dir", dataDir, "--assets", path.join(repo, "assets"), "serve", "--ui", uiDir, "--port", "0"],
    // No synthetic arrivals from the demo's patient simulator: the tests expect a fixed queue.
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, MEDDESK_DEMO_ARRIVALS_PER_MIN: "0" } },
  );
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("meddesk serve did not start within 20 s")), 20_000);
    server.on("error", (e) => reject(new Error(`cannot start ${bin}: ${e.message}`)));
    server.on("exit", (code) => reject(new Error(`meddesk serve exited early with ${code}`)));
    createInterface({ input: server.stdout! }).on("line", (line) => {
      const m = /serving on (\S+)/.exec(line);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return {
    url,
    async stop() {
      server.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
