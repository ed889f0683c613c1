import { useQuery } from "@tanstack/react-query";
import { Select } from "antd";
import { useState } from "react";
import type { Icd10Code } from "../../backend";
import { useBackend } from "../../backend/context";
import { useI18n } from "../../i18n";

const seen = new Map<string, Icd10Code>();

/** A code with its name when a search has shown it, else the code alone. */
export function icd10Label(code: string, lang: string): string {
  const h = seen.get(code);
  if (!h) return code;
  return `${h.code} ${lang === "zh-CN" ? (h.zh ?? h.en) : h.en}`;
}

/** ICD-10 codes searched in Chinese or English (R-REC-1). */
export function Icd10Picker({
  id,
  value,
  onChange,
  placeholder,
}: {
  id?: string;
  value?: string[];
  onChange?: (codes: string[]) => void;
  placeholder?: string;
}) {
  const backend = useBackend();
  const { lang } = useI18n();
  const [query, setQuery] = useState("");
  const hits = useQuery({
    queryKey: ["icd10_search", query],
    queryFn: () => backend.call("icd10_search", { query, limit: 20 }),
    enabled: query.trim().length > 0,
    staleTime: 60_000,
  });
  for (const h of hits.data?.hits ?? []) seen.set(h.code, h);
  const label = (code: string) => icd10Label(code, lang);
  const codes = new Set([...(value ?? []), ...(hits.data?.hits.map((h) => h.code) ?? [])]);
  return (
    <Select
      id={id}
      mode="multiple"
      showSearch={{ filterOption: false, onSearch: setQuery }}
      value={value ?? []}
      onChange={(v: string[]) => {
        onChange?.(v);
        setQuery("");
      }}
      placeholder={placeholder}
      options={[...codes].map((c) => ({ value: c, label: label(c) }))}
      notFoundContent={null}
      style={{ width: "100%" }}
    />
  );
}
