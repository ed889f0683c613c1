use meddesk_workstation::complaints::{
    ComplaintFileRequest, ComplaintListRequest, ComplaintResolveRequest,
};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn complaint_file(
    ws: State<'_, Workstation>,
    request: ComplaintFileRequest,
) -> Result<<ComplaintFileRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn complaint_list(
    ws: State<'_, Workstation>,
    request: ComplaintListRequest,
) -> Result<<ComplaintListRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn complaint_resolve(
    ws: State<'_, Workstation>,
    request: ComplaintResolveRequest,
) -> Result<<ComplaintResolveRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
