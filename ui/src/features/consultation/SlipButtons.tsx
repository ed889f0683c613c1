import { useMutation } from "@tanstack/react-query";
import { Alert, Button, Space } from "antd";
import type { ExportedFile, RxStatus } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { download } from "../guidance/download";

/** Print a PDF from a hidden frame (the webview's print dialog), falling back to a download. */
function printPdf(file: ExportedFile) {
  const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: file.mime }));
  const frame = document.createElement("iframe");
  frame.style.position = "fixed";
  frame.style.width = "0";
  frame.style.height = "0";
  frame.style.border = "0";
  frame.setAttribute("aria-hidden", "true");
  frame.dataset.testid = "rx-slip-print-frame";
  frame.src = url;
  frame.onload = () => {
    try {
      frame.contentWindow?.focus();
      frame.contentWindow?.print();
    } catch {
      download(file);
    }
    setTimeout(() => {
      frame.remove();
      URL.revokeObjectURL(url);
    }, 60_000);
  };
  document.body.appendChild(frame);
}

/**
 * The 处方笺 of a signed prescription (R-RX-11): print it or keep the PDF. Before approval the
 * slip itself says 未审核 — 不得调配; the button says so too.
 */
export function SlipButtons({ prescriptionId, status }: { prescriptionId: string; status: RxStatus }) {
  const { t } = useI18n();
  const backend = useBackend();
  const slip = useMutation({
    // The variable says what to do with the file once it is here.
    mutationFn: (how: "pdf" | "print") => backend.call("rx_slip", { prescription_id: prescriptionId }).then((file) => ({ file, how })),
    onSuccess: ({ file, how }) => (how === "print" ? printPdf(file) : download(file)),
  });
  if (status === "draft") return null;
  const unreviewed = status !== "approved";
  return (
    <Space orientation="vertical" size={4}>
      <Space wrap>
        <Button size="small" onClick={() => slip.mutate("print")} loading={slip.isPending && slip.variables === "print"} data-testid="rx-slip-print">
          {t("rx.slipPrint")}
        </Button>
        <Button size="small" onClick={() => slip.mutate("pdf")} loading={slip.isPending && slip.variables === "pdf"} data-testid="rx-slip-pdf">
          {t("rx.slipPdf")}
        </Button>
        {unreviewed && <span style={{ fontSize: 12, color: "#ad4e00" }}>{t("rx.slipUnreviewed")}</span>}
      </Space>
      {slip.isError && <Alert type="error" showIcon role="alert" title={errorText(t, slip.error)} />}
    </Space>
  );
}
