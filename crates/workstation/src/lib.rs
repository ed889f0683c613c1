//! MedDesk's use cases — the ONE API behind every front. The desktop shell (`src-tauri`),
//! the `meddesk` CLI and its loopback HTTP front all call [`Workstation`] through the
//! commands in [`api`]; none of them holds logic of its own.
//!
//! Must never: depend on Tauri or on HTTP, put patient data in an error message or a log
//! line, or let a front reach the store or the rules around it.

pub mod account;
pub mod api;
pub mod bindings;
pub mod clock;
pub mod demo;
pub mod error;
pub mod home;
pub mod profile;

use std::sync::Arc;

pub use api::{Command, dispatch};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{ApiError, ErrorCode};
pub use profile::{Profile, ProfileKind};

/// An open MedDesk profile and everything the use cases need. Cheap to share across threads
/// (`Arc` inside); the fronts hold one each.
#[derive(Debug, Clone)]
pub struct Workstation {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    profile: Profile,
    clock: Arc<dyn Clock>,
    demo: Option<demo::DemoData>,
}

impl Workstation {
    /// Open a profile. A demo profile loads its synthetic patients from the assets folder.
    pub fn open(profile: Profile, clock: Arc<dyn Clock>) -> Result<Self, ApiError> {
        let demo = match profile.kind {
            ProfileKind::Demo => Some(demo::DemoData::load(&profile.assets_dir)?),
            ProfileKind::Clinic => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                profile,
                clock,
                demo,
            }),
        })
    }

    /// Run one command: the single entry point every front uses.
    pub async fn execute<C: Command>(&self, command: C) -> Result<C::Output, ApiError> {
        command.run(self).await
    }

    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    pub(crate) fn demo(&self) -> Option<&demo::DemoData> {
        self.inner.demo.as_ref()
    }
}
