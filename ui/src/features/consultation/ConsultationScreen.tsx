import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Col, Descriptions, Empty, Input, Modal, Radio, Row, Skeleton, Space, Tag, Typography } from "antd";
import { useEffect, useRef, useState } from "react";
import type { ConsultationKind, ConsultationView, SyncStatus } from "../../backend";
import { useBackend } from "../../backend/context";
import { useDraft, useDraftHandle } from "../../app/drafts";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { GuidancePanel } from "../guidance/GuidancePanel";
import { useSyncStatus } from "../sync/useSyncStatus";
import { FlagTags } from "../queue/QueueScreen";
import { routeLabel } from "../queue/labels";
import { rxLinesDraft, rxOpenDraft } from "./drafts";
import { PrescriptionEditor } from "./PrescriptionEditor";
import { RecordForm } from "./RecordForm";
import { ThreadPanel } from "./ThreadPanel";

const SYNC_COLOR: Record<SyncStatus, string> = { local_only: "default", pending: "blue", synced: "green", rejected: "red" };

/** Where this record stands with the platform; `synced` only after its acknowledgement (issue 6). */
function RecordSyncTag({ sync }: { sync: SyncStatus }) {
  const { t } = useI18n();
  return (
    <Tag color={SYNC_COLOR[sync]} data-testid="record-sync" data-sync={sync} style={{ marginInlineEnd: 0 }}>
      {t("sync.record.label")}: {t(`sync.record.${sync}`)}
    </Tag>
  );
}

const KINDS: ConsultationKind[] = ["ordinary", "chronic", "emergency", "specialist"];

/**
 * The consultation type (常见病 / 慢性病 / 急诊 / 专科) is the treating physician's call, changed
 * with a reason; the prescription's course limit follows it (R-RX-4, issue 12).
 */
function ConsultationType({ view }: { view: ConsultationView }) {
  const { t } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [kind, setKind] = useState<ConsultationKind>(view.prescription_kind);
  const [reason, setReason] = useState("");
  const change = useMutation({
    mutationFn: () =>
      backend.call("consultation_set_type", { consultation_id: view.id, consultation_type: kind, reason: reason.trim() }),
    onSuccess: (v) => {
      client.setQueryData(["consultation_get", v.id], v);
      setEditing(false);
    },
  });
  const canChange = view.mine && view.status === "claimed";
  return (
    <Space size={4} wrap>
      <Tag color="geekblue" data-testid="consultation-kind" data-kind={view.prescription_kind} style={{ marginInlineEnd: 0 }}>
        {t(`kind.${view.prescription_kind}`)}
      </Tag>
      <Typography.Text type="secondary" data-testid="consultation-kind-reason">
        {view.prescription_kind_reason ? t("kind.setBecause", { reason: view.prescription_kind_reason }) : t("kind.fromIntake")}
      </Typography.Text>
      {canChange && (
        <Button
          size="small"
          data-testid="consultation-kind-change"
          onClick={() => {
            setKind(view.prescription_kind);
            setReason("");
            change.reset();
            setEditing(true);
          }}
        >
          {t("kind.change")}
        </Button>
      )}
      <Modal
        open={editing}
        title={t("kind.changeTitle")}
        okText={t("kind.confirm")}
        cancelText={t("kind.cancel")}
        okButtonProps={{
          disabled: reason.trim() === "" || kind === view.prescription_kind,
          loading: change.isPending,
          ...({ "data-testid": "consultation-kind-ok" } as Record<`data-${string}`, string>),
        }}
        onOk={() => change.mutate()}
        onCancel={() => setEditing(false)}
        destroyOnHidden
      >
        <Space orientation="vertical" style={{ width: "100%" }}>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
            {t("kind.limits")}
          </Typography.Paragraph>
          <Radio.Group value={kind} onChange={(e) => setKind(e.target.value as ConsultationKind)} data-testid="consultation-kind-options" aria-label={t("kind.label")}>
            {KINDS.map((k) => (
              <Radio.Button key={k} value={k} data-testid={`consultation-kind-${k}`}>
                {t(`kind.${k}`)}
              </Radio.Button>
            ))}
          </Radio.Group>
          <Input.TextArea
            rows={2}
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder={t("kind.reasonPlaceholder")}
            aria-label={t("kind.reason")}
            data-testid="consultation-kind-reason-input"
          />
          {change.isError && <Alert type="error" showIcon role="alert" title={errorText(t, change.error)} />}
        </Space>
      </Modal>
    </Space>
  );
}

/** The de-identified patient header (R-REC-2): masked name, age, sex, never the ID number. */
function PatientHeader({ view }: { view: ConsultationView }) {
  const { t, msg } = useI18n();
  const p = view.patient;
  return (
    <Card
      size="small"
      data-testid="patient-header"
      title={<h2 style={{ margin: 0, fontSize: 17 }}>{t("consultation.header")}</h2>}
      extra={<RecordSyncTag sync={view.sync} />}
    >
      <Descriptions size="small" column={4}>
        <Descriptions.Item label={t("queue.patient")}>
          <strong data-testid="masked-name">{p.masked_name}</strong>
        </Descriptions.Item>
        <Descriptions.Item label={t("consultation.age")}>
          {p.age_years !== null ? t("queue.age", { age: p.age_years }) : "—"} · {t(`sex.${p.sex ?? "unknown"}`)}
        </Descriptions.Item>
        <Descriptions.Item label={t("queue.priority")}>
          <Tag color={view.priority === "emergency" ? "red" : view.priority === "urgent" ? "orange" : "blue"}>{t(`priority.${view.priority}`)}</Tag>
          <Tag>{routeLabel(t, view.route)}</Tag>
        </Descriptions.Item>
        <Descriptions.Item label={t("complaints.status")}>{t(`consultation.status.${view.status}`)}</Descriptions.Item>
        <Descriptions.Item label={t("kind.label")}>
          <ConsultationType view={view} />
        </Descriptions.Item>
      </Descriptions>
      <Space wrap>
        <Tag color={p.identity_verified ? "green" : "orange"}>{p.identity_verified ? t("consultation.verified") : t("consultation.unverified")}</Tag>
        {p.guardian_present !== null && (
          <Tag color={p.guardian_present ? "green" : "red"}>{p.guardian_present ? t("consultation.guardianPresent") : t("consultation.guardianAbsent")}</Tag>
        )}
        <FlagTags flags={view.flags} />
      </Space>
      <Typography.Paragraph style={{ marginTop: 8, marginBottom: 4 }} className="wrap-anywhere">
        <strong>{t("consultation.complaint")}:</strong> {view.complaint}
      </Typography.Paragraph>
      {view.reasons.length > 0 && (
        <Typography.Paragraph style={{ marginBottom: 0 }} type="secondary">
          <strong>{t("consultation.reasons")}:</strong> {view.reasons.map((r) => msg(r.message)).join("；")}
        </Typography.Paragraph>
      )}
    </Card>
  );
}

function MyConsultations({ onOpen }: { onOpen: (id: string) => void }) {
  const { t, dateTime } = useI18n();
  const backend = useBackend();
  const mine = useQuery({ queryKey: ["consultation_list_mine"], queryFn: () => backend.call("consultation_list_mine", {}) });
  return (
    <Card data-testid="consultation-empty">
      <Empty description={t("consultation.none")} />
      <ul style={{ listStyle: "none", padding: 0 }}>
        {(mine.data?.consultations ?? []).map((c) => (
          <li key={c.id} style={{ padding: "4px 0" }}>
            {c.masked_name} · {t(`priority.${c.priority}`)} · {t(`consultation.status.${c.status}`)} · {dateTime(c.arrived_at)}{" "}
            <Button size="small" onClick={() => onOpen(c.id)}>
              {t("consultation.open")}
            </Button>
          </li>
        ))}
      </ul>
    </Card>
  );
}

export function ConsultationScreen({
  consultationId,
  onOpen,
  onClose,
}: {
  consultationId: string | null;
  onOpen: (id: string) => void;
  onClose: () => void;
}) {
  const { t } = useI18n();
  if (!consultationId) return <MyConsultations onOpen={onOpen} />;
  return (
    <>
      <Button size="small" onClick={onClose} style={{ marginBottom: 8 }} data-testid="back-to-list">
        {t("consultation.backToList")}
      </Button>
      <Consultation key={consultationId} consultationId={consultationId} />
    </>
  );
}

function Consultation({ consultationId }: { consultationId: string }) {
  const { t } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  // Which prescription is open and its unsaved lines live in the draft store, so leaving the
  // tab and coming back shows the same prescription with the same edits (issue 12 §6).
  const [openId, setOpenId] = useDraft<string>(rxOpenDraft(consultationId));
  const lines = useDraftHandle<unknown>(rxLinesDraft(consultationId));
  const [editorKey, setEditorKey] = useState(0);
  const view = useQuery({
    queryKey: ["consultation_get", consultationId],
    queryFn: () => backend.call("consultation_get", { consultation_id: consultationId }),
  });
  const rx = useQuery({
    queryKey: ["rx_get", openId ?? null],
    queryFn: () => backend.call("rx_get", { prescription_id: openId! }),
    enabled: openId !== undefined,
  });
  const prescription = openId !== undefined ? (rx.data ?? null) : null;
  // Patients' messages (and a record edited on the physician's other device) arrive through
  // sync, not through this screen (R-SVC-1): the open consultation is re-read when the core
  // has pulled something new, not on a timer — every read of it is an audited access
  // (R-SEC-5), and a timer would write one every few seconds for as long as it stays open.
  // The open prescription is re-read too when the platform has answered a push: a refused
  // signature turns it back into a draft with the refusal (issue 12 §6).
  const sync = useSyncStatus().data;
  const pulledUpTo = sync ? `${sync.cursor}:${sync.pending_ops}:${sync.rejected_ops}` : undefined;
  const seenCursor = useRef(pulledUpTo);
  useEffect(() => {
    if (pulledUpTo === undefined || pulledUpTo === seenCursor.current) return;
    const first = seenCursor.current === undefined;
    seenCursor.current = pulledUpTo;
    if (first) return;
    void client.invalidateQueries({ queryKey: ["consultation_get", consultationId] });
    void client.invalidateQueries({ queryKey: ["rx_get"] });
  }, [pulledUpTo, client, consultationId]);
  /** Show prescription `id` (or a new one): the unsaved lines of the previous one go. */
  const show = (id: string | undefined) => {
    lines.write(undefined);
    setOpenId(id);
    setEditorKey((k) => k + 1);
  };
  // Opening another prescription over unsaved lines asks first; the open one stays as it is.
  const [discarding, setDiscarding] = useState<string | null>(null);
  const open = (id: string) => {
    if (id === openId) return;
    if (lines.read() !== undefined) setDiscarding(id);
    else show(id);
  };
  const complete = useMutation({
    mutationFn: () => backend.call("consultation_complete", { consultation_id: consultationId }),
    onSuccess: (v) => client.setQueryData(["consultation_get", v.id], v),
  });

  if (view.isPending) return <Skeleton active />;
  if (view.isError) return <Alert type="error" showIcon role="alert" title={errorText(t, view.error)} />;
  const v = view.data;
  const readOnly = v.status !== "claimed";
  return (
    <Space orientation="vertical" style={{ width: "100%" }} data-testid="consultation-screen">
      <PatientHeader view={v} />
      <Row gutter={12}>
        <Col xs={24} xl={8}>
          <Space orientation="vertical" style={{ width: "100%" }}>
            <ThreadPanel view={v} />
            <RecordForm key={v.id} view={v} readOnly={readOnly} />
          </Space>
        </Col>
        <Col xs={24} xl={16}>
          <Space orientation="vertical" style={{ width: "100%" }}>
            {v.prescriptions.length > 0 && (
              <Card size="small" title={<h3 style={{ margin: 0, fontSize: 15 }}>{t("consultation.prescriptions")}</h3>}>
                <Space wrap>
                  {v.prescriptions.map((p, i) => (
                    <Button key={p.id} size="small" type={p.id === openId ? "primary" : "default"} onClick={() => open(p.id)} data-testid={`open-rx-${i}`}>
                      #{i + 1} · {t(`rxStatus.${p.status}`)} · {p.lines}
                    </Button>
                  ))}
                </Space>
              </Card>
            )}
            {openId !== undefined && rx.isError ? (
              <Alert type="error" showIcon role="alert" title={errorText(t, rx.error)} />
            ) : openId !== undefined && rx.isPending ? (
              <Skeleton active />
            ) : (
              <PrescriptionEditor
                key={editorKey}
                view={v}
                prescription={prescription}
                onPrescription={(p) => {
                  client.setQueryData(["rx_get", p.id], p);
                  setOpenId(p.id);
                }}
                onNew={() => show(undefined)}
              />
            )}
            <Modal
              open={discarding !== null}
              title={t("rx.discardTitle")}
              okText={t("rx.discard")}
              cancelText={t("rx.keepEditing")}
              okButtonProps={{ danger: true, ...({ "data-testid": "confirm-discard" } as Record<`data-${string}`, string>) }}
              onOk={() => {
                if (discarding) show(discarding);
                setDiscarding(null);
              }}
              onCancel={() => setDiscarding(null)}
            >
              {t("rx.discardBody")}
            </Modal>
            {prescription?.status === "approved" && <GuidancePanel prescriptionId={prescription.id} />}
            {complete.isError && <Alert type="error" showIcon role="alert" title={errorText(t, complete.error)} />}
            {v.status === "claimed" ? (
              <Button onClick={() => complete.mutate()} loading={complete.isPending} data-testid="complete">
                {t("consultation.complete")}
              </Button>
            ) : (
              <Alert type="info" showIcon title={t(`consultation.status.${v.status}`)} />
            )}
          </Space>
        </Col>
      </Row>
    </Space>
  );
}
