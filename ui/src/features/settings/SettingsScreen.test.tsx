import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { BackendError, type BackupDone, type ProfileSettings, type SettingsSetRequest } from "../../backend";
import { newQueryClient } from "../../app/Providers";
import { ScreenProviders as Providers } from "../../../tests/providers";
import type { Language } from "../../i18n";
import { fakeBackend } from "../../../tests/fakeBackend";
import { SettingsScreen } from "./SettingsScreen";

function profile(over: Partial<ProfileSettings> = {}): ProfileSettings {
  return {
    lock_timeout_minutes: 10,
    backup_folder: "/var/lib/meddesk/backups",
    retention_days: 1096,
    last_backup: { at: "2026-11-20T08:30:00Z", kind: "incremental", file: "meddesk-20261120T083000000Z-incremental.mdbk" },
    can_edit: true,
    ...over,
  };
}

function renderSettings(settings: ProfileSettings, handlers: Parameters<typeof fakeBackend>[0] = {}, language: Language = "zh-CN") {
  const backend = fakeBackend({ settings_get: () => settings, ...handlers });
  render(
    <Providers backend={backend} client={newQueryClient()} language={language}>
      <SettingsScreen />
    </Providers>,
  );
  return backend;
}

// Data first: the core's settings in, what each role can see and do out.
const cases: {
  name: string;
  settings: ProfileSettings;
  language?: Language;
  editable: boolean;
  says: (string | RegExp)[];
}[] = [
  {
    name: "administrator: editable timeout and folder, retention, last backup, back up now",
    settings: profile(),
    editable: true,
    says: ["修改后从下次登录或解锁起生效。", "3 年（1,096 天）", "增量备份", "meddesk-20261120T083000000Z-incremental.mdbk", /2026/],
  },
  {
    name: "physician: the same settings as text, nothing to change",
    settings: profile({ can_edit: false, lock_timeout_minutes: 15 }),
    editable: false,
    says: ["15 分钟", "/var/lib/meddesk/backups", "修改后从下次登录或解锁起生效。", "只有管理员可以修改这些设置。", "3 年（1,096 天）"],
  },
  {
    name: "no backup yet",
    settings: profile({ last_backup: null, can_edit: false }),
    editable: false,
    says: ["尚未备份"],
  },
  {
    name: "in English",
    settings: profile({ can_edit: false, retention_days: 365 }),
    language: "en",
    editable: false,
    says: ["Lock when idle (minutes)", "10 min", "1 years (365 days)", "Incremental backup", "A change applies from the next sign-in or unlock."],
  },
];

describe("settings screen", () => {
  it.each(cases)("$name", async ({ settings, language, editable, says }) => {
    renderSettings(settings, {}, language);
    const root = await screen.findByTestId(editable ? "settings-editable" : "settings-readonly");
    const page = screen.getByTestId("settings-screen");
    for (const s of says) expect(within(page).getAllByText(s, { exact: false }).length).toBeGreaterThan(0);
    if (editable) {
      expect(within(root).getByRole("spinbutton", { name: "空闲自动锁定（分钟）" })).toHaveValue(String(settings.lock_timeout_minutes));
      expect(within(root).getByRole("textbox", { name: "备份文件夹" })).toHaveValue(settings.backup_folder);
      expect(screen.getByTestId("backup-now")).toBeEnabled();
    } else {
      expect(within(page).queryByRole("spinbutton")).not.toBeInTheDocument();
      expect(within(page).queryByRole("textbox")).not.toBeInTheDocument();
      expect(screen.queryByTestId("backup-now")).not.toBeInTheDocument();
      expect(screen.queryByTestId("settings-save")).not.toBeInTheDocument();
    }
  });

  it("saves only what changed and shows the core's answer", async () => {
    const sent: SettingsSetRequest[] = [];
    const backend = renderSettings(profile(), {
      settings_set: (r) => {
        sent.push(r);
        return profile({ lock_timeout_minutes: r.lock_timeout_minutes ?? 10 });
      },
    });
    const minutes = await screen.findByRole("spinbutton", { name: "空闲自动锁定（分钟）" });
    await userEvent.clear(minutes);
    await userEvent.type(minutes, "30");
    await userEvent.click(screen.getByTestId("settings-save"));
    expect(await screen.findByTestId("settings-saved")).toHaveTextContent("设置已保存");
    expect(sent).toEqual([{ lock_timeout_minutes: 30 }]);
    expect(backend.calls.filter((c) => c.command === "settings_set")).toHaveLength(1);
  });

  it("an invalid_value from the core is shown on the field it names", async () => {
    const sent: SettingsSetRequest[] = [];
    renderSettings(profile(), {
      settings_set: (r) => {
        sent.push(r);
        throw new BackendError("invalid_value", "field `backup_folder`: must be an absolute path");
      },
    });
    const folder = await screen.findByRole("textbox", { name: "备份文件夹" });
    await userEvent.clear(folder);
    await userEvent.type(folder, "backups/here{Enter}");
    const error = await screen.findByText("备份文件夹须为绝对路径（field `backup_folder`: must be an absolute path）");
    // On the folder's own form item, and the field is marked invalid for assistive tech.
    expect(error.closest(".ant-form-item")).toContainElement(folder);
    expect(folder).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("spinbutton", { name: "空闲自动锁定（分钟）" })).not.toHaveAttribute("aria-invalid", "true");
    expect(screen.queryByTestId("settings-saved")).not.toBeInTheDocument();
    expect(sent).toEqual([{ backup_folder: "backups/here" }]);
  });

  it("a lock timeout outside 1–240 is refused before it reaches the core", async () => {
    const backend = renderSettings(profile(), { settings_set: () => profile() });
    const minutes = await screen.findByRole("spinbutton", { name: "空闲自动锁定（分钟）" });
    await userEvent.clear(minutes);
    await userEvent.click(screen.getByTestId("settings-save"));
    expect(await screen.findByText("请输入 1–240 之间的整数分钟数")).toBeInTheDocument();
    expect(backend.calls.filter((c) => c.command === "settings_set")).toHaveLength(0);
  });

  it("back up now reports kind, size and file, and the last backup follows", async () => {
    const done: BackupDone = {
      kind: "full",
      file: "meddesk-20261122T202610749Z-full.mdbk",
      bytes: 279_028,
      pruned: 2,
      settings: profile({ last_backup: { at: "2026-11-22T20:26:10Z", kind: "full", file: "meddesk-20261122T202610749Z-full.mdbk" } }),
    };
    const backend = renderSettings(profile(), { backup_now: () => done });
    await userEvent.click(await screen.findByTestId("backup-now"));
    const result = await screen.findByTestId("backup-result");
    // 279,028 bytes = 272.5 KiB, in the user's number format.
    expect(result).toHaveTextContent(/备份完成：完整备份，272\.5\s*kB/);
    expect(result).toHaveTextContent("meddesk-20261122T202610749Z-full.mdbk");
    expect(result).toHaveTextContent("已按保留期限删除 2 个过期备份");
    expect(screen.getByTestId("last-backup")).toHaveTextContent("完整备份");
    expect(screen.getByTestId("last-backup")).toHaveTextContent("meddesk-20261122T202610749Z-full.mdbk");
    expect(backend.calls.filter((c) => c.command === "backup_now")).toHaveLength(1);
  });

  it("a refused backup says why", async () => {
    renderSettings(profile(), {
      backup_now: () => {
        throw new BackendError("forbidden", "administrators only");
      },
    });
    await userEvent.click(await screen.findByTestId("backup-now"));
    expect(await screen.findByRole("alert")).toHaveTextContent("没有权限");
  });
});
