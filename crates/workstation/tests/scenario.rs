//! The consultation workflow end to end on a real encrypted store, every role through its
//! use cases (issue 5): request → triage → claim → record → prescribe with a finding and an
//! override → sign → pharmacist rejects → revise → approve → guidance PDF → follow-up due →
//! complaint → suspension blocks the next signing. Forbidden paths are tested as such.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use meddesk_domain::Role;
use meddesk_workstation::account::{NewUser, totp};
use meddesk_workstation::{ErrorCode, ManualClock, Workstation};
use serde_json::{Value, json};

mod support;

const ADMIN_SECRET: &[u8] = b"scenario-admin-totp!";

struct World {
    ws: Workstation,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T09:00:00+08:00")
        .expect("valid")
        .to_utc()
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let (profile, keys) = support::clinic_profile(dir.path(), t0());
    let clock = Arc::new(ManualClock::new(t0()));
    let ws = Workstation::open(profile, clock.clone(), Box::new(keys)).expect("opens");
    let user = |id: &str, role: Role, specialties: &[&str]| NewUser {
        id: id.into(),
        display_name: format!("{id} (test)"),
        org_id: "clinic-1".into(),
        roles: vec![role],
        specialties: specialties.iter().map(|s| (*s).to_owned()).collect(),
        password: format!("{id}-password"),
        rights_reviewed_at: (role == Role::Physician).then(|| t0() - Duration::days(200)),
    };
    ws.bootstrap_user(
        &user(
            "dr.li",
            Role::Physician,
            &["general", "emergency", "cardiology"],
        ),
        None,
    )
    .expect("physician");
    ws.bootstrap_user(&user("dr.wang", Role::Physician, &["general"]), None)
        .expect("second physician");
    ws.bootstrap_user(&user("ph.zhao", Role::Pharmacist, &[]), None)
        .expect("pharmacist");
    let admin = ws
        .bootstrap_user(
            &user("admin.sun", Role::Administrator, &[]),
            Some(ADMIN_SECRET),
        )
        .expect("administrator");
    assert!(
        admin
            .totp_uri
            .expect("administrators get a TOTP secret")
            .starts_with("otpauth://totp/")
    );
    World {
        ws,
        clock,
        _dir: dir,
    }
}

impl World {
    async fn call(
        &self,
        command: &str,
        body: Value,
    ) -> Result<Value, meddesk_workstation::ApiError> {
        support::call(&self.ws, command, body).await
    }

    async fn ok(&self, command: &str, body: Value) -> Value {
        support::ok(&self.ws, command, body).await
    }

    async fn err(&self, command: &str, body: Value) -> ErrorCode {
        match self.call(command, body).await {
            Ok(v) => panic!("{command} should have failed, got {v}"),
            Err(e) => e.code,
        }
    }

    async fn sign_in(&self, id: &str) {
        self.ok("sign_out", json!({})).await;
        if id == "admin.sun" {
            // A TOTP code works once: the next sign-in waits for the next 30-second step.
            self.clock.advance(Duration::seconds(30));
        }
        let totp = (id == "admin.sun").then(|| {
            let unix = self.clock_now().timestamp() as u64;
            format!("{:06}", totp::code_at(ADMIN_SECRET, unix, 6))
        });
        self.ok(
            "sign_in",
            json!({"user_id": id, "password": format!("{id}-password"), "totp": totp}),
        )
        .await;
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use meddesk_workstation::Clock;
        self.clock.now()
    }

    fn request(&self, patient: &str, name: &str, complaint: &str, extra: Value) -> String {
        let mut req = json!({
            "patient": {"id": patient, "full_name": name, "age_years": 34, "sex": "female", "identity_verified": true},
            "channel": "text",
            "complaint": complaint,
        });
        if let (Some(r), Some(e)) = (req.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                r.insert(k.clone(), v.clone());
            }
        }
        let req = serde_json::from_value(req).expect("intake request");
        self.ws
            .receive_request(&req)
            .expect("received")
            .0
            .to_string()
    }
}

fn codes(check: &Value) -> Vec<(String, String)> {
    check["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_owned(),
                f["severity"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_whole_workflow_across_roles() {
    let w = world();
    let sore_throat = w.request("p-1", "张三丰", "咽痛两天，无发热", json!({}));
    let chest = w.request("p-2", "李四", "胸痛半小时", json!({}));
    let followup = w.request(
        "p-3",
        "王五",
        "高血压复诊，需续开降压药",
        json!({"kind": "chronic_followup", "patient": {"id": "p-3", "full_name": "王五", "age_years": 61, "sex": "male", "identity_verified": true, "conditions": ["I10"]}}),
    );

    // Signed out, nothing is readable.
    assert_eq!(w.err("queue_list", json!({})).await, ErrorCode::SignedOut);
    assert_eq!(
        w.err(
            "sign_in",
            json!({"user_id": "dr.li", "password": "wrong-password"})
        )
        .await,
        ErrorCode::WrongCredentials
    );
    assert_eq!(
        w.err(
            "sign_in",
            json!({"user_id": "nobody", "password": "whatever-1"})
        )
        .await,
        ErrorCode::WrongCredentials
    );

    // The physician's queue: the chest pain first (emergency), de-identified names.
    w.sign_in("dr.li").await;
    let queue = w.ok("queue_list", json!({})).await;
    let entries = queue["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["id"], chest);
    assert_eq!(entries[0]["priority"], "emergency");
    assert!(
        !queue.to_string().contains("张三丰"),
        "full names never reach the queue"
    );
    assert_eq!(
        entries
            .iter()
            .find(|e| e["id"] == followup)
            .expect("follow-up")["route"]["specialty"],
        "cardiology"
    );

    // dr.wang is not credentialed for emergency or cardiology (R-ROLE-4).
    w.sign_in("dr.wang").await;
    let queue = w.ok("queue_list", json!({})).await;
    assert_eq!(queue["entries"].as_array().expect("entries").len(), 1);
    assert_eq!(
        w.err("consultation_claim", json!({"consultation_id": chest}))
            .await,
        ErrorCode::Forbidden
    );
    // First claim wins.
    w.ok(
        "consultation_claim",
        json!({"consultation_id": sore_throat}),
    )
    .await;
    w.sign_in("dr.li").await;
    assert_eq!(
        w.err(
            "consultation_claim",
            json!({"consultation_id": sore_throat})
        )
        .await,
        ErrorCode::Conflict
    );
    // R-ROLE-1: not dr.li's encounter.
    assert_eq!(
        w.err("consultation_get", json!({"consultation_id": sore_throat}))
            .await,
        ErrorCode::NotFound
    );

    // dr.li takes the hypertension follow-up and writes the record.
    let view = w
        .ok("consultation_claim", json!({"consultation_id": followup}))
        .await;
    assert_eq!(view["mine"], true);
    assert_eq!(view["patient"]["masked_name"], "王*");
    let record = json!({
        "chief_complaint": "高血压复诊",
        "history": "高血压5年",
        "medication_history": "华法林",
        "allergies": [{"substance": "penicillins", "reaction": "皮疹"}],
        "diagnoses": ["I10"],
        "advice": "低盐饮食",
        "clinical": {"weight_kg": 70, "egfr": 80, "hepatic_impairment": "none", "conditions": ["I10"], "current_medications": ["warfarin"], "pregnant": false, "lactating": false}
    });
    w.ok(
        "record_save",
        json!({"consultation_id": followup, "record": record}),
    )
    .await;
    assert_eq!(
        w.err(
            "record_save",
            json!({"consultation_id": followup, "record": {"diagnoses": ["not-a-code"]}})
        )
        .await,
        ErrorCode::InvalidValue
    );

    // As-you-type check: amoxicillin against a penicillin allergy blocks.
    let amoxicillin = json!({"drug": "阿莫西林", "strength": "500 mg", "dose": {"value": 500, "unit": "mg"}, "route": "oral", "frequency": "TID", "days": 5, "quantity": 15});
    let check = w
        .ok(
            "rx_check",
            json!({"consultation_id": followup, "draft": {"items": [amoxicillin]}}),
        )
        .await;
    assert!(
        codes(&check).contains(&("allergy".into(), "block".into())),
        "{check}"
    );
    let blocked = w
        .ok(
            "rx_save",
            json!({"consultation_id": followup, "draft": {"items": [amoxicillin]}}),
        )
        .await;
    let blocked_id = blocked["id"].as_str().expect("id").to_owned();
    assert_eq!(
        w.err("rx_sign", json!({"prescription_id": blocked_id}))
            .await,
        ErrorCode::RuleViolation
    );
    // A block cannot be overridden (R-RX-7).
    assert_eq!(
        w.err("rx_sign", json!({"prescription_id": blocked_id, "overrides": [{"code": "allergy", "items": [0], "reason": "I insist"}]})).await,
        ErrorCode::RuleViolation
    );
    w.ok("rx_revoke", json!({"prescription_id": blocked_id}))
        .await;

    // Amlodipine plus ibuprofen on warfarin: an interaction warning that needs a reason.
    let amlodipine = json!({"drug": "amlodipine", "strength": "5 mg", "dose": {"value": 5, "unit": "mg"}, "route": "oral", "frequency": "QD", "days": 28, "quantity": 28});
    let ibuprofen = json!({"drug": "ibuprofen", "strength": "200 mg", "dose": {"value": 200, "unit": "mg"}, "route": "oral", "frequency": "TID", "days": 3, "quantity": 9});
    let rx = w
        .ok(
            "rx_save",
            json!({"consultation_id": followup, "draft": {"items": [amlodipine, ibuprofen]}}),
        )
        .await;
    let rx_id = rx["id"].as_str().expect("id").to_owned();
    assert_eq!(rx["status"], "draft");
    let warn: Vec<Value> = rx["check"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "warn")
        .cloned()
        .collect();
    assert!(warn.iter().any(|f| f["code"] == "interaction"), "{rx}");
    assert_eq!(
        w.err("rx_sign", json!({"prescription_id": rx_id})).await,
        ErrorCode::RuleViolation
    );
    let overrides = support::overrides_for_warnings(&rx["check"], "短期使用，已告知患者监测出血");
    let signed = w
        .ok(
            "rx_sign",
            json!({"prescription_id": rx_id, "overrides": overrides}),
        )
        .await;
    assert_eq!(signed["status"], "signed");
    // Physicians do not review.
    assert_eq!(
        w.err(
            "rx_review",
            json!({"prescription_id": rx_id, "decision": {"decision": "approve"}})
        )
        .await,
        ErrorCode::Forbidden
    );

    // The pharmacist rejects with reasons; the physician revises; then approval.
    w.sign_in("ph.zhao").await;
    assert_eq!(w.err("queue_list", json!({})).await, ErrorCode::Forbidden);
    assert_eq!(
        w.err(
            "rx_save",
            json!({"consultation_id": followup, "draft": {"items": [amlodipine]}})
        )
        .await,
        ErrorCode::Forbidden
    );
    let queue = w.ok("review_queue", json!({})).await;
    let items = queue["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0]["prescription"]["overrides"]
            .as_array()
            .expect("overrides")
            .len(),
        overrides.len()
    );
    assert_eq!(
        w.err(
            "rx_review",
            json!({"prescription_id": rx_id, "decision": {"decision": "reject", "reasons": []}})
        )
        .await,
        ErrorCode::RuleViolation
    );
    let rejected = w
        .ok("rx_review", json!({"prescription_id": rx_id, "decision": {"decision": "reject", "reasons": ["interaction"], "note": "华法林合用布洛芬出血风险，建议改用对乙酰氨基酚"}}))
        .await;
    assert_eq!(rejected["status"], "rejected");

    w.sign_in("dr.li").await;
    let revised = w.ok("rx_save", json!({"consultation_id": followup, "prescription_id": rx_id, "draft": {"items": [amlodipine]}})).await;
    assert_eq!(revised["status"], "draft");
    assert_eq!(revised["reviews"][0]["approved"], false);
    w.ok(
        "rx_sign",
        json!({"prescription_id": rx_id, "validity_days": 3}),
    )
    .await;

    w.sign_in("ph.zhao").await;
    let approved = w
        .ok(
            "rx_review",
            json!({"prescription_id": rx_id, "decision": {"decision": "approve"}}),
        )
        .await;
    assert_eq!(approved["status"], "approved");

    // Guidance: zh-CN PDF with Chinese text, and an English sheet.
    w.sign_in("dr.li").await;
    let pdf = w
        .ok(
            "guidance_export",
            json!({"prescription_id": rx_id, "language": "zh-CN", "format": "pdf"}),
        )
        .await;
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pdf["base64"].as_str().expect("base64"))
        .expect("decodes");
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(pdf["file_name"].as_str().expect("name").ends_with(".pdf"));
    let sheet = w
        .ok(
            "guidance_sheet",
            json!({"prescription_id": rx_id, "language": "en"}),
        )
        .await;
    assert!(sheet.to_string().to_lowercase().contains("amlodipine"));
    assert_eq!(sheet["patient"], "王*", "the sheet is de-identified");

    // Completing the chronic consultation plans the day-3 follow-up (R-FU-1).
    w.ok(
        "consultation_complete",
        json!({"consultation_id": followup}),
    )
    .await;
    let due = w.ok("follow_up_list", json!({})).await;
    assert!(due["due_today"].as_array().expect("list").is_empty());
    w.clock.advance(Duration::days(3));
    w.sign_in("dr.li").await;
    let due = w.ok("follow_up_list", json!({})).await;
    let today = due["due_today"].as_array().expect("list");
    assert_eq!(today.len(), 1, "{due}");
    assert_eq!(today[0]["plan"], "hypertension");
    let plan_id = today[0]["plan_id"].clone();
    w.ok("follow_up_record", json!({"plan_id": plan_id, "taken_as_prescribed": true, "symptoms_improved": true, "revisit_advice": "四周后复诊"})).await;
    assert!(
        w.ok("follow_up_list", json!({})).await["due_today"]
            .as_array()
            .expect("list")
            .is_empty()
    );

    // The approved prescription expires after its validity.
    let later = w.ok("rx_get", json!({"prescription_id": rx_id})).await;
    assert_eq!(later["status"], "expired");

    // A complaint: a compliance violation suspends dr.li at once (R-CMP-2).
    w.sign_in("admin.sun").await;
    let filed = w
        .ok(
            "complaint_file",
            json!({"consultation_id": followup, "text": "医生超范围开药"}),
        )
        .await;
    let list = w.ok("complaint_list", json!({})).await;
    assert_eq!(list["complaints"][0]["seconds_left"], 24 * 3600);
    let resolved = w
        .ok("complaint_resolve", json!({"complaint_id": filed["id"], "outcome": {"kind": "compliance_violation", "finding": "超范围开具处方"}}))
        .await;
    assert!(
        resolved["regulator_report"]
            .as_str()
            .expect("report")
            .contains("R-CMP-2")
    );
    let kpi = w.ok("kpi_report", json!({})).await;
    assert!(
        kpi["indicators"]
            .as_array()
            .expect("indicators")
            .iter()
            .any(|i| i["physician"] == "dr.li")
    );

    // Suspended: the next claim and signing are refused.
    let another = w.request("p-4", "赵六", "咽痛", json!({}));
    w.sign_in("dr.li").await;
    assert_eq!(
        w.err("consultation_claim", json!({"consultation_id": another}))
            .await,
        ErrorCode::RuleViolation
    );
}

#[tokio::test]
async fn suspension_blocks_signing_a_draft_written_before_it() {
    let w = world();
    let c = w.request("p-9", "孙七", "咽痛两天", json!({}));
    w.sign_in("dr.li").await;
    w.ok("consultation_claim", json!({"consultation_id": c}))
        .await;
    w.ok("record_save", json!({"consultation_id": c, "record": {"diagnoses": ["J02.9"], "allergies": [], "clinical": {"weight_kg": 60, "egfr": 90, "current_medications": []}}})).await;
    let azithro = json!({"drug": "azithromycin", "strength": "250 mg", "dose": {"value": 500, "unit": "mg"}, "route": "oral", "frequency": "QD", "days": 3, "quantity": 6});
    let rx = w
        .ok(
            "rx_save",
            json!({"consultation_id": c, "draft": {"items": [azithro]}}),
        )
        .await;
    w.sign_in("admin.sun").await;
    w.ok(
        "user_suspend",
        json!({"user_id": "dr.li", "reason": "compliance review"}),
    )
    .await;
    w.sign_in("dr.li").await;
    let status = w.ok("session_status", json!({})).await;
    assert_eq!(status["user"]["suspended"], true);
    assert_eq!(
        w.err("rx_sign", json!({"prescription_id": rx["id"]})).await,
        ErrorCode::RuleViolation
    );
    // Reinstated, the same draft signs.
    w.sign_in("admin.sun").await;
    w.ok("user_suspend", json!({"user_id": "dr.li", "reason": null}))
        .await;
    w.sign_in("dr.li").await;
    assert_eq!(
        w.ok("rx_sign", json!({"prescription_id": rx["id"]})).await["status"],
        "signed"
    );
}

#[tokio::test]
async fn expired_prescribing_rights_block_signing() {
    let w = world();
    let c = w.request("p-8", "周八", "咽痛两天", json!({}));
    w.sign_in("dr.li").await;
    w.ok("consultation_claim", json!({"consultation_id": c}))
        .await;
    w.ok("record_save", json!({"consultation_id": c, "record": {"diagnoses": ["J02.9"], "allergies": [], "clinical": {"weight_kg": 60, "egfr": 90, "current_medications": []}}})).await;
    let azithro = json!({"drug": "azithromycin", "strength": "250 mg", "dose": {"value": 500, "unit": "mg"}, "route": "oral", "frequency": "QD", "days": 3, "quantity": 6});
    let rx = w
        .ok(
            "rx_save",
            json!({"consultation_id": c, "draft": {"items": [azithro]}}),
        )
        .await;
    // 200 days ago + 166 days = a year and a day since the last review (R-ROLE-4).
    w.clock.advance(Duration::days(166));
    w.sign_in("dr.li").await;
    assert_eq!(
        w.err("rx_sign", json!({"prescription_id": rx["id"]})).await,
        ErrorCode::RuleViolation
    );
}

#[tokio::test]
async fn administrators_need_the_second_factor_and_codes_do_not_replay() {
    let w = world();
    let unix = t0().timestamp() as u64;
    let code = format!("{:06}", totp::code_at(ADMIN_SECRET, unix, 6));
    assert_eq!(
        w.err(
            "sign_in",
            json!({"user_id": "admin.sun", "password": "admin.sun-password"})
        )
        .await,
        ErrorCode::TotpRequired
    );
    assert_eq!(
        w.err(
            "sign_in",
            json!({"user_id": "admin.sun", "password": "admin.sun-password", "totp": "000000"})
        )
        .await,
        ErrorCode::TotpInvalid
    );
    w.ok(
        "sign_in",
        json!({"user_id": "admin.sun", "password": "admin.sun-password", "totp": code}),
    )
    .await;
    w.ok("sign_out", json!({})).await;
    assert_eq!(
        w.err(
            "sign_in",
            json!({"user_id": "admin.sun", "password": "admin.sun-password", "totp": code})
        )
        .await,
        ErrorCode::TotpInvalid,
        "a used code is refused"
    );
}

#[tokio::test]
async fn the_workstation_locks_after_ten_idle_minutes_and_unlocks_with_the_password() {
    let w = world();
    w.request("p-5", "吴九", "咽痛", json!({}));
    w.sign_in("dr.li").await;
    w.ok("queue_list", json!({})).await;
    w.clock.advance(Duration::minutes(9));
    w.ok("queue_list", json!({})).await;
    w.clock.advance(Duration::minutes(10));
    assert_eq!(w.err("queue_list", json!({})).await, ErrorCode::Locked);
    let status = w.ok("session_status", json!({})).await;
    assert_eq!(status["state"], "locked");
    assert!(
        status["user"].is_null(),
        "the lock screen shows no user record"
    );
    assert_eq!(
        w.err("unlock", json!({"password": "not-it"})).await,
        ErrorCode::WrongCredentials
    );
    w.ok("unlock", json!({"password": "dr.li-password"})).await;
    w.ok("queue_list", json!({})).await;
    w.ok("lock", json!({})).await;
    assert_eq!(w.err("queue_list", json!({})).await, ErrorCode::Locked);
}

/// The idle lock is a timer (R-SEC-3, issue 13): ten idle minutes lock the session by
/// themselves — nobody has to touch the workstation for its store and key to be dropped.
/// (The clock is moved back afterwards, so the lock seen is the timer's, not the next
/// command's own check.)
#[tokio::test(start_paused = true)]
async fn an_idle_workstation_locks_by_itself() {
    let w = world();
    w.sign_in("dr.li").await;
    w.ok("queue_list", json!({})).await;
    w.clock.advance(Duration::minutes(11));
    tokio::time::sleep(std::time::Duration::from_secs(11 * 60)).await;
    w.clock.advance(Duration::minutes(-11));
    let status = w.ok("session_status", json!({})).await;
    assert_eq!(status["state"], "locked", "{status}");
    assert_eq!(w.err("queue_list", json!({})).await, ErrorCode::Locked);
    // Before the timeout, nothing locks.
    w.ok("unlock", json!({"password": "dr.li-password"})).await;
    tokio::time::sleep(std::time::Duration::from_secs(5 * 60)).await;
    w.clock.advance(Duration::minutes(5));
    w.ok("queue_list", json!({})).await;
}

#[tokio::test]
async fn intake_screening_flags_and_holds_sensitive_requests() {
    let w = world();
    let child = w.request(
        "p-6",
        "郑十",
        "咳嗽三天",
        json!({"patient": {"id": "p-6", "full_name": "郑十", "age_years": 4}, "guardian_present": false}),
    );
    let sensitive = w.request("p-7", "钱十一", "失眠，想多开几盒地西泮", json!({}));
    for _ in 0..2 {
        w.request("p-1", "张三丰", "咽痛", json!({}));
    }
    let third = w.request("p-1", "张三丰", "咽痛又来了", json!({}));
    w.sign_in("dr.li").await;
    let queue = w.ok("queue_list", json!({})).await;
    let entry = |id: &str| {
        queue["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["id"] == id)
            .cloned()
            .expect("in the queue")
    };
    let flag_codes = |e: &Value| -> Vec<String> {
        e["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .map(|f| f["code"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(flag_codes(&entry(&child)), ["guardian_required"]);
    assert_eq!(flag_codes(&entry(&third)), ["frequency_cap"]);
    let s = entry(&sensitive);
    assert_eq!(flag_codes(&s), ["sensitive_word"]);
    assert_eq!(s["held"], true);
    assert_eq!(
        w.err("consultation_claim", json!({"consultation_id": sensitive}))
            .await,
        ErrorCode::RuleViolation
    );
    w.sign_in("admin.sun").await;
    w.ok("intake_release", json!({"consultation_id": sensitive}))
        .await;
    w.sign_in("dr.li").await;
    w.ok("consultation_claim", json!({"consultation_id": sensitive}))
        .await;
}

/// The validity findings of a check result as `code@lines` (1-based), as the platform's
/// refusal names them.
fn validity_codes(check: &Value) -> Vec<String> {
    let findings: Vec<meddesk_clinical::check::request::Finding> =
        serde_json::from_value(check["findings"].clone()).expect("findings");
    let valid: Vec<_> = findings
        .into_iter()
        .filter(meddesk_clinical::check::validity::is_validity_finding)
        .collect();
    meddesk_clinical::check::validity::summary(&valid)
}

/// R-RX-8: the shared table (`tests/fixtures/validity-cases.json`) through the
/// workstation: the checker names exactly the table's validity findings, and a prescription
/// with any of them cannot be signed, with every warning overridden — no reason passes a
/// block. The platform's decide tests run the same table.
#[tokio::test]
async fn nothing_that_may_not_exist_is_signed() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/validity-cases.json"),
    )
    .expect("validity table");
    let table: Value = serde_json::from_str(&text).expect("table");
    let w = world();
    for (i, case) in table["cases"].as_array().expect("cases").iter().enumerate() {
        let name = case["name"].as_str().unwrap_or("");
        let c = w.request(
            &format!("p-v{i}"),
            "测试患者",
            "咽痛两天",
            json!({"patient": {"id": format!("p-v{i}"), "full_name": "测试患者", "age_years": 40, "sex": "male", "identity_verified": case["identity_verified"]}}),
        );
        w.sign_in("dr.li").await;
        w.ok("consultation_claim", json!({"consultation_id": c}))
            .await;
        // The case's consultation type is the physician's call on the consultation.
        if let Some(kind) = case["draft"]["kind"].as_str() {
            let view = w
                .ok(
                    "consultation_set_type",
                    json!({"consultation_id": c, "consultation_type": kind, "reason": "按病情确定就诊类型"}),
                )
                .await;
            assert_eq!(view["prescription_kind"], kind, "{name}");
        }
        w.ok("record_save", json!({"consultation_id": c, "record": {"diagnoses": [], "allergies": [], "clinical": {"weight_kg": 70, "egfr": 95, "current_medications": []}}})).await;
        let draft = case["draft"].clone();
        let check = w
            .ok("rx_check", json!({"consultation_id": c, "draft": draft}))
            .await;
        let expect: Vec<String> = serde_json::from_value(case["expect"].clone()).expect("expect");
        assert_eq!(validity_codes(&check), expect, "rx_check: {name}");
        let saved = w
            .call("rx_save", json!({"consultation_id": c, "draft": draft}))
            .await;
        let signed = match saved {
            // A draft the workstation refuses to store at all (six lines) is not signable.
            Err(e) => Err(e.code),
            Ok(rx) => {
                let overrides =
                    support::overrides_for_warnings(&rx["check"], "clinically justified");
                w.call(
                    "rx_sign",
                    json!({"prescription_id": rx["id"], "overrides": overrides}),
                )
                .await
                .map_err(|e| e.code)
            }
        };
        if expect.is_empty() {
            assert_eq!(
                signed.expect("a valid prescription signs")["status"],
                "signed",
                "{name}"
            );
        } else {
            assert_eq!(signed.err(), Some(ErrorCode::RuleViolation), "{name}");
        }
    }
}

/// The consultation type is the treating physician's call (R-RX-4, R-RX-8): shown on the
/// consultation, changed only by them and only with a reason; the course limit follows it
/// and the finding names the limit that applied; a draft cannot choose its own type.
#[tokio::test]
async fn the_physician_sets_the_consultation_type_and_the_course_limit_follows_it() {
    let w = world();
    let c = w.request(
        "p-t1",
        "赵六",
        "血压偏高，要求开药",
        json!({"patient": {"id": "p-t1", "full_name": "赵六", "age_years": 58, "sex": "male", "identity_verified": true}}),
    );
    w.sign_in("dr.li").await;
    w.ok("consultation_claim", json!({"consultation_id": c}))
        .await;
    let view = w
        .ok("consultation_get", json!({"consultation_id": c}))
        .await;
    assert_eq!(view["prescription_kind"], "ordinary");
    assert!(view["prescription_kind_reason"].is_null());
    w.ok("record_save", json!({"consultation_id": c, "record": {"diagnoses": ["I10"], "allergies": [], "clinical": {"weight_kg": 72, "egfr": 90, "current_medications": []}}})).await;

    // Four weeks of amlodipine on an ordinary consultation: over the 7-day limit, a block.
    let amlodipine = json!({"drug": "amlodipine", "strength": "5 mg", "dose": {"value": 5, "unit": "mg"}, "route": "oral", "frequency": "QD", "days": 28, "quantity": 28});
    let draft = json!({"items": [amlodipine]});
    let check = w
        .ok("rx_check", json!({"consultation_id": c, "draft": draft}))
        .await;
    let course: Vec<&Value> = check["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "course_too_long")
        .collect();
    assert_eq!(course.len(), 1, "{check}");
    assert_eq!(course[0]["severity"], "block");
    assert!(
        course[0]["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains('7')),
        "the finding names the limit that applied: {check}"
    );

    // Only with a reason, only by the treating physician, only a known type.
    assert_eq!(
        w.err(
            "consultation_set_type",
            json!({"consultation_id": c, "consultation_type": "chronic", "reason": "  "})
        )
        .await,
        ErrorCode::InvalidValue
    );
    assert_eq!(
        w.err(
            "consultation_set_type",
            json!({"consultation_id": c, "consultation_type": "weekly", "reason": "x"})
        )
        .await,
        ErrorCode::InvalidRequest
    );
    w.sign_in("dr.wang").await;
    assert_eq!(
        w.err(
            "consultation_set_type",
            json!({"consultation_id": c, "consultation_type": "chronic", "reason": "复诊"})
        )
        .await,
        ErrorCode::NotFound
    );
    w.sign_in("dr.li").await;
    let view = w
        .ok(
            "consultation_set_type",
            json!({"consultation_id": c, "consultation_type": "chronic", "reason": "原发性高血压，病情稳定，长期处方"}),
        )
        .await;
    assert_eq!(view["prescription_kind"], "chronic");
    assert_eq!(
        view["prescription_kind_reason"],
        "原发性高血压，病情稳定，长期处方"
    );

    // Now the 12-week limit applies; a draft naming another type is refused by name.
    let check = w
        .ok("rx_check", json!({"consultation_id": c, "draft": draft}))
        .await;
    assert!(
        !codes(&check)
            .iter()
            .any(|(code, _)| code == "course_too_long"),
        "{check}"
    );
    assert_eq!(
        w.err(
            "rx_save",
            json!({"consultation_id": c, "draft": {"kind": "emergency", "items": [amlodipine]}})
        )
        .await,
        ErrorCode::InvalidValue
    );
    let rx = w
        .ok("rx_save", json!({"consultation_id": c, "draft": draft}))
        .await;
    let overrides = support::overrides_for_warnings(&rx["check"], "长期随访");
    let signed = w
        .ok(
            "rx_sign",
            json!({"prescription_id": rx["id"], "overrides": overrides}),
        )
        .await;
    assert_eq!(signed["status"], "signed", "{signed}");
    // What was signed names the type whose limit applied.
    assert_eq!(signed["draft"]["kind"], "chronic", "{signed}");

    // Back to ordinary (with a reason): the same course blocks again.
    w.ok(
        "consultation_set_type",
        json!({"consultation_id": c, "consultation_type": "ordinary", "reason": "改为普通门诊处方"}),
    )
    .await;
    let check = w
        .ok("rx_check", json!({"consultation_id": c, "draft": draft}))
        .await;
    assert!(
        codes(&check).contains(&("course_too_long".into(), "block".into())),
        "{check}"
    );
}

/// Each line carries its 禁忌说明 (R-RX-2): the drug search hands the pack's label
/// contraindications with their sources, the physician's edited text is kept in the draft,
/// signed with it and shown again; an oversized note is refused by name.
#[tokio::test]
async fn a_line_keeps_its_contraindication_notes_from_the_label_as_edited() {
    let w = world();
    let c = w.request(
        "p-n1",
        "孙七",
        "血压控制不佳",
        json!({"patient": {"id": "p-n1", "full_name": "孙七", "age_years": 50, "sex": "female", "identity_verified": true}}),
    );
    w.sign_in("dr.li").await;
    w.ok("consultation_claim", json!({"consultation_id": c}))
        .await;
    let hits = w
        .ok("drug_search", json!({"query": "amlodipine", "limit": 1}))
        .await;
    let notes = &hits["hits"][0]["contraindications"];
    let zh: Vec<&str> = notes["zh"]
        .as_array()
        .expect("zh notes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!zh.is_empty(), "{hits}");
    assert_eq!(
        notes["en"].as_array().map(Vec::len),
        Some(zh.len()),
        "{hits}"
    );
    assert!(
        notes["sources"].as_array().is_some_and(|s| s
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.contains("§4")))),
        "{hits}"
    );
    w.ok("record_save", json!({"consultation_id": c, "record": {"diagnoses": ["I10"], "allergies": [], "clinical": {"weight_kg": 60, "egfr": 90, "current_medications": []}}})).await;
    let edited = format!("{}；既往用药后踝部水肿明显者慎用", zh.join("；"));
    let line = json!({"drug": "amlodipine", "strength": "5 mg", "dose": {"value": 5, "unit": "mg"}, "route": "oral", "frequency": "QD", "days": 7, "quantity": 7, "contraindications": edited});
    let mut too_long = line.clone();
    too_long["contraindications"] = json!("禁".repeat(1_001));
    assert_eq!(
        w.err(
            "rx_save",
            json!({"consultation_id": c, "draft": {"items": [too_long]}})
        )
        .await,
        ErrorCode::InvalidValue
    );
    let rx = w
        .ok(
            "rx_save",
            json!({"consultation_id": c, "draft": {"items": [line]}}),
        )
        .await;
    assert_eq!(
        rx["draft"]["items"][0]["contraindications"],
        edited.as_str()
    );
    let overrides = support::overrides_for_warnings(&rx["check"], "已评估");
    let signed = w
        .ok(
            "rx_sign",
            json!({"prescription_id": rx["id"], "overrides": overrides}),
        )
        .await;
    assert_eq!(signed["status"], "signed", "{signed}");
    let again = w.ok("rx_get", json!({"prescription_id": rx["id"]})).await;
    assert_eq!(
        again["draft"]["items"][0]["contraindications"],
        edited.as_str()
    );

    // The 处方笺 (R-RX-11) prints the line with its notes, marked 未审核 before approval.
    let slip = w.ok("rx_slip", json!({"prescription_id": rx["id"]})).await;
    assert_eq!(slip["mime"], "application/pdf");
    let text = pdf_text(&slip);
    assert!(text.contains("处方笺"), "{text}");
    assert!(text.contains("未审核"), "{text}");
    assert!(text.contains("禁忌说明"), "{text}");
    assert!(text.contains("氨氯地平"), "{text}");
    // Not another physician's to print.
    w.sign_in("dr.wang").await;
    assert_eq!(
        w.err("rx_slip", json!({"prescription_id": rx["id"]})).await,
        ErrorCode::NotFound
    );
    // The pharmacist prints a signed one.
    w.sign_in("ph.zhao").await;
    let slip = w.ok("rx_slip", json!({"prescription_id": rx["id"]})).await;
    assert!(pdf_text(&slip).contains("处方笺"));
}

/// The text of an exported PDF (base64), read back with poppler's `pdftotext`.
fn pdf_text(file: &Value) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file["base64"].as_str().expect("base64"))
        .expect("base64 decodes");
    assert!(bytes.starts_with(b"%PDF"));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("slip.pdf");
    std::fs::write(&path, &bytes).expect("written");
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by `cargo xtask test`");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
