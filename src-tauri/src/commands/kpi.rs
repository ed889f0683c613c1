use meddesk_workstation::kpi::KpiReportRequest;
use meddesk_workstation::{ApiError, Command, Workstation};
use tauri::State;

#[tauri::command]
pub async fn kpi_report(
    ws: State<'_, Workstation>,
    request: KpiReportRequest,
) -> Result<<KpiReportRequest as Command>::Output, ApiError> {
    ws.execute(request).await
}
