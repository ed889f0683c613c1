import { expect, test } from "@playwright/test";
import { appendFileSync } from "node:fs";
import { apiSignIn, fileRequests } from "./demo";
import { startServer, type Served } from "./server";
import { apiOf, signIn } from "./support";

// 1,000 open requests would change the queue every other test expects: this file has its own core.
let served: Served;
test.beforeAll(async () => {
  served = await startServer();
});
test.afterAll(async () => {
  await served.stop();
});

const SCROLL_MS = 2_000;

test("a queue of 1,000 open requests is complete, virtual and scrolls to its last rows", async ({ page, request }) => {
  test.setTimeout(240_000);
  const api = apiOf(request, served.url);
  await apiSignIn(api, "admin.demo");
  const t0 = Date.now();
  const ids = await fileRequests(request, served.url, 1000);
  const filingMs = Date.now() - t0;
  expect(new Set(ids).size).toBe(1000);
  await api("sign_out", {});

  await signIn(page, "dr.demo", served.url);
  const queue = page.getByTestId("queue-screen");
  await expect(queue).toBeVisible();
  // The core caps the queue at its 1,000 most urgent; the UI asks for all of them.
  await expect(queue.getByTestId("queue-summary")).toHaveText(/待接诊 1000 人/, { timeout: 20_000 });
  const holder = queue.getByTestId("queue-scroller");
  await expect(holder).toBeVisible();
  // The virtual scroll height covers all 1,000 rows.
  const sizes = await holder.evaluate((el) => ({ scrollHeight: el.scrollHeight, clientHeight: el.clientHeight }));
  const rowHeight = await queue.locator(".queue-row").first().evaluate((el) => el.getBoundingClientRect().height);
  expect(sizes.scrollHeight).toBeGreaterThanOrEqual(1000 * rowHeight * 0.95);

  // The last row the core sends, to check that scrolling reaches it.
  const last = await page.evaluate(async () => {
    const token = sessionStorage.getItem("meddesk.token");
    const res = await fetch("/api/queue_list", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ route: null, all_routes: false, limit: 1000 }),
    });
    const view = (await res.json()) as { entries: { id: string }[] };
    return { count: view.entries.length, id: view.entries.at(-1)!.id };
  });
  expect(last.count).toBe(1000);
  await expect(queue.locator(`.queue-row[data-row-key="${last.id}"]`)).toHaveCount(0);

  // Scroll top → bottom in one step per frame across ~2 s, recording every frame's time
  // and how many rows are in the DOM.
  const run = await holder.evaluate(
    (el, ms) =>
      new Promise<{ frames: number[]; maxRows: number }>((resolve) => {
        const frames: number[] = [];
        let maxRows = 0;
        let start = -1;
        let settle = 0;
        const step = (ts: number) => {
          if (start < 0) start = ts;
          frames.push(ts);
          maxRows = Math.max(maxRows, el.querySelectorAll(".queue-row").length);
          // Read the bottom every frame (the queue may refresh while it scrolls).
          const max = el.scrollHeight - el.clientHeight;
          const p = Math.min(1, (ts - start) / ms);
          el.scrollTop = Math.round(p * max);
          // After the last step, a few frames for the last measurements to land at the bottom.
          if (p < 1 || (el.scrollTop < max - 1 && ++settle < 20)) requestAnimationFrame(step);
          else requestAnimationFrame(() => requestAnimationFrame(() => resolve({ frames, maxRows })));
        };
        requestAnimationFrame(step);
      }),
    SCROLL_MS,
  );
  // Virtualization: a screenful of rows in the DOM, never the 1,000.
  expect(run.maxRows).toBeGreaterThan(5);
  expect(run.maxRows).toBeLessThan(100);
  await expect(queue.locator(".queue-row")).not.toHaveCount(0);
  expect(await queue.locator(".queue-row").count()).toBeLessThan(100);
  // The bottom is reached: the core's last request is on screen. The queue refreshes every
  // 3 s, so hold it at the bottom until the last row is drawn.
  const lastRow = queue.locator(`.queue-row[data-row-key="${last.id}"]`);
  await expect
    .poll(
      async () => {
        await holder.evaluate((el) => (el.scrollTop = el.scrollHeight));
        return lastRow.count();
      },
      { timeout: 10_000 },
    )
    .toBe(1);
  await expect(lastRow).toBeVisible();
  await expect(queue).toContainText("（第 ");

  const intervals = run.frames.slice(1).map((t, i) => t - run.frames[i]!);
  const sorted = [...intervals].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const round = (x: number) => Math.round(x * 10) / 10;
  const figures = {
    measure: "queue_scroll_1000",
    rows: last.count,
    dom_rows_max: run.maxRows,
    frames: run.frames.length,
    scroll_ms: round(run.frames.at(-1)! - run.frames[0]!),
    median_frame_ms: round(at(0.5)),
    p95_frame_ms: round(at(0.95)),
    max_frame_ms: round(sorted.at(-1)!),
    dropped_over_33ms: intervals.filter((x) => x > 33).length,
    filing_1000_ms: filingMs,
  };
  console.log(`queue scroll, 1,000 rows (Chromium, meddesk serve, ${process.env.MEDDESK_BIN ?? "target/debug/meddesk"}): ${JSON.stringify(figures)}`);
  if (process.env.MEDDESK_LATENCY_OUT) appendFileSync(process.env.MEDDESK_LATENCY_OUT, JSON.stringify(figures) + "\n");
});
