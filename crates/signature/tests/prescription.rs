//! The signed prescription end to end: a platform, a physician and a pharmacist with
//! generated keys; a document that verifies; then one row per tampering, each with the code
//! it must fail with (R-RX-10: "a changed byte fails verification everywhere").

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::OnceLock;

use meddesk_signature::{
    Certificate, CertificateBody, Decision, Ed25519Signer, PlatformKey, Revocation, RevocationList,
    RevocationReason, Role, SignatureBytes, SignedPrescription, Signer, TimestampOf, Trust,
    Verifier, add_review, add_timestamp, issue, sign_prescription, verify,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
/// The physician signs at T0; the platform timestamps a second later; the pharmacist
/// approves ten minutes later and is timestamped a second after that.
const T0: i64 = 1_796_400_000_000;
const SIGN_TS: i64 = T0 + 1_000;
const REVIEW_AT: i64 = T0 + 10 * MINUTE;
const REVIEW_TS: i64 = REVIEW_AT + 1_000;

struct World {
    platform: Ed25519Signer,
    physician: Ed25519Signer,
    pharmacist: Ed25519Signer,
    physician_cert: Certificate,
    pharmacist_cert: Certificate,
}

fn body(serial: &str, user: &str, role: Role, org: &str, key: &dyn Signer) -> CertificateBody {
    CertificateBody {
        serial: serial.to_owned(),
        user_id: user.to_owned(),
        role,
        org_id: org.to_owned(),
        algorithm: key.algorithm(),
        public_key: key.public_key(),
        not_before_ms: T0 - 365 * DAY,
        not_after_ms: T0 + 365 * DAY,
        issuer: "platform-2026".to_owned(),
    }
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let platform = Ed25519Signer::generate()
            .unwrap()
            .with_key_id("platform-2026");
        let physician = Ed25519Signer::generate().unwrap();
        let pharmacist = Ed25519Signer::generate().unwrap();
        let physician_cert = issue(
            &platform,
            body("c-phy-1", "u-dr-wang", Role::Physician, "org-1", &physician),
        )
        .unwrap();
        let pharmacist_cert = issue(
            &platform,
            body("c-pha-1", "u-ph-li", Role::Pharmacist, "org-1", &pharmacist),
        )
        .unwrap();
        World {
            platform,
            physician,
            pharmacist,
            physician_cert,
            pharmacist_cert,
        }
    })
}

fn trust() -> Trust {
    Trust {
        platform_keys: vec![PlatformKey::of(&world().platform)],
        revocations: Vec::new(),
        require_timestamp: true,
    }
}

fn content(prescription_id: &str, patient: &str) -> Value {
    json!({
        "prescription_id": prescription_id,
        "org_id": "org-1",
        "patient": patient,
        "diagnosis": [{ "code": "I10", "name": "原发性高血压" }],
        "lines": [
            { "drug": "amlodipine", "dose_mg": 5, "per_day": 1, "days": 28 },
            { "drug": "hydrochlorothiazide", "dose_mg": 12.5, "per_day": 1, "days": 28 }
        ],
        "findings": { "pack": "2026.11.2", "codes": ["duplicate_class"], "overrides": ["已告知患者"] },
        "valid_until_ms": T0 + 3 * DAY,
        "signed_at_ms": T0
    })
}

/// Signed, approved, both signatures timestamped.
fn signed(prescription_id: &str, patient: &str) -> SignedPrescription {
    let w = world();
    let mut doc = sign_prescription(
        content(prescription_id, patient),
        &w.physician_cert,
        &w.physician,
        T0,
    )
    .unwrap();
    add_timestamp(&mut doc, TimestampOf::Sign, &w.platform, SIGN_TS).unwrap();
    add_review(
        &mut doc,
        &w.pharmacist_cert,
        &w.pharmacist,
        Decision::Approve,
        vec![],
        REVIEW_AT,
    )
    .unwrap();
    add_timestamp(&mut doc, TimestampOf::Review, &w.platform, REVIEW_TS).unwrap();
    doc
}

fn document() -> SignedPrescription {
    signed("rx-0001", "p-7f3a")
}

fn revoked(serial: &str, revoked_at_ms: i64, reason: RevocationReason) -> Trust {
    let mut trust = trust();
    trust.revocations.push(
        RevocationList::issue(
            &world().platform,
            T0 + 30 * DAY,
            vec![Revocation {
                serial: serial.to_owned(),
                revoked_at_ms,
                reason,
            }],
        )
        .unwrap(),
    );
    trust
}

/// The physician's certificate replaced by one the platform really issued, for the same
/// key and serial, with `change` applied.
fn reissued(doc: &mut SignedPrescription, change: impl FnOnce(&mut CertificateBody)) {
    let mut body = world().physician_cert.body.clone();
    change(&mut body);
    doc.certificates[0] = issue(&world().platform, body).unwrap();
}

#[test]
fn a_signed_approved_timestamped_prescription_verifies() {
    let doc = document();
    let verified = verify(&doc, &trust()).unwrap();
    assert_eq!(verified.prescription_id, "rx-0001");
    assert_eq!(verified.org_id, "org-1");
    assert_eq!(verified.physician.user_id, "u-dr-wang");
    assert_eq!(verified.physician.role, Role::Physician);
    assert_eq!(verified.physician.signed_at_ms, T0);
    assert_eq!(verified.physician.timestamp_ms, Some(SIGN_TS));
    let review = verified.review.unwrap();
    assert_eq!(review.pharmacist.user_id, "u-ph-li");
    assert_eq!(review.pharmacist.role, Role::Pharmacist);
    assert_eq!(review.decision, Decision::Approve);
    assert_eq!(review.pharmacist.timestamp_ms, Some(REVIEW_TS));
}

#[test]
fn the_document_survives_json_and_nothing_unsigned_rides_along() {
    let doc = document();
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let back: SignedPrescription = serde_json::from_str(&text).unwrap();
    assert_eq!(back, doc);
    verify(&back, &trust()).unwrap();

    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["physician"]["note"] = json!("unsigned");
    assert!(serde_json::from_value::<SignedPrescription>(value).is_err());
}

#[test]
fn a_signed_prescription_without_review_or_timestamps_verifies_when_allowed() {
    let w = world();
    let doc =
        sign_prescription(content("rx-2", "p-1"), &w.physician_cert, &w.physician, T0).unwrap();
    let mut lenient = trust();
    lenient.require_timestamp = false;
    let verified = verify(&doc, &lenient).unwrap();
    assert_eq!(verified.physician.timestamp_ms, None);
    assert!(verified.review.is_none());
    assert_eq!(
        verify(&doc, &trust()).unwrap_err().code(),
        "timestamp_missing"
    );
}

#[test]
fn a_rejection_verifies_with_its_reasons() {
    let w = world();
    let mut doc =
        sign_prescription(content("rx-3", "p-1"), &w.physician_cert, &w.physician, T0).unwrap();
    let reasons = vec!["dose_exceeds_max".to_owned()];
    add_review(
        &mut doc,
        &w.pharmacist_cert,
        &w.pharmacist,
        Decision::Reject,
        reasons.clone(),
        REVIEW_AT,
    )
    .unwrap();
    let mut lenient = trust();
    lenient.require_timestamp = false;
    let review = verify(&doc, &lenient).unwrap().review.unwrap();
    assert_eq!(review.decision, Decision::Reject);
    assert_eq!(review.reasons, reasons);
}

/// One tampering: what is changed, and the code verification must give.
struct Case {
    name: &'static str,
    expected: &'static str,
    tamper: fn(&mut SignedPrescription, &mut Trust),
}

const CASES: &[Case] = &[
    Case {
        name: "untouched",
        expected: "ok",
        tamper: |_, _| {},
    },
    // malformed
    Case {
        name: "unknown format",
        expected: "malformed",
        tamper: |doc, _| doc.format = "meddesk-signed-prescription/2".into(),
    },
    Case {
        name: "content not an object",
        expected: "malformed",
        tamper: |doc, _| doc.content = json!(["rx-0001"]),
    },
    Case {
        name: "content without org_id",
        expected: "malformed",
        tamper: |doc, _| {
            doc.content.as_object_mut().unwrap().shift_remove("org_id");
        },
    },
    Case {
        name: "the same certificate twice",
        expected: "malformed",
        tamper: |doc, _| doc.certificates.push(doc.certificates[0].clone()),
    },
    // revocation lists are the platform's too
    Case {
        name: "a revocation list signed by another key",
        expected: "revocation_invalid",
        tamper: |_, trust| {
            let forger = Ed25519Signer::generate()
                .unwrap()
                .with_key_id("platform-2026");
            trust
                .revocations
                .push(RevocationList::issue(&forger, T0, vec![]).unwrap());
        },
    },
    Case {
        name: "a revocation list with an entry removed",
        expected: "revocation_invalid",
        tamper: |_, trust| {
            *trust = revoked("c-phy-1", T0, RevocationReason::KeyCompromise);
            trust.revocations[0].entries.clear();
        },
    },
    // certificate_unknown
    Case {
        name: "an untrusted platform key",
        expected: "certificate_unknown",
        tamper: |_, trust| {
            trust.platform_keys = vec![PlatformKey::of(
                &Ed25519Signer::generate()
                    .unwrap()
                    .with_key_id("platform-other"),
            )];
        },
    },
    Case {
        name: "the attestation names a certificate the document lacks",
        expected: "certificate_unknown",
        tamper: |doc, _| doc.physician.certificate = "c-phy-9".into(),
    },
    // certificate_invalid
    Case {
        name: "a trusted key id with another public key",
        expected: "certificate_invalid",
        tamper: |_, trust| {
            trust.platform_keys = vec![PlatformKey::of(
                &Ed25519Signer::generate()
                    .unwrap()
                    .with_key_id("platform-2026"),
            )];
        },
    },
    Case {
        name: "a changed user id in the certificate",
        expected: "certificate_invalid",
        tamper: |doc, _| doc.certificates[0].body.user_id = "u-dr-zhao".into(),
    },
    Case {
        name: "a certificate not issued by the platform",
        expected: "certificate_invalid",
        tamper: |doc, _| {
            let self_made = Ed25519Signer::generate()
                .unwrap()
                .with_key_id("platform-2026");
            doc.certificates[0] = issue(&self_made, doc.certificates[0].body.clone()).unwrap();
        },
    },
    // certificate_role
    Case {
        name: "a review signed with the physician's certificate",
        expected: "certificate_role",
        tamper: |doc, _| doc.review.as_mut().unwrap().certificate = "c-phy-1".into(),
    },
    Case {
        name: "a physician certificate re-issued as pharmacist",
        expected: "certificate_role",
        tamper: |doc, _| reissued(doc, |body| body.role = Role::Pharmacist),
    },
    // certificate_wrong_organisation
    Case {
        name: "a certificate of another organisation",
        expected: "certificate_wrong_organisation",
        tamper: |doc, _| reissued(doc, |body| body.org_id = "org-2".into()),
    },
    Case {
        name: "the content moved to another organisation",
        expected: "certificate_wrong_organisation",
        tamper: |doc, _| doc.content["org_id"] = json!("org-2"),
    },
    // certificate_expired
    Case {
        name: "an expired certificate",
        expected: "certificate_expired",
        tamper: |doc, _| reissued(doc, |body| body.not_after_ms = T0 - DAY),
    },
    Case {
        name: "a certificate that expired between signing and the platform's timestamp",
        expected: "certificate_expired",
        tamper: |doc, _| reissued(doc, |body| body.not_after_ms = T0 + 500),
    },
    Case {
        name: "a certificate not yet valid",
        expected: "certificate_expired",
        tamper: |doc, _| reissued(doc, |body| body.not_before_ms = SIGN_TS + 1),
    },
    // certificate_revoked
    Case {
        name: "key compromise revokes every signature, even older ones",
        expected: "certificate_revoked",
        tamper: |_, trust| {
            *trust = revoked("c-phy-1", T0 + 30 * DAY, RevocationReason::KeyCompromise)
        },
    },
    Case {
        name: "an unspecified revocation counts as a compromise",
        expected: "certificate_revoked",
        tamper: |_, trust| {
            *trust = revoked("c-pha-1", T0 + 30 * DAY, RevocationReason::Unspecified)
        },
    },
    Case {
        name: "a suspension after the timestamp leaves the signature valid",
        expected: "ok",
        tamper: |_, trust| *trust = revoked("c-phy-1", SIGN_TS + 1, RevocationReason::Suspended),
    },
    Case {
        name: "a suspension before signing revokes",
        expected: "certificate_revoked",
        tamper: |_, trust| *trust = revoked("c-phy-1", T0 - DAY, RevocationReason::Suspended),
    },
    Case {
        name: "a suspension at the timestamp's instant revokes",
        expected: "certificate_revoked",
        tamper: |_, trust| *trust = revoked("c-phy-1", SIGN_TS, RevocationReason::Suspended),
    },
    Case {
        name: "a suspension between the claimed time and the platform's time revokes",
        expected: "certificate_revoked",
        tamper: |_, trust| *trust = revoked("c-phy-1", T0 + 500, RevocationReason::Suspended),
    },
    Case {
        name: "a supersession after the review leaves it valid",
        expected: "ok",
        tamper: |_, trust| *trust = revoked("c-pha-1", REVIEW_TS + 1, RevocationReason::Superseded),
    },
    Case {
        name: "a revocation of another serial changes nothing",
        expected: "ok",
        tamper: |_, trust| *trust = revoked("c-phy-2", T0 - DAY, RevocationReason::KeyCompromise),
    },
    // content_changed
    Case {
        name: "a changed dose",
        expected: "content_changed",
        tamper: |doc, _| doc.content["lines"][0]["dose_mg"] = json!(10),
    },
    Case {
        name: "a changed patient id",
        expected: "content_changed",
        tamper: |doc, _| doc.content["patient"] = json!("p-7f3b"),
    },
    Case {
        name: "an added line",
        expected: "content_changed",
        tamper: |doc, _| {
            doc.content["lines"]
                .as_array_mut()
                .unwrap()
                .push(json!({ "drug": "tramadol", "dose_mg": 50 }));
        },
    },
    Case {
        name: "a content digest spelt in capitals",
        expected: "content_changed",
        tamper: |doc, _| doc.physician.content_sha256 = doc.physician.content_sha256.to_uppercase(),
    },
    // signature_invalid
    Case {
        name: "a physician signature swapped in from another prescription",
        expected: "signature_invalid",
        tamper: |doc, _| doc.physician.signature = signed("rx-0002", "p-7f3a").physician.signature,
    },
    Case {
        name: "a changed signing time",
        expected: "signature_invalid",
        tamper: |doc, _| doc.physician.signed_at_ms += 1,
    },
    Case {
        name: "a rejection turned into an approval's opposite",
        expected: "signature_invalid",
        tamper: |doc, _| doc.review.as_mut().unwrap().decision = Decision::Reject,
    },
    Case {
        name: "a review moved onto another prescription",
        expected: "signature_invalid",
        tamper: |doc, _| doc.review = signed("rx-0002", "p-7f3a").review,
    },
    Case {
        name: "a reason added to the review",
        expected: "signature_invalid",
        tamper: |doc, _| doc.review.as_mut().unwrap().reasons.push("override".into()),
    },
    Case {
        name: "a truncated signature",
        expected: "signature_invalid",
        tamper: |doc, _| {
            let bytes = doc.physician.signature.as_bytes()[..63].to_vec();
            doc.physician.signature = SignatureBytes::from_bytes(bytes);
        },
    },
    // timestamp_invalid
    Case {
        name: "a changed timestamp time",
        expected: "timestamp_invalid",
        tamper: |doc, _| doc.timestamps[0].time_ms += 1,
    },
    Case {
        name: "a timestamp of another signature",
        expected: "timestamp_invalid",
        tamper: |doc, _| doc.timestamps[1].of = TimestampOf::Sign,
    },
    Case {
        name: "a timestamp by an untrusted key",
        expected: "timestamp_invalid",
        tamper: |doc, _| {
            let other = Ed25519Signer::generate().unwrap().with_key_id("tsa-other");
            add_timestamp(doc, TimestampOf::Sign, &other, SIGN_TS).unwrap();
        },
    },
    Case {
        name: "a timestamp copied from another prescription",
        expected: "timestamp_invalid",
        tamper: |doc, _| doc.timestamps[0] = signed("rx-0002", "p-7f3a").timestamps[0].clone(),
    },
    // timestamp_missing
    Case {
        name: "no timestamp of the review",
        expected: "timestamp_missing",
        tamper: |doc, _| {
            doc.timestamps.pop();
        },
    },
];

#[test]
fn each_tampering_fails_with_its_own_code() {
    let mut failures = Vec::new();
    for case in CASES {
        let mut doc = document();
        let mut trust = trust();
        (case.tamper)(&mut doc, &mut trust);
        let got = match verify(&doc, &trust) {
            Ok(_) => "ok",
            Err(error) => error.code(),
        };
        if got != case.expected {
            failures.push(format!(
                "{}: expected {}, got {got}",
                case.name, case.expected
            ));
        }
        // A Verifier that has already checked the untampered document's certificates
        // answers the same.
        let warm = Verifier::new(trust).and_then(|verifier| {
            let _ = verifier.verify(&document());
            verifier.verify(&doc)
        });
        let got = match warm {
            Ok(_) => "ok",
            Err(error) => error.code(),
        };
        if got != case.expected {
            failures.push(format!(
                "{} (Verifier): expected {}, got {got}",
                case.name, case.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_suspension_after_the_claimed_time_counts_only_without_a_timestamp() {
    let w = world();
    let doc =
        sign_prescription(content("rx-4", "p-1"), &w.physician_cert, &w.physician, T0).unwrap();
    let mut trust = revoked("c-phy-1", T0 + 500, RevocationReason::Suspended);
    trust.require_timestamp = false;
    // Without the platform's time, the signer's claimed time is all there is.
    verify(&doc, &trust).unwrap();
}

#[test]
fn the_builders_refuse_what_a_verifier_would_refuse() {
    let w = world();
    let code = |result: Result<SignedPrescription, meddesk_signature::Error>| {
        result.map(|_| ()).unwrap_err().code()
    };
    assert_eq!(
        code(sign_prescription(
            content("rx", "p"),
            &w.pharmacist_cert,
            &w.pharmacist,
            T0
        )),
        "certificate_role"
    );
    assert_eq!(
        code(sign_prescription(
            content("rx", "p"),
            &w.physician_cert,
            &w.pharmacist,
            T0
        )),
        "key_mismatch"
    );
    assert_eq!(
        code(sign_prescription(
            content("rx", "p"),
            &w.physician_cert,
            &w.physician,
            T0 + 400 * DAY
        )),
        "certificate_expired"
    );
    let mut other_org = content("rx", "p");
    other_org["org_id"] = json!("org-2");
    assert_eq!(
        code(sign_prescription(
            other_org,
            &w.physician_cert,
            &w.physician,
            T0
        )),
        "certificate_wrong_organisation"
    );
    assert_eq!(
        code(sign_prescription(
            json!({ "org_id": "org-1" }),
            &w.physician_cert,
            &w.physician,
            T0
        )),
        "content_malformed"
    );
    assert_eq!(
        code(sign_prescription(
            json!({ "prescription_id": "rx", "org_id": "org-1", "count": u64::MAX }),
            &w.physician_cert,
            &w.physician,
            T0
        )),
        "number_out_of_range"
    );

    let mut doc =
        sign_prescription(content("rx", "p"), &w.physician_cert, &w.physician, T0).unwrap();
    assert_eq!(
        add_timestamp(&mut doc, TimestampOf::Review, &w.platform, T0)
            .unwrap_err()
            .code(),
        "nothing_to_timestamp"
    );
    add_review(
        &mut doc,
        &w.pharmacist_cert,
        &w.pharmacist,
        Decision::Approve,
        vec![],
        T0,
    )
    .unwrap();
    assert_eq!(
        add_review(
            &mut doc,
            &w.pharmacist_cert,
            &w.pharmacist,
            Decision::Approve,
            vec![],
            T0
        )
        .unwrap_err()
        .code(),
        "already_reviewed"
    );

    let mut wrong_issuer = w.physician_cert.body.clone();
    wrong_issuer.issuer = "platform-other".into();
    assert_eq!(
        issue(&w.platform, wrong_issuer).unwrap_err().code(),
        "issuer_mismatch"
    );
}

/// The serialized document, and the byte range its `content` occupies.
fn serialized() -> &'static (Vec<u8>, std::ops::Range<usize>) {
    static SERIALIZED: OnceLock<(Vec<u8>, std::ops::Range<usize>)> = OnceLock::new();
    SERIALIZED.get_or_init(|| {
        let doc = document();
        let bytes = serde_json::to_vec(&doc).unwrap();
        let content = serde_json::to_vec(&doc.content).unwrap();
        let start = bytes
            .windows(content.len())
            .position(|window| window == content.as_slice())
            .unwrap();
        (bytes, start..start + content.len())
    })
}

proptest! {
    /// Any single byte of the content changed to any other value: the document no longer
    /// parses, or it no longer verifies. (The content holds no escapes and no float ending
    /// in `.0`, the only spellings where one byte could change and the value not.)
    #[test]
    fn changing_any_byte_of_the_content_fails(index in any::<prop::sample::Index>(), flip in 1..=255_u8) {
        let (bytes, range) = serialized();
        let mut changed = bytes.clone();
        let at = range.start + index.index(range.len());
        changed[at] ^= flip;
        if let Ok(doc) = serde_json::from_slice::<SignedPrescription>(&changed) {
            prop_assert!(verify(&doc, &trust()).is_err(), "byte {} ^ {:#04x} still verifies", at, flip);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]
    /// The same for every byte of the document: attestations, review, timestamps and
    /// certificates included.
    #[test]
    fn changing_any_byte_of_the_document_fails(index in any::<prop::sample::Index>(), flip in 1..=255_u8) {
        let (bytes, _) = serialized();
        let mut changed = bytes.clone();
        let at = index.index(bytes.len());
        changed[at] ^= flip;
        if let Ok(doc) = serde_json::from_slice::<SignedPrescription>(&changed) {
            prop_assert!(verify(&doc, &trust()).is_err(), "byte {} ^ {:#04x} still verifies", at, flip);
        }
    }
}

/// Every byte of the document changed to each of its 255 other values (2,264 × 255 ≈ 580,000
/// documents, ~100,000 of which still parse): none verifies. About 15 s in release:
/// `cargo test --release -p meddesk-signature --test prescription -- --ignored`.
#[test]
#[ignore = "exhaustive; run in release"]
fn changing_any_byte_to_any_value_fails_exhaustively() {
    let (bytes, _) = serialized();
    let verifier = Verifier::new(trust()).unwrap();
    verifier.verify(&document()).unwrap();
    for at in 0..bytes.len() {
        for flip in 1..=255_u8 {
            let mut changed = bytes.clone();
            changed[at] ^= flip;
            if let Ok(doc) = serde_json::from_slice::<SignedPrescription>(&changed) {
                assert!(
                    verifier.verify(&doc).is_err(),
                    "byte {at} ^ {flip:#04x} still verifies"
                );
            }
        }
    }
}

/// A key made offline signs before its certificate exists: the document names the serial
/// the platform will give the key, does not verify on its own, and verifies once the
/// platform's certificate for that serial is attached — for the physician and the pharmacist.
#[test]
fn pending_signatures_verify_once_the_certificate_is_attached() {
    let w = world();
    let physician = Ed25519Signer::generate().unwrap();
    let pharmacist = Ed25519Signer::generate().unwrap();
    let serial = meddesk_signature::serial_of(&physician);
    let mut doc =
        meddesk_signature::sign_prescription_pending(content("rx-9", "p-9"), &physician, T0)
            .unwrap();
    assert_eq!(doc.physician.certificate, serial);
    assert!(doc.certificates.is_empty());
    let no_ts = Trust {
        require_timestamp: false,
        ..trust()
    };
    assert_eq!(
        verify(&doc, &no_ts).unwrap_err().code(),
        "certificate_unknown"
    );
    let cert = issue(
        &w.platform,
        body(&serial, "u-dr-zhao", Role::Physician, "org-1", &physician),
    )
    .unwrap();
    meddesk_signature::attach_certificate(&mut doc, &cert).unwrap();
    add_timestamp(&mut doc, TimestampOf::Sign, &w.platform, SIGN_TS).unwrap();
    let ok = verify(&doc, &no_ts).unwrap();
    assert_eq!(ok.physician.user_id, "u-dr-zhao");

    let review = meddesk_signature::review_pending(
        &doc,
        &pharmacist,
        Decision::Reject,
        vec!["dose_or_frequency".into()],
        REVIEW_AT,
    )
    .unwrap();
    doc.review = Some(review);
    assert_eq!(
        verify(&doc, &no_ts).unwrap_err().code(),
        "certificate_unknown"
    );
    let pharmacist_serial = meddesk_signature::serial_of(&pharmacist);
    let cert = issue(
        &w.platform,
        body(
            &pharmacist_serial,
            "u-ph-qian",
            Role::Pharmacist,
            "org-1",
            &pharmacist,
        ),
    )
    .unwrap();
    meddesk_signature::attach_certificate(&mut doc, &cert).unwrap();
    add_timestamp(&mut doc, TimestampOf::Review, &w.platform, REVIEW_TS).unwrap();
    let ok = verify(&doc, &trust()).unwrap();
    let review = ok.review.unwrap();
    assert_eq!(review.pharmacist.user_id, "u-ph-qian");
    assert_eq!(review.decision, Decision::Reject);
}
