import { startServer } from "./server";

/**
 * Start the real `meddesk serve` (demo profile, throw-away data dir) and hand its URL with
 * the per-run token to the tests through MEDDESK_URL.
 */
export default async function globalSetup() {
  const served = await startServer();
  process.env.MEDDESK_URL = served.url;
  return () => served.stop();
}
