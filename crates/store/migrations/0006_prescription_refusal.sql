-- One truth on screen (R-RX-8, issue 12): when the platform refuses a prescription's
-- signature, the prescription is a draft again and carries the refusal (JSON: the
-- platform's code and the validity findings it named, and when), shown where the work is.
-- Saving or signing it again clears it.
ALTER TABLE prescription_documents ADD COLUMN refusal TEXT;

-- The clinical picture the prescription was checked (and signed) against: the check
-- request's patient (JSON: age, sex, weight, allergies, renal/hepatic/pregnancy/lactation
-- status, conditions, current medicines). The pharmacist reviews with it (R-RX-9).
ALTER TABLE prescription_documents ADD COLUMN context TEXT;

-- The electronic signature document (R-RX-10; meddesk-signature `SignedPrescription`, JSON):
-- the physician's signature, and as the platform returns it, its timestamp, the
-- certificates and the pharmacist's review. What `meddesk rx export` writes.
ALTER TABLE prescription_documents ADD COLUMN signature TEXT;
