//! The MedDesk desktop shell: builds the Tauri window and registers the workstation
//! commands. Holds no logic: every command is one call into `meddesk-workstation`.
//!
//! Must never: expose a plugin (shell, fs, SQL) to the webview, or a command without a
//! permission in `capabilities/`.

mod command_names;
pub mod commands;
pub mod launch;

pub use command_names::COMMAND_NAMES;

use std::sync::Arc;

use meddesk_workstation::{SystemClock, Workstation};

/// Start the desktop app. Configuration comes from the command line and environment (see
/// [`launch::LaunchOptions`]).
pub fn run() {
    let options = match launch::LaunchOptions::from_env_and_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(message) => {
            eprintln!("meddesk-desktop: {message}");
            std::process::exit(2);
        }
    };
    let passphrase = std::env::var("MEDDESK_PASSPHRASE")
        .ok()
        .map(zeroize::Zeroizing::new);
    let ws = match Workstation::open_profile(options.profile(), Arc::new(SystemClock), passphrase) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("meddesk-desktop: {e}");
            std::process::exit(1);
        }
    };
    if let Err(message) = connect_platform(&ws) {
        eprintln!("meddesk-desktop: {message}");
        std::process::exit(1);
    }
    let result = tauri::Builder::default()
        .manage(ws)
        .invoke_handler(tauri::generate_handler![
            commands::home::app_info,
            commands::session::session_status,
            commands::session::sign_in,
            commands::session::sign_out,
            commands::session::lock,
            commands::session::unlock,
            commands::account::user_create,
            commands::account::user_list,
            commands::account::user_set_rights,
            commands::account::user_suspend,
            commands::intake::queue_list,
            commands::intake::consultation_claim,
            commands::intake::intake_release,
            commands::intake::intake_submit,
            commands::consultation::consultation_get,
            commands::consultation::consultation_list_mine,
            commands::consultation::record_save,
            commands::consultation::message_send,
            commands::consultation::consultation_complete,
            commands::consultation::consultation_set_type,
            commands::consultation::icd10_search,
            commands::prescribing::drug_search,
            commands::prescribing::rx_check,
            commands::prescribing::rx_save,
            commands::prescribing::rx_sign,
            commands::prescribing::rx_get,
            commands::prescribing::rx_revoke,
            commands::prescribing::rx_slip,
            commands::prescribing::template_save,
            commands::prescribing::template_list,
            commands::review::review_queue,
            commands::review::rx_review,
            commands::guidance::guidance_sheet,
            commands::guidance::guidance_export,
            commands::follow_up::follow_up_list,
            commands::follow_up::follow_up_record,
            commands::complaints::complaint_file,
            commands::complaints::complaint_list,
            commands::complaints::complaint_resolve,
            commands::kpi::kpi_report,
            commands::sync::sync_status,
            commands::sync::sync_now,
            commands::settings::settings_get,
            commands::settings::settings_set,
            commands::settings::backup_now,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("meddesk-desktop: the window could not start: {e}");
        std::process::exit(1);
    }
}

/// The demo profile syncs with its embedded platform and patient simulator on loopback
/// (started on Tauri's runtime beside the window); a clinic profile with
/// `MEDDESK_PLATFORM_URL` when set.
fn connect_platform(ws: &Workstation) -> Result<(), String> {
    use meddesk_platform::embedded::{EmbeddedConfig, bind};
    use meddesk_workstation::{ProfileKind, demo, sync::PlatformLink};
    let link = if ws.profile().kind == ProfileKind::Demo {
        let platform = bind(EmbeddedConfig {
            dir: ws.profile().data_dir.join("platform"),
            accounts: demo::platform_accounts(),
            arrivals_per_min: demo::arrivals_per_min(),
            pack: ws.knowledge().pack.clone(),
            triage: ws.knowledge().triage.clone(),
        })
        .map_err(|e| e.to_string())?;
        // Started at the first sign-in: nothing of it runs while the sign-in screen waits.
        return ws
            .connect_embedded_platform(
                PlatformLink::embedded(platform.url()),
                Box::new(move || {
                    tauri::async_runtime::spawn(platform.run());
                }),
            )
            .map_err(|e| e.to_string());
    } else {
        PlatformLink::for_clinic(&ws.profile().data_dir)
    };
    match link {
        Some(link) => ws.connect_platform(link).map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workstation_command_has_a_permission_and_nothing_else_does() {
        let mut registered: Vec<&str> = meddesk_workstation::api::commands()
            .iter()
            .map(|c| c.name)
            .collect();
        let mut exposed = COMMAND_NAMES.to_vec();
        registered.sort_unstable();
        exposed.sort_unstable();
        assert_eq!(registered, exposed);

        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/default.json"))
                .expect("capability parses");
        let mut permissions: Vec<String> = capability["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .map(|p| p.as_str().expect("string permission").to_owned())
            .collect();
        permissions.sort_unstable();
        let mut expected: Vec<String> = exposed
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        expected.sort_unstable();
        assert_eq!(
            permissions, expected,
            "only MedDesk's own commands, no plugins"
        );
    }

    #[test]
    fn csp_is_set_and_strict() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).expect("config parses");
        let csp = conf["app"]["security"]["csp"]
            .as_str()
            .expect("a CSP is set");
        assert!(csp.contains("default-src 'self'"));
        assert!(!csp.contains("unsafe-eval"));
        assert!(csp.contains("object-src 'none'"));
    }
}
