use meddesk_workstation::settings::{BackupNowRequest, SettingsGetRequest, SettingsSetRequest};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn settings_get(
    ws: State<'_, Workstation>,
    request: SettingsGetRequest,
) -> Result<<SettingsGetRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn settings_set(
    ws: State<'_, Workstation>,
    request: SettingsSetRequest,
) -> Result<<SettingsSetRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn backup_now(
    ws: State<'_, Workstation>,
    request: BackupNowRequest,
) -> Result<<BackupNowRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
