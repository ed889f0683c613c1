//! `meddesk rx verify` through the binary (R-RX-10): a signed, reviewed, timestamped
//! prescription verifies offline against the platform's trust bundle; each kind of
//! tampering fails with its code and a non-zero exit; hostile files get a named error.

#![allow(clippy::unwrap_used)] // test code

use std::path::Path;
use std::process::{Command, Output};

use meddesk_signature::{
    Certificate, CertificateBody, Decision, Ed25519Signer, PlatformKey, Revocation, RevocationList,
    RevocationReason, Role, SignedPrescription, Signer, TimestampOf, TrustBundle, add_review,
    add_timestamp, issue, sign_prescription,
};
use serde_json::{Value, json};

const T0: i64 = 1_796_400_000_000;
const DAY: i64 = 86_400_000;

struct World {
    platform: Ed25519Signer,
    physician: Ed25519Signer,
    pharmacist: Ed25519Signer,
    physician_cert: Certificate,
    pharmacist_cert: Certificate,
}

fn cert(
    platform: &Ed25519Signer,
    key: &Ed25519Signer,
    user: &str,
    role: Role,
    org: &str,
) -> Certificate {
    issue(
        platform,
        CertificateBody {
            serial: meddesk_signature::serial_of(key),
            user_id: user.into(),
            role,
            org_id: org.into(),
            algorithm: key.algorithm(),
            public_key: key.public_key(),
            not_before_ms: T0 - DAY,
            not_after_ms: T0 + 365 * DAY,
            issuer: platform.key_id().into(),
        },
    )
    .unwrap()
}

fn world() -> World {
    let platform = Ed25519Signer::from_seed([1; 32]).with_key_id("platform:test");
    let physician = Ed25519Signer::from_seed([2; 32]);
    let pharmacist = Ed25519Signer::from_seed([3; 32]);
    let physician_cert = cert(&platform, &physician, "dr.li", Role::Physician, "org-1");
    let pharmacist_cert = cert(&platform, &pharmacist, "ph.zhao", Role::Pharmacist, "org-1");
    World {
        platform,
        physician,
        pharmacist,
        physician_cert,
        pharmacist_cert,
    }
}

fn content(prescription_id: &str, patient: &str) -> Value {
    json!({
        "prescription_id": prescription_id, "consultation_id": "c-1", "org_id": "org-1",
        "patient_id": patient, "physician_id": "dr.li",
        "draft": {"kind": "chronic", "diagnoses": ["I10"], "items": [
            {"drug": "amlodipine", "strength": "5 mg", "dose": {"value": 5, "unit": "mg"},
             "route": "oral", "frequency": "QD", "days": 28, "quantity": 28}]},
        "check": {"pack": "2026.12.0", "findings": []}, "overrides": [],
        "validity_days": 3, "signed_at_ms": T0, "patient": null
    })
}

fn approved(w: &World, prescription_id: &str, patient: &str) -> SignedPrescription {
    let mut doc = sign_prescription(
        content(prescription_id, patient),
        &w.physician_cert,
        &w.physician,
        T0,
    )
    .unwrap();
    add_timestamp(&mut doc, TimestampOf::Sign, &w.platform, T0 + 1_000).unwrap();
    add_review(
        &mut doc,
        &w.pharmacist_cert,
        &w.pharmacist,
        Decision::Approve,
        vec![],
        T0 + 60_000,
    )
    .unwrap();
    add_timestamp(&mut doc, TimestampOf::Review, &w.platform, T0 + 61_000).unwrap();
    doc
}

fn bundle(w: &World, revoked: Vec<Revocation>) -> TrustBundle {
    TrustBundle {
        platform_keys: vec![PlatformKey::of(&w.platform)],
        revocations: RevocationList::issue(&w.platform, T0 + DAY, revoked).unwrap(),
        certificates: vec![w.physician_cert.clone(), w.pharmacist_cert.clone()],
    }
}

fn write(dir: &Path, name: &str, value: &impl serde::Serialize) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path
}

fn verify(args: &[&Path]) -> Output {
    let data = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_meddesk"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["rx", "verify"])
        .args(args)
        .env("MEDDESK_FORBID_KEYCHAIN", "1")
        .output()
        .unwrap()
}

fn fails_with(out: &Output, code: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail with {code}: {stdout}");
    assert!(
        stdout.contains(code) || stderr.contains(code),
        "expected {code}: {stdout} {stderr}"
    );
}

#[test]
fn a_signed_prescription_verifies_offline_and_every_tampering_fails_with_its_code() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let good = approved(&w, "rx-1", "p-7f3a");
    write(dir.path(), "trust.json", &bundle(&w, vec![]));
    let ok = write(dir.path(), "rx-1.json", &good);
    let out = verify(&[&ok]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("signed by dr.li") && stdout.contains("approved by ph.zhao"),
        "{stdout}"
    );

    // A changed dose.
    let mut dose = good.clone();
    dose.content["draft"]["items"][0]["dose"]["value"] = json!(10);
    fails_with(
        &verify(&[&write(dir.path(), "dose.json", &dose)]),
        "content_changed",
    );
    // A changed patient id.
    let mut patient = good.clone();
    patient.content["patient_id"] = json!("p-0000");
    fails_with(
        &verify(&[&write(dir.path(), "patient.json", &patient)]),
        "content_changed",
    );
    // A signature swapped in from another prescription.
    let other = approved(&w, "rx-2", "p-7f3a");
    let mut swapped = good.clone();
    swapped.physician.signature = other.physician.signature.clone();
    fails_with(
        &verify(&[&write(dir.path(), "swapped.json", &swapped)]),
        "signature_invalid",
    );
    // One bad file among good ones fails the run, and the good one still says ok.
    let out = verify(&[&ok, &dir.path().join("dose.json")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok "));

    // A certificate revoked (key compromise), with the platform's newer trust bundle.
    let revoked_dir = tempfile::tempdir().unwrap();
    write(
        revoked_dir.path(),
        "trust.json",
        &bundle(
            &w,
            vec![Revocation {
                serial: w.physician_cert.body.serial.clone(),
                revoked_at_ms: T0 + 2 * DAY,
                reason: RevocationReason::KeyCompromise,
            }],
        ),
    );
    fails_with(
        &verify(&[&write(revoked_dir.path(), "rx-1.json", &good)]),
        "certificate_revoked",
    );

    // A certificate of another organisation.
    let foreign = cert(&w.platform, &w.physician, "dr.li", Role::Physician, "org-2");
    let mut other_org = good.clone();
    other_org
        .certificates
        .retain(|c| c.body.serial != foreign.body.serial);
    other_org.certificates.push(foreign);
    let org_dir = tempfile::tempdir().unwrap();
    let mut trust = bundle(&w, vec![]);
    trust.certificates.clear();
    write(org_dir.path(), "trust.json", &trust);
    fails_with(
        &verify(&[&write(org_dir.path(), "rx-1.json", &other_org)]),
        "certificate_wrong_organisation",
    );

    // A platform key the verifier does not trust.
    let stranger = Ed25519Signer::from_seed([9; 32]).with_key_id("platform:test");
    let strange_dir = tempfile::tempdir().unwrap();
    write(
        strange_dir.path(),
        "trust.json",
        &TrustBundle {
            platform_keys: vec![PlatformKey::of(&stranger)],
            revocations: RevocationList::issue(&stranger, T0, vec![]).unwrap(),
            certificates: vec![],
        },
    );
    let out = verify(&[&write(strange_dir.path(), "rx-1.json", &good)]);
    assert!(!out.status.success());
}

#[test]
fn hostile_or_missing_files_get_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let w = world();
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, b"{\"format\": [[[[").unwrap();
    write(dir.path(), "trust.json", &bundle(&w, vec![]));
    fails_with(&verify(&[&junk]), "malformed");
    // A trust bundle that is not one is named too.
    let bad_trust_dir = tempfile::tempdir().unwrap();
    std::fs::write(bad_trust_dir.path().join("trust.json"), b"{}").unwrap();
    let doc = write(
        bad_trust_dir.path(),
        "rx.json",
        &approved(&w, "rx-8", "p-1"),
    );
    fails_with(&verify(&[&doc]), "is not a trust bundle");
    let huge = dir.path().join("huge.json");
    std::fs::write(&huge, vec![b' '; 5 * 1024 * 1024]).unwrap();
    fails_with(&verify(&[&huge]), "too_large");
    let lonely_dir = tempfile::tempdir().unwrap();
    let lonely = write(lonely_dir.path(), "rx.json", &approved(&w, "rx-9", "p-1"));
    fails_with(&verify(&[&lonely]), "trust_missing");
    fails_with(&verify(&[&dir.path().join("absent.json")]), "unreadable");
}

fn meddesk_demo(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meddesk"))
        .arg("--demo")
        .arg("--data-dir")
        .arg(data)
        .arg("--assets")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"))
        .args(args)
        .env("MEDDESK_FORBID_KEYCHAIN", "1")
        .env_remove("MEDDESK_PASSPHRASE")
        .output()
        .unwrap()
}

/// On a fresh machine: `demo seed` leaves a prescription signed by the demo physician,
/// approved by the demo pharmacist and countersigned by the demo's own platform (through
/// the real use cases and a real sync); `rx export` writes it with the trust bundle and
/// `rx verify --require-timestamp` accepts it — and refuses it once a dose is changed.
#[test]
fn the_demo_profile_exports_a_prescription_that_verifies() {
    let data = tempfile::tempdir().unwrap();
    let seeded = meddesk_demo(data.path(), &["demo", "seed"]);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let out = data.path().join("export");
    let exported = meddesk_demo(
        data.path(),
        &["rx", "export", "--all", "--out", out.to_str().unwrap()],
    );
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let docs: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "trust.json"))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert!(!docs.is_empty());
    // Each with its 处方笺 (R-RX-11): approved, so no 未审核 mark; the Chinese text extracts.
    let slip = docs[0].with_extension("pdf");
    let pdf = std::fs::read(&slip).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let text = Command::new("pdftotext")
        .arg(&slip)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("处方笺") && text.contains("氨氯地平"),
        "{text}"
    );
    // The line's 禁忌说明 (R-RX-2), from the label's contraindications, is on the slip.
    assert!(
        text.contains("禁忌") && text.contains("对氨氯地平过敏者禁用"),
        "{text}"
    );
    assert!(!text.contains("未审核"), "{text}");
    let mut args: Vec<&str> = vec!["rx", "verify", "--require-timestamp"];
    args.extend(docs.iter().map(|p| p.to_str().unwrap()));
    let verified = meddesk_demo(data.path(), &args);
    let stdout = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{stdout}");
    assert!(stdout.contains("approved by ph.demo"), "{stdout}");

    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&docs[0]).unwrap()).unwrap();
    doc["content"]["draft"]["items"][0]["dose"]["value"] = json!(50);
    std::fs::write(&docs[0], serde_json::to_vec(&doc).unwrap()).unwrap();
    let tampered = meddesk_demo(data.path(), &["rx", "verify", docs[0].to_str().unwrap()]);
    fails_with(&tampered, "content_changed");
}
