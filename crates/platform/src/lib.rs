//! The reference platform API server (axum) that workstations sync with: sign-in, push of
//! operations, pull of changes, the queue notification channel.
//!
//! Must never: depend on the workstation or on Tauri; trust a client's clock or ordering.
