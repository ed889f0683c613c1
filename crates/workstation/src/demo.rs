//! The demo profile: synthetic, clearly fake patients and three demo accounts, so a new
//! user sees a working screen at once. Its database is encrypted like any other, with a
//! passphrase-wrapped key whose passphrase is public ([`DEMO_PASSPHRASE`]): the demo holds
//! no real patient, and a demo profile is never a clinic's.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use meddesk_clinical::triage::{ConsultationKind, Vitals};
use meddesk_domain::{Channel, Role, Sex};
use meddesk_store::{Actor, KeyPreference, ProfileFiles, Store};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::account::{self, NewUser, totp};
use crate::intake::{IntakePatient, IntakeRequest};
use crate::session::DemoAccount;
use crate::{ApiError, Clock, ErrorCode, Profile, ProfileKind, Workstation};

/// Public on purpose: the demo profile's key protects synthetic data only.
pub const DEMO_PASSPHRASE: &str = "meddesk-demo-profile";
/// The demo administrator's TOTP secret (public, like the passwords below).
const DEMO_TOTP_SECRET: &[u8; 20] = b"meddesk-demo-totp-20";

struct DemoUser {
    id: &'static str,
    password: &'static str,
    name: &'static str,
    role: Role,
    specialties: &'static [&'static str],
}

const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        id: "dr.demo",
        password: "demo-physician",
        name: "演示医生 李",
        role: Role::Physician,
        specialties: &["general", "emergency", "cardiology", "endocrinology"],
    },
    DemoUser {
        id: "ph.demo",
        password: "demo-pharmacist",
        name: "演示药师 赵",
        role: Role::Pharmacist,
        specialties: &[],
    },
    DemoUser {
        id: "admin.demo",
        password: "demo-administrator",
        name: "演示管理员 王",
        role: Role::Administrator,
        specialties: &[],
    },
];

/// The demo's intake channel on its embedded platform (the patient simulator's account).
/// The demo platform's patient channel (public, like every demo credential).
pub const DEMO_INTAKE_USER: &str = "intake.demo";
pub const DEMO_INTAKE_PASSWORD: &str = "demo-intake";
/// `MEDDESK_DEMO_ARRIVALS_PER_MIN`: how many synthetic requests the demo's simulator files
/// per minute (default 2; 0 turns it off — the browser tests do, to keep the queue fixed).
pub const ARRIVALS_ENV: &str = "MEDDESK_DEMO_ARRIVALS_PER_MIN";

pub fn arrivals_per_min() -> f64 {
    std::env::var(ARRIVALS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|r| r.is_finite() && *r >= 0.0)
        .unwrap_or(2.0)
}
const DEMO_ORG: &str = "demo-clinic";

/// The accounts the demo's embedded platform provisions: the three demo users with the same
/// ids, passwords, specialties and TOTP secret as in the workstation, and the intake channel.
pub fn platform_accounts() -> Vec<meddesk_sync::AccountSeed> {
    use meddesk_sync::AccountRole;
    DEMO_USERS
        .iter()
        .map(|u| meddesk_sync::AccountSeed {
            username: u.id.into(),
            password: u.password.into(),
            user_id: u.id.into(),
            role: match u.role {
                Role::Physician => AccountRole::Physician,
                Role::Pharmacist => AccountRole::Pharmacist,
                Role::Administrator => AccountRole::Administrator,
            },
            org_id: DEMO_ORG.into(),
            specialties: u
                .specialties
                .iter()
                .map(|s| crate::sync::platform_specialty(s))
                .collect(),
            totp_secret_hex: (u.role == Role::Administrator).then(|| hex::encode(DEMO_TOTP_SECRET)),
        })
        .chain(std::iter::once(meddesk_sync::AccountSeed {
            username: DEMO_INTAKE_USER.into(),
            password: DEMO_INTAKE_PASSWORD.into(),
            user_id: DEMO_INTAKE_USER.into(),
            role: AccountRole::Intake,
            org_id: DEMO_ORG.into(),
            specialties: Vec::new(),
            totp_secret_hex: None,
        }))
        .collect()
}

/// The demo accounts for the sign-in screen, with the administrator's current code.
pub(crate) fn accounts(now: DateTime<Utc>) -> Vec<DemoAccount> {
    let unix = u64::try_from(now.timestamp()).unwrap_or(0);
    DEMO_USERS
        .iter()
        .map(|u| DemoAccount {
            user_id: u.id.into(),
            password: u.password.into(),
            role: u.role,
            totp: (u.role == Role::Administrator)
                .then(|| format!("{:06}", totp::code_at(DEMO_TOTP_SECRET, unix, totp::DIGITS))),
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFile {
    #[serde(rename = "_comment")]
    _comment: Option<String>,
    consultations: Vec<DemoConsultation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoConsultation {
    patient: DemoPatient,
    channel: Channel,
    complaint: String,
    #[serde(default)]
    vitals: Vitals,
    #[serde(default)]
    kind: ConsultationKind,
    #[serde(default)]
    guardian_present: Option<bool>,
    arrived_minutes_ago: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPatient {
    id: String,
    full_name: String,
    age_years: f64,
    sex: Sex,
    #[serde(default)]
    identity_verified: bool,
    #[serde(default)]
    conditions: Vec<String>,
}

fn load_file(assets: &Path) -> Result<DemoFile, ApiError> {
    let path = assets.join("demo").join("consultations.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ApiError::new(ErrorCode::CorruptAsset, format!("{}: {e}", path.display())))?;
    let file: DemoFile = serde_json::from_str(&text).map_err(|e| {
        ApiError::new(
            ErrorCode::CorruptAsset,
            format!("{} is malformed: {e}", path.display()),
        )
    })?;
    if let Some(c) = file
        .consultations
        .iter()
        .find(|c| !(c.patient.full_name.contains("演示") || c.patient.full_name.contains("Demo")))
    {
        return Err(ApiError::new(
            ErrorCode::CorruptAsset,
            format!(
                "{}: patient {} is not marked as demo",
                path.display(),
                c.patient.id
            ),
        ));
    }
    Ok(file)
}

/// Open (creating and seeding on first use) the demo profile in `profile.data_dir`.
pub fn open_demo(profile: Profile, clock: Arc<dyn Clock>) -> Result<Workstation, ApiError> {
    open_demo_with(profile, clock, None)
}

/// Like [`open_demo`], for a demo profile whose key is wrapped with another passphrase (one
/// made by `meddesk --demo db init`).
pub fn open_demo_with(
    profile: Profile,
    clock: Arc<dyn Clock>,
    passphrase: Option<Zeroizing<String>>,
) -> Result<Workstation, ApiError> {
    if profile.kind != ProfileKind::Demo {
        return Err(ApiError::new(
            ErrorCode::InvalidValue,
            "open_demo needs the demo profile",
        ));
    }
    let files = ProfileFiles::new(&profile.data_dir);
    let given = passphrase;
    let passphrase = || {
        given
            .clone()
            .unwrap_or_else(|| Zeroizing::new(DEMO_PASSPHRASE.to_owned()))
    };
    let fresh = !files.database().exists();
    if fresh {
        let (key, _) = meddesk_store::profile::create_key(
            &files,
            KeyPreference::PassphraseFile,
            Some(passphrase()),
        )?;
        let store = Store::create(&files, &key, clock.now())?;
        drop(store);
    }
    // A demo profile made by `meddesk --demo db init` may keep its key elsewhere (keychain):
    // follow the profile's own key mode.
    let keys = meddesk_store::profile::key_source(&files, Some(passphrase()))?;
    let ws = Workstation::open(profile, clock, keys)?;
    if fresh {
        seed(&ws)?;
    }
    Ok(ws)
}

/// Put the demo accounts and consultation requests into the (demo) profile's store. Seeding
/// again adds nothing: accounts that exist are kept, and consultations are added only to an
/// empty queue. Returns how many consultations were added.
pub fn seed(ws: &Workstation) -> Result<usize, ApiError> {
    if ws.profile().kind != ProfileKind::Demo {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "demo data goes only into the demo profile",
        ));
    }
    let file = load_file(&ws.profile().assets_dir)?;
    let store = ws.open_store()?;
    let now = ws.now();
    let system = Actor::system();
    for u in DEMO_USERS {
        let exists = store
            .read(&system, now, |r| meddesk_store::tables::users::get(r, u.id))?
            .is_some();
        if exists {
            continue;
        }
        account::create_user(
            &store,
            &system,
            now,
            &NewUser {
                id: u.id.into(),
                display_name: u.name.into(),
                org_id: DEMO_ORG.into(),
                roles: vec![u.role],
                specialties: u.specialties.iter().map(|s| (*s).to_owned()).collect(),
                password: u.password.into(),
                rights_reviewed_at: (u.role == Role::Physician).then(|| now - Duration::days(100)),
            },
            (u.role == Role::Administrator).then_some(&DEMO_TOTP_SECRET[..]),
        )?;
    }
    let existing = store.read(&system, now, |r| {
        meddesk_store::tables::consultations::count(r)
    })?;
    if existing > 0 {
        return Ok(0);
    }
    for c in &file.consultations {
        crate::intake::receive(
            ws,
            &store,
            &system,
            &IntakeRequest {
                patient: IntakePatient {
                    id: c.patient.id.clone(),
                    full_name: c.patient.full_name.clone(),
                    age_years: Some(c.patient.age_years),
                    sex: Some(c.patient.sex),
                    identity_verified: c.patient.identity_verified,
                    id_number: None,
                    conditions: c.patient.conditions.clone(),
                    demo: true,
                },
                channel: c.channel,
                complaint: c.complaint.clone(),
                vitals: c.vitals.clone(),
                kind: c.kind,
                guardian_present: c.guardian_present,
                arrived_at: Some(crate::intake::minutes_ago(now, c.arrived_minutes_ago)),
            },
        )?;
    }
    Ok(file.consultations.len())
}

/// Whether the demo profile holds a prescription whose electronic signature document carries
/// the pharmacist's review and the platform's timestamps (R-RX-10: what `rx verify` checks).
pub fn has_countersigned_prescription(ws: &Workstation) -> Result<bool, ApiError> {
    let store = ws.open_store()?;
    let docs = store.read(&Actor::system(), ws.now(), |r| {
        meddesk_store::tables::workflow_documents::signed_documents(r)
    })?;
    Ok(docs.iter().any(|(_, json)| {
        serde_json::from_str::<meddesk_signature::SignedPrescription>(json)
            .is_ok_and(|d| d.review.is_some() && d.timestamps.len() >= 2)
    }))
}
