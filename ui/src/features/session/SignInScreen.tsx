import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { BackendError, type DemoAccount, type SessionStatus } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { setSession } from "../../app/session";
import { useI18n } from "../../i18n";
import { Field, focusFirst, TOTP_PATTERN } from "./Field";

interface Fields {
  user_id: string;
  password: string;
  totp: string;
}
type Errors = Partial<Record<keyof Fields, string>>;

/**
 * Password sign-in, with the TOTP field once the core asks for it (R-ROLE-3). Plain elements,
 * no antd: this is the first screen a cold start waits for (issue 7).
 */
export function SignInScreen({ status }: { status: SessionStatus }) {
  const { t } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const id = useId();
  const [fields, setFields] = useState<Fields>({ user_id: "", password: "", totp: "" });
  const [errors, setErrors] = useState<Errors>({});
  const [needTotp, setNeedTotp] = useState(false);
  const signIn = useMutation({
    mutationFn: (f: Fields) =>
      backend.call("sign_in", { user_id: f.user_id, password: f.password, totp: needTotp ? f.totp : null }),
    onSuccess: (s) => setSession(client, s),
    onError: (e) => {
      const code = BackendError.from(e).code;
      if (code === "totp_required" || code === "totp_invalid") setNeedTotp(true);
    },
  });

  const set = (name: keyof Fields) => (value: string) => {
    setFields((f) => ({ ...f, [name]: value }));
    if (errors[name]) setErrors((e) => ({ ...e, [name]: undefined }));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next: Errors = {};
    if (fields.user_id.trim() === "") next.user_id = t("signIn.required");
    if (fields.password === "") next.password = t("signIn.required");
    if (needTotp && !TOTP_PATTERN.test(fields.totp)) next.totp = t("signIn.totp");
    setErrors(next);
    const invalid = (Object.keys(next) as (keyof Fields)[]).map((k) => `${id}-${k}`);
    if (invalid.length > 0) focusFirst(invalid);
    else signIn.mutate(fields);
  };

  const fill = (a: DemoAccount) => {
    setFields({ user_id: a.user_id, password: a.password, totp: a.totp ?? "" });
    setErrors({});
    setNeedTotp(a.totp !== null);
    signIn.reset();
  };

  return (
    <div className="md-center">
      <section className="md-card" data-testid="sign-in-screen" aria-labelledby={`${id}-heading`}>
        <div className="md-card-head">
          <h1 id={`${id}-heading`}>{t("signIn.heading")}</h1>
        </div>
        <form className="md-card-body" onSubmit={submit} noValidate>
          <Field
            id={`${id}-user_id`}
            label={t("signIn.userId")}
            value={fields.user_id}
            onValue={set("user_id")}
            error={errors.user_id}
            autoComplete="username"
            autoFocus
          />
          <Field
            id={`${id}-password`}
            label={t("signIn.password")}
            type="password"
            value={fields.password}
            onValue={set("password")}
            error={errors.password}
            autoComplete="current-password"
          />
          {needTotp && (
            <Field
              id={`${id}-totp`}
              label={t("signIn.totp")}
              hint={t("signIn.totpHint")}
              value={fields.totp}
              onValue={set("totp")}
              error={errors.totp}
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              data-testid="totp"
            />
          )}
          {signIn.isError && (
            <div className="md-alert" role="alert">
              {errorText(t, signIn.error)}
            </div>
          )}
          <button type="submit" className="md-button md-button-primary md-block" disabled={signIn.isPending} aria-busy={signIn.isPending}>
            {t("signIn.submit")}
          </button>
        </form>
      </section>
      {status.demo_accounts.length > 0 && (
        <section className="md-card md-small" data-testid="demo-accounts" aria-labelledby={`${id}-demo`}>
          <div className="md-card-head">
            <span className="md-badge">{t("app.demoBadge")}</span>
            <h2 id={`${id}-demo`} style={{ font: "inherit", margin: 0 }}>
              {t("signIn.demoHeading")}
            </h2>
          </div>
          <ul className="md-card-body md-demo-list">
            {status.demo_accounts.map((a) => (
              <li key={a.user_id}>
                <div>
                  <strong>
                    {t(`role.${a.role}`)} · <code>{a.user_id}</code>
                  </strong>
                  <div className="md-secondary">
                    <code>{a.password}</code>
                    {a.totp && <> · {t("signIn.demoTotp", { code: a.totp })}</>}
                  </div>
                </div>
                <button
                  type="button"
                  className="md-button md-button-small"
                  onClick={() => fill(a)}
                  aria-label={`${t("signIn.demoFill")} ${a.user_id}`}
                  data-testid={`fill-${a.user_id}`}
                >
                  {t("signIn.demoFill")}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
