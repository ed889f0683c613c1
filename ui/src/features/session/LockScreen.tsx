import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { BackendError, type SessionStatus } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { setSession } from "../../app/session";
import { useI18n } from "../../i18n";
import { Field, focusFirst, TOTP_PATTERN } from "./Field";

/**
 * Shows only who locked the workstation: no patient data (R-SEC-6). Plain elements, no antd
 * (first screen, issue 7).
 */
export function LockScreen({ status }: { status: SessionStatus }) {
  const { t } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const id = useId();
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [errors, setErrors] = useState<{ password?: string; totp?: string }>({});
  const [needTotp, setNeedTotp] = useState(false);
  const unlock = useMutation({
    mutationFn: () => backend.call("unlock", { password, totp: needTotp ? totp : null }),
    onSuccess: (s) => setSession(client, s),
    onError: (e) => {
      const code = BackendError.from(e).code;
      if (code === "totp_required" || code === "totp_invalid") setNeedTotp(true);
    },
  });
  const signOut = useMutation({
    mutationFn: () => backend.call("sign_out", {}),
    onSuccess: (s) => setSession(client, s),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next: { password?: string; totp?: string } = {};
    if (password === "") next.password = t("signIn.required");
    if (needTotp && !TOTP_PATTERN.test(totp)) next.totp = t("signIn.totp");
    setErrors(next);
    const invalid = (Object.keys(next) as ("password" | "totp")[]).map((k) => `${id}-${k}`);
    if (invalid.length > 0) focusFirst(invalid);
    else unlock.mutate();
  };

  return (
    <div className="md-center" style={{ paddingTop: 96 }}>
      <section className="md-card" data-testid="lock-screen" aria-labelledby={`${id}-heading`}>
        <div className="md-card-head">
          <h1 id={`${id}-heading`}>{t("lock.heading")}</h1>
        </div>
        <form className="md-card-body" onSubmit={submit} noValidate>
          <p style={{ marginTop: 0 }}>{t("lock.user", { name: status.locked_user ?? "" })}</p>
          <Field
            id={`${id}-password`}
            label={t("signIn.password")}
            type="password"
            value={password}
            onValue={(v) => {
              setPassword(v);
              setErrors((e) => ({ ...e, password: undefined }));
            }}
            error={errors.password}
            autoComplete="current-password"
            autoFocus
          />
          {needTotp && (
            <Field
              id={`${id}-totp`}
              label={t("signIn.totp")}
              value={totp}
              onValue={(v) => {
                setTotp(v);
                setErrors((e) => ({ ...e, totp: undefined }));
              }}
              error={errors.totp}
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
            />
          )}
          {unlock.isError && (
            <div className="md-alert" role="alert">
              {errorText(t, unlock.error)}
            </div>
          )}
          <div className="md-actions">
            <button type="submit" className="md-button md-button-primary" disabled={unlock.isPending} aria-busy={unlock.isPending}>
              {t("lock.unlock")}
            </button>
            <button type="button" className="md-button" onClick={() => signOut.mutate()}>
              {t("lock.switchUser")}
            </button>
          </div>
        </form>
      </section>
    </div>
  );
}
