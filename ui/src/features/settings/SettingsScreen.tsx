import { Card, Form, Radio } from "antd";
import { LANGUAGES, useI18n, type Language } from "../../i18n";

/** Settings the core has a command for: the display language only, for now. */
export function SettingsScreen() {
  const { t, lang, setLang } = useI18n();
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
    </Card>
  );
}
