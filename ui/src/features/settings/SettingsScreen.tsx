import { CloudUploadOutlined, SaveOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Descriptions, Form, Input, InputNumber, Radio, Skeleton, Space, Typography } from "antd";
import { useState } from "react";
import { BackendError, type BackupDone, type ProfileSettings, type SettingsSetRequest } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { LANGUAGES, useI18n, type Language } from "../../i18n";
import { bytesText, fieldOf, retentionYears } from "./format";

export const SETTINGS_KEY = ["settings_get"] as const;
/** The core's range for the idle lock (R-SEC-6). */
export const LOCK_MIN = 1;
export const LOCK_MAX = 240;

type Fields = { lock_timeout_minutes: number | null; backup_folder: string };

/**
 * The display language (kept in the window), and the profile's settings from the core: idle
 * lock timeout and backup folder (administrators change them), retention, the last backup
 * and "back up now" (issue 7 Settings, R-SEC-6).
 */
export function SettingsScreen() {
  const { t, lang, setLang } = useI18n();
  const backend = useBackend();
  const settings = useQuery({ queryKey: SETTINGS_KEY, queryFn: () => backend.call("settings_get", {}) });
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 18 }}>{t("settings.heading")}</h2>} data-testid="settings-screen">
      <Form layout="vertical">
        <Form.Item label={t("settings.language")}>
          <Radio.Group
            value={lang}
            onChange={(e) => setLang(e.target.value as Language)}
            options={LANGUAGES.map((l) => ({ value: l, label: l === "zh-CN" ? "中文（简体）" : "English" }))}
          />
        </Form.Item>
      </Form>
      {settings.isPending ? (
        <Skeleton active />
      ) : settings.isError ? (
        <Alert
          type="error"
          showIcon
          role="alert"
          title={errorText(t, settings.error)}
          action={<Button onClick={() => void settings.refetch()}>{t("app.retry")}</Button>}
        />
      ) : (
        <Space orientation="vertical" size="large" style={{ width: "100%" }}>
          {settings.data.can_edit ? <EditableSettings settings={settings.data} /> : <ReadOnlySettings settings={settings.data} />}
          <BackupSection settings={settings.data} />
        </Space>
      )}
    </Card>
  );
}

function ReadOnlySettings({ settings }: { settings: ProfileSettings }) {
  const { t, num } = useI18n();
  return (
    <section aria-labelledby="settings-profile-heading" data-testid="settings-readonly">
      <h3 id="settings-profile-heading" style={{ fontSize: 15 }}>
        {t("settings.profile")}
      </h3>
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t("settings.lockTimeout")}>
          <span data-testid="lock-timeout">{t("settings.minutes", { n: num(settings.lock_timeout_minutes) })}</span>
          <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
            {t("settings.lockTimeoutNote")}
          </Typography.Paragraph>
        </Descriptions.Item>
        <Descriptions.Item label={t("settings.backupFolder")}>
          <Typography.Text code className="wrap-anywhere" data-testid="backup-folder">
            {settings.backup_folder}
          </Typography.Text>
        </Descriptions.Item>
      </Descriptions>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
        {t("settings.adminOnly")}
      </Typography.Paragraph>
    </section>
  );
}

function EditableSettings({ settings }: { settings: ProfileSettings }) {
  const { t } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const [form] = Form.useForm<Fields>();
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (request: SettingsSetRequest) => backend.call("settings_set", request),
    onSuccess: (next) => {
      client.setQueryData(SETTINGS_KEY, next);
      form.setFieldsValue({ lock_timeout_minutes: next.lock_timeout_minutes, backup_folder: next.backup_folder });
      setSaved(true);
    },
    onError: (e) => {
      // The core names the field it refused (`invalid_value`): show it there, in the user's language.
      const err = BackendError.from(e);
      const field = err.code === "invalid_value" ? fieldOf(err.message) : null;
      if (field === "lock_timeout_minutes" || field === "backup_folder")
        form.setFields([{ name: field, errors: [t(`settings.invalid.${field}`, { message: err.message })] }]);
    },
  });
  const unplaced = save.error && !["lock_timeout_minutes", "backup_folder"].includes(fieldOf(BackendError.from(save.error).message) ?? "");

  const submit = (values: Fields) => {
    setSaved(false);
    // Only what changed, so one bad field never resends the other.
    const request: SettingsSetRequest = {};
    if (values.lock_timeout_minutes !== null && values.lock_timeout_minutes !== settings.lock_timeout_minutes)
      request.lock_timeout_minutes = values.lock_timeout_minutes;
    const folder = values.backup_folder.trim();
    if (folder !== settings.backup_folder) request.backup_folder = folder;
    if (Object.keys(request).length === 0) {
      setSaved(true);
      return;
    }
    save.mutate(request);
  };

  return (
    <section aria-labelledby="settings-profile-heading" data-testid="settings-editable">
      <h3 id="settings-profile-heading" style={{ fontSize: 15 }}>
        {t("settings.profile")}
      </h3>
      <Form<Fields>
        form={form}
        layout="vertical"
        style={{ maxWidth: 640 }}
        initialValues={{ lock_timeout_minutes: settings.lock_timeout_minutes, backup_folder: settings.backup_folder }}
        onFinish={submit}
        onValuesChange={() => setSaved(false)}
      >
        <Form.Item
          name="lock_timeout_minutes"
          label={t("settings.lockTimeout")}
          extra={t("settings.lockTimeoutNote")}
          rules={[
            { required: true, message: t("settings.lockRange", { min: LOCK_MIN, max: LOCK_MAX }) },
            { type: "integer", min: LOCK_MIN, max: LOCK_MAX, message: t("settings.lockRange", { min: LOCK_MIN, max: LOCK_MAX }) },
          ]}
        >
          <InputNumber<number> min={LOCK_MIN} max={LOCK_MAX} precision={0} suffix={t("settings.minutesUnit")} style={{ width: 200 }} data-testid="lock-timeout-input" />
        </Form.Item>
        <Form.Item
          name="backup_folder"
          label={t("settings.backupFolder")}
          extra={t("settings.backupFolderNote")}
          rules={[{ required: true, whitespace: true, message: t("settings.folderRequired") }]}
        >
          <Input spellCheck={false} data-testid="backup-folder-input" />
        </Form.Item>
        {unplaced && <Alert type="error" showIcon role="alert" title={errorText(t, save.error)} style={{ marginBottom: 12 }} />}
        <Space>
          <Button type="primary" htmlType="submit" icon={<SaveOutlined />} loading={save.isPending} data-testid="settings-save">
            {t("settings.save")}
          </Button>
          {saved && (
            <Typography.Text type="success" role="status" data-testid="settings-saved">
              {t("settings.saved")}
            </Typography.Text>
          )}
        </Space>
      </Form>
    </section>
  );
}

function BackupSection({ settings }: { settings: ProfileSettings }) {
  const { t, num, dateTime } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const backup = useMutation({
    mutationFn: () => backend.call("backup_now", {}),
    onSuccess: (done) => client.setQueryData(SETTINGS_KEY, done.settings),
  });
  const years = retentionYears(settings.retention_days);
  const last = settings.last_backup;
  return (
    <section aria-labelledby="settings-backup-heading" data-testid="backup-section">
      <h3 id="settings-backup-heading" style={{ fontSize: 15 }}>
        {t("settings.backup")}
      </h3>
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t("settings.retention")}>
          <span data-testid="retention">
            {t("settings.retentionValue", { years: num(years, { maximumFractionDigits: 1 }), days: num(settings.retention_days) })}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t("settings.lastBackup")}>
          {last ? (
            <span data-testid="last-backup">
              {dateTime(last.at)} · {kindText(t, last.kind)} ·{" "}
              <Typography.Text code className="wrap-anywhere">
                {last.file}
              </Typography.Text>
            </span>
          ) : (
            <span data-testid="last-backup">{t("settings.noBackup")}</span>
          )}
        </Descriptions.Item>
      </Descriptions>
      {settings.can_edit && (
        <Space orientation="vertical" style={{ width: "100%", marginTop: 12 }}>
          <Button icon={<CloudUploadOutlined />} loading={backup.isPending} onClick={() => backup.mutate()} data-testid="backup-now">
            {t("settings.backupNow")}
          </Button>
          {backup.isError && <Alert type="error" showIcon role="alert" title={errorText(t, backup.error)} />}
          {backup.data && <BackupResult done={backup.data} />}
        </Space>
      )}
    </section>
  );
}

function BackupResult({ done }: { done: BackupDone }) {
  const { t, lang, num } = useI18n();
  return (
    <Alert
      type="success"
      showIcon
      role="status"
      data-testid="backup-result"
      title={t("settings.backupDone", { kind: kindText(t, done.kind), size: bytesText(lang, done.bytes) })}
      description={
        <span>
          <Typography.Text code className="wrap-anywhere">
            {done.file}
          </Typography.Text>
          {done.pruned > 0 && <> · {t("settings.pruned", { n: num(done.pruned) })}</>}
        </span>
      }
    />
  );
}

function kindText(t: ReturnType<typeof useI18n>["t"], kind: string): string {
  return kind === "full" || kind === "incremental" ? t(`settings.kind.${kind}`) : kind;
}
