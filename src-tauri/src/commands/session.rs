use meddesk_workstation::session::{
    LockRequest, SessionStatusRequest, SignInRequest, SignOutRequest, UnlockRequest,
};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn session_status(
    ws: State<'_, Workstation>,
    request: SessionStatusRequest,
) -> Result<<SessionStatusRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn sign_in(
    ws: State<'_, Workstation>,
    request: SignInRequest,
) -> Result<<SignInRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn sign_out(
    ws: State<'_, Workstation>,
    request: SignOutRequest,
) -> Result<<SignOutRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn lock(
    ws: State<'_, Workstation>,
    request: LockRequest,
) -> Result<<LockRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn unlock(
    ws: State<'_, Workstation>,
    request: UnlockRequest,
) -> Result<<UnlockRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
