//! Signing and verification costs (issue targets: signing and verification each ≤ 1 ms p99;
//! ≥ 5,000 document verifications per second on one core).
//!
//! `cargo bench -p meddesk-signature`. After criterion's report, a one-core run prints the
//! p50/p99 of single operations and full-document verifications per second.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use meddesk_signature::{
    Algorithm, CertificateBody, Decision, Ed25519Signer, PlatformKey, Role, SignedPrescription,
    Signer, TimestampOf, Trust, Verifier, add_review, add_timestamp, issue, key, sign_prescription,
    verify,
};
use serde_json::{Value, json};

const T0: i64 = 1_796_400_000_000;

struct Fixture {
    physician: Ed25519Signer,
    physician_cert: meddesk_signature::Certificate,
    content: Value,
    doc: SignedPrescription,
    trust: Trust,
}

fn fixture() -> Fixture {
    let platform = Ed25519Signer::from_seed([1; 32]).with_key_id("platform-2026");
    let physician = Ed25519Signer::from_seed([2; 32]);
    let pharmacist = Ed25519Signer::from_seed([3; 32]);
    let body = |serial: &str, role, key: &dyn Signer| CertificateBody {
        serial: serial.to_owned(),
        user_id: format!("u-{serial}"),
        role,
        org_id: "org-1".to_owned(),
        algorithm: key.algorithm(),
        public_key: key.public_key(),
        not_before_ms: T0 - 86_400_000,
        not_after_ms: T0 + 86_400_000,
        issuer: "platform-2026".to_owned(),
    };
    let physician_cert = issue(&platform, body("c-phy", Role::Physician, &physician)).unwrap();
    let pharmacist_cert = issue(&platform, body("c-pha", Role::Pharmacist, &pharmacist)).unwrap();
    // A realistic prescription: four lines, findings, overrides, Chinese text.
    let content = json!({
        "prescription_id": "rx-20261204-0001",
        "org_id": "org-1",
        "patient": "p-7f3a9c",
        "diagnosis": [{ "code": "I10", "name": "原发性高血压" }, { "code": "E11.9", "name": "2型糖尿病" }],
        "lines": [
            { "drug": "amlodipine", "dose_mg": 5, "per_day": 1, "days": 28, "route": "po" },
            { "drug": "metformin", "dose_mg": 500, "per_day": 2, "days": 28, "route": "po" },
            { "drug": "atorvastatin", "dose_mg": 20, "per_day": 1, "days": 28, "route": "po" },
            { "drug": "aspirin", "dose_mg": 100, "per_day": 1, "days": 28, "route": "po" }
        ],
        "findings": { "pack": "2026.11.2", "codes": ["interaction_moderate"], "overrides": ["已评估出血风险，继续用药"] },
        "valid_until_ms": T0 + 3 * 86_400_000_i64,
        "signed_at_ms": T0
    });
    let mut doc = sign_prescription(content.clone(), &physician_cert, &physician, T0).unwrap();
    add_timestamp(&mut doc, TimestampOf::Sign, &platform, T0 + 1_000).unwrap();
    add_review(
        &mut doc,
        &pharmacist_cert,
        &pharmacist,
        Decision::Approve,
        vec![],
        T0 + 60_000,
    )
    .unwrap();
    add_timestamp(&mut doc, TimestampOf::Review, &platform, T0 + 61_000).unwrap();
    let trust = Trust {
        platform_keys: vec![PlatformKey::of(&platform)],
        revocations: Vec::new(),
        require_timestamp: true,
    };
    verify(&doc, &trust).unwrap();
    Fixture {
        physician,
        physician_cert,
        content,
        doc,
        trust,
    }
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    let message = b"{\"certificate\":\"c-phy\",\"content_sha256\":\"00\",\"purpose\":\"meddesk/prescription/sign\",\"signed_at_ms\":1796400000000}";
    let signature = f.physician.sign(message).unwrap();
    let public_key = f.physician.public_key();

    c.bench_function(
        "sign_prescription (canonicalise + SHA-256 + Ed25519 sign)",
        |b| {
            b.iter(|| {
                sign_prescription(
                    black_box(f.content.clone()),
                    &f.physician_cert,
                    &f.physician,
                    T0,
                )
                .unwrap()
            })
        },
    );
    c.bench_function("verify one attestation (Ed25519 verify_strict)", |b| {
        b.iter(|| {
            key::verify(
                Algorithm::Ed25519,
                &public_key,
                black_box(message),
                &signature,
            )
            .unwrap()
        })
    });
    c.bench_function(
        "verify document (physician + review + 2 timestamps + 2 certificates)",
        |b| b.iter(|| verify(black_box(&f.doc), &f.trust).unwrap()),
    );
    let verifier = Verifier::new(f.trust.clone()).unwrap();
    c.bench_function(
        "Verifier::verify document (certificates already checked)",
        |b| b.iter(|| verifier.verify(black_box(&f.doc)).unwrap()),
    );

    one_core_figures(&f, message, &signature);
}

/// p50/p99 of single calls and documents per second, on this one thread.
fn one_core_figures(f: &Fixture, message: &[u8], signature: &meddesk_signature::SignatureBytes) {
    fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
        samples.sort();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
        (at(0.50), at(0.99))
    }
    fn sample(n: usize, mut op: impl FnMut()) -> (Duration, Duration) {
        for _ in 0..n / 10 {
            op();
        }
        percentiles(
            (0..n)
                .map(|_| {
                    let start = Instant::now();
                    op();
                    start.elapsed()
                })
                .collect(),
        )
    }
    let public_key = f.physician.public_key();
    let (sign50, sign99) = sample(5_000, || {
        black_box(
            sign_prescription(f.content.clone(), &f.physician_cert, &f.physician, T0).unwrap(),
        );
    });
    let (att50, att99) = sample(5_000, || {
        key::verify(Algorithm::Ed25519, &public_key, message, signature).unwrap();
    });
    let (doc50, doc99) = sample(5_000, || {
        black_box(verify(&f.doc, &f.trust).unwrap());
    });
    let verifier = Verifier::new(f.trust.clone()).unwrap();
    let (warm50, warm99) = sample(5_000, || {
        black_box(verifier.verify(&f.doc).unwrap());
    });
    let n = 5_000;
    let start = Instant::now();
    for _ in 0..n {
        black_box(verify(black_box(&f.doc), &f.trust).unwrap());
    }
    let per_second = n as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    for _ in 0..n {
        black_box(verifier.verify(black_box(&f.doc)).unwrap());
    }
    let warm_per_second = n as f64 / start.elapsed().as_secs_f64();
    println!();
    println!("one core, {n} samples each:");
    println!(
        "  sign_prescription      p50 {sign50:>10.1?}  p99 {sign99:>10.1?}  (target p99 ≤ 1 ms)"
    );
    println!(
        "  verify attestation     p50 {att50:>10.1?}  p99 {att99:>10.1?}  (target p99 ≤ 1 ms)"
    );
    println!("  verify document        p50 {doc50:>10.1?}  p99 {doc99:>10.1?}");
    println!(
        "  Verifier::verify       p50 {warm50:>10.1?}  p99 {warm99:>10.1?}  (certificates remembered)"
    );
    println!("  documents verified/s   {per_second:>10.0}  verify(), every certificate checked");
    println!("  documents verified/s   {warm_per_second:>10.0}  Verifier (target ≥ 5,000)");
}

criterion_group!(signature, benches);
criterion_main!(signature);
