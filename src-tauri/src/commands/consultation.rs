use meddesk_workstation::consultation::{
    CompleteRequest, ConsultationGetRequest, Icd10SearchRequest, MessageSendRequest,
    MyConsultationsRequest, RecordSaveRequest, SetTypeRequest,
};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn consultation_get(
    ws: State<'_, Workstation>,
    request: ConsultationGetRequest,
) -> Result<<ConsultationGetRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn consultation_list_mine(
    ws: State<'_, Workstation>,
    request: MyConsultationsRequest,
) -> Result<<MyConsultationsRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn record_save(
    ws: State<'_, Workstation>,
    request: RecordSaveRequest,
) -> Result<<RecordSaveRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn message_send(
    ws: State<'_, Workstation>,
    request: MessageSendRequest,
) -> Result<<MessageSendRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn consultation_complete(
    ws: State<'_, Workstation>,
    request: CompleteRequest,
) -> Result<<CompleteRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn consultation_set_type(
    ws: State<'_, Workstation>,
    request: SetTypeRequest,
) -> Result<<SetTypeRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn icd10_search(
    ws: State<'_, Workstation>,
    request: Icd10SearchRequest,
) -> Result<<Icd10SearchRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
