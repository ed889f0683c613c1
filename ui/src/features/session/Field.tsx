import type { InputHTMLAttributes } from "react";

/**
 * A labelled text input with its hint and its error tied to it (aria-describedby), in plain
 * elements: the sign-in and lock screens are the first screen and carry no antd (issue 7).
 */
export function Field({
  id,
  label,
  value,
  onValue,
  error,
  hint,
  ...input
}: {
  id: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | null;
  hint?: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "value" | "onChange">) {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ");
  return (
    <div className="md-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={value}
        onChange={(e) => onValue(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
        {...input}
      />
      {hint && (
        <p id={`${id}-hint`} className="md-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="md-field-error">
          {error}
        </p>
      )}
    </div>
  );
}

export const TOTP_PATTERN = /^\d{6}$/;

/** Move the focus to the first field that failed validation (by id, in form order). */
export function focusFirst(ids: string[]) {
  const id = ids[0];
  if (id) document.getElementById(id)?.focus();
}
