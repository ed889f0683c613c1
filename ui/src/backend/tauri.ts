import { invoke } from "@tauri-apps/api/core";
import type { Backend } from "./backend";
import { BackendError } from "./backend";

/** Tauri IPC: every command takes its request as the `request` argument. */
export const tauriBackend: Backend = {
  kind: "tauri",
  async call(command, request) {
    try {
      return await invoke(command, { request });
    } catch (e) {
      throw BackendError.from(e);
    }
  },
};
