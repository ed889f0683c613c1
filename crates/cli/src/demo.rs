//! `meddesk demo seed`: fill the demo profile with its synthetic accounts and consultation
//! requests (every name carries 演示/Demo), triaged by the real rules. Refuses a clinic
//! profile. A thin front over `meddesk_workstation::demo`.

use std::sync::Arc;

use clap::Subcommand;
use meddesk_workstation::{SystemClock, Workstation, demo};

use crate::profile_args::ProfileArgs;
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Put the synthetic demo accounts and consultations into the demo profile (--demo).
    Seed,
}

pub fn run(args: &ProfileArgs, command: DemoCommand) -> Result<(), String> {
    match command {
        DemoCommand::Seed => {
            if !args.demo {
                return Err(
                    "not_demo_profile: demo data goes only into the demo profile; pass --demo"
                        .into(),
                );
            }
            let profile = args.profile()?;
            let fail =
                |e: meddesk_workstation::ApiError| format!("{}: {}", e.code_str(), e.message);
            let passphrase = std::env::var("MEDDESK_PASSPHRASE")
                .ok()
                .map(zeroize::Zeroizing::new);
            let ws = Workstation::open_profile(profile, Arc::new(SystemClock), passphrase)
                .map_err(fail)?;
            let added = demo::seed(&ws).map_err(fail)?;
            println!("demo profile ready: {added} synthetic consultations added");
            let signed = signed_prescription(&ws)?;
            println!("{signed}");
            Ok(())
        }
    }
}

/// R-RX-10 on a fresh clone: the demo profile holds at least one prescription signed by the
/// demo physician, approved by the demo pharmacist, both countersigned by the demo's own
/// platform — made through the real use cases and a real sync with the embedded node, so
/// `meddesk --demo rx export --all --out DIR` and `meddesk rx verify DIR/*.json` work.
fn signed_prescription(ws: &Workstation) -> Result<String, String> {
    use meddesk_workstation::sync::PlatformLink;
    let store_has = |ws: &Workstation| {
        demo::has_countersigned_prescription(ws)
            .map_err(|e| format!("{}: {}", e.code_str(), e.message))
    };
    if store_has(ws)? {
        return Ok("demo profile already holds a signed, approved prescription".into());
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| format!("internal: {e}"))?;
    let platform = meddesk_platform::embedded::bind(meddesk_platform::embedded::EmbeddedConfig {
        dir: ws.profile().data_dir.join("platform"),
        accounts: demo::platform_accounts(),
        arrivals_per_min: 0.0,
        pack: ws.knowledge().pack.clone(),
        triage: ws.knowledge().triage.clone(),
    })
    .map_err(|e| format!("{}: {e}", e.code()))?;
    let url = platform.url().to_owned();
    let handle = rt.handle().clone();
    ws.connect_embedded_platform(
        PlatformLink::embedded(&url),
        Box::new(move || {
            handle.spawn(async move {
                let _ = platform.run().await;
            });
        }),
    )
    .map_err(|e| format!("{}: {}", e.code_str(), e.message))?;
    rt.block_on(sign_and_approve(ws, &url))?;
    if store_has(ws)? {
        Ok(
            "demo profile holds a prescription signed, approved and countersigned by its platform"
                .into(),
        )
    } else {
        Err("demo_seed_failed: the demo prescription did not come back countersigned".into())
    }
}

async fn call(ws: &Workstation, name: &str, body: Value) -> Result<Value, String> {
    meddesk_workstation::api::dispatch(ws, name, body)
        .await
        .map_err(|e| format!("{name}: {}: {}", e.code_str(), e.message))
}

/// Sync now and wait until nothing is pending (bounded: 30 s).
async fn settle(ws: &Workstation) -> Result<(), String> {
    call(ws, "sync_now", json!({})).await?;
    for _ in 0..300 {
        let s = call(ws, "sync_status", json!({})).await?;
        if s["pending_ops"] == 0 && s["state"]["state"] == "up_to_date" {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err("demo_seed_failed: the demo sync did not settle within 30 s".into())
}

async fn sign_and_approve(ws: &Workstation, url: &str) -> Result<(), String> {
    // A request from the platform's patient channel (the simulator, seeded: the same every
    // time) for the demo physician's general practice.
    call(
        ws,
        "sign_in",
        json!({"user_id": "dr.demo", "password": "demo-physician"}),
    )
    .await?;
    settle(ws).await?;
    // Only a request the platform holds can be signed there: not the locally seeded ones.
    let ids = |queue: &Value| -> Vec<String> {
        queue["entries"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|x| x["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let local = ids(&call(ws, "queue_list", json!({})).await?);
    let mut chosen = None;
    for round in 0..20u64 {
        meddesk_platform::simulator::run(
            meddesk_platform::simulator::SimulateConfig {
                server: url.to_owned(),
                username: demo::DEMO_INTAKE_USER.into(),
                password: demo::DEMO_INTAKE_PASSWORD.into(),
                device_id: "demo-seed".into(),
                rate_per_min: 60_000.0,
                count: Some(1),
                seed: Some(2026 + round),
            },
            |_| {},
        )
        .await
        .map_err(|e| format!("demo_seed_failed: {}", e.code()))?;
        settle(ws).await?;
        let queue = call(ws, "queue_list", json!({})).await?;
        chosen = queue["entries"].as_array().and_then(|entries| {
            entries
                .iter()
                .find(|e| {
                    e["patient"]["age_years"]
                        .as_u64()
                        .is_some_and(|a| (18..75).contains(&a))
                        && e["patient"]["identity_verified"] == true
                        && e["held"] == false
                        && e["claimable"] == true
                        && e["id"]
                            .as_str()
                            .is_some_and(|id| !local.iter().any(|l| l == id))
                })
                .and_then(|e| e["id"].as_str().map(str::to_owned))
        });
        if chosen.is_some() {
            break;
        }
    }
    let Some(consultation) = chosen else {
        return Err("demo_seed_failed: no suitable platform request to prescribe for".into());
    };
    call(
        ws,
        "consultation_claim",
        json!({"consultation_id": consultation}),
    )
    .await?;
    call(
        ws,
        "consultation_set_type",
        json!({"consultation_id": consultation, "consultation_type": "chronic",
               "reason": "原发性高血压长期随访（演示）"}),
    )
    .await?;
    call(ws, "record_save", json!({"consultation_id": consultation, "record": {
        "chief_complaint": "高血压复诊（演示）", "history": "原发性高血压（演示数据）",
        "medication_history": "", "allergies": [], "diagnoses": ["I10"], "advice": "低盐饮食，规律监测血压",
        "clinical": {"weight_kg": 68, "egfr": 90, "hepatic_impairment": "none", "conditions": ["I10"],
                     "current_medications": [], "pregnant": false, "lactating": false}}})).await?;
    // The line's 禁忌说明 starts from the pack's label contraindications, as in the editor.
    let hits = call(
        ws,
        "drug_search",
        json!({"query": "amlodipine", "limit": 1}),
    )
    .await?;
    let notes: Vec<&str> = hits["hits"][0]["contraindications"]["zh"]
        .as_array()
        .map(|n| n.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut amlodipine = json!({"drug": "amlodipine", "strength": "5 mg", "dose": {"value": 5, "unit": "mg"},
                                "route": "oral", "frequency": "QD", "days": 28, "quantity": 28});
    if !notes.is_empty() {
        amlodipine["contraindications"] = json!(notes.join("；"));
    }
    let draft = call(
        ws,
        "rx_save",
        json!({"consultation_id": consultation,
        "draft": {"kind": "chronic", "diagnoses": ["I10"], "items": [amlodipine]}}),
    )
    .await?;
    let rx = draft["id"].as_str().unwrap_or_default().to_owned();
    let overrides: Vec<Value> = draft["check"]["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .filter(|f| f["severity"] == "warn")
                .map(|f| json!({"code": f["code"], "items": f["items"], "reason": "演示：已评估"}))
                .collect()
        })
        .unwrap_or_default();
    call(
        ws,
        "rx_sign",
        json!({"prescription_id": rx, "overrides": overrides}),
    )
    .await?;
    settle(ws).await?;
    call(ws, "sign_out", json!({})).await?;
    call(
        ws,
        "sign_in",
        json!({"user_id": "ph.demo", "password": "demo-pharmacist"}),
    )
    .await?;
    settle(ws).await?;
    call(
        ws,
        "rx_review",
        json!({"prescription_id": rx, "decision": {"decision": "approve"}}),
    )
    .await?;
    settle(ws).await?;
    call(ws, "sign_out", json!({})).await?;
    // The physician's sync brings the approval and the countersigned document back.
    call(
        ws,
        "sign_in",
        json!({"user_id": "dr.demo", "password": "demo-physician"}),
    )
    .await?;
    settle(ws).await?;
    let status = call(ws, "sync_status", json!({})).await?;
    call(ws, "sign_out", json!({})).await?;
    if status["rejected_ops"].as_u64().unwrap_or(0) > 0 {
        let codes: Vec<String> = status["rejected"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|x| format!("{} {}", x["operation"], x["rejection"]["code"]))
                    .collect()
            })
            .unwrap_or_default();
        return Err(format!(
            "demo_seed_failed: the demo platform refused: {}",
            codes.join("; ")
        ));
    }
    Ok(())
}
