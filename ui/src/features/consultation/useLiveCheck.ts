import { useCallback, useEffect, useLayoutEffect, useState } from "react";
import type { Backend, CheckResponse, RxDraft } from "../../backend";
import { useBackend } from "../../backend/context";

/** The wire body of a draft worth checking (null: nothing to check). */
const bodyOf = (draft: RxDraft | null) => (draft && draft.items.length > 0 ? JSON.stringify(draft) : null);

interface Target {
  consultationId: string;
  backend: Backend;
}

/**
 * One check at a time; while it runs, only the latest draft waits (coalesced), and it is
 * sent when the running one answers. A draft identical to the last one sent is not sent again.
 */
function checkQueue(initial: Target, onResult: (body: string, r: CheckResponse) => void, onFailure: (body: string, e: unknown) => void) {
  let inFlight = false;
  let latest: string | null = null;
  let sent: { consultation: string; body: string } | null = null;
  let alive = true;
  let target = initial;
  const isSent = (body: string) => sent !== null && sent.consultation === target.consultationId && sent.body === body;
  const run = (body: string) => {
    const { consultationId, backend } = target;
    inFlight = true;
    sent = { consultation: consultationId, body };
    backend
      .call("rx_check", { consultation_id: consultationId, draft: JSON.parse(body) as RxDraft })
      .then((r) => alive && onResult(body, r))
      .catch((e: unknown) => alive && onFailure(body, e))
      .finally(() => {
        inFlight = false;
        if (alive && latest !== null && !isSent(latest)) run(latest);
      });
  };
  return {
    send(body: string | null) {
      latest = body;
      if (body !== null && !inFlight && !isSent(body)) run(body);
    },
    /** The consultation and backend the next checks go to. */
    retarget(next: Target) {
      target = next;
    },
    start() {
      alive = true;
    },
    stop() {
      alive = false;
    },
  };
}

/**
 * The checker as the physician types (R-RX-3, issue 7: a finding ≤ 50 ms after the
 * keystroke). A change is sent at once when no check is running; changes made while one runs
 * are coalesced into a single follow-up check of the latest draft. That bounds the load like
 * a debounce would, without adding a fixed delay to every keystroke. The last result stays
 * visible while a new check runs.
 *
 * `send` lets an input's change handler send the next draft before React renders the
 * keystroke (the ≈ 15 ms render no longer sits before the request); the effect sends any
 * draft a render shows that was not sent yet, so a change made some other way (a template,
 * a removed line) is checked all the same.
 */
export function useLiveCheck(consultationId: string, draft: RxDraft | null) {
  const backend = useBackend();
  // Each answer remembers the draft it is for: "checking" is derived while rendering the
  // keystroke itself (the shown result is not for the current draft), so no extra render
  // runs between the keystroke and the answer.
  const [result, setResult] = useState<{ key: string; response: CheckResponse } | null>(null);
  const [failure, setFailure] = useState<{ key: string; error: unknown } | null>(null);
  const [queue] = useState(() =>
    checkQueue(
      { consultationId, backend },
      (key, response) => {
        setResult({ key, response });
        setFailure(null);
      },
      (key, error) => setFailure({ key, error }),
    ),
  );
  const key = bodyOf(draft);

  useLayoutEffect(() => {
    queue.retarget({ consultationId, backend });
  }, [consultationId, backend, queue]);

  useEffect(() => {
    queue.start();
    return () => queue.stop();
  }, [queue]);

  useEffect(() => {
    queue.send(key);
  }, [key, consultationId, backend, queue]);

  const send = useCallback((next: RxDraft | null) => queue.send(bodyOf(next)), [queue]);
  const checking = key !== null && result?.key !== key && failure?.key !== key;
  return { result: key === null ? null : (result?.response ?? null), checking, error: failure?.error ?? null, send };
}
