import { Menu } from "antd";
import { useState } from "react";
import type { SignedIn } from "../backend";
import { ComplaintsScreen } from "../features/admin/ComplaintsScreen";
import { HeldScreen } from "../features/admin/HeldScreen";
import { KpiScreen } from "../features/admin/KpiScreen";
import { ConsultationScreen } from "../features/consultation/ConsultationScreen";
import { FollowUpScreen } from "../features/guidance/FollowUpScreen";
import { QueueScreen } from "../features/queue/QueueScreen";
import { ReviewScreen } from "../features/review/ReviewScreen";
import { SettingsScreen } from "../features/settings/SettingsScreen";
import { SyncScreen } from "../features/sync/SyncScreen";
import { useI18n, type MessageKey } from "../i18n";

export type Tab = "queue" | "consultation" | "followUps" | "review" | "complaints" | "kpi" | "held" | "sync" | "settings";

/** The tabs each role works in (R-ROLE-2), the first one opening after sign-in. */
export function tabsFor(user: SignedIn): Tab[] {
  const tabs: Tab[] = [];
  if (user.roles.includes("physician")) tabs.push("queue", "consultation", "followUps");
  if (user.roles.includes("pharmacist")) tabs.push("review");
  if (user.roles.includes("administrator")) tabs.push("complaints", "kpi", "held");
  // Every role's work syncs with the platform, so everyone sees its state (issue 7).
  tabs.push("sync", "settings");
  return tabs;
}

/**
 * The signed-in user's screens. The shell owns which tab is open (`tab`, `onTab`), so the
 * header's sync indicator can open the sync screen; a tab the role lacks shows its first one.
 */
export function Workspace({ user, tab: wanted, onTab: setTab }: { user: SignedIn; tab: Tab | null; onTab: (tab: Tab) => void }) {
  const { t } = useI18n();
  const tabs = tabsFor(user);
  const tab: Tab = wanted !== null && tabs.includes(wanted) ? wanted : (tabs[0] ?? "settings");
  const [consultationId, setConsultationId] = useState<string | null>(null);

  const open = (id: string) => {
    setConsultationId(id);
    setTab("consultation");
  };

  return (
    <div>
      <nav aria-label={t("app.nav")}>
        <Menu
          mode="horizontal"
          selectedKeys={[tab]}
          onClick={(e) => setTab(e.key as Tab)}
          items={tabs.map((k) => ({ key: k, label: t(`nav.${k}` as MessageKey), "data-testid": `nav-${k}` }))}
          style={{ marginBottom: 12 }}
        />
      </nav>
      {tab === "queue" && <QueueScreen user={user} onOpen={open} />}
      {tab === "consultation" && <ConsultationScreen consultationId={consultationId} onOpen={open} onClose={() => setConsultationId(null)} />}
      {tab === "followUps" && <FollowUpScreen />}
      {tab === "review" && <ReviewScreen />}
      {tab === "complaints" && <ComplaintsScreen />}
      {tab === "kpi" && <KpiScreen />}
      {tab === "held" && <HeldScreen />}
      {tab === "sync" && <SyncScreen />}
      {tab === "settings" && <SettingsScreen />}
    </div>
  );
}
