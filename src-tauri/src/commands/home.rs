use meddesk_workstation::home::AppInfoRequest;
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn app_info(
    ws: State<'_, Workstation>,
    request: AppInfoRequest,
) -> Result<<AppInfoRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
