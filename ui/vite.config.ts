/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The UI is served by Tauri from ui/dist (custom protocol) or by `meddesk serve` from the
// same folder; relative asset paths work for both.
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    target: "es2022",
    chunkSizeWarningLimit: 2000,
  },
  server: { port: 5173, strictPort: true },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./tests/setup.ts"],
    // antd renders slowly under jsdom; these are behaviour tests, not timings.
    testTimeout: 60_000,
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
