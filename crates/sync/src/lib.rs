//! Sync with the platform: protocol types, the pure planner (local state + server answer →
//! actions) and the HTTP client.
//!
//! Must never: let the planner do IO or read the clock, or mark a record synced before the
//! server acknowledged it.
