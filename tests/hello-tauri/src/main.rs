//! The baseline: the smallest Tauri v2 window, built with the same profile and features as
//! MedDesk, so the two can be compared in one run.

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("hello-tauri: {e}");
        std::process::exit(1);
    }
}
