import { useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useMemo } from "react";
import { BackendContext, useBackend } from "../backend/context";
import { LockScreen } from "../features/session/LockScreen";
import { SignInScreen } from "../features/session/SignInScreen";
import { useI18n } from "../i18n";
import { errorText } from "./errors";
import { ErrorNotice, FirstScreenFrame, Loading } from "./FirstScreen";
import { forgetAllDrafts } from "./drafts";
import { clearPatientData, SESSION_KEY, sessionAwareBackend } from "./session";

/**
 * Everything after sign-in — Ant Design, its theme, the signed-in header and every feature
 * screen — is a separate chunk: the first screen (sign-in, lock, loading, error; plain
 * elements) does not wait for code it does not use (cold start, issue 7). It is fetched in
 * the background once the first screen is up, so signing in does not wait for it either.
 */
const loadSignedIn = () => import("./SignedIn");
const SignedIn = lazy(() => loadSignedIn().then((m) => ({ default: m.SignedIn })));

/** How often the lock state is re-read (the core locks itself after the idle timeout). */
export const SESSION_POLL_MS = 15_000;

export function AppShell() {
  const { t } = useI18n();
  const raw = useBackend();
  const client = useQueryClient();
  const backend = useMemo(() => sessionAwareBackend(raw, client), [raw, client]);
  const session = useQuery({
    queryKey: SESSION_KEY,
    queryFn: () => raw.call("session_status", {}),
    refetchInterval: SESSION_POLL_MS,
    refetchOnWindowFocus: true,
  });
  const state = session.data?.state;
  const firstScreenUp = session.data !== undefined;
  useEffect(() => {
    if (!firstScreenUp) return;
    const prefetch = () => void loadSignedIn();
    if (typeof window.requestIdleCallback === "function") {
      const id = window.requestIdleCallback(prefetch, { timeout: 2_000 });
      return () => window.cancelIdleCallback(id);
    }
    const id = window.setTimeout(prefetch, 500);
    return () => window.clearTimeout(id);
  }, [firstScreenUp]);
  const userId = session.data?.user?.id;
  useEffect(() => {
    // R-SEC-6: leaving the active state (idle lock noticed by polling) forgets patient data.
    // Unsaved drafts hold patient data too: forgotten on lock and sign-out alike.
    if (state !== undefined && state !== "active") {
      clearPatientData(client);
      forgetAllDrafts();
    }
  }, [state, userId, client]);

  let body;
  if (session.isPending) body = <FirstScreenFrame><Loading /></FirstScreenFrame>;
  else if (session.isError)
    body = (
      <FirstScreenFrame>
        <ErrorNotice text={errorText(t, session.error)} onRetry={() => void session.refetch()} />
      </FirstScreenFrame>
    );
  else if (session.data.state === "signed_out")
    body = (
      <FirstScreenFrame>
        <SignInScreen status={session.data} />
      </FirstScreenFrame>
    );
  else if (session.data.state === "locked" || !session.data.user)
    body = (
      <FirstScreenFrame>
        <LockScreen status={session.data} />
      </FirstScreenFrame>
    );
  else {
    const user = session.data.user;
    // Keyed by user: a new user starts on their role's first tab with nothing of the last one's.
    body = (
      <Suspense fallback={<FirstScreenFrame><Loading /></FirstScreenFrame>}>
        <SignedIn key={user.id} user={user} />
      </Suspense>
    );
  }

  return <BackendContext.Provider value={backend}>{body}</BackendContext.Provider>;
}
