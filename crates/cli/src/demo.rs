//! `meddesk demo seed`: fill a demo profile with the synthetic patients of
//! `assets/demo/consultations.json` (every name carries 演示/Demo). Refuses a clinic profile.

use chrono::{Duration, Utc};
use clap::Subcommand;
use meddesk_domain::{
    Channel, ConsultationId, ConsultationStatus, MaskedName, PatientId, Priority, Sensitive, Sex,
    TriageRoute,
};
use meddesk_store::Actor;
use meddesk_store::tables::{consultations, patients};
use serde::Deserialize;

use crate::db::{code, open};
use crate::profile_args::ProfileArgs;

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Put the synthetic demo patients and consultations into the demo profile (--demo).
    Seed,
}

// The file's format is the workstation's (crates/workstation/src/demo.rs); read here with
// the same strictness.
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
    priority: Priority,
    route: TriageRoute,
    arrived_minutes_ago: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPatient {
    name: String,
    age_years: u8,
    sex: Sex,
}

/// R-TRI-3: a physician responds within 30 minutes.
const RESPONSE_LIMIT: Duration = Duration::minutes(30);

pub fn run(args: &ProfileArgs, command: DemoCommand) -> Result<(), String> {
    match command {
        DemoCommand::Seed => seed(args),
    }
}

fn seed(args: &ProfileArgs) -> Result<(), String> {
    if !args.demo {
        return Err(
            "not_demo_profile: demo data goes only into the demo profile; pass --demo".into(),
        );
    }
    let path = args.assets.join("demo").join("consultations.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("corrupt_asset: cannot read {}: {e}", path.display()))?;
    let file: DemoFile = serde_json::from_str(&text)
        .map_err(|e| format!("corrupt_asset: {} is malformed: {e}", path.display()))?;
    for c in &file.consultations {
        if !(c.patient.name.contains("演示") || c.patient.name.contains("Demo")) {
            return Err(format!(
                "corrupt_asset: {} has a patient not marked as demo",
                path.display()
            ));
        }
    }
    let (_, _, store) = open(args)?;
    let now = Utc::now();
    let added = store
        .write(&Actor::new("demo-seed"), now, |w| {
            let mut added = 0;
            for (i, c) in file.consultations.iter().enumerate() {
                let pid = PatientId(format!("demo-patient-{}", i + 1));
                let exists = w.conn().query_row(
                    "SELECT count(*) FROM patients WHERE id = ?1",
                    [&pid.0],
                    |r| r.get::<_, i64>(0),
                )? > 0;
                if exists {
                    continue;
                }
                patients::upsert(
                    w,
                    &patients::Patient {
                        id: pid.clone(),
                        masked_name: MaskedName::from_full_name(&c.patient.name),
                        age_years: Some(c.patient.age_years),
                        sex: Some(c.patient.sex),
                        identity_verified: true,
                        demo: true,
                    },
                    Some(&Sensitive::new(patients::Identifiers {
                        full_name: c.patient.name.clone(),
                        id_number: None,
                        phone: None,
                    })),
                )?;
                let arrived = now - Duration::minutes(c.arrived_minutes_ago);
                consultations::insert(
                    w,
                    &consultations::Consultation {
                        id: ConsultationId(uuid::Uuid::new_v4()),
                        patient_id: pid,
                        physician_id: None,
                        channel: c.channel,
                        status: ConsultationStatus::Waiting,
                        priority: c.priority,
                        route: c.route.clone(),
                        complaint: Sensitive::new(c.complaint.clone()),
                        arrived_at: arrived.timestamp_millis(),
                        sla_deadline: (arrived + RESPONSE_LIMIT).timestamp_millis(),
                    },
                )?;
                added += 1;
            }
            Ok(added)
        })
        .map_err(code)?;
    println!(
        "demo profile: {added} synthetic consultations added ({} already present)",
        file.consultations.len() - added
    );
    Ok(())
}
