use meddesk_workstation::sync::{SyncNowRequest, SyncStatusRequest};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn sync_status(
    ws: State<'_, Workstation>,
    request: SyncStatusRequest,
) -> Result<<SyncStatusRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn sync_now(
    ws: State<'_, Workstation>,
    request: SyncNowRequest,
) -> Result<<SyncNowRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
