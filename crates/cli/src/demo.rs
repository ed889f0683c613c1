//! `meddesk demo seed`: fill the demo profile with its synthetic accounts and consultation
//! requests (every name carries 演示/Demo), triaged by the real rules. Refuses a clinic
//! profile. A thin front over `meddesk_workstation::demo`.

use std::sync::Arc;

use clap::Subcommand;
use meddesk_workstation::{SystemClock, Workstation, demo};

use crate::profile_args::ProfileArgs;

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Put the synthetic demo accounts and consultations into the demo profile (--demo).
    Seed,
}

pub fn run(args: &ProfileArgs, command: DemoCommand) -> Result<(), String> {
    match command {
        DemoCommand::Seed => {
            if !args.demo {
                return Err(
                    "not_demo_profile: demo data goes only into the demo profile; pass --demo"
                        .into(),
                );
            }
            let profile = args.profile()?;
            let fail =
                |e: meddesk_workstation::ApiError| format!("{}: {}", e.code_str(), e.message);
            let passphrase = std::env::var("MEDDESK_PASSPHRASE")
                .ok()
                .map(zeroize::Zeroizing::new);
            let ws = Workstation::open_profile(profile, Arc::new(SystemClock), passphrase)
                .map_err(fail)?;
            let added = demo::seed(&ws).map_err(fail)?;
            println!("demo profile ready: {added} synthetic consultations added");
            Ok(())
        }
    }
}
