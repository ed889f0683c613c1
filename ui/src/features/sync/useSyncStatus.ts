import { useQuery } from "@tanstack/react-query";
import { useBackend } from "../../backend/context";
import { SYNC_KEY, SYNC_POLL_MS } from "./model";

/**
 * The core's sync overview, re-read every few seconds. Only mounted while a user is signed
 * in: lock and sign-out unmount every caller and drop the cached answer (it can hold kept
 * drafts, i.e. patient data — R-SEC-6), so polling stops with the session.
 */
export function useSyncStatus() {
  const backend = useBackend();
  return useQuery({
    queryKey: SYNC_KEY,
    queryFn: () => backend.call("sync_status", {}),
    refetchInterval: SYNC_POLL_MS,
  });
}
