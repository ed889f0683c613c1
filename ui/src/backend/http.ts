import type { Backend } from "./backend";
import { BackendError } from "./backend";

const TOKEN_KEY = "meddesk.token";

/**
 * The loopback HTTP front (`meddesk serve`): POST /api/<command> with the request as JSON.
 * The per-run token arrives in the URL fragment (never sent to a server), is kept for the
 * tab's session, and is removed from the address bar.
 */
export function readToken(location: Location, storage: Storage, history: History): string | null {
  const match = /(?:^#|&)token=([0-9a-f]+)/.exec(location.hash);
  if (match?.[1]) {
    storage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, "", location.pathname + location.search);
    return match[1];
  }
  return storage.getItem(TOKEN_KEY);
}

export function httpBackend(token: string | null, fetchImpl: typeof fetch = fetch): Backend {
  return {
    kind: "http",
    async call(command, request) {
      let response: Response;
      try {
        response = await fetchImpl(`/api/${command}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(request),
        });
      } catch (e) {
        throw new BackendError("transport", e instanceof Error ? e.message : String(e));
      }
      const body: unknown = await response.json().catch(() => null);
      if (!response.ok) {
        throw body ? BackendError.from(body) : new BackendError("transport", `HTTP ${response.status}`);
      }
      return body as never;
    },
  };
}
