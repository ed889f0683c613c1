//! Test support for `tests/crash.rs` (not shipped): writes signed prescriptions into the
//! profile given as the first argument, forever, printing each id only after its commit
//! returned. The parent kills it with SIGKILL at random points.
//!
//! The key comes as hex in `MEDDESK_TEST_KEY`: an in-memory key, never a keychain.

use std::io::Write;

use meddesk_domain::{ConsultationId, Sensitive};
use meddesk_store::tables::{prescription_lines::Line, prescriptions};
use meddesk_store::{Actor, DbKey, ProfileFiles, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: crash-writer PROFILE_DIR CONSULTATION_ID")?;
    let consultation: ConsultationId = ConsultationId(uuid::Uuid::parse_str(
        &args.next().ok_or("missing consultation id")?,
    )?);
    let key = DbKey::from_hex(&std::env::var("MEDDESK_TEST_KEY")?)?;
    let store = Store::open(&ProfileFiles::new(dir), &key, chrono::Utc::now())?;
    drop(key);
    let actor = Actor::new("dr-crash");
    let line = Line {
        generic_name: "amlodipine".into(),
        strength: "5 mg".into(),
        dose: "5 mg".into(),
        route: "oral".into(),
        frequency: "qd".into(),
        course_days: 7,
        quantity: "7 tablets".into(),
        notes: String::new(),
    };
    let stdout = std::io::stdout();
    loop {
        let id = uuid::Uuid::new_v4().to_string();
        store.write(&actor, chrono::Utc::now(), |w| {
            prescriptions::insert_draft(
                w,
                &id,
                &consultation,
                "dr-crash",
                &Sensitive::new("I10".into()),
                std::slice::from_ref(&line),
            )?;
            prescriptions::sign(w, &id, "dr-crash")
        })?;
        let mut out = stdout.lock();
        writeln!(out, "{id}")?;
        out.flush()?;
    }
}
