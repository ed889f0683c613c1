use meddesk_workstation::review::{ReviewQueueRequest, RxReviewRequest};
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn review_queue(
    ws: State<'_, Workstation>,
    request: ReviewQueueRequest,
) -> Result<<ReviewQueueRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}

#[tauri::command]
pub async fn rx_review(
    ws: State<'_, Workstation>,
    request: RxReviewRequest,
) -> Result<<RxReviewRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
