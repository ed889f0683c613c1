use meddesk_workstation::follow_up::{FollowUpListRequest, FollowUpRecordRequest};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn follow_up_list(
    ws: State<'_, Workstation>,
    request: FollowUpListRequest,
) -> Result<<FollowUpListRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn follow_up_record(
    ws: State<'_, Workstation>,
    request: FollowUpRecordRequest,
) -> Result<<FollowUpRecordRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
