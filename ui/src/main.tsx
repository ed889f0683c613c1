import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { AppShell } from "./app/AppShell";
import { Providers } from "./app/Providers";
import { detectBackend } from "./backend";
import "./styles.css";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <Providers backend={detectBackend()}>
        <AppShell />
      </Providers>
    </StrictMode>,
  );
}
