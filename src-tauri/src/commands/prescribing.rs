use meddesk_workstation::prescribing::{
    DrugSearchRequest, RxCheckRequest, RxGetRequest, RxRevokeRequest, RxSaveRequest, RxSignRequest,
    TemplateListRequest, TemplateSaveRequest,
};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn drug_search(
    ws: State<'_, Workstation>,
    request: DrugSearchRequest,
) -> Result<<DrugSearchRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn rx_check(
    ws: State<'_, Workstation>,
    request: RxCheckRequest,
) -> Result<<RxCheckRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn rx_save(
    ws: State<'_, Workstation>,
    request: RxSaveRequest,
) -> Result<<RxSaveRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn rx_sign(
    ws: State<'_, Workstation>,
    request: RxSignRequest,
) -> Result<<RxSignRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn rx_get(
    ws: State<'_, Workstation>,
    request: RxGetRequest,
) -> Result<<RxGetRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn rx_revoke(
    ws: State<'_, Workstation>,
    request: RxRevokeRequest,
) -> Result<<RxRevokeRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn template_save(
    ws: State<'_, Workstation>,
    request: TemplateSaveRequest,
) -> Result<<TemplateSaveRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn template_list(
    ws: State<'_, Workstation>,
    request: TemplateListRequest,
) -> Result<<TemplateListRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn rx_slip(
    ws: State<'_, Workstation>,
    request: meddesk_workstation::slip::RxSlipRequest,
) -> Result<<meddesk_workstation::slip::RxSlipRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
