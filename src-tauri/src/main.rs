// Hides the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The process allocator (see `mimalloc` in the workspace Cargo.toml): the initial sync and
/// the checker allocate many small values.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    meddesk_desktop::run();
}
