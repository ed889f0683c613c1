//! The command registry: every use case a front may call, by name, with typed request and
//! response. The Tauri shell calls [`Workstation::execute`](crate::Workstation::execute)
//! with the typed request; the HTTP front calls [`dispatch`] with the same name and the
//! same JSON. The generated TypeScript map (`ui/src/backend/bindings.ts`) comes from the
//! same list, so the three can't drift apart.

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;
use ts_rs::TS;

use crate::{ApiError, Workstation};

/// One use case. The request type is the command; `NAME` is its wire name (snake_case,
/// identical in Tauri IPC, HTTP and TypeScript).
pub trait Command: DeserializeOwned + TS + Send + 'static {
    const NAME: &'static str;
    type Output: Serialize + TS + Send + 'static;

    fn run(self, ws: &Workstation) -> impl Future<Output = Result<Self::Output, ApiError>> + Send;
}

async fn run_json<C: Command>(
    ws: &Workstation,
    body: serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    let request: C =
        serde_json::from_value(body).map_err(|e| ApiError::invalid_request(C::NAME, &e))?;
    let output = ws.execute(request).await?;
    serde_json::to_value(output).map_err(|e| {
        ApiError::new(
            crate::ErrorCode::Internal,
            format!("`{}` produced an unserializable answer: {e}", C::NAME),
        )
    })
}

/// Describes one registered command for the bindings generator.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub name: &'static str,
    pub request: fn(&ts_rs::Config) -> String,
    pub response: fn(&ts_rs::Config) -> String,
    pub collect: fn(&mut crate::bindings::Collector),
}

macro_rules! commands {
    ($($cmd:ty),* $(,)?) => {
        /// Run a command by its wire name with a JSON request: what the HTTP front calls.
        pub async fn dispatch(
            ws: &Workstation,
            name: &str,
            body: serde_json::Value,
        ) -> Result<serde_json::Value, ApiError> {
            $(
                if name == <$cmd as Command>::NAME {
                    return run_json::<$cmd>(ws, body).await;
                }
            )*
            Err(ApiError::unknown_command(name))
        }

        /// Every registered command, in registration order.
        pub fn commands() -> Vec<CommandSpec> {
            vec![$(
                CommandSpec {
                    name: <$cmd as Command>::NAME,
                    request: <$cmd as TS>::name,
                    response: <<$cmd as Command>::Output as TS>::name,
                    collect: |c| {
                        c.add::<$cmd>();
                        c.add::<<$cmd as Command>::Output>();
                    },
                },
            )*]
        }
    };
}

commands![
    crate::home::AppInfoRequest,
    crate::session::SessionStatusRequest,
    crate::session::SignInRequest,
    crate::session::SignOutRequest,
    crate::session::LockRequest,
    crate::session::UnlockRequest,
    crate::account::NewUser,
    crate::account::UserListRequest,
    crate::account::UserSetRightsRequest,
    crate::account::UserSuspendRequest,
    crate::intake::QueueListRequest,
    crate::intake::ClaimRequest,
    crate::intake::ReleaseRequest,
    crate::intake::IntakeRequest,
    crate::consultation::ConsultationGetRequest,
    crate::consultation::MyConsultationsRequest,
    crate::consultation::RecordSaveRequest,
    crate::consultation::MessageSendRequest,
    crate::consultation::CompleteRequest,
    crate::consultation::SetTypeRequest,
    crate::consultation::Icd10SearchRequest,
    crate::prescribing::DrugSearchRequest,
    crate::prescribing::RxCheckRequest,
    crate::prescribing::RxSaveRequest,
    crate::prescribing::RxSignRequest,
    crate::prescribing::RxGetRequest,
    crate::prescribing::RxRevokeRequest,
    crate::slip::RxSlipRequest,
    crate::prescribing::TemplateSaveRequest,
    crate::prescribing::TemplateListRequest,
    crate::review::ReviewQueueRequest,
    crate::review::RxReviewRequest,
    crate::guidance::GuidanceSheetRequest,
    crate::guidance::GuidanceExportRequest,
    crate::follow_up::FollowUpListRequest,
    crate::follow_up::FollowUpRecordRequest,
    crate::complaints::ComplaintFileRequest,
    crate::complaints::ComplaintListRequest,
    crate::complaints::ComplaintResolveRequest,
    crate::kpi::KpiReportRequest,
    crate::sync::SyncStatusRequest,
    crate::sync::SyncNowRequest,
    crate::settings::SettingsGetRequest,
    crate::settings::SettingsSetRequest,
    crate::settings::BackupNowRequest,
];
