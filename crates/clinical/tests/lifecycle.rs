//! Every transition of the prescription lifecycle, allowed and forbidden, as a table.

use chrono::{DateTime, Duration, Utc};
use meddesk_clinical::check::request::{Finding, FindingCode, Message, Severity};
use meddesk_clinical::lifecycle::{
    Actor, Event, LifecycleError, Override, Prescription, RejectionReason, RxStatus,
    prescribing_rights_valid,
};
use meddesk_domain::{Role, UserId};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T02:00:00Z")
        .expect("valid")
        .to_utc()
}

fn physician(id: &str) -> Actor {
    Actor {
        id: UserId(id.into()),
        role: Role::Physician,
        rights_reviewed_at: Some(t0() - Duration::days(100)),
        suspended: false,
    }
}

fn pharmacist(id: &str) -> Actor {
    Actor {
        id: UserId(id.into()),
        role: Role::Pharmacist,
        rights_reviewed_at: None,
        suspended: false,
    }
}

fn rx(status: RxStatus) -> Prescription {
    Prescription {
        status,
        treating_physician: UserId("dr-li".into()),
        signed_at: (status != RxStatus::Draft).then(t0),
        validity_days: 3,
    }
}

fn finding(code: FindingCode, severity: Severity, items: &[usize]) -> Finding {
    Finding {
        code,
        severity,
        items: items.to_vec(),
        message: Message {
            zh: "测试".into(),
            en: "test".into(),
        },
        source: "test".into(),
        rule: "test".into(),
    }
}

const NO_FINDINGS: &[Finding] = &[];
const NO_OVERRIDES: &[Override] = &[];
const SIGN: Event<'static> = Event::Sign {
    findings: NO_FINDINGS,
    overrides: NO_OVERRIDES,
    validity_days: 3,
};

#[test]
fn the_transition_table() {
    let dr = physician("dr-li");
    let other_dr = physician("dr-wang");
    let ph = pharmacist("ph-zhao");
    let reasons = [RejectionReason::DoseOrFrequency];
    let reject = Event::Reject {
        reasons: &reasons,
        note: "",
    };
    use RxStatus::*;
    // (from, actor, event, expected status or error)
    let table: Vec<(
        RxStatus,
        &Actor,
        Event<'_>,
        Result<RxStatus, LifecycleError>,
    )> = vec![
        (Draft, &dr, Event::Edit, Ok(Draft)),
        (Draft, &dr, SIGN, Ok(Signed)),
        (
            Draft,
            &other_dr,
            SIGN,
            Err(LifecycleError::NotTreatingPhysician),
        ),
        (
            Draft,
            &ph,
            SIGN,
            Err(LifecycleError::WrongRole {
                needed: Role::Physician,
            }),
        ),
        (
            Draft,
            &ph,
            Event::Approve,
            Err(LifecycleError::InvalidTransition {
                from: Draft,
                event: "approve".into(),
            }),
        ),
        (Draft, &dr, Event::Revoke, Ok(Revoked)),
        (Signed, &ph, Event::Approve, Ok(Approved)),
        (Signed, &ph, reject.clone(), Ok(Rejected)),
        (
            Signed,
            &dr,
            Event::Approve,
            Err(LifecycleError::WrongRole {
                needed: Role::Pharmacist,
            }),
        ),
        (
            Signed,
            &dr,
            Event::Edit,
            Err(LifecycleError::InvalidTransition {
                from: Signed,
                event: "edit".into(),
            }),
        ),
        (
            Signed,
            &dr,
            SIGN,
            Err(LifecycleError::InvalidTransition {
                from: Signed,
                event: "sign".into(),
            }),
        ),
        (Signed, &dr, Event::Revoke, Ok(Revoked)),
        (Rejected, &dr, Event::Edit, Ok(Draft)),
        (
            Rejected,
            &dr,
            SIGN,
            Err(LifecycleError::InvalidTransition {
                from: Rejected,
                event: "sign".into(),
            }),
        ),
        (
            Rejected,
            &ph,
            Event::Approve,
            Err(LifecycleError::InvalidTransition {
                from: Rejected,
                event: "approve".into(),
            }),
        ),
        (
            Approved,
            &dr,
            Event::Edit,
            Err(LifecycleError::InvalidTransition {
                from: Approved,
                event: "edit".into(),
            }),
        ),
        (
            Approved,
            &ph,
            reject.clone(),
            Err(LifecycleError::InvalidTransition {
                from: Approved,
                event: "reject".into(),
            }),
        ),
        (
            Approved,
            &dr,
            Event::Revoke,
            Err(LifecycleError::InvalidTransition {
                from: Approved,
                event: "revoke".into(),
            }),
        ),
        (
            Revoked,
            &dr,
            Event::Edit,
            Err(LifecycleError::InvalidTransition {
                from: Revoked,
                event: "edit".into(),
            }),
        ),
        (
            Revoked,
            &ph,
            Event::Approve,
            Err(LifecycleError::InvalidTransition {
                from: Revoked,
                event: "approve".into(),
            }),
        ),
    ];
    let now = t0() + Duration::hours(1);
    for (from, actor, event, expected) in table {
        let got = rx(from).apply(actor, &event, now).map(|p| p.status);
        assert_eq!(got, expected, "{from:?} --{event:?}--> by {:?}", actor.id);
    }
}

#[test]
fn signing_needs_rights_reviewed_within_a_year_and_no_suspension() {
    let now = t0();
    let mut dr = physician("dr-li");
    dr.rights_reviewed_at = Some(now - Duration::days(366));
    assert_eq!(
        rx(RxStatus::Draft).apply(&dr, &SIGN, now),
        Err(LifecycleError::NoPrescribingRights)
    );
    dr.rights_reviewed_at = None;
    assert_eq!(
        rx(RxStatus::Draft).apply(&dr, &SIGN, now),
        Err(LifecycleError::NoPrescribingRights)
    );
    dr.rights_reviewed_at = Some(now - Duration::days(300));
    dr.suspended = true;
    assert_eq!(
        rx(RxStatus::Draft).apply(&dr, &SIGN, now),
        Err(LifecycleError::Suspended)
    );
    // Editing a draft stays possible while suspended; only signing is stopped.
    assert!(rx(RxStatus::Draft).apply(&dr, &Event::Edit, now).is_ok());

    assert!(prescribing_rights_valid(now - Duration::days(364), now));
    assert!(!prescribing_rights_valid(
        now - Duration::days(365),
        now + Duration::days(1)
    ));
}

#[test]
fn blocks_stop_signing_and_warnings_need_a_reason() {
    let dr = physician("dr-li");
    let now = t0();
    let block = [finding(FindingCode::Allergy, Severity::Block, &[0])];
    let ev = Event::Sign {
        findings: &block,
        overrides: NO_OVERRIDES,
        validity_days: 3,
    };
    assert_eq!(
        rx(RxStatus::Draft).apply(&dr, &ev, now),
        Err(LifecycleError::BlockedByFindings {
            count: 1,
            codes: vec![FindingCode::Allergy]
        })
    );

    let warn = [
        finding(FindingCode::Interaction, Severity::Warn, &[0, 1]),
        finding(FindingCode::Indication, Severity::Info, &[1]),
    ];
    let ev = Event::Sign {
        findings: &warn,
        overrides: NO_OVERRIDES,
        validity_days: 3,
    };
    assert_eq!(
        rx(RxStatus::Draft).apply(&dr, &ev, now),
        Err(LifecycleError::OverrideReasonRequired {
            finding: FindingCode::Interaction,
            items: vec![0, 1]
        })
    );
    let blank = [Override {
        code: FindingCode::Interaction,
        items: vec![0, 1],
        reason: "  ".into(),
    }];
    let ev = Event::Sign {
        findings: &warn,
        overrides: &blank,
        validity_days: 3,
    };
    assert!(
        rx(RxStatus::Draft).apply(&dr, &ev, now).is_err(),
        "a blank reason is no reason"
    );
    let wrong_lines = [Override {
        code: FindingCode::Interaction,
        items: vec![0],
        reason: "监测 INR".into(),
    }];
    let ev = Event::Sign {
        findings: &warn,
        overrides: &wrong_lines,
        validity_days: 3,
    };
    assert!(
        rx(RxStatus::Draft).apply(&dr, &ev, now).is_err(),
        "an override covers the lines it names"
    );
    let ok = [Override {
        code: FindingCode::Interaction,
        items: vec![0, 1],
        reason: "已告知患者，监测 INR".into(),
    }];
    let ev = Event::Sign {
        findings: &warn,
        overrides: &ok,
        validity_days: 3,
    };
    let signed = rx(RxStatus::Draft).apply(&dr, &ev, now).expect("signs");
    assert_eq!(signed.status, RxStatus::Signed);
    assert_eq!(signed.signed_at, Some(now));
}

#[test]
fn validity_is_one_to_three_days_and_then_the_prescription_expires() {
    let dr = physician("dr-li");
    let ph = pharmacist("ph-zhao");
    let now = t0();
    for days in [0, 4, -1] {
        let ev = Event::Sign {
            findings: NO_FINDINGS,
            overrides: NO_OVERRIDES,
            validity_days: days,
        };
        assert_eq!(
            rx(RxStatus::Draft).apply(&dr, &ev, now),
            Err(LifecycleError::InvalidValidity),
            "{days}"
        );
    }
    let signed = rx(RxStatus::Draft).apply(&dr, &SIGN, now).expect("signs");
    let approved = signed
        .apply(&ph, &Event::Approve, now + Duration::hours(2))
        .expect("approves");
    assert_eq!(
        approved.status_at(now + Duration::days(3) - Duration::seconds(1)),
        RxStatus::Approved
    );
    assert_eq!(
        approved.status_at(now + Duration::days(3)),
        RxStatus::Expired
    );
    // Approving after the validity has passed is refused.
    assert_eq!(
        signed.apply(&ph, &Event::Approve, now + Duration::days(3)),
        Err(LifecycleError::Expired)
    );
}

#[test]
fn pharmacists_do_not_review_their_own_and_rejections_carry_reasons() {
    let ph = pharmacist("ph-zhao");
    let mut own = rx(RxStatus::Signed);
    own.treating_physician = ph.id.clone();
    assert_eq!(
        own.apply(&ph, &Event::Approve, t0()),
        Err(LifecycleError::SelfReview)
    );
    let none: [RejectionReason; 0] = [];
    let ev = Event::Reject {
        reasons: &none,
        note: "剂量过大",
    };
    assert_eq!(
        rx(RxStatus::Signed).apply(&ph, &ev, t0()),
        Err(LifecycleError::RejectionReasonRequired)
    );
    let other = [RejectionReason::Other];
    let ev = Event::Reject {
        reasons: &other,
        note: " ",
    };
    assert_eq!(
        rx(RxStatus::Signed).apply(&ph, &ev, t0()),
        Err(LifecycleError::RejectionReasonRequired)
    );
}
