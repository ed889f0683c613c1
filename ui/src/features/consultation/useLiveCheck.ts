import { useEffect, useRef, useState } from "react";
import type { CheckResponse, RxDraft } from "../../backend";
import { useBackend } from "../../backend/context";

/**
 * The checker as the physician types (R-RX-3, issue 7: a finding ≤ 50 ms after the
 * keystroke). A change is sent at once when no check is running; changes made while one runs
 * are coalesced into a single follow-up check of the latest draft. That bounds the load like
 * a debounce would, without adding a fixed delay to every keystroke. The last result stays
 * visible while a new check runs.
 */
export function useLiveCheck(consultationId: string, draft: RxDraft | null) {
  const backend = useBackend();
  // Each answer remembers the draft it is for: "checking" is derived while rendering the
  // keystroke itself (the shown result is not for the current draft), so no extra render
  // runs between the keystroke and the answer.
  const [result, setResult] = useState<{ key: string; response: CheckResponse } | null>(null);
  const [failure, setFailure] = useState<{ key: string; error: unknown } | null>(null);
  const inFlight = useRef(false);
  const latest = useRef<string | null>(null);
  const sent = useRef<string | null>(null);
  const alive = useRef(true);
  const key = draft && draft.items.length > 0 ? JSON.stringify(draft) : null;

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  useEffect(() => {
    latest.current = key;
    if (key === null) return;
    const run = (body: string) => {
      inFlight.current = true;
      sent.current = body;
      backend
        .call("rx_check", { consultation_id: consultationId, draft: JSON.parse(body) as RxDraft })
        .then((r) => {
          if (!alive.current) return;
          setResult({ key: body, response: r });
          setFailure(null);
        })
        .catch((e: unknown) => alive.current && setFailure({ key: body, error: e }))
        .finally(() => {
          inFlight.current = false;
          if (!alive.current) return;
          if (latest.current !== null && latest.current !== sent.current) run(latest.current);
        });
    };
    if (!inFlight.current) run(key);
  }, [key, consultationId, backend]);

  const checking = key !== null && result?.key !== key && failure?.key !== key;
  return { result: key === null ? null : (result?.response ?? null), checking, error: failure?.error ?? null };
}
