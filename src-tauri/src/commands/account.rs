use meddesk_workstation::account::{
    NewUser, UserListRequest, UserSetRightsRequest, UserSuspendRequest,
};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn user_create(
    ws: State<'_, Workstation>,
    request: NewUser,
) -> Result<<NewUser as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn user_list(
    ws: State<'_, Workstation>,
    request: UserListRequest,
) -> Result<<UserListRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn user_set_rights(
    ws: State<'_, Workstation>,
    request: UserSetRightsRequest,
) -> Result<<UserSetRightsRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn user_suspend(
    ws: State<'_, Workstation>,
    request: UserSuspendRequest,
) -> Result<<UserSuspendRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
