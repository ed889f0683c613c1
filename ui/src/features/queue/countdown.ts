/** Seconds left on the response clock, from the server's deadline and the local clock. */
export function secondsLeft(respondBy: string, nowMs: number): number {
  return Math.floor((Date.parse(respondBy) - nowMs) / 1000);
}

/** `mm:ss` (or `h:mm:ss`) of an absolute number of seconds. */
export function clock(totalSeconds: number): string {
  const s = Math.abs(totalSeconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(sec).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
