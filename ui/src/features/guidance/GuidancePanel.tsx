import { useMutation, useQuery } from "@tanstack/react-query";
import { Alert, Button, Card, Segmented, Skeleton, Space, Typography } from "antd";
import { useState } from "react";
import type { ExportFormat, GuidanceLanguage } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { download } from "./download";

/** The guidance sheet of an approved prescription: preview and export (R-GUIDE-1, R-GUIDE-2). */
export function GuidancePanel({ prescriptionId }: { prescriptionId: string }) {
  const { t, lang } = useI18n();
  const backend = useBackend();
  const [language, setLanguage] = useState<GuidanceLanguage>(lang === "zh-CN" ? "zh-CN" : "en");
  const sheet = useQuery({
    queryKey: ["guidance_sheet", prescriptionId, language],
    queryFn: () => backend.call("guidance_sheet", { prescription_id: prescriptionId, language }),
  });
  const exportFile = useMutation({
    mutationFn: (format: ExportFormat) => backend.call("guidance_export", { prescription_id: prescriptionId, language, format }),
    onSuccess: download,
  });
  const s = sheet.data;
  return (
    <Card
      size="small"
      data-testid="guidance-panel"
      title={<h3 style={{ margin: 0, fontSize: 16 }}>{t("guidance.heading")}</h3>}
      extra={
        <Space wrap>
          <Segmented<GuidanceLanguage>
            aria-label={t("guidance.language")}
            value={language}
            onChange={setLanguage}
            options={[
              { value: "zh-CN", label: "中文" },
              { value: "en", label: "English" },
            ]}
          />
          <Button size="small" onClick={() => exportFile.mutate("pdf")} loading={exportFile.isPending && exportFile.variables === "pdf"} data-testid="export-pdf">
            {t("guidance.exportPdf")}
          </Button>
          <Button size="small" onClick={() => exportFile.mutate("html")} loading={exportFile.isPending && exportFile.variables === "html"}>
            {t("guidance.exportHtml")}
          </Button>
        </Space>
      }
    >
      {exportFile.isError && <Alert type="error" showIcon role="alert" title={errorText(t, exportFile.error)} />}
      {sheet.isPending && <Skeleton active />}
      {sheet.isError && <Alert type="error" showIcon role="alert" title={errorText(t, sheet.error)} />}
      {s && (
        <article lang={s.language} className="wrap-anywhere" data-testid="guidance-sheet">
          <Typography.Title level={4}>{s.labels.title}</Typography.Title>
          <Typography.Paragraph>
            {s.labels.patient}: {s.patient} · {s.labels.prescriber}: {s.prescriber} · {s.labels.date}: {s.date}
          </Typography.Paragraph>
          <Typography.Paragraph>{s.labels.intro}</Typography.Paragraph>
          {s.medicines.map((m) => (
            <section key={m.line} style={{ marginBottom: 12 }}>
              <Typography.Title level={5}>
                {m.line}. {m.name}
                {m.other_name && <Typography.Text type="secondary"> ({m.other_name})</Typography.Text>}
              </Typography.Title>
              <p>
                <strong>{s.labels.how_to_take}:</strong> {m.how_to_take.text}
                {m.how_to_take.reminder && <> {m.how_to_take.reminder}</>}
              </p>
              {m.guidance && (
                <>
                  <p>
                    <strong>{s.labels.purpose}:</strong> {m.guidance.mechanism}
                  </p>
                  <p>
                    <strong>{s.labels.effect}:</strong> {m.guidance.effect}
                  </p>
                  <strong>{s.labels.adverse}:</strong>
                  <ul>
                    {m.guidance.adverse.map((a) => (
                      <li key={a}>{a}</li>
                    ))}
                  </ul>
                  <strong>{s.labels.adherence}:</strong>
                  <ul>
                    {m.guidance.adherence.map((a) => (
                      <li key={a}>{a}</li>
                    ))}
                  </ul>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {s.labels.source}: {m.guidance.source}
                  </Typography.Text>
                </>
              )}
              {m.no_guidance && <p>{m.no_guidance}</p>}
              {m.media && (
                <p>
                  <strong>{s.labels.media}:</strong> {m.media.label}
                </p>
              )}
            </section>
          ))}
          <Typography.Paragraph>{s.labels.closing}</Typography.Paragraph>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {s.labels.sources}: {s.sources.map((x) => `${x.title} (${x.publisher}, ${x.licence})`).join("; ")}
          </Typography.Text>
        </article>
      )}
    </Card>
  );
}
