import type { Backend, CommandName, Commands } from "../src/backend";
import { BackendError } from "../src/backend";

type Handlers = { [K in CommandName]?: (request: Commands[K]["request"]) => Commands[K]["response"] };

/** A backend that answers from handlers in memory: for component tests only. */
export function fakeBackend(handlers: Handlers): Backend & { calls: { command: CommandName; request: unknown }[] } {
  const calls: { command: CommandName; request: unknown }[] = [];
  return {
    kind: "fake",
    calls,
    async call(command, request) {
      calls.push({ command, request });
      const handler = handlers[command] as ((r: unknown) => unknown) | undefined;
      if (!handler) throw new BackendError("unknown_command", `no fake for ${command}`);
      return handler(request) as never;
    },
  };
}
