use meddesk_workstation::home::{AppInfo, AppInfoRequest, HomeSummary, HomeSummaryRequest};
use meddesk_workstation::{ApiError, Workstation};
use tauri::State;

#[tauri::command]
pub async fn app_info(
    ws: State<'_, Workstation>,
    request: AppInfoRequest,
) -> Result<AppInfo, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn home_summary(
    ws: State<'_, Workstation>,
    request: HomeSummaryRequest,
) -> Result<HomeSummary, ApiError> {
    ws.execute(request).await
}
