use meddesk_workstation::guidance::{GuidanceExportRequest, GuidanceSheetRequest};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn guidance_sheet(
    ws: State<'_, Workstation>,
    request: GuidanceSheetRequest,
) -> Result<<GuidanceSheetRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn guidance_export(
    ws: State<'_, Workstation>,
    request: GuidanceExportRequest,
) -> Result<<GuidanceExportRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
