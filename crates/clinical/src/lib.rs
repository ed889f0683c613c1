//! Pure clinical rules: the prescription checker, triage and screening, guidance sheets,
//! follow-up plans, the prescription state machine.
//!
//! Must never: do IO or read the clock. Every rule takes the data and `now` as arguments,
//! so it can be tested from fixtures, fuzzed and benchmarked.

pub mod check;
pub mod complaint;
pub mod contraindications;
pub mod follow_up;
/// ICD-10 codes and ranges live in `meddesk-domain` (the formulary validator uses them too).
pub use meddesk_domain::icd10;
pub mod kpi;
pub mod lifecycle;
pub mod queue;
pub mod triage;
