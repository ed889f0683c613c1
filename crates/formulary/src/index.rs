//! The name index: every way a medicine or an allergy class may be written — id, English
//! INN, Chinese, synonyms, full pinyin and pinyin initials (computed from the Chinese with
//! the `pinyin` crate, never stored in the data) — and a ranked, typo-tolerant search.

use std::collections::HashMap;

use pinyin::ToPinyin;
use serde::Serialize;

use crate::schema::{Class, Drug};

/// What a name points at (indexes into the pack's `drugs` / `classes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "index", rename_all = "snake_case")]
pub enum Target {
    Drug(usize),
    Class(usize),
}

/// How a name was written; lower is more authoritative when resolving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    Id,
    Inn,
    Chinese,
    Synonym,
    ClassName,
    Pinyin,
    PinyinInitials,
}

impl NameKind {
    fn is_pinyin(self) -> bool {
        matches!(self, NameKind::Pinyin | NameKind::PinyinInitials)
    }
}

#[derive(Debug, Clone)]
struct Key {
    norm: String,
    shown: String,
    target: Target,
    kind: NameKind,
    ascii: bool,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub target: Target,
    /// The name that matched, as written in the pack (or the computed pinyin).
    pub matched: String,
    pub kind: NameKind,
    /// 1.0 exact, ~0.9 prefix, ~0.8 substring, below for typo matches.
    pub score: f64,
}

#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    keys: Vec<Key>,
    exact: HashMap<String, Vec<usize>>,
    conflicts: Vec<(String, Vec<String>)>,
}

/// Lowercase, keep letters and digits (Latin and CJK), drop spaces, hyphens and
/// punctuation: "Co-Trimoxazole" and "cotrimoxazole" are one key.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| c.to_pinyin().is_some())
}

/// Full pinyin (no tones) and initials of a Chinese name; Latin letters and digits in the
/// name are kept as they are ("维生素B12" → "weishengsub12", "wssb12").
pub fn pinyin_of(s: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for c in s.chars() {
        match c.to_pinyin() {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            None if c.is_alphanumeric() => {
                let lower: String = c.to_lowercase().collect();
                full.push_str(&lower);
                initials.push_str(&lower);
            }
            None => {}
        }
    }
    (full, initials)
}

impl NameIndex {
    pub fn build(drugs: &[Drug], classes: &[Class]) -> Self {
        let mut ix = NameIndex::default();
        for (i, d) in drugs.iter().enumerate() {
            let t = Target::Drug(i);
            ix.add(&d.id.replace('_', " "), t, NameKind::Id);
            ix.add(&d.inn, t, NameKind::Inn);
            ix.add(&d.zh, t, NameKind::Chinese);
            for s in &d.synonyms {
                ix.add(s, t, NameKind::Synonym);
            }
        }
        for (i, c) in classes.iter().enumerate() {
            let t = Target::Class(i);
            ix.add(&c.id.replace('_', " "), t, NameKind::ClassName);
            ix.add(&c.en, t, NameKind::ClassName);
            ix.add(&c.zh, t, NameKind::ClassName);
            for s in &c.synonyms {
                ix.add(s, t, NameKind::ClassName);
            }
        }
        // Names that point at two different drugs cannot be resolved on a prescription.
        let mut conflicts: Vec<(String, Vec<String>)> = Vec::new();
        for (norm, list) in &ix.exact {
            let mut ds: Vec<usize> = list
                .iter()
                .filter(|&&k| !ix.keys[k].kind.is_pinyin())
                .filter_map(|&k| match ix.keys[k].target {
                    Target::Drug(d) => Some(d),
                    Target::Class(_) => None,
                })
                .collect();
            ds.sort_unstable();
            ds.dedup();
            if ds.len() > 1 {
                conflicts.push((
                    norm.clone(),
                    ds.iter().map(|d| drugs[*d].id.clone()).collect(),
                ));
            }
        }
        conflicts.sort();
        ix.conflicts = conflicts;
        ix
    }

    fn push(&mut self, norm: String, shown: &str, target: Target, kind: NameKind) {
        if norm.is_empty() {
            return;
        }
        let list = self.exact.entry(norm.clone()).or_default();
        if list
            .iter()
            .any(|&k| self.keys[k].target == target && self.keys[k].kind == kind)
        {
            return;
        }
        list.push(self.keys.len());
        self.keys.push(Key {
            ascii: norm.is_ascii(),
            norm,
            shown: shown.to_owned(),
            target,
            kind,
        });
    }

    fn add(&mut self, name: &str, target: Target, kind: NameKind) {
        self.push(normalize(name), name, target, kind);
        if has_cjk(name) {
            let (full, initials) = pinyin_of(name);
            // Pinyin never outranks a real name, for drugs and classes alike.
            self.push(full.clone(), &full, target, NameKind::Pinyin);
            self.push(
                initials.clone(),
                &initials,
                target,
                NameKind::PinyinInitials,
            );
        }
    }

    /// Names shared by more than one drug (normalised name, drug ids).
    pub fn conflicts(&self) -> &[(String, Vec<String>)] {
        &self.conflicts
    }

    /// Exact resolution: the single target with the most authoritative matching name kind
    /// among those `accept` allows. Ambiguity (two targets at the best kind) → `None`.
    pub fn resolve(&self, name: &str, accept: impl Fn(Target) -> bool) -> Option<Target> {
        self.resolve_with(name, accept, true)
    }

    /// As [`resolve`](Self::resolve); `pinyin = false` ignores computed pinyin names.
    pub fn resolve_with(
        &self,
        name: &str,
        accept: impl Fn(Target) -> bool,
        pinyin: bool,
    ) -> Option<Target> {
        let norm = normalize(name);
        let list = self.exact.get(&norm)?;
        let mut best: Option<(NameKind, Vec<Target>)> = None;
        for &k in list {
            let key = &self.keys[k];
            if !accept(key.target) || (!pinyin && key.kind.is_pinyin()) {
                continue;
            }
            let kind = key.kind;
            match &mut best {
                Some((bk, ts)) if *bk == kind => {
                    if !ts.contains(&key.target) {
                        ts.push(key.target);
                    }
                }
                Some((bk, _)) if *bk < kind => {}
                _ => best = Some((kind, vec![key.target])),
            }
        }
        let (_, ts) = best?;
        if ts.len() == 1 {
            ts.first().copied()
        } else {
            None
        }
    }

    /// Ranked search over every name; typo-tolerant for Latin script. At most `limit` hits,
    /// one per target, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q = normalize(query);
        if q.is_empty() {
            return Vec::new();
        }
        let q_ascii = q.is_ascii();
        let q_chars = q.chars().count();
        let mut best: HashMap<Target, Hit> = HashMap::new();
        let mut offer = |key: &Key, score: f64| {
            let better = best
                .get(&key.target)
                .is_none_or(|h| score > h.score || (score == h.score && key.kind < h.kind));
            if better {
                best.insert(
                    key.target,
                    Hit {
                        target: key.target,
                        matched: key.shown.clone(),
                        kind: key.kind,
                        score,
                    },
                );
            }
        };
        for key in &self.keys {
            let score = if key.norm == q {
                1.0
            } else if q_chars >= 2 && key.norm.starts_with(&q) {
                0.9 - 0.1 * (1.0 - q.len() as f64 / key.norm.len() as f64)
            } else if q_chars >= 2 && key.norm.contains(&q) {
                0.75
            } else if q_ascii && key.ascii && q.len() >= 4 && key.norm.len().abs_diff(q.len()) <= 3
            {
                // Typos: transpositions, a dropped or doubled letter ("amoxicilin"). The
                // length filter above keeps this to a handful of keys (edit distance ≥ Δlen).
                let allowed = if q.len() >= 8 { 2 } else { 1 };
                let dl = if key.norm.len().abs_diff(q.len()) <= allowed {
                    strsim::osa_distance(&q, &key.norm)
                } else {
                    usize::MAX
                };
                if dl <= allowed {
                    0.7 - 0.05 * dl as f64
                } else if !key.kind.is_pinyin() {
                    let jw = strsim::jaro_winkler(&q, &key.norm);
                    if jw >= 0.93 {
                        0.5 * jw
                    } else {
                        continue;
                    }
                } else {
                    continue;
                }
            } else {
                continue;
            };
            offer(key, score);
        }
        let mut hits: Vec<Hit> = best.into_values().collect();
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.kind.cmp(&b.kind))
                .then(a.target.cmp(&b.target))
        });
        hits.truncate(limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_full_and_initials_come_from_the_chinese_name() {
        assert_eq!(pinyin_of("阿莫西林"), ("amoxilin".into(), "amxl".into()));
        assert_eq!(
            pinyin_of("维生素B12"),
            ("weishengsub12".into(), "wssb12".into())
        );
    }

    #[test]
    fn normalisation_ignores_case_spaces_and_hyphens() {
        assert_eq!(normalize("Co-Trimoxazole"), normalize("cotrimoxazole"));
        assert_eq!(normalize(" NSAIDs "), "nsaids");
    }
}
