//! `meddesk setup` and `meddesk user add` (issue 13 §0): a clinic starts from the binary
//! alone. `setup` creates the clinic profile (the encrypted database, its key in the OS
//! keychain or a passphrase-wrapped file), its first administrator with a TOTP second factor
//! (shown as an `otpauth://` URI and a QR code to scan), and — with `--platform` — connects it
//! to the platform: the platform must answer, the administrator's platform account must accept
//! the same password and code, and the URL and organisation are recorded in the profile
//! (`platform.json`) so the app and `meddesk serve` sync with it. `user add` creates the
//! clinic's other accounts (the same ids and passwords as their platform accounts).
//!
//! Passwords never come from the command line (shell history, `ps`): from standard input
//! (`--password-stdin`, one line) or `MEDDESK_NEW_PASSWORD`.

use std::io::BufRead as _;
use std::sync::Arc;

use chrono::Utc;
use clap::Args;
use meddesk_domain::Role;
use meddesk_workstation::account::NewUser;
use meddesk_workstation::sync::ClinicLink;
use meddesk_workstation::{SystemClock, Workstation};
use zeroize::Zeroizing;

use crate::profile_args::ProfileArgs;

const NEW_PASSWORD_ENV: &str = "MEDDESK_NEW_PASSWORD";

#[derive(Debug, Clone, Args)]
pub struct SetupArgs {
    /// The first administrator's user id (the same as their platform account's).
    #[arg(long)]
    pub admin_id: String,
    /// The administrator's name as shown in the app.
    #[arg(long)]
    pub admin_name: String,
    /// The clinic's organisation id on the platform.
    #[arg(long, default_value = "clinic")]
    pub org: String,
    /// The platform to sync with (https://…; http:// only to loopback).
    #[arg(long)]
    pub platform: Option<String>,
    /// The administrator's TOTP secret as the platform issued it (hex); without it a new one
    /// is made (then the platform account must be given the same one).
    #[arg(long)]
    pub totp_secret_hex: Option<String>,
    /// Read the administrator's password from standard input (one line).
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UserAddArgs {
    #[arg(long)]
    pub id: String,
    #[arg(long)]
    pub name: String,
    /// physician, pharmacist, administrator or intake (repeatable).
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
    /// A physician's credential (`general`, `emergency`, a specialty; repeatable).
    #[arg(long = "specialty")]
    pub specialties: Vec<String>,
    /// The organisation (default: the one `setup` recorded).
    #[arg(long)]
    pub org: Option<String>,
    /// Read the password from standard input (one line).
    #[arg(long)]
    pub password_stdin: bool,
}

fn new_password(stdin: bool) -> Result<Zeroizing<String>, String> {
    let password = if stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("invalid_request: cannot read the password from stdin: {e}"))?;
        Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        Zeroizing::new(std::env::var(NEW_PASSWORD_ENV).unwrap_or_default())
    };
    if password.is_empty() {
        return Err(format!(
            "invalid_request: no password: pass --password-stdin or set {NEW_PASSWORD_ENV}"
        ));
    }
    Ok(password)
}

/// RFC 4648 base32 without padding (what authenticator apps read in `otpauth://`).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The enrolment URI an authenticator app scans.
pub fn otpauth_uri(account: &str, secret: &[u8]) -> String {
    let label: String = account
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!(
        "otpauth://totp/MedDesk:{label}?secret={}&issuer=MedDesk&algorithm=SHA1&digits=6&period=30",
        base32(secret)
    )
}

/// A QR code for a terminal: two rows per character (upper and lower half blocks), with a
/// quiet zone, dark on light.
fn terminal_qr(text: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| format!("internal: the enrolment QR code: {e}"))?;
    let width = code.width();
    let colors = code.to_colors();
    let dark = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && (x as usize) < width
            && (y as usize) < width
            && colors[y as usize * width + x as usize] == qrcode::Color::Dark
    };
    let quiet = 2i64;
    let size = width as i64;
    let mut out = String::new();
    let mut y = -quiet;
    while y < size + quiet {
        for x in -quiet..size + quiet {
            out.push(match (dark(x, y), dark(x, y + 1)) {
                (true, true) => ' ',
                (true, false) => '▄',
                (false, true) => '▀',
                (false, false) => '█',
            });
        }
        out.push('\n');
        y += 2;
    }
    Ok(out)
}

/// The platform must answer and accept the administrator (same password, same code).
async fn check_platform(
    url: &str,
    admin: &str,
    password: &str,
    totp_secret: &[u8],
) -> Result<(), String> {
    meddesk_sync::check_platform_url(url).map_err(|e| format!("{}: --platform: {e}", e.code()))?;
    let base = url.trim_end_matches('/');
    let health = reqwest::get(format!("{base}/health"))
        .await
        .map_err(|e| format!("platform_unreachable: {base}/health: {e}"))?;
    if !health.status().is_success() {
        return Err(format!(
            "platform_unreachable: {base}/health answered {}",
            health.status()
        ));
    }
    let client = meddesk_sync::SyncClient::new(
        meddesk_sync::ClientConfig::new(base, format!("setup-{}", uuid::Uuid::now_v7())),
        Arc::new(std::sync::Mutex::new(meddesk_sync::MemoryReplica::new())),
        Arc::new(meddesk_sync::MemoryTokenStore::new()),
    )
    .map_err(|e| format!("{}: {e}", e.code()))?;
    let step = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    let code = format!("{:06}", meddesk_sync::totp::code_at(totp_secret, step, 6));
    client
        .sign_in(admin, password, Some(&code))
        .await
        .map_err(|e| {
            format!(
                "platform_refused: the platform did not accept `{admin}` with this password and \
                 a code from this TOTP secret ({e}); the local account must match the platform's"
            )
        })?;
    let mut client = client;
    let _ = client.sign_out().await;
    Ok(())
}

pub fn setup(args: &ProfileArgs, setup: SetupArgs) -> Result<(), String> {
    let profile = args.profile()?;
    if profile.kind != meddesk_workstation::ProfileKind::Clinic {
        return Err("invalid_request: setup makes a clinic profile; drop --demo".into());
    }
    let files = crate::db::files(args)?;
    if files.database().exists() {
        return Err(format!(
            "already_set_up: {} already holds a clinic profile",
            profile.data_dir.display()
        ));
    }
    let password = new_password(setup.password_stdin)?;
    let secret: Vec<u8> = match &setup.totp_secret_hex {
        Some(h) => hex::decode(h.trim())
            .ok()
            .filter(|s| s.len() >= 10)
            .ok_or("invalid_request: --totp-secret-hex must be at least 10 bytes of hex")?,
        None => {
            let mut s = vec![0u8; 20];
            getrandom::fill(&mut s).map_err(|e| format!("internal: random: {e}"))?;
            s
        }
    };
    // The platform first: nothing is created if it cannot be reached or refuses the admin.
    if let Some(url) = &setup.platform {
        let rt = tokio::runtime::Runtime::new().map_err(|e| format!("internal: {e}"))?;
        rt.block_on(check_platform(url, &setup.admin_id, &password, &secret))?;
    }
    std::fs::create_dir_all(&profile.data_dir)
        .map_err(|e| format!("io: cannot create {}: {e}", profile.data_dir.display()))?;
    crate::db::init(args, &files)?;
    let ws = Workstation::open_profile(
        profile.clone(),
        Arc::new(SystemClock),
        std::env::var(crate::db::PASSPHRASE_ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .map(Zeroizing::new),
    )
    .map_err(|e| format!("{}: {}", e.code_str(), e.message))?;
    ws.bootstrap_user(
        &NewUser {
            id: setup.admin_id.clone(),
            display_name: setup.admin_name.clone(),
            org_id: setup.org.clone(),
            roles: vec![Role::Administrator],
            specialties: Vec::new(),
            password: password.to_string(),
            rights_reviewed_at: None,
        },
        Some(&secret),
    )
    .map_err(|e| format!("{}: {}", e.code_str(), e.message))?;
    println!("administrator `{}` created", setup.admin_id);
    if let Some(url) = &setup.platform {
        ClinicLink {
            platform_url: url.trim_end_matches('/').to_owned(),
            org_id: setup.org.clone(),
        }
        .write(&profile.data_dir)
        .map_err(|e| format!("io: cannot record the platform: {e}"))?;
        println!("connected to {url} as organisation {}", setup.org);
    }
    if setup.totp_secret_hex.is_none() {
        let uri = otpauth_uri(&setup.admin_id, &secret);
        println!("scan this with the administrator's authenticator app (second factor, R-ROLE-3):");
        println!("{}", terminal_qr(&uri)?);
        println!("{uri}");
    }
    println!(
        "next: add the clinic's users with `meddesk user add`, then start MedDesk and sign in as `{}`",
        setup.admin_id
    );
    Ok(())
}

pub fn user_add(args: &ProfileArgs, add: UserAddArgs) -> Result<(), String> {
    let profile = args.profile()?;
    let roles = add
        .roles
        .iter()
        .map(|r| {
            serde_json::from_value::<Role>(serde_json::Value::String(r.clone())).map_err(|_| {
                format!(
                    "invalid_request: --role `{r}` (physician, pharmacist, administrator, intake)"
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let password = new_password(add.password_stdin)?;
    let org = add
        .org
        .or_else(|| ClinicLink::read(&profile.data_dir).map(|c| c.org_id))
        .unwrap_or_else(|| "clinic".into());
    let ws = Workstation::open_profile(
        profile,
        Arc::new(SystemClock),
        std::env::var(crate::db::PASSPHRASE_ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .map(Zeroizing::new),
    )
    .map_err(|e| format!("{}: {}", e.code_str(), e.message))?;
    let secret = if roles.contains(&Role::Administrator) {
        let mut s = vec![0u8; 20];
        getrandom::fill(&mut s).map_err(|e| format!("internal: random: {e}"))?;
        Some(s)
    } else {
        None
    };
    ws.bootstrap_user(
        &NewUser {
            id: add.id.clone(),
            display_name: add.name,
            org_id: org,
            roles: roles.clone(),
            specialties: add.specialties,
            password: password.to_string(),
            rights_reviewed_at: roles.contains(&Role::Physician).then(Utc::now),
        },
        secret.as_deref(),
    )
    .map_err(|e| format!("{}: {}", e.code_str(), e.message))?;
    println!("user `{}` created", add.id);
    if let Some(secret) = secret {
        let uri = otpauth_uri(&add.id, &secret);
        println!("{}", terminal_qr(&uri)?);
        println!("{uri}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_and_the_otpauth_uri_follow_rfc_4648_and_the_key_uri_format() {
        // RFC 4648 §10 test vectors (unpadded).
        for (input, out) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(input.as_bytes()), out, "{input}");
        }
        let uri = otpauth_uri("王 admin", b"12345678901234567890");
        assert!(uri.starts_with("otpauth://totp/MedDesk:"), "{uri}");
        assert!(
            uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{uri}"
        );
        assert!(!uri.contains(' '));
        assert!(terminal_qr(&uri).expect("qr").lines().count() > 10);
    }
}
