import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Checkbox, Col, Form, Input, InputNumber, Row, Select, Tag } from "antd";
import { useState } from "react";
import type { ConsultationRecord, ConsultationView, HepaticImpairment } from "../../backend";
import { useBackend } from "../../backend/context";
import { useDraftHandle } from "../../app/drafts";
import { errorText } from "../../app/errors";
import { useI18n } from "../../i18n";
import { recordDraft, type RecordFields as Fields } from "./drafts";
import { Icd10Picker } from "./Icd10Picker";

const HEPATIC: HepaticImpairment[] = ["none", "mild", "moderate", "severe"];

function toFields(r: ConsultationRecord): Fields {
  return {
    chief_complaint: r.chief_complaint,
    history: r.history,
    medication_history: r.medication_history,
    allergies: r.allergies?.map((a) => a.substance) ?? [],
    diagnoses: r.diagnoses,
    advice: r.advice,
    weight_kg: r.clinical.weight_kg ?? null,
    pregnant: r.clinical.pregnant ?? false,
    lactating: r.clinical.lactating ?? false,
    egfr: r.clinical.egfr ?? null,
    hepatic_impairment: r.clinical.hepatic_impairment ?? null,
    conditions: r.clinical.conditions,
    current_medications: r.clinical.current_medications ?? [],
  };
}

function toRecord(f: Fields, before: ConsultationRecord): ConsultationRecord {
  // An empty allergy list states "no known allergies"; keep "not asked" until one is entered.
  // `== null`: the core may send an absent list as null; "not asked" must never become "none".
  const allergies = f.allergies.length === 0 && before.allergies == null ? undefined : f.allergies.map((substance) => ({ substance }));
  const meds = f.current_medications.length === 0 && before.clinical.current_medications == null ? undefined : f.current_medications;
  return {
    chief_complaint: f.chief_complaint ?? "",
    history: f.history ?? "",
    medication_history: f.medication_history ?? "",
    allergies,
    diagnoses: f.diagnoses ?? [],
    advice: f.advice ?? "",
    clinical: {
      weight_kg: f.weight_kg ?? undefined,
      // Unticking a recorded "yes" records "no"; never asked stays absent.
      pregnant: f.pregnant ? true : before.clinical.pregnant != null ? false : undefined,
      lactating: f.lactating ? true : before.clinical.lactating != null ? false : undefined,
      egfr: f.egfr ?? undefined,
      hepatic_impairment: f.hepatic_impairment ?? undefined,
      conditions: f.conditions ?? [],
      current_medications: meds,
    },
  };
}

/**
 * The record (R-REC-1) and the clinical facts the checker reads. What the physician types is
 * kept in the draft store until it is saved (issue 12 §6: switching tabs loses nothing), and
 * the prescription editor reads the diagnoses from there.
 */
export function RecordForm({ view, readOnly }: { view: ConsultationView; readOnly: boolean }) {
  const { t } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const draft = useDraftHandle<Fields>(recordDraft(view.id));
  const [initial] = useState(() => draft.read() ?? toFields(view.record));
  const [unsaved, setUnsaved] = useState(() => draft.read() !== undefined);
  const [form] = Form.useForm<Fields>();
  const save = useMutation({
    mutationFn: (f: Fields) => backend.call("record_save", { consultation_id: view.id, record: toRecord(f, view.record) }),
    onSuccess: (v, f) => {
      client.setQueryData(["consultation_get", v.id], v);
      // Saved: the draft is cleared unless the physician went on typing meanwhile.
      if (draft.read() === f || draft.read() === undefined) {
        draft.write(undefined);
        setUnsaved(false);
      }
    },
  });
  return (
    <Card
      size="small"
      title={<h3 style={{ margin: 0, fontSize: 16 }}>{t("record.heading")}</h3>}
      extra={unsaved && !readOnly && <Tag color="gold" data-testid="record-unsaved">{t("record.unsaved")}</Tag>}
      data-testid="record-form"
    >
      <Form<Fields>
        form={form}
        layout="vertical"
        size="small"
        initialValues={initial}
        onValuesChange={() => {
          draft.write({ ...form.getFieldsValue(true) });
          setUnsaved(true);
        }}
        onFinish={() => save.mutate(draft.read() ?? form.getFieldsValue(true))}
        disabled={readOnly}
      >
        <Form.Item name="chief_complaint" label={t("record.chiefComplaint")}>
          <Input />
        </Form.Item>
        <Form.Item name="history" label={t("record.history")}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} />
        </Form.Item>
        <Form.Item name="medication_history" label={t("record.medicationHistory")}>
          <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} />
        </Form.Item>
        <Form.Item name="allergies" label={t("record.allergies")} extra={t("record.allergiesHint")}>
          <Select mode="tags" open={false} suffixIcon={null} data-testid="allergies" />
        </Form.Item>
        <Form.Item name="diagnoses" label={t("record.diagnoses")} extra={t("record.diagnosesHint")}>
          <Icd10Picker />
        </Form.Item>
        <Form.Item name="advice" label={t("record.advice")}>
          <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} />
        </Form.Item>
        <fieldset style={{ border: "1px solid #eee", padding: "4px 12px", marginBottom: 12 }}>
          <legend style={{ fontSize: 14, width: "auto", margin: 0 }}>{t("record.clinical")}</legend>
          <Row gutter={8}>
            <Col span={12}>
              <Form.Item name="weight_kg" label={t("record.weight")}>
                <InputNumber min={0.5} max={400} style={{ width: "100%" }} />
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item name="egfr" label={t("record.egfr")}>
                <InputNumber min={0} max={200} style={{ width: "100%" }} />
              </Form.Item>
            </Col>
            <Col span={24}>
              <Form.Item name="hepatic_impairment" label={t("record.hepatic")}>
                <Select allowClear options={HEPATIC.map((h) => ({ value: h, label: t(`hepatic.${h}`) }))} />
              </Form.Item>
            </Col>
          </Row>
          <Row gutter={8}>
            <Col span={12}>
              <Form.Item name="pregnant" valuePropName="checked" style={{ marginBottom: 4 }}>
                <Checkbox>{t("record.pregnant")}</Checkbox>
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item name="lactating" valuePropName="checked" style={{ marginBottom: 4 }}>
                <Checkbox>{t("record.lactating")}</Checkbox>
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="conditions" label={t("record.conditions")}>
            <Icd10Picker />
          </Form.Item>
          <Form.Item name="current_medications" label={t("record.currentMedications")}>
            <Select mode="tags" open={false} suffixIcon={null} />
          </Form.Item>
        </fieldset>
        {save.isError && <Alert type="error" showIcon role="alert" title={errorText(t, save.error)} style={{ marginBottom: 8 }} />}
        {save.isSuccess && !unsaved && <Alert type="success" showIcon title={t("record.saved")} style={{ marginBottom: 8 }} data-testid="record-saved" />}
        <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="record-save">
          {t("record.save")}
        </Button>
      </Form>
    </Card>
  );
}
