// The commands the webview may call, one per workstation use case. Read by build.rs (which
// turns each into an `allow-…` permission) and checked against the workstation's registry
// by a test, so a use case can't be exposed without a permission or vice versa.
pub const COMMAND_NAMES: &[&str] = &["app_info", "home_summary"];
