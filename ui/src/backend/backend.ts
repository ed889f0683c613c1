import type { ApiError, CommandName, Commands, ErrorCode } from "./bindings";

/** The one interface every screen calls Rust through (Tauri IPC or the loopback HTTP front). */
export interface Backend {
  readonly kind: "tauri" | "http" | "fake";
  call<K extends CommandName>(command: K, request: Commands[K]["request"]): Promise<Commands[K]["response"]>;
}

/** A workstation error as the UI sees it: branch on `code`, show `message`. */
export class BackendError extends Error {
  readonly code: ErrorCode | "transport";

  constructor(code: ErrorCode | "transport", message: string) {
    super(message);
    this.name = "BackendError";
    this.code = code;
  }

  static from(value: unknown): BackendError {
    if (value instanceof BackendError) return value;
    if (isApiError(value)) return new BackendError(value.code, value.message);
    return new BackendError("transport", value instanceof Error ? value.message : String(value));
  }
}

function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ApiError).code === "string" &&
    typeof (value as ApiError).message === "string"
  );
}
