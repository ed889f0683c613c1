import type { QueryClient } from "@tanstack/react-query";
import { BackendError, type Backend } from "../backend";
import type { SessionStatus } from "../backend";
import { forgetAllDrafts } from "./drafts";

export const SESSION_KEY = ["session_status"] as const;
const KEEP = new Set(["session_status", "app_info"]);

/**
 * Forget every cached answer that may hold patient data (R-SEC-6): on lock and sign-out the
 * screen must not be able to show it again, not even from memory.
 */
export function clearPatientData(client: QueryClient) {
  client.cancelQueries({ predicate: (q) => !KEEP.has(String(q.queryKey[0])) }).catch(() => undefined);
  client.removeQueries({ predicate: (q) => !KEEP.has(String(q.queryKey[0])) });
  client.getMutationCache().clear();
}

/**
 * The backend as screens see it: any call answered with `locked` or `signed_out` (the idle
 * timeout passed in the core) re-reads the session, so the lock screen shows at once.
 */
export function sessionAwareBackend(raw: Backend, client: QueryClient): Backend {
  return {
    kind: raw.kind,
    async call(command, request) {
      try {
        return await raw.call(command, request);
      } catch (e) {
        const err = BackendError.from(e);
        if (err.code === "locked" || err.code === "signed_out") {
          clearPatientData(client);
          void client.invalidateQueries({ queryKey: SESSION_KEY });
        }
        throw err;
      }
    },
  };
}

export function setSession(client: QueryClient, status: SessionStatus) {
  // R-SEC-6: a locked workstation holds no patient data, unsaved drafts included (they are
  // the patient's record and prescription): a lock forgets them like a sign-out.
  if (status.state !== "active") {
    clearPatientData(client);
    forgetAllDrafts();
  }
  client.setQueryData(SESSION_KEY, status);
}
