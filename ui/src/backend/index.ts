import type { Backend } from "./backend";
import { httpBackend, readToken } from "./http";
import { tauriBackend } from "./tauri";

export type { Backend } from "./backend";
export { BackendError } from "./backend";
export type * from "./bindings";

/** Inside the desktop window Tauri injects its IPC internals; anywhere else we talk HTTP. */
export function detectBackend(): Backend {
  if (typeof window !== "undefined" && "__TAURI_INTERNALS__" in window) {
    return tauriBackend;
  }
  return httpBackend(readToken(window.location, window.sessionStorage, window.history));
}
