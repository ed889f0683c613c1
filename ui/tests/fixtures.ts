import type {
  CheckResponse,
  ConsultationView,
  DrugHit,
  Finding,
  PrescriptionView,
  QueueEntry,
  RxCheckRequest,
  RejectedChange,
  SessionStatus,
  SignedIn,
  SyncOverview,
} from "../src/backend";

export const physician: SignedIn = {
  id: "dr.demo",
  display_name: "演示医生 李",
  org_id: "demo",
  roles: ["physician"],
  specialties: ["general", "emergency", "cardiology"],
  rights_reviewed_at: null,
  suspended: false,
};

export const pharmacist: SignedIn = { ...physician, id: "ph.demo", display_name: "演示药师 赵", roles: ["pharmacist"], specialties: [] };

export const demoAccounts: SessionStatus["demo_accounts"] = [
  { user_id: "dr.demo", password: "demo-physician", role: "physician", totp: null },
  { user_id: "admin.demo", password: "demo-administrator", role: "administrator", totp: "123456" },
];

export function signedOut(): SessionStatus {
  return { state: "signed_out", user: null, locked_user: null, idle_timeout_seconds: 600, demo_accounts: demoAccounts, backup: null };
}
export function active(user: SignedIn = physician, backup: SessionStatus["backup"] = null): SessionStatus {
  return { state: "active", user, locked_user: null, idle_timeout_seconds: 600, demo_accounts: demoAccounts, backup };
}
export function locked(name = physician.display_name): SessionStatus {
  return { state: "locked", user: null, locked_user: name, idle_timeout_seconds: 600, demo_accounts: demoAccounts, backup: null };
}

export function entry(over: Partial<QueueEntry> = {}): QueueEntry {
  const now = Date.now();
  return {
    id: crypto.randomUUID(),
    patient: { masked_name: "演**", age_years: 30, sex: "female", identity_verified: true },
    channel: "text",
    priority: "normal",
    route: { kind: "general" },
    complaint: "咽痛",
    arrived_at: new Date(now - 60_000).toISOString(),
    respond_by: new Date(now + 29 * 60_000).toISOString(),
    seconds_left: 29 * 60,
    escalated: false,
    flags: [],
    reasons: [],
    held: false,
    claimable: true,
    ...over,
  };
}

export function consultation(over: Partial<ConsultationView> = {}): ConsultationView {
  return {
    id: "c-1",
    status: "claimed",
    channel: "voice",
    priority: "normal",
    route: { kind: "general" },
    complaint: "咽痛两天，无发热。青霉素过敏",
    arrived_at: new Date().toISOString(),
    patient: { masked_name: "演**戊", age_years: 28, sex: "female", identity_verified: true, guardian_present: null },
    reasons: [],
    flags: [],
    kind: "ordinary",
    prescription_kind: "ordinary",
    prescription_kind_reason: null,
    record: {
      chief_complaint: "",
      history: "",
      medication_history: "",
      allergies: [{ substance: "青霉素" }],
      diagnoses: [],
      advice: "",
      clinical: { conditions: [] },
    },
    prescriptions: [],
    mine: true,
    sync: "local_only",
    messages: [],
    ...over,
  };
}

export const amoxicillin: DrugHit = {
  id: "amoxicillin",
  inn: "amoxicillin",
  zh: "阿莫西林",
  matched: "amxl",
  forms: [{ form: "capsule", strength: "250 mg" }],
  routes: ["oral"],
  controlled: false,
  // A test fixture, not clinical content.
  contraindications: { zh: ["测试禁忌甲", "测试禁忌乙"], en: ["Test contraindication A", "Test contraindication B"], sources: ["fixture §4"] },
};
export const ibuprofen: DrugHit = {
  id: "ibuprofen",
  inn: "ibuprofen",
  zh: "布洛芬",
  matched: "blf",
  forms: [{ form: "tablet", strength: "200 mg" }],
  routes: ["oral"],
  controlled: false,
  contraindications: { zh: [], en: [], sources: [] },
};

export function finding(over: Partial<Finding>): Finding {
  return {
    code: "allergy",
    severity: "block",
    items: [0],
    message: { zh: "患者对青霉素过敏", en: "The patient is allergic to penicillins" },
    source: "FDA label",
    rule: "allergy.class",
    ...over,
  };
}

export function checkOf(findings: Finding[]): CheckResponse {
  return {
    id: "draft",
    verdict: findings.some((f) => f.severity === "block") ? "block" : findings.length ? "warn" : "pass",
    pack: "test",
    pack_hash: "0",
    findings,
  };
}

/** A profile synced with its platform, nothing waiting: override what a case is about. */
export function syncOverview(over: Partial<SyncOverview> = {}): SyncOverview {
  return {
    configured: true,
    platform_url: "http://127.0.0.1:47001",
    state: { state: "up_to_date", cursor: 12 },
    online: true,
    pending_ops: 0,
    rejected_ops: 0,
    last_sync_at: new Date(Date.now() - 5_000).toISOString(),
    cursor: 12,
    head: 12,
    last_error: null,
    audit_anchored: null,
    rejected: [],
    ...over,
  };
}

export function rejectedChange(over: Partial<RejectedChange> = {}): RejectedChange {
  return {
    op_id: "op-1",
    operation: "update_record",
    record: { kind: "consultation", id: "5f0c7a52-1111-4222-8333-944455556666" },
    rejection: { code: "stale_version", message: "the record changed on the platform" },
    made_at: new Date(Date.now() - 120_000).toISOString(),
    rejected_at: new Date(Date.now() - 60_000).toISOString(),
    kept_draft: [],
    ...over,
  };
}

/** A prescription as `rx_get` / `rx_save` answer it: a clean draft unless a case says otherwise. */
export function prescriptionView(over: Partial<PrescriptionView> = {}): PrescriptionView {
  return {
    id: "rx-1",
    consultation_id: "c-1",
    physician_id: "dr.demo",
    status: "draft",
    draft: { kind: "ordinary", diagnoses: ["J06.9"], items: [] },
    check: checkOf([]),
    overrides: [],
    validity_days: 3,
    signed_at: null,
    valid_until: null,
    reviews: [],
    refusal: null,
    context: null,
    signature: null,
    ...over,
  };
}

const doseWarn = finding({
  code: "dose_high",
  severity: "warn",
  message: { zh: "单次剂量高于说明书上限", en: "Single dose above the labelled maximum" },
  source: "NMPA label",
  rule: "dose.single",
});

/**
 * The checker as the fakes see it: the validity rule's blocks (R-RX-8: no diagnosis, a drug
 * that is not one of the pack's) plus two clinical rules (the penicillin allergy on
 * amoxicillin, a warning above 400 mg of ibuprofen).
 */
export function fakeCheck(r: RxCheckRequest): CheckResponse {
  const items = r.draft.items;
  const known = new Set(["amoxicillin", "ibuprofen"]);
  const found: Finding[] = [];
  if (r.draft.diagnoses.length === 0)
    found.push(
      finding({
        code: "diagnosis_missing",
        items: [],
        rule: "diagnosis.present",
        message: { zh: "处方未填写临床诊断。", en: "The prescription has no clinical diagnosis." },
        source: "处方管理办法",
      }),
    );
  items.forEach((it, i) => {
    if (!known.has(it.drug))
      found.push(
        finding({
          code: "unknown_drug",
          items: [i],
          rule: "drug.unknown",
          message: { zh: `第${i + 1}行“${it.drug}”不是知识库中的药品。请从药品列表中选择。`, en: `Line ${i + 1}: "${it.drug}" is not a medicine.` },
          source: "knowledge pack; R-RX-8",
        }),
      );
    if (it.drug === "amoxicillin") found.push(finding({ items: [i] }));
    if (it.drug === "ibuprofen" && (it.dose?.value ?? 0) > 400) found.push({ ...doseWarn, items: [i] });
  });
  return checkOf(found);
}
