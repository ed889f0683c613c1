import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Form, Input, Space, Tag, Typography } from "antd";
import { useState } from "react";
import { BackendError, type DemoAccount, type SessionStatus } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { setSession } from "../../app/session";
import { useI18n } from "../../i18n";

interface Fields {
  user_id: string;
  password: string;
  totp?: string;
}

/** Password sign-in, with the TOTP field once the core asks for it (R-ROLE-3). */
export function SignInScreen({ status }: { status: SessionStatus }) {
  const { t } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const [form] = Form.useForm<Fields>();
  const [needTotp, setNeedTotp] = useState(false);
  const signIn = useMutation({
    mutationFn: (f: Fields) =>
      backend.call("sign_in", { user_id: f.user_id, password: f.password, totp: needTotp ? (f.totp ?? null) : null }),
    onSuccess: (s) => setSession(client, s),
    onError: (e) => {
      const code = BackendError.from(e).code;
      if (code === "totp_required" || code === "totp_invalid") setNeedTotp(true);
    },
  });

  const fill = (a: DemoAccount) => {
    form.setFieldsValue({ user_id: a.user_id, password: a.password, totp: a.totp ?? undefined });
    setNeedTotp(a.totp !== null);
    signIn.reset();
  };

  return (
    <div style={{ display: "flex", justifyContent: "center", paddingTop: 48 }}>
      <Space orientation="vertical" size="large" style={{ width: 420 }}>
        <Card title={<h1 style={{ fontSize: 20, margin: 0 }}>{t("signIn.heading")}</h1>} data-testid="sign-in-screen">
          <Form<Fields> form={form} layout="vertical" onFinish={(f) => signIn.mutate(f)} requiredMark={false}>
            <Form.Item name="user_id" label={t("signIn.userId")} rules={[{ required: true, message: t("signIn.required") }]}>
              <Input autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item name="password" label={t("signIn.password")} rules={[{ required: true, message: t("signIn.required") }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            {needTotp && (
              <Form.Item
                name="totp"
                label={t("signIn.totp")}
                extra={t("signIn.totpHint")}
                rules={[{ required: true, pattern: /^\d{6}$/, message: t("signIn.totp") }]}
              >
                <Input inputMode="numeric" autoComplete="one-time-code" maxLength={6} data-testid="totp" />
              </Form.Item>
            )}
            {signIn.isError && (
              <Alert type="error" showIcon title={errorText(t, signIn.error)} style={{ marginBottom: 16 }} role="alert" />
            )}
            <Button type="primary" htmlType="submit" block loading={signIn.isPending}>
              {t("signIn.submit")}
            </Button>
          </Form>
        </Card>
        {status.demo_accounts.length > 0 && (
          <Card
            size="small"
            title={
              <Space>
                <Tag color="gold">{t("app.demoBadge")}</Tag>
                <span>{t("signIn.demoHeading")}</span>
              </Space>
            }
            data-testid="demo-accounts"
          >
            <ul style={{ listStyle: "none", margin: 0, padding: 0 }}>
              {status.demo_accounts.map((a) => (
                <li key={a.user_id} style={{ display: "flex", justifyContent: "space-between", alignItems: "center", padding: "4px 0" }}>
                  <Space orientation="vertical" size={0}>
                    <Typography.Text strong>
                      {t(`role.${a.role}`)} · <code>{a.user_id}</code>
                    </Typography.Text>
                    <Typography.Text type="secondary">
                      <code>{a.password}</code>
                      {a.totp && <> · {t("signIn.demoTotp", { code: a.totp })}</>}
                    </Typography.Text>
                  </Space>
                  <Button size="small" onClick={() => fill(a)} aria-label={`${t("signIn.demoFill")} ${a.user_id}`} data-testid={`fill-${a.user_id}`}>
                    {t("signIn.demoFill")}
                  </Button>
                </li>
              ))}
            </ul>
          </Card>
        )}
      </Space>
    </div>
  );
}
