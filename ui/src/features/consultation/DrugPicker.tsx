import { useQuery } from "@tanstack/react-query";
import { AutoComplete, Tag } from "antd";
import { useEffect, useState } from "react";
import type { DrugHit } from "../../backend";
import { useBackend } from "../../backend/context";
import { useI18n } from "../../i18n";

/** Drug search by Chinese, English, pinyin initials (`amxl`) or synonym. */
export function DrugPicker({
  id,
  text,
  onText,
  onPick,
  disabled,
  invalid,
  describedBy,
}: {
  id: string;
  text: string;
  onText: (text: string) => void;
  onPick: (hit: DrugHit) => void;
  disabled?: boolean;
  /** The text was not picked from the list (an `unknown_drug` block). */
  invalid?: boolean;
  describedBy?: string;
}) {
  const backend = useBackend();
  const { t, lang } = useI18n();
  const [query, setQuery] = useState("");
  const hits = useQuery({
    queryKey: ["drug_search", query],
    queryFn: () => backend.call("drug_search", { query, limit: 10 }),
    enabled: query.trim().length > 0,
    staleTime: 60_000,
  });
  const list = hits.data?.hits ?? [];
  // The drop-down's accessibility list (rendered by the select, `<id>_list`, role listbox)
  // carries no name of its own; screen readers announce it as the medicine list.
  const listName = t("rx.drugSearch");
  useEffect(() => {
    const name = () => document.getElementById(`${id}_list`)?.setAttribute("aria-label", listName);
    name();
    const watch = new MutationObserver(name);
    watch.observe(document.body, { childList: true, subtree: true });
    return () => watch.disconnect();
  }, [id, listName]);
  return (
    <AutoComplete
      id={id}
      value={text}
      disabled={disabled}
      status={invalid ? "error" : undefined}
      aria-invalid={invalid || undefined}
      aria-describedby={describedBy}
      onChange={(v: string) => {
        onText(v);
        setQuery(v);
      }}
      onSelect={(value: string) => {
        const hit = list.find((h) => h.id === value);
        if (hit) onPick(hit);
      }}
      defaultActiveFirstOption
      options={list.map((h) => ({
        value: h.id,
        label: (
          <span className="wrap-anywhere" data-testid={`drug-option-${h.id}`}>
            {lang === "zh-CN" ? `${h.zh} ${h.inn}` : `${h.inn} ${h.zh}`}
            {h.matched && h.matched !== h.zh && h.matched !== h.inn && <span style={{ color: "#888" }}> ({h.matched})</span>}
            {h.controlled && <Tag color="red" style={{ marginLeft: 4 }}>{t("rx.controlled")}</Tag>}
          </span>
        ),
      }))}
      style={{ width: "100%" }}
      popupMatchSelectWidth={360}
      placeholder={t("rx.drugSearch")}
      data-testid={id}
    />
  );
}
