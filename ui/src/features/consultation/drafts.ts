import type { HepaticImpairment } from "../../backend";

/**
 * The consultation's unsaved work, kept in the app's draft store (`src/app/drafts.tsx`) by
 * consultation id, so it survives switching tabs and screens (issue 12 §6). Three entries,
 * so that a keystroke in one form re-renders nothing that reads another:
 */

/** Which prescription the editor shows (its id; absent: a new one). */
export const rxOpenDraft = (consultationId: string) => `rx-open:${consultationId}`;
/** The editor's lines while they differ from what is saved (`Line[]`); cleared on save and sign. */
export const rxLinesDraft = (consultationId: string) => `rx-lines:${consultationId}`;
/** The record form's fields while they differ from the saved record; cleared on save. */
export const recordDraft = (consultationId: string) => `record:${consultationId}`;

/** The record form's fields (as the form holds them). */
export interface RecordFields {
  chief_complaint: string;
  history: string;
  medication_history: string;
  allergies: string[];
  diagnoses: string[];
  advice: string;
  weight_kg: number | null;
  pregnant: boolean;
  lactating: boolean;
  egfr: number | null;
  hepatic_impairment: HepaticImpairment | null;
  conditions: string[];
  current_medications: string[];
}
