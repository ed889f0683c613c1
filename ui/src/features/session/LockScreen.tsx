import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Form, Input, Space, Typography } from "antd";
import { useState } from "react";
import { BackendError, type SessionStatus } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { setSession } from "../../app/session";
import { useI18n } from "../../i18n";

interface Fields {
  password: string;
  totp?: string;
}

/** Shows only who locked the workstation: no patient data (R-SEC-6). */
export function LockScreen({ status }: { status: SessionStatus }) {
  const { t } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const [needTotp, setNeedTotp] = useState(false);
  const unlock = useMutation({
    mutationFn: (f: Fields) => backend.call("unlock", { password: f.password, totp: needTotp ? (f.totp ?? null) : null }),
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

  return (
    <div style={{ display: "flex", justifyContent: "center", paddingTop: 96 }}>
      <Card
        style={{ width: 420 }}
        title={<h1 style={{ fontSize: 20, margin: 0 }}>{t("lock.heading")}</h1>}
        data-testid="lock-screen"
      >
        <Typography.Paragraph>{t("lock.user", { name: status.locked_user ?? "" })}</Typography.Paragraph>
        <Form<Fields> layout="vertical" onFinish={(f) => unlock.mutate(f)} requiredMark={false}>
          <Form.Item name="password" label={t("signIn.password")} rules={[{ required: true, message: t("signIn.required") }]}>
            <Input.Password autoComplete="current-password" autoFocus />
          </Form.Item>
          {needTotp && (
            <Form.Item name="totp" label={t("signIn.totp")} rules={[{ required: true, pattern: /^\d{6}$/, message: t("signIn.totp") }]}>
              <Input inputMode="numeric" autoComplete="one-time-code" maxLength={6} />
            </Form.Item>
          )}
          {unlock.isError && <Alert type="error" showIcon title={errorText(t, unlock.error)} style={{ marginBottom: 16 }} role="alert" />}
          <Space>
            <Button type="primary" htmlType="submit" loading={unlock.isPending}>
              {t("lock.unlock")}
            </Button>
            <Button onClick={() => signOut.mutate()}>{t("lock.switchUser")}</Button>
          </Space>
        </Form>
      </Card>
    </div>
  );
}
