// A minimal W3C WebDriver client over fetch (Node ≥ 20), enough to drive the real MedDesk
// window through tauri-driver + WebKitWebDriver. No npm dependencies.
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import net from "node:net";

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`tauri-driver did not listen on ${port} within ${timeoutMs} ms`);
}

/** Start tauri-driver on free ports; returns { url, stop }. */
export async function startDriver() {
  const port = await freePort();
  const nativePort = await freePort();
  const child = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  child.on("error", (e) => {
    console.error(`cannot start tauri-driver: ${e.message} (cargo install tauri-driver --version ^2 --locked)`);
  });
  await waitForPort(port, 20_000);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await sleep(300);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(driverUrl, application, args = []) {
    const res = await fetch(`${driverUrl}/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        capabilities: { alwaysMatch: { "tauri:options": { application, args } } },
      }),
    });
    const body = await res.json();
    if (!res.ok || !body.value?.sessionId) {
      throw new Error(`new session failed (${res.status}): ${JSON.stringify(body).slice(0, 500)}`);
    }
    return new Session(driverUrl, body.value.sessionId);
  }

  async cmd(method, path, payload) {
    const res = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(body.value ?? body).slice(0, 300)}`);
      err.status = res.status;
      err.error = body.value?.error;
      throw err;
    }
    return body.value;
  }

  async title() {
    return this.cmd("GET", "/title");
  }

  async findAll(css) {
    const found = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return found.map((e) => Object.values(e)[0]);
  }

  /** Wait until `css` matches at least one element; returns the first element id. */
  async waitFor(css, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const els = await this.findAll(css).catch(() => []);
      if (els.length > 0) return els[0];
      if (Date.now() > deadline) throw new Error(`no element matched ${css} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async text(elementId) {
    return this.cmd("GET", `/element/${elementId}/text`);
  }

  async click(elementId) {
    return this.cmd("POST", `/element/${elementId}/click`, {});
  }

  /**
   * Click the first element matching `css` once it can take the click: a dropdown option
   * that is still animating in answers "element not interactable", and a re-rendered one
   * "stale element reference"; both are retried until `timeoutMs`.
   */
  async clickWhenReady(css, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const el = await this.waitFor(css, Math.max(1, deadline - Date.now()));
        return await this.click(el);
      } catch (e) {
        const retryable = e.error === "element not interactable" || e.error === "stale element reference";
        if (!retryable || Date.now() > deadline) throw e;
        await sleep(100);
      }
    }
  }

  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  async delete() {
    await fetch(`${this.base}/session/${this.id}`, { method: "DELETE" }).catch(() => {});
  }
}
