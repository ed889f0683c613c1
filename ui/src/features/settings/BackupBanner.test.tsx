import { render, screen } from "@testing-library/react";
import type { SessionStatus } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import { ScreenProviders as Providers } from "../../../tests/providers";
import type { Language } from "../../i18n";
import { fakeBackend } from "../../../tests/fakeBackend";
import { active } from "../../../tests/fixtures";
import { BackupBanner } from "./BackupBanner";

function renderBanner(backup: SessionStatus["backup"], language: Language = "zh-CN") {
  const backend = fakeBackend({ session_status: () => active(undefined, backup) });
  render(
    <Providers backend={backend} client={newQueryClient()} language={language}>
      <BackupBanner />
    </Providers>,
  );
}

// Data first: the core's backup health in, the header's warning (or none) out.
const cases: { name: string; backup: SessionStatus["backup"]; language?: Language; says: (string | RegExp)[] | null }[] = [
  { name: "backups are fine: nothing to say", backup: { last_good_at: new Date().toISOString(), overdue: false, problem: null }, says: null },
  { name: "before the first check: nothing to say", backup: { last_good_at: null, overdue: false, problem: null }, says: null },
  {
    name: "the last good backup is too old",
    backup: { last_good_at: "2026-11-18T01:00:00Z", overdue: true, problem: null },
    says: [/最近一次成功备份在 .*2026.*已超过 48 小时/, "请联系信息科检查备份文件夹"],
  },
  {
    name: "the folder cannot be reached, with what the core said",
    backup: {
      last_good_at: "2026-11-20T01:00:00Z",
      overdue: false,
      problem: "backup_folder_unreachable: the backup folder /mnt/nas/backups cannot be reached (Permission denied)",
    },
    says: ["无法写入备份文件夹：自动备份没有完成", /\/mnt\/nas\/backups/],
  },
  {
    name: "never backed up, in English",
    backup: { last_good_at: null, overdue: true, problem: null },
    language: "en",
    says: ["The last good backup was never, more than 48 hours ago"],
  },
];

describe("backup banner", () => {
  it.each(cases)("$name", async ({ backup, language, says }) => {
    renderBanner(backup, language);
    if (says === null) {
      // Let the session answer arrive, then there is still no banner.
      await new Promise((r) => setTimeout(r, 50));
      expect(screen.queryByTestId("backup-banner")).toBeNull();
      return;
    }
    const banner = await screen.findByTestId("backup-banner");
    for (const s of says) expect(banner.textContent ?? "").toMatch(s);
  });
});
