import "@testing-library/jest-dom/vitest";
import { configure } from "@testing-library/react";

// antd's first render under jsdom is slow, and since the first screen carries no antd it now
// happens after sign-in, inside a findBy* wait: give waits 5 s instead of 1 s. These are
// behaviour tests, not timings (performance is measured in the Playwright specs).
configure({ asyncUtilTimeout: 5_000 });

// antd's responsive helpers need matchMedia, which jsdom lacks.
if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

// antd's Menu, Table and overflow helpers observe sizes; jsdom has no ResizeObserver.
if (!("ResizeObserver" in window)) {
  class NoResize {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  (window as unknown as { ResizeObserver: unknown }).ResizeObserver = NoResize;
  (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = NoResize;
}

// The draft store is module-level (it outlives a screen's unmount on purpose): each test
// starts with none.
import { forgetAllDrafts } from "../src/app/drafts";
afterEach(() => forgetAllDrafts());
