//! Pure clinical rules: the prescription checker, triage and screening, guidance sheets,
//! follow-up plans, the prescription state machine.
//!
//! Must never: do IO or read the clock. Every rule takes the data and `now` as arguments,
//! so it can be tested from fixtures, fuzzed and benchmarked.

pub mod queue;
