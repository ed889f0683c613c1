use meddesk_workstation::intake::{ClaimRequest, IntakeRequest, QueueListRequest, ReleaseRequest};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn queue_list(
    ws: State<'_, Workstation>,
    request: QueueListRequest,
) -> Result<<QueueListRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn consultation_claim(
    ws: State<'_, Workstation>,
    request: ClaimRequest,
) -> Result<<ClaimRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn intake_release(
    ws: State<'_, Workstation>,
    request: ReleaseRequest,
) -> Result<<ReleaseRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn intake_submit(
    ws: State<'_, Workstation>,
    request: IntakeRequest,
) -> Result<<IntakeRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
