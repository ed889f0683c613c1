-- The consultation type is the treating physician's call (R-RX-4, R-RX-8, issue 12):
-- 常见病 / 急诊 / 慢性病 / 专科, set with a reason; the course limits of the consultation's
-- prescriptions follow it. NULL: not set, the intake's default applies. Every change is an
-- audited update of the consultation row, and its history is the platform's record.
ALTER TABLE consultations ADD COLUMN consultation_type TEXT
    CHECK (consultation_type IN ('ordinary', 'emergency', 'chronic', 'specialist'));
ALTER TABLE consultations ADD COLUMN consultation_type_reason TEXT;
