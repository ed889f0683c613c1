//! MedDesk's use cases — the ONE API behind every front. The desktop shell (`src-tauri`),
//! the `meddesk` CLI and its loopback HTTP front all call [`Workstation`] through the
//! commands in [`api`]; none of them holds logic of its own.
//!
//! Only this crate composes the encrypted store, the pure clinical rules and (later) sync.
//!
//! Must never: depend on Tauri or on HTTP, put patient data in an error message or a log
//! line, or let a front reach the store or the rules around it.

pub mod account;
pub mod api;
pub mod backups;
pub mod bindings;
pub mod clock;
pub mod complaints;
pub mod consultation;
pub mod demo;
pub mod error;
pub mod follow_up;
pub mod guidance;
pub mod home;
pub mod intake;
pub mod knowledge;
pub mod kpi;
pub mod prescribing;
pub mod profile;
pub mod review;
pub mod session;
pub mod settings;
pub mod signing;
pub mod slip;
pub mod sync;

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use meddesk_store::{KeySource, ProfileFiles, Store};

pub use api::{Command, dispatch};
pub use clock::{Clock, FixedClock, ManualClock, SystemClock};
pub use error::{ApiError, ErrorCode};
pub use profile::{Profile, ProfileKind};
pub use session::SignedIn;

/// An open MedDesk profile and everything the use cases need. Cheap to share across threads
/// (`Arc` inside); the fronts hold one each.
#[derive(Debug, Clone)]
pub struct Workstation {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    profile: Profile,
    files: ProfileFiles,
    clock: Arc<dyn Clock>,
    keys: Box<dyn KeySource>,
    knowledge: knowledge::Knowledge,
    session: Mutex<session::State>,
    sync: sync::Hub,
    backups: backups::Watch,
}

impl Workstation {
    /// Open a profile whose database key comes from `keys` (the OS keychain, a
    /// passphrase-wrapped file, or — in tests — memory). Nobody is signed in yet: the
    /// database stays closed and no key is loaded until someone signs in (R-SEC-6).
    pub fn open(
        profile: Profile,
        clock: Arc<dyn Clock>,
        keys: Box<dyn KeySource>,
    ) -> Result<Self, ApiError> {
        let knowledge = knowledge::Knowledge::load(&profile.assets_dir)?;
        let files = ProfileFiles::new(&profile.data_dir);
        Ok(Self {
            inner: Arc::new(Inner {
                files,
                profile,
                clock,
                keys,
                knowledge,
                session: Mutex::new(session::State::SignedOut),
                sync: sync::Hub::default(),
                backups: backups::Watch::default(),
            }),
        })
    }

    /// Open the profile a front was started with: the demo profile (created and seeded on
    /// first use), or a clinic profile whose key is in the OS keychain or, where there is
    /// none, in a passphrase-wrapped file (`passphrase` needed then).
    pub fn open_profile(
        profile: Profile,
        clock: Arc<dyn Clock>,
        passphrase: Option<zeroize::Zeroizing<String>>,
    ) -> Result<Self, ApiError> {
        match profile.kind {
            ProfileKind::Demo => demo::open_demo_with(profile, clock, passphrase),
            ProfileKind::Clinic => {
                let files = ProfileFiles::new(&profile.data_dir);
                let keys = meddesk_store::profile::key_source(&files, passphrase)?;
                Self::open(profile, clock, keys)
            }
        }
    }

    /// Create a new profile: a random database key stored through `keys`, an empty
    /// encrypted database with every migration applied. Fails when the profile exists.
    pub fn init_profile(
        profile: &Profile,
        keys: &dyn KeySource,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let files = ProfileFiles::new(&profile.data_dir);
        let key = meddesk_store::DbKey::generate()?;
        keys.save(&key)?;
        Store::create(&files, &key, now)?;
        Ok(())
    }

    /// Create an account without a signed-in administrator: for the clinic's IT person at
    /// the command line (`meddesk user add`), the demo seed and tests. Administrators use
    /// `user_create` from the UI.
    pub fn bootstrap_user(
        &self,
        new: &account::NewUser,
        totp_secret: Option<&[u8]>,
    ) -> Result<account::CreatedUser, ApiError> {
        let store = self.open_store()?;
        account::create_user(
            &store,
            &meddesk_store::Actor::system(),
            self.now(),
            new,
            totp_secret,
        )
    }

    /// A consultation request from the platform (sync, the simulator): triage, screening and
    /// storage, whoever is signed in.
    pub fn receive_request(
        &self,
        request: &intake::IntakeRequest,
    ) -> Result<meddesk_domain::ConsultationId, ApiError> {
        let store = self.open_store()?;
        intake::receive(
            self,
            &store,
            &meddesk_store::Actor::new("platform"),
            request,
        )
    }

    /// Run one command: the single entry point every front uses.
    pub async fn execute<C: Command>(&self, command: C) -> Result<C::Output, ApiError> {
        command.run(self).await
    }

    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    pub fn knowledge(&self) -> &knowledge::Knowledge {
        &self.inner.knowledge
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub(crate) fn files(&self) -> &ProfileFiles {
        &self.inner.files
    }

    pub(crate) fn keys(&self) -> &dyn KeySource {
        self.inner.keys.as_ref()
    }

    fn state(&self) -> Result<MutexGuard<'_, session::State>, ApiError> {
        self.inner.session.lock().map_err(|_| {
            ApiError::new(
                ErrorCode::Internal,
                "the session state was poisoned by a panic",
            )
        })
    }

    /// The signed-in user and the open store, for one user action at `now` (which counts
    /// as activity). Locks first when the idle timeout has passed.
    pub(crate) fn active(&self) -> Result<(SignedIn, Arc<Store>), ApiError> {
        let now = self.now();
        let mut state = self.state()?;
        state.tick(now);
        state.touch(now)
    }

    /// Like [`Self::active`], and the user must hold `role`.
    pub(crate) fn acting_as(
        &self,
        role: meddesk_domain::Role,
    ) -> Result<(SignedIn, Arc<Store>), ApiError> {
        let (who, store) = self.active()?;
        if !who.roles.contains(&role) {
            return Err(ApiError::forbidden(format!("this needs the {role:?} role")));
        }
        Ok((who, store))
    }
}
