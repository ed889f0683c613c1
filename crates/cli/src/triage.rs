//! `meddesk triage [FILE|-] [--rules FILE]`: triage a batch of consultation requests with the
//! shipped rules, or with a rules file an administrator wants to test before deploying it.
//! JSON Lines in and out ([`crate::batch`]); exit status 1 when any line was an error.

use std::path::{Path, PathBuf};

use clap::Args;
use meddesk_clinical::triage::{TriageRequest, TriageRules, route_name, triage};
use serde_json::json;

use crate::batch;

#[derive(Debug, Clone, Args)]
pub struct TriageArgs {
    /// JSON Lines of requests; `-` or nothing reads standard input.
    pub input: Option<PathBuf>,
    /// A rules file to use instead of the shipped `<assets>/triage/rules.toml`.
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

pub fn run(args: TriageArgs, assets: &Path) -> Result<(), String> {
    let rules_path = args
        .rules
        .unwrap_or_else(|| assets.join("triage").join("rules.toml"));
    let text = std::fs::read_to_string(&rules_path)
        .map_err(|e| format!("invalid_rules: cannot read {}: {e}", rules_path.display()))?;
    let rules = TriageRules::from_toml(&text, &rules_path.display().to_string())
        .map_err(|e| format!("invalid_rules: {e}"))?;
    let input = batch::input(args.input.as_deref())?;
    batch::run(input, batch::output(), |request: TriageRequest| {
        let outcome = triage(&request, &rules);
        json!({
            "id": request.id,
            "priority": outcome.priority,
            "route": route_name(&outcome.route),
            "reasons": outcome.reasons,
            "flags": outcome.flags,
            "rules": rules.version,
        })
    })
    .map_err(|e| format!("io_error: {e}"))?
    .into_result()
}
