import { createContext, useCallback, useContext, useMemo, useSyncExternalStore, type ReactNode } from "react";

/**
 * Unsaved clinical edits (prescription lines, the record form) live here, not inside a tab's
 * component state (house style; issue 12 §6): switching tabs in the consultation or going to
 * another screen unmounts the form, and its draft must still be there when the physician
 * comes back. A module-level map outside the components. A lock or a sign-out forgets them
 * all (R-SEC-6: a locked workstation holds no patient data, not even in memory).
 *
 * Drafts belong to the user who wrote them (R-SEC-7): every key is scoped by the signed-in
 * user's id (`DraftScope`); `forgetAllDrafts` runs with the query cache's
 * `clearPatientData` whenever the session leaves the active state.
 */
const entries = new Map<string, unknown>();
const listeners = new Set<() => void>();

function emit() {
  for (const l of listeners) l();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

const keyOf = (owner: string, name: string) => `${owner}\u0000${name}`;

/** Sign-out: nothing one user wrote stays in memory for the next one. */
export function forgetAllDrafts() {
  if (entries.size === 0) return;
  entries.clear();
  emit();
}

const Owner = createContext("");

/** Scopes the drafts below it to one user (the signed-in chunk is keyed by user too). */
export function DraftScope({ owner, children }: { owner: string; children: ReactNode }) {
  return <Owner.Provider value={owner}>{children}</Owner.Provider>;
}

export interface DraftHandle<T> {
  /** Read now, without subscribing (for a component's initial state). */
  read(): T | undefined;
  /** Replace the draft; `undefined` forgets it (saved, signed or discarded). */
  write(value: T | undefined): void;
}

/** The draft named `name` for the current user, without re-rendering on its changes. */
export function useDraftHandle<T>(name: string): DraftHandle<T> {
  const owner = useContext(Owner);
  const key = keyOf(owner, name);
  const read = useCallback(() => entries.get(key) as T | undefined, [key]);
  const write = useCallback(
    (value: T | undefined) => {
      if (value === undefined) {
        if (!entries.has(key)) return;
        entries.delete(key);
      } else {
        if (entries.get(key) === value) return;
        entries.set(key, value);
      }
      emit();
    },
    [key],
  );
  return useMemo(() => ({ read, write }), [read, write]);
}

/** The draft named `name` for the current user, re-rendering when anyone changes it. */
export function useDraft<T>(name: string): [T | undefined, (value: T | undefined) => void] {
  const { read, write } = useDraftHandle<T>(name);
  const value = useSyncExternalStore(subscribe, read, read);
  return [value, write];
}

/**
 * One part of a draft (`select` must return a value that keeps its identity while that part
 * does not change): re-renders only when that part changes, not on every keystroke elsewhere.
 */
export function useDraftSelect<T, S>(name: string, select: (draft: T | undefined) => S): S {
  const { read } = useDraftHandle<T>(name);
  const get = () => select(read());
  return useSyncExternalStore(subscribe, get, get);
}
