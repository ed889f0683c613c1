//! Loading a pack: read the files in a stable order, hash them, parse each against the
//! schema, validate cross-references and sources, then compile lookup tables for the checker.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::{FormularyError, Issue};
use crate::index::{NameIndex, Target};
use crate::schema::*;

/// The schema version this code reads.
pub const SCHEMA_VERSION: u32 = 1;

/// One pack file: its path relative to the pack directory (with `/`) and its text.
#[derive(Debug, Clone)]
pub struct PackFile {
    pub path: String,
    pub text: String,
}

/// A reference from the pack to a drug or a class (`drug:<id>`, `class:<id>`), resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ref {
    Drug(usize),
    Class(usize),
    /// Every drug carrying this `[[drug.property]]`.
    Property(DrugProperty),
}

/// A loaded, validated pack with its lookup tables. Immutable; share it behind an `Arc`.
#[derive(Debug)]
pub struct Pack {
    pub meta: PackMeta,
    /// SHA-256 (hex) over every pack file in the stable order (see [`ordered_paths`]).
    pub content_hash: String,
    pub sources: Vec<Source>,
    pub classes: Vec<Class>,
    pub cross_reactivity: Vec<CrossReactivity>,
    pub interactions: Vec<Interaction>,
    /// How interaction severities become finding severities (`[grading]`).
    pub grading: Grading,
    pub drugs: Vec<Drug>,
    pub index: NameIndex,
    drug_ix: HashMap<String, usize>,
    class_ix: HashMap<String, usize>,
    /// Per drug: its classes and all their ancestors.
    drug_classes: Vec<Vec<usize>>,
    /// Per class: drugs whose class closure contains it.
    class_members: Vec<Vec<usize>>,
    /// Per class: itself and its ancestors.
    class_ancestry: Vec<Vec<usize>>,
    /// Per drug: its `[[drug.property]]` names as a bit mask ([`DrugProperty::bit`]).
    drug_props: Vec<u32>,
    /// Every interaction entry that covers a drug pair, precomputed at load so a check is
    /// one lookup per pair: key (lower drug index, higher drug index).
    pair_rules: HashMap<(u32, u32), Box<[u32]>>,
    /// Parsed interaction sides.
    interaction_refs: Vec<(Ref, Ref)>,
    /// Per interaction: how specific its sides are (drug 2, class 1, property 0, summed);
    /// among equally grave entries the most specific speaks.
    interaction_specificity: Vec<u8>,
    /// Cross-reactivity indexes by `from`, with parsed `to` refs.
    cross_by_from: HashMap<Ref, Vec<usize>>,
    cross_to: Vec<Vec<Ref>>,
}

/// The order files are hashed and read in: pack, sources, classes, interactions,
/// contraindications, then `drugs/*.toml` by name. Stable across machines, so the hash is too.
pub fn ordered_paths(mut drug_files: Vec<String>) -> Vec<String> {
    drug_files.sort();
    let mut v: Vec<String> = [
        "pack.toml",
        "sources.toml",
        "classes.toml",
        "interactions.toml",
        "contraindications.toml",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.extend(drug_files);
    v
}

/// Read a pack directory. The only IO this crate does.
pub fn load_dir(dir: &Path) -> Result<Pack, FormularyError> {
    let unreadable = |file: &str, e: std::io::Error| FormularyError::Unreadable {
        file: file.to_owned(),
        message: e.to_string(),
    };
    let mut drug_files = Vec::new();
    let drugs_dir = dir.join("drugs");
    if drugs_dir.is_dir() {
        for entry in std::fs::read_dir(&drugs_dir).map_err(|e| unreadable("drugs/", e))? {
            let entry = entry.map_err(|e| unreadable("drugs/", e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".toml") {
                drug_files.push(format!("drugs/{name}"));
            }
        }
    }
    let mut files = Vec::new();
    for path in ordered_paths(drug_files) {
        let full = dir.join(&path);
        match std::fs::read_to_string(&full) {
            Ok(text) => files.push(PackFile { path, text }),
            // classes, interactions and contraindications may be absent in a small pack;
            // pack and sources not.
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    && (path == "classes.toml"
                        || path == "interactions.toml"
                        || path == CONTRAINDICATIONS_FILE) => {}
            Err(e) => return Err(unreadable(&path, e)),
        }
    }
    Pack::from_files(files)
}

/// SHA-256 over the files as given (callers pass them in [`ordered_paths`] order).
pub fn content_hash(files: &[PackFile]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.path.as_bytes());
        h.update([0u8]);
        h.update((f.text.len() as u64).to_le_bytes());
        h.update(f.text.as_bytes());
    }
    hex::encode(h.finalize())
}

impl Pack {
    /// Parse and validate a pack from its files (pure; `load_dir` does the reading).
    pub fn from_files(files: Vec<PackFile>) -> Result<Pack, FormularyError> {
        let mut issues = Vec::new();
        let ordered = {
            let mut drug_paths: Vec<String> = files
                .iter()
                .filter(|f| f.path.starts_with("drugs/"))
                .map(|f| f.path.clone())
                .collect();
            drug_paths.dedup();
            ordered_paths(drug_paths)
        };
        let mut by_path: HashMap<&str, &PackFile> = HashMap::new();
        for f in &files {
            by_path.insert(f.path.as_str(), f);
        }
        let sorted: Vec<PackFile> = ordered
            .iter()
            .filter_map(|p| by_path.get(p.as_str()).map(|f| (*f).clone()))
            .collect();
        let content_hash = content_hash(&sorted);

        let meta: Option<PackMeta> = match by_path.get("pack.toml") {
            Some(f) => parse_file(f, &mut issues),
            None => {
                issues.push(file_issue("pack.toml", "the pack has no pack.toml"));
                None
            }
        };
        let sources: SourcesFile = match by_path.get("sources.toml") {
            Some(f) => parse_file(f, &mut issues).unwrap_or_default(),
            None => {
                issues.push(file_issue("sources.toml", "the pack has no sources.toml"));
                SourcesFile::default()
            }
        };
        let classes: ClassesFile = by_path
            .get("classes.toml")
            .and_then(|f| parse_file(f, &mut issues))
            .unwrap_or_default();
        let interactions: InteractionsFile = by_path
            .get("interactions.toml")
            .and_then(|f| parse_file(f, &mut issues))
            .unwrap_or_default();
        let grading = interactions.grading.clone().unwrap_or_default();
        let contraindications: ContraindicationsFile = by_path
            .get(CONTRAINDICATIONS_FILE)
            .and_then(|f| parse_file(f, &mut issues))
            .unwrap_or_default();
        let mut drugs: Vec<(String, Drug)> = Vec::new();
        for f in sorted.iter().filter(|f| f.path.starts_with("drugs/")) {
            if let Some(df) = parse_file::<DrugsFile>(f, &mut issues) {
                drugs.extend(df.drug.into_iter().map(|d| (f.path.clone(), d)));
            }
        }

        let raw = Raw {
            meta,
            sources: sources.source,
            classes: classes.class,
            cross: classes.cross_reactivity,
            interactions: interactions.interaction,
            grading,
            drugs,
            contraindications: contraindications.contraindications,
        };
        let pack = compile(raw, content_hash, &mut issues);
        match pack {
            Some(p) if issues.is_empty() => Ok(p),
            _ => Err(FormularyError::Invalid(issues)),
        }
    }

    pub fn drug_index(&self, id: &str) -> Option<usize> {
        self.drug_ix.get(id).copied()
    }

    pub fn drug(&self, id: &str) -> Option<&Drug> {
        self.drug_index(id).map(|i| &self.drugs[i])
    }

    pub fn class_index(&self, id: &str) -> Option<usize> {
        self.class_ix.get(id).copied()
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// How many of the pack's fact citations rest on a primary source (a source with a
    /// kind, which the validator has checked), with the cited ids counted by kind.
    pub fn citation_stats(&self) -> crate::provenance::CitationStats {
        let drugs: Vec<(&str, &Drug)> = self.drugs.iter().map(|d| ("drugs/", d)).collect();
        let cites = crate::provenance::citations(
            &drugs,
            &self.classes,
            &self.cross_reactivity,
            &self.interactions,
            &self.drug_ix,
            &self.class_ix,
        );
        let by_id: HashMap<&str, &Source> =
            self.sources.iter().map(|s| (s.id.as_str(), s)).collect();
        crate::provenance::citation_stats(&cites, &by_id)
    }

    /// A drug's classes with their ancestors (indexes into `classes`).
    pub fn drug_classes(&self, drug: usize) -> &[usize] {
        &self.drug_classes[drug]
    }

    /// A class and its ancestors.
    pub fn class_ancestry(&self, class: usize) -> &[usize] {
        &self.class_ancestry[class]
    }

    /// Drugs belonging to a class or any of its descendants.
    pub fn class_members(&self, class: usize) -> &[usize] {
        &self.class_members[class]
    }

    /// Does `r` name this drug (directly, through one of its classes or their ancestors, or
    /// through one of its properties)?
    pub fn ref_covers_drug(&self, r: Ref, drug: usize) -> bool {
        match r {
            Ref::Drug(d) => d == drug,
            Ref::Class(c) => self.drug_classes[drug].contains(&c),
            Ref::Property(p) => self.drug_props[drug] & p.bit() != 0,
        }
    }

    /// Does this drug carry the property?
    pub fn drug_has(&self, drug: usize, p: DrugProperty) -> bool {
        self.drug_props[drug] & p.bit() != 0
    }

    /// The parsed sides of interaction `ix`.
    pub fn interaction_sides(&self, ix: usize) -> (Ref, Ref) {
        self.interaction_refs[ix]
    }

    /// How specific interaction `ix` is: drug sides 2, class sides 1, property sides 0,
    /// summed (a pair entry outranks a class entry, which outranks a mechanism rule).
    pub fn interaction_specificity(&self, ix: usize) -> u8 {
        self.interaction_specificity[ix]
    }

    /// Every interaction entry covering the two drugs (either order): pair, class and
    /// property rules alike. Precomputed at load, so this is one hash lookup.
    pub fn pair_interactions(&self, d1: usize, d2: usize) -> &[u32] {
        let key = (d1.min(d2) as u32, d1.max(d2) as u32);
        self.pair_rules.get(&key).map_or(&[], |v| v)
    }

    /// Interactions between two drugs (either order), as (interaction index).
    pub fn interactions_between(&self, d1: usize, d2: usize, out: &mut Vec<usize>) {
        for &ix in self.pair_interactions(d1, d2) {
            let ix = ix as usize;
            if !out.contains(&ix) {
                out.push(ix);
            }
        }
    }

    /// Cross-reactivity entries whose `from` is `r`, with their parsed `to` refs.
    pub fn cross_from(&self, r: Ref) -> impl Iterator<Item = (&CrossReactivity, &[Ref])> + '_ {
        self.cross_by_from
            .get(&r)
            .into_iter()
            .flatten()
            .map(|&ix| (&self.cross_reactivity[ix], self.cross_to[ix].as_slice()))
    }

    /// Resolve a medicine name (id, INN, Chinese, synonym, full pinyin, unique pinyin
    /// initials) to exactly one drug. Never guesses between candidates or corrects typos:
    /// a prescription line must name its drug unambiguously.
    pub fn resolve_drug(&self, name: &str) -> Option<usize> {
        self.index
            .resolve(name, |t| matches!(t, Target::Drug(_)))
            .and_then(|t| match t {
                Target::Drug(d) => Some(d),
                Target::Class(_) => None,
            })
    }

    /// As [`resolve_drug`](Self::resolve_drug), and when that fails, the same name without
    /// what a product name adds to the active ingredient: a strength ("500mg"), a dosage
    /// form ("胶囊", "缓释片", "tablets", "oral suspension") or a salt ("盐酸", "sodium",
    /// "hydrochloride"). "阿莫西林胶囊" and "metformin hydrochloride 500 mg tablets" are
    /// the ingredient; the result is still required to be exactly one drug.
    pub fn resolve_product(&self, name: &str) -> Option<usize> {
        self.resolve_product_with(name, true)
    }

    /// The drug a prescription LINE names (R-RX-8: raw text is never a drug): as
    /// [`resolve_product`](Self::resolve_product) but by real names only (id, INN, Chinese,
    /// synonym) — pinyin and pinyin initials ("blf") are search shortcuts for picking a
    /// medicine from the list, not names a signed prescription may carry.
    pub fn resolve_prescribed(&self, name: &str) -> Option<usize> {
        self.resolve_product_with(name, false)
    }

    fn resolve_product_with(&self, name: &str, pinyin: bool) -> Option<usize> {
        let resolve = |n: &str| {
            self.index
                .resolve_with(n, |t| matches!(t, Target::Drug(_)), pinyin)
                .and_then(|t| match t {
                    Target::Drug(d) => Some(d),
                    Target::Class(_) => None,
                })
        };
        if let Some(d) = resolve(name) {
            return Some(d);
        }
        let stripped = strip_product_words(name);
        if stripped != name.trim() && !stripped.is_empty() {
            if let Some(d) = resolve(&stripped) {
                return Some(d);
            }
        }
        // "simvastatin 20 mg at night": the longest leading run of words that names a drug.
        let words: Vec<&str> = stripped.split_whitespace().collect();
        (1..words.len())
            .rev()
            .find_map(|n| resolve(&words[..n].join(" ")))
    }

    /// Resolve an allergy entry to a drug or a class (class names and their synonyms, e.g.
    /// "penicillin allergy", "NSAIDs", "磺胺类").
    /// A class wins over a drug of the same name ("penicillin" is the class to an allergy
    /// record); real names win over pinyin; a trailing "allergy"/"过敏" is ignored.
    pub fn resolve_allergen(&self, name: &str) -> Option<Target> {
        let is_class = |t: Target| matches!(t, Target::Class(_));
        let is_drug = |t: Target| matches!(t, Target::Drug(_));
        let attempt = |n: &str| {
            let ix = &self.index;
            ix.resolve_with(n, is_class, false)
                .or_else(|| ix.resolve_with(n, is_drug, false))
                .or_else(|| ix.resolve_with(n, is_class, true))
                .or_else(|| ix.resolve_with(n, is_drug, true))
        };
        attempt(name).or_else(|| {
            let trimmed = name.trim();
            let lower = trimmed.to_lowercase();
            ["allergy", "allergic", "过敏", "过敏史"]
                .iter()
                .find_map(|suffix| {
                    lower
                        .strip_suffix(suffix)
                        .map(|_| &trimmed[..trimmed.len() - suffix.len()])
                })
                .and_then(attempt)
        })
    }
}

struct Raw {
    meta: Option<PackMeta>,
    sources: Vec<Source>,
    classes: Vec<Class>,
    cross: Vec<CrossReactivity>,
    interactions: Vec<Interaction>,
    grading: Grading,
    drugs: Vec<(String, Drug)>,
    contraindications: Vec<ContraindicationEntry>,
}

/// The file holding the label contraindication notes (禁忌说明) of the pack's drugs.
pub const CONTRAINDICATIONS_FILE: &str = "contraindications.toml";

fn file_issue(file: &str, message: &str) -> Issue {
    Issue {
        file: file.to_owned(),
        line: None,
        entry: None,
        field: None,
        message: message.to_owned(),
    }
}

fn issue(file: &str, entry: &str, field: &str, message: impl Into<String>) -> Issue {
    Issue {
        file: file.to_owned(),
        line: None,
        entry: Some(entry.to_owned()),
        field: Some(field.to_owned()),
        message: message.into(),
    }
}

/// Parse one file; on error record an issue naming line, entry and field.
fn parse_file<T: DeserializeOwned>(f: &PackFile, issues: &mut Vec<Issue>) -> Option<T> {
    match toml::from_str::<T>(&f.text) {
        Ok(v) => Some(v),
        Err(e) => {
            issues.push(locate(&f.path, &f.text, &e));
            None
        }
    }
}

/// Turn a TOML/serde error into an issue: the line from the span, the entry from the
/// nearest `[[…]]` header above it (its `id`, or `from`, or `a`/`b`), the field from the
/// key at the span (or the one the message names).
fn locate(path: &str, text: &str, e: &toml::de::Error) -> Issue {
    let message = e.message().trim().to_owned();
    let Some(span) = e.span() else {
        return Issue {
            file: path.to_owned(),
            line: None,
            entry: None,
            field: None,
            message,
        };
    };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let lines: Vec<&str> = text.lines().collect();
    let here = line_no.saturating_sub(1);

    // The table header governing this line, and the array-of-tables entry it belongs to.
    let mut sub_table: Option<String> = None;
    let mut entry_header: Option<usize> = None;
    for i in (0..=here.min(lines.len().saturating_sub(1))).rev() {
        let l = lines.get(i).map_or("", |l| l.trim());
        if l.starts_with("[[") {
            entry_header = Some(i);
            break;
        }
        if l.starts_with('[') && sub_table.is_none() && i != here {
            let name = l.trim_matches(|c| c == '[' || c == ']').trim();
            // `[drug.adult]` → `adult`
            sub_table = name.split_once('.').map(|(_, rest)| rest.to_owned());
        }
    }
    let entry = entry_header.and_then(|h| {
        let mut id = None;
        let mut a = None;
        let mut b = None;
        for l in lines.iter().skip(h + 1) {
            let t = l.trim();
            if t.starts_with('[') {
                break;
            }
            if let Some((k, v)) = t.split_once('=') {
                let v = v.trim().trim_matches('"').to_owned();
                match k.trim() {
                    "id" | "from" | "drug" => id = Some(v),
                    "a" => a = Some(v),
                    "b" => b = Some(v),
                    _ => {}
                }
            }
        }
        id.or_else(|| match (a, b) {
            (Some(a), Some(b)) => Some(format!("{a} + {b}")),
            _ => None,
        })
    });

    let named = ["unknown field `", "missing field `", "duplicate field `"]
        .iter()
        .find_map(|p| message.find(p).map(|i| i + p.len()))
        .and_then(|i| message[i..].split('`').next().map(str::to_owned));
    let key_at_span = {
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let before = &text[line_start..start];
        let after = &text[start..text[start..].find('\n').map_or(text.len(), |i| start + i)];
        // The span either starts on the key itself or on the value after `key =`.
        let candidate = if let Some(eq) = before.rfind('=') {
            before[..eq]
                .rsplit(['{', ','])
                .next()
                .map(|s| s.trim().to_owned())
        } else {
            after
                .split('=')
                .next()
                .map(|s| s.trim().trim_matches('"').to_owned())
        };
        candidate.filter(|k| {
            !k.is_empty()
                && !k.starts_with('[')
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
    };
    let field = named.or(key_at_span).map(|k| match &sub_table {
        Some(t) => format!("{t}.{k}"),
        None => k,
    });
    Issue {
        file: path.to_owned(),
        line: Some(line_no),
        entry,
        field,
        message,
    }
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

fn is_snake(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Licences we may ship (data-sources.md): public domain, CC0, CC BY, MIT/Apache, statute,
/// or facts cited without reproducing text. Non-commercial or no-derivatives terms are not.
pub fn licence_is_shippable(licence: &str) -> bool {
    let l = licence.to_lowercase();
    let restricted = [
        "-nc",
        "noncommercial",
        "non-commercial",
        "-nd",
        "noderivatives",
        "all rights reserved",
    ];
    !l.trim().is_empty() && !restricted.iter().any(|r| l.contains(r))
}

/// Checks that a source string "<source-id> <locator>" names a known source.
struct SourceCheck<'a> {
    ids: &'a HashSet<String>,
}

impl SourceCheck<'_> {
    fn check(&self, s: &str, file: &str, entry: &str, field: &str, issues: &mut Vec<Issue>) {
        let ids = crate::provenance::cited_ids(s);
        if ids.is_empty() {
            issues.push(issue(file, entry, field, "empty source"));
        }
        for id in ids {
            if !self.ids.contains(id) {
                issues.push(issue(
                    file,
                    entry,
                    field,
                    format!("unknown source id `{id}` (not in sources.toml)"),
                ));
            }
        }
    }
}

/// An ICD-10 code or prefix ("J02", "N39.0") or a range ("J01-J06").
pub fn icd_pattern_is_valid(p: &str) -> bool {
    // The checker's own parser: a pattern it cannot read would never match at check time.
    meddesk_domain::icd10::Icd10Range::parse(p).is_ok()
}

fn parse_ref(
    s: &str,
    drug_ix: &HashMap<String, usize>,
    class_ix: &HashMap<String, usize>,
) -> Result<Ref, String> {
    if let Some(id) = s.strip_prefix("drug:") {
        drug_ix
            .get(id)
            .map(|i| Ref::Drug(*i))
            .ok_or_else(|| format!("unknown drug id `{id}`"))
    } else if let Some(id) = s.strip_prefix("class:") {
        class_ix
            .get(id)
            .map(|i| Ref::Class(*i))
            .ok_or_else(|| format!("unknown class id `{id}`"))
    } else if let Some(name) = s.strip_prefix("property:") {
        DrugProperty::parse(name).map(Ref::Property).ok_or_else(|| {
            let known: Vec<&str> = DrugProperty::ALL.iter().map(|p| p.as_str()).collect();
            format!("unknown property `{name}` (known: {})", known.join(", "))
        })
    } else {
        Err("expected \"drug:<id>\", \"class:<id>\" or \"property:<name>\"".into())
    }
}

/// The drugs a side of an interaction covers.
fn ref_drugs(
    r: Ref,
    n_drugs: usize,
    class_members: &[Vec<usize>],
    drug_props: &[u32],
) -> Vec<usize> {
    match r {
        Ref::Drug(d) if d < n_drugs => vec![d],
        Ref::Drug(_) => Vec::new(),
        Ref::Class(c) => class_members.get(c).cloned().unwrap_or_default(),
        Ref::Property(p) => (0..n_drugs)
            .filter(|d| drug_props[*d] & p.bit() != 0)
            .collect(),
    }
}

/// Expand every interaction entry to the drug pairs it covers (the checker's one lookup
/// per pair), and rank each entry's specificity.
#[allow(clippy::type_complexity)]
fn compile_pairs(
    refs: &[(Ref, Ref)],
    n_drugs: usize,
    class_members: &[Vec<usize>],
    drug_props: &[u32],
) -> (HashMap<(u32, u32), Box<[u32]>>, Vec<u8>) {
    let mut pairs: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
    let mut spec = Vec::with_capacity(refs.len());
    for (ix, &(a, b)) in refs.iter().enumerate() {
        let rank = |r: Ref| match r {
            Ref::Drug(_) => 2u8,
            Ref::Class(_) => 1,
            Ref::Property(_) => 0,
        };
        spec.push(rank(a) + rank(b));
        let da = ref_drugs(a, n_drugs, class_members, drug_props);
        let db = ref_drugs(b, n_drugs, class_members, drug_props);
        for &x in &da {
            for &y in &db {
                if x == y {
                    continue;
                }
                let key = (x.min(y) as u32, x.max(y) as u32);
                let v = pairs.entry(key).or_default();
                if !v.contains(&(ix as u32)) {
                    v.push(ix as u32);
                }
            }
        }
    }
    let pairs = pairs
        .into_iter()
        .map(|(k, v)| (k, v.into_boxed_slice()))
        .collect();
    (pairs, spec)
}

/// `[grading]`: contraindicated blocks, and the mapping never decreases with severity.
fn check_grading(g: &Grading, sc: &SourceCheck<'_>, issues: &mut Vec<Issue>) {
    let f = "interactions.toml";
    if let Some(s) = &g.source {
        sc.check(s, f, "grading", "source", issues);
    }
    if g.contraindicated != PackSeverity::Block {
        issues.push(issue(
            f,
            "grading",
            "contraindicated",
            "a contraindicated interaction must block (R-RX-7, R-RX-12)",
        ));
    }
    let order = [
        ("major", g.major, g.contraindicated),
        ("moderate", g.moderate, g.major),
        ("minor", g.minor, g.moderate),
    ];
    for (field, lower, upper) in order {
        if lower > upper {
            issues.push(issue(
                f,
                "grading",
                field,
                "a less severe interaction cannot be graded above a more severe one",
            ));
        }
    }
}

/// An escalation needs a condition and must make the interaction graver.
fn check_escalation(
    x: &Escalation,
    base: InteractionSeverity,
    entry: &str,
    issues: &mut Vec<Issue>,
) {
    let f = "interactions.toml";
    if x.egfr_below.is_none() && x.age_at_least.is_none() && x.child_pugh.is_none() {
        issues.push(issue(
            f,
            entry,
            "escalate",
            "an escalation needs egfr_below, age_at_least or child_pugh",
        ));
    }
    if x.severity <= base {
        issues.push(issue(
            f,
            entry,
            "escalate.severity",
            "an escalation must be graver than the interaction's own severity",
        ));
    }
}

/// A pharmacogenomic allele as the pack writes it: "HLA-B*15:02".
pub fn allele_is_valid(a: &str) -> bool {
    let Some((locus, allele)) = a.split_once('*') else {
        return false;
    };
    let fields: Vec<&str> = allele.split(':').collect();
    locus.starts_with("HLA-")
        && locus.len() > 4
        && locus[4..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && fields.len() == 2
        && fields
            .iter()
            .all(|f| f.len() >= 2 && f.chars().all(|c| c.is_ascii_digit()))
}

/// Properties, genotype rules, schedules and indication regimens of one drug.
fn check_mechanism_facts(d: &Drug, file: &str, sc: &SourceCheck<'_>, issues: &mut Vec<Issue>) {
    let e = d.id.as_str();
    let mut seen = Vec::new();
    for (k, p) in d.property.iter().enumerate() {
        sc.check(&p.source, file, e, &format!("property[{k}].source"), issues);
        if seen.contains(&p.name) {
            issues.push(issue(
                file,
                e,
                &format!("property[{k}].name"),
                format!("property `{}` listed twice", p.name.as_str()),
            ));
        }
        seen.push(p.name);
    }
    for (k, g) in d.genotype.iter().enumerate() {
        sc.check(&g.source, file, e, &format!("genotype[{k}].source"), issues);
        if !allele_is_valid(&g.allele) {
            issues.push(issue(
                file,
                e,
                &format!("genotype[{k}].allele"),
                "expected an allele like \"HLA-B*15:02\"",
            ));
        }
        if g.if_untested > g.if_positive {
            issues.push(issue(
                file,
                e,
                &format!("genotype[{k}].if_untested"),
                "an untested patient cannot be graded above a carrier",
            ));
        }
    }
    for (k, r) in d.schedule.iter().enumerate() {
        sc.check(&r.source, file, e, &format!("schedule[{k}].source"), issues);
        if r.frequencies.is_empty() {
            issues.push(issue(
                file,
                e,
                &format!("schedule[{k}].frequencies"),
                "list the schedules the label allows",
            ));
        }
        for (j, p) in r.except_indications.iter().enumerate() {
            if !icd_pattern_is_valid(p) {
                issues.push(issue(
                    file,
                    e,
                    &format!("schedule[{k}].except_indications[{j}]"),
                    "expected an ICD-10 code, prefix or range like \"C00-D49\"",
                ));
            }
        }
    }
    for (k, r) in d.paediatric_regimen.iter().enumerate() {
        sc.check(
            &r.source,
            file,
            e,
            &format!("paediatric_regimen[{k}].source"),
            issues,
        );
        if r.indications.is_empty() {
            issues.push(issue(
                file,
                e,
                &format!("paediatric_regimen[{k}].indications"),
                "a regimen names the indications it is for",
            ));
        }
        for (j, p) in r.indications.iter().enumerate() {
            if !icd_pattern_is_valid(p) {
                issues.push(issue(
                    file,
                    e,
                    &format!("paediatric_regimen[{k}].indications[{j}]"),
                    "expected an ICD-10 code, prefix or range like \"H65-H66\"",
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (r.mg_per_kg_day_min, r.mg_per_kg_day_max)
            && lo > hi
        {
            issues.push(issue(
                file,
                e,
                &format!("paediatric_regimen[{k}].mg_per_kg_day_min"),
                "minimum is above the maximum",
            ));
        }
    }
    if let Some(a) = &d.adult
        && let Some(v) = a.max_mg_per_kg_day
        && (v.is_nan() || v <= 0.0)
    {
        issues.push(issue(
            file,
            e,
            "adult.max_mg_per_kg_day",
            "must be a positive number",
        ));
    }
}

fn check_amount_dims(
    a: Option<&crate::amount::Amount>,
    b: Option<&crate::amount::Amount>,
    ctx: (&str, &str, &str),
    issues: &mut Vec<Issue>,
) {
    if let (Some(a), Some(b)) = (a, b) {
        let (ma, mb) = (a.measure(), b.measure());
        if ma.dim == mb.dim && ma.value > mb.value * (1.0 + 1e-9) {
            issues.push(issue(ctx.0, ctx.1, ctx.2, format!("{a} is above {b}")));
        }
    }
}

/// Validate `contraindications.toml` and attach each entry to its drug: the drug exists
/// and has one entry; `zh` and `en` are non-empty, note for note (same length), each note
/// non-blank and at most [`CONTRAINDICATION_NOTE_MAX_CHARS`] characters; the source is
/// checked like every other citation (its id here; kind, product and the primary count
/// with the other citations, see `provenance::citations`).
fn attach_contraindications(
    entries: Vec<ContraindicationEntry>,
    drugs: &mut [(String, Drug)],
    drug_ix: &HashMap<String, usize>,
    sc: &SourceCheck<'_>,
    issues: &mut Vec<Issue>,
) {
    let f = CONTRAINDICATIONS_FILE;
    let mut seen: HashSet<String> = HashSet::new();
    for c in entries {
        let e = c.drug.as_str();
        let mut ok = true;
        let mut fail = |field: &str, m: String, issues: &mut Vec<Issue>| {
            ok = false;
            issues.push(issue(f, e, field, m));
        };
        let target = drug_ix.get(e).copied();
        if target.is_none() {
            fail(
                "drug",
                format!("unknown drug id `{e}` (not in drugs/*.toml)"),
                issues,
            );
        }
        if !seen.insert(c.drug.clone()) {
            fail(
                "drug",
                format!("a second entry for `{e}`: one entry per drug"),
                issues,
            );
        }
        for (lang, notes) in [("zh", &c.zh), ("en", &c.en)] {
            if notes.is_empty() {
                fail(lang, "at least one note is required".into(), issues);
            }
            for (k, n) in notes.iter().enumerate() {
                let len = n.chars().count();
                if n.trim().is_empty() {
                    fail(&format!("{lang}[{k}]"), "empty note".into(), issues);
                } else if len > CONTRAINDICATION_NOTE_MAX_CHARS {
                    fail(
                        &format!("{lang}[{k}]"),
                        format!(
                            "note of {len} characters; at most \
                             {CONTRAINDICATION_NOTE_MAX_CHARS} (a short note, not the label text)"
                        ),
                        issues,
                    );
                }
            }
        }
        if c.zh.len() != c.en.len() {
            fail(
                "en",
                format!(
                    "{} zh notes but {} en notes: zh[i] and en[i] are the same note",
                    c.zh.len(),
                    c.en.len()
                ),
                issues,
            );
        }
        let before = issues.len();
        sc.check(&c.source, f, e, "source", issues);
        ok &= issues.len() == before;
        if let (true, Some(i)) = (ok, target) {
            drugs[i].1.contraindications = Some(Contraindications {
                zh: c.zh,
                en: c.en,
                source: c.source,
            });
        }
    }
}

fn compile(raw: Raw, content_hash: String, issues: &mut Vec<Issue>) -> Option<Pack> {
    let Raw {
        meta,
        sources,
        classes,
        cross,
        interactions,
        grading,
        mut drugs,
        contraindications,
    } = raw;

    if let Some(m) = &meta {
        if m.schema != SCHEMA_VERSION {
            issues.push(issue(
                "pack.toml",
                &m.name,
                "schema",
                format!(
                    "schema {} is not supported (this build reads {SCHEMA_VERSION})",
                    m.schema
                ),
            ));
        }
        if m.version.trim().is_empty() {
            issues.push(issue("pack.toml", &m.name, "version", "empty version"));
        }
    }

    // Sources.
    let mut source_ids = HashSet::new();
    for s in &sources {
        let f = "sources.toml";
        if !is_kebab(&s.id) {
            issues.push(issue(f, &s.id, "id", "source ids are kebab-case"));
        }
        if !source_ids.insert(s.id.clone()) {
            issues.push(issue(f, &s.id, "id", "duplicate source id"));
        }
        if s.licence.trim().is_empty() {
            issues.push(issue(f, &s.id, "licence", "every source needs a licence"));
        } else if !licence_is_shippable(&s.licence) {
            issues.push(issue(
                f,
                &s.id,
                "licence",
                "licence is not shippable (non-commercial, no-derivatives or all rights \
                 reserved): only public domain, CC0, CC BY, MIT/Apache, statute, or cited facts",
            ));
        }
        crate::provenance::check_source(s, issues);
    }
    let sc = SourceCheck { ids: &source_ids };

    // Classes.
    let mut class_ix = HashMap::new();
    for (i, c) in classes.iter().enumerate() {
        let f = "classes.toml";
        if !is_snake(&c.id) {
            issues.push(issue(f, &c.id, "id", "class ids are snake_case"));
        }
        if class_ix.insert(c.id.clone(), i).is_some() {
            issues.push(issue(f, &c.id, "id", "duplicate class id"));
        }
        if let Some(s) = &c.source {
            sc.check(s, f, &c.id, "source", issues);
        }
    }
    let mut class_ancestry = Vec::with_capacity(classes.len());
    for (i, c) in classes.iter().enumerate() {
        let mut chain = vec![i];
        let mut cur = c.parent.clone();
        while let Some(p) = cur {
            match class_ix.get(&p) {
                Some(&pi) if !chain.contains(&pi) => {
                    chain.push(pi);
                    cur = classes[pi].parent.clone();
                }
                Some(_) => {
                    issues.push(issue(
                        "classes.toml",
                        &c.id,
                        "parent",
                        "parent chain has a cycle",
                    ));
                    break;
                }
                None => {
                    issues.push(issue(
                        "classes.toml",
                        &c.id,
                        "parent",
                        format!("unknown class id `{p}`"),
                    ));
                    break;
                }
            }
        }
        class_ancestry.push(chain);
    }

    // Drugs.
    let mut drug_ix = HashMap::new();
    for (i, (file, d)) in drugs.iter().enumerate() {
        let e = d.id.as_str();
        if !is_snake(e) {
            issues.push(issue(file, e, "id", "drug ids are snake_case"));
        }
        if drug_ix.insert(d.id.clone(), i).is_some() {
            issues.push(issue(file, e, "id", "duplicate drug id"));
        }
        for c in &d.classes {
            if !class_ix.contains_key(c) {
                issues.push(issue(file, e, "classes", format!("unknown class id `{c}`")));
            }
        }
        match (&d.controlled, &d.controlled_source) {
            (Some(_), None) => issues.push(issue(
                file,
                e,
                "controlled_source",
                "required when `controlled` is set",
            )),
            (_, Some(s)) => sc.check(s, file, e, "controlled_source", issues),
            _ => {}
        }
        for (k, p) in d.indications.iter().enumerate() {
            if !icd_pattern_is_valid(p) {
                issues.push(issue(
                    file,
                    e,
                    &format!("indications[{k}]"),
                    "expected an ICD-10 code, prefix or range like \"J01-J06\"",
                ));
            }
        }
        match (&d.indications_source, d.indications.is_empty()) {
            (None, false) => issues.push(issue(
                file,
                e,
                "indications_source",
                "required when indications are listed",
            )),
            (Some(s), _) => sc.check(s, file, e, "indications_source", issues),
            _ => {}
        }
        if let Some(a) = &d.adult {
            sc.check(&a.source, file, e, "adult.source", issues);
            check_amount_dims(
                a.dose_min.as_ref(),
                a.dose_max.as_ref(),
                (file, e, "adult.dose_min"),
                issues,
            );
            check_amount_dims(
                a.dose_max.as_ref(),
                a.max_daily.as_ref(),
                (file, e, "adult.dose_max"),
                issues,
            );
        }
        if let Some(p) = &d.paediatric {
            sc.check(&p.source, file, e, "paediatric.source", issues);
            for (lo, hi, name) in [
                (
                    p.mg_per_kg_dose_min,
                    p.mg_per_kg_dose_max,
                    "paediatric.mg_per_kg_dose_min",
                ),
                (
                    p.mg_per_kg_day_min,
                    p.mg_per_kg_day_max,
                    "paediatric.mg_per_kg_day_min",
                ),
            ] {
                if let (Some(lo), Some(hi)) = (lo, hi)
                    && lo > hi
                {
                    issues.push(issue(file, e, name, "minimum is above the maximum"));
                }
            }
            check_amount_dims(
                p.max_dose.as_ref(),
                p.max_daily.as_ref(),
                (file, e, "paediatric.max_dose"),
                issues,
            );
        }
        for (k, r) in d.age.iter().enumerate() {
            sc.check(&r.source, file, e, &format!("age[{k}].source"), issues);
        }
        for (k, r) in d.renal.iter().enumerate() {
            sc.check(&r.source, file, e, &format!("renal[{k}].source"), issues);
            if r.action == OrganAction::MaxDaily && r.max_daily.is_none() {
                issues.push(issue(
                    file,
                    e,
                    &format!("renal[{k}].max_daily"),
                    "required when action = \"max_daily\"",
                ));
            }
        }
        for (k, r) in d.hepatic.iter().enumerate() {
            sc.check(&r.source, file, e, &format!("hepatic[{k}].source"), issues);
        }
        if let Some(r) = &d.pregnancy {
            sc.check(&r.source, file, e, "pregnancy.source", issues);
        }
        if let Some(r) = &d.lactation {
            sc.check(&r.source, file, e, "lactation.source", issues);
        }
        if let Some(g) = &d.guidance {
            sc.check(&g.source, file, e, "guidance.source", issues);
        }
        check_mechanism_facts(d, file, &sc, issues);
        if d.contraindications.is_some() {
            issues.push(issue(
                file,
                e,
                "contraindications",
                format!("a drug's contraindication notes live in {CONTRAINDICATIONS_FILE}"),
            ));
        }
    }
    attach_contraindications(contraindications, &mut drugs, &drug_ix, &sc, issues);

    // Cross-reactivity and interactions.
    let mut cross_by_from: HashMap<Ref, Vec<usize>> = HashMap::new();
    let mut cross_to = Vec::with_capacity(cross.len());
    for (i, c) in cross.iter().enumerate() {
        let f = "classes.toml";
        let entry = c.from.as_str();
        sc.check(&c.source, f, entry, "source", issues);
        match parse_ref(&c.from, &drug_ix, &class_ix) {
            Ok(r) => cross_by_from.entry(r).or_default().push(i),
            Err(m) => issues.push(issue(f, entry, "from", m)),
        }
        let mut tos = Vec::new();
        for (k, t) in c.to.iter().enumerate() {
            match parse_ref(t, &drug_ix, &class_ix) {
                Ok(r) => tos.push(r),
                Err(m) => issues.push(issue(f, entry, &format!("to[{k}]"), m)),
            }
        }
        cross_to.push(tos);
    }
    let mut interaction_refs = Vec::with_capacity(interactions.len());
    check_grading(&grading, &sc, issues);
    for it in &interactions {
        let f = "interactions.toml";
        let entry = format!("{} + {}", it.a, it.b);
        sc.check(&it.source, f, &entry, "source", issues);
        if let Some(x) = &it.escalate {
            check_escalation(x, it.severity, &entry, issues);
        }
        let a = parse_ref(&it.a, &drug_ix, &class_ix);
        let b = parse_ref(&it.b, &drug_ix, &class_ix);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                interaction_refs.push((a, b));
            }
            (a, b) => {
                if let Err(m) = a {
                    issues.push(issue(f, &entry, "a", m));
                }
                if let Err(m) = b {
                    issues.push(issue(f, &entry, "b", m));
                }
                // Keep indexes aligned; never used because the pack is rejected.
                interaction_refs.push((Ref::Drug(usize::MAX), Ref::Drug(usize::MAX)));
            }
        }
    }

    let drug_classes: Vec<Vec<usize>> = drugs
        .iter()
        .map(|(_, d)| {
            let mut v: Vec<usize> = Vec::new();
            for c in &d.classes {
                if let Some(&ci) = class_ix.get(c) {
                    for &a in &class_ancestry[ci] {
                        if !v.contains(&a) {
                            v.push(a);
                        }
                    }
                }
            }
            v
        })
        .collect();
    let mut class_members = vec![Vec::new(); classes.len()];
    for (d, cs) in drug_classes.iter().enumerate() {
        for &c in cs {
            class_members[c].push(d);
        }
    }

    // Provenance: a product document is cited only for its own product.
    {
        let by_file: Vec<(&str, &Drug)> = drugs.iter().map(|d| (d.0.as_str(), &d.1)).collect();
        let cites = crate::provenance::citations(
            &by_file,
            &classes,
            &cross,
            &interactions,
            &drug_ix,
            &class_ix,
        );
        let by_id: HashMap<&str, &Source> = sources.iter().map(|s| (s.id.as_str(), s)).collect();
        let names = crate::provenance::SubjectNames {
            drugs: &by_file,
            classes: &classes,
            class_ix: &class_ix,
            class_members: &class_members,
        };
        crate::provenance::check_products(&cites, &by_id, &names, issues);
    }

    let drugs: Vec<Drug> = drugs.into_iter().map(|(_, d)| d).collect();
    let drug_props: Vec<u32> = drugs
        .iter()
        .map(|d| d.property.iter().fold(0u32, |m, p| m | p.name.bit()))
        .collect();
    let (pair_rules, interaction_specificity) =
        compile_pairs(&interaction_refs, drugs.len(), &class_members, &drug_props);

    let index = NameIndex::build(&drugs, &classes);
    for (name, targets) in index.conflicts() {
        issues.push(Issue {
            file: "drugs/".into(),
            line: None,
            entry: Some(name.clone()),
            field: Some("synonyms".into()),
            message: format!(
                "the name is used by more than one drug ({}); prescriptions could not name \
                 either unambiguously",
                targets.join(", ")
            ),
        });
    }

    let meta = meta?;
    Some(Pack {
        meta,
        content_hash,
        sources,
        classes,
        cross_reactivity: cross,
        interactions,
        grading,
        drugs,
        index,
        drug_ix,
        class_ix,
        drug_classes,
        class_members,
        class_ancestry,
        drug_props,
        pair_rules,
        interaction_refs,
        interaction_specificity,
        cross_by_from,
        cross_to,
    })
}

/// Dosage forms and release types, longest first so "缓释胶囊" goes before "胶囊".
const ZH_FORMS: &[&str] = &[
    "缓释胶囊",
    "肠溶胶囊",
    "缓释片",
    "控释片",
    "肠溶片",
    "分散片",
    "咀嚼片",
    "泡腾片",
    "口崩片",
    "干混悬剂",
    "混悬液",
    "口服溶液",
    "口服液",
    "颗粒剂",
    "颗粒",
    "胶囊",
    "糖浆",
    "注射液",
    "注射剂",
    "软膏",
    "乳膏",
    "凝胶",
    "滴眼液",
    "滴耳液",
    "滴鼻液",
    "气雾剂",
    "吸入剂",
    "粉雾剂",
    "喷雾剂",
    "贴剂",
    "栓剂",
    "滴剂",
    "散剂",
    "片剂",
    "片",
    "丸",
    "栓",
];
const ZH_SALTS: &[&str] = &[
    "盐酸",
    "硫酸",
    "苯磺酸",
    "马来酸",
    "琥珀酸",
    "酒石酸",
    "甲磺酸",
    "富马酸",
    "枸橼酸",
    "磷酸",
    "醋酸",
];
const EN_WORDS: &[&str] = &[
    "tablet",
    "tablets",
    "tab",
    "tabs",
    "capsule",
    "capsules",
    "cap",
    "caps",
    "er",
    "xr",
    "sr",
    "cr",
    "dr",
    "extended-release",
    "sustained-release",
    "delayed-release",
    "modified-release",
    "controlled-release",
    "enteric-coated",
    "oral",
    "suspension",
    "solution",
    "syrup",
    "granules",
    "injection",
    "cream",
    "ointment",
    "gel",
    "drops",
    "inhaler",
    "chewable",
    "dispersible",
    "for",
    "powder",
    "sachet",
    "sachets",
    "hydrochloride",
    "hcl",
    "sodium",
    "besylate",
    "besilate",
    "maleate",
    "succinate",
    "tartrate",
    "sulfate",
    "sulphate",
    "mesylate",
    "fumarate",
    "citrate",
    "phosphate",
    "hyclate",
    "monohydrate",
    "trihydrate",
    "dihydrate",
    "mg",
    "g",
    "mcg",
    "µg",
    "ml",
    "iu",
];

fn strip_product_words(name: &str) -> String {
    let mut s = name.trim().to_owned();
    // Strength tokens and everything in brackets ("(500 mg)", "（0.25g）").
    for (open, close) in [('(', ')'), ('（', '）'), ('[', ']')] {
        while let (Some(a), Some(b)) = (s.find(open), s.rfind(close)) {
            if b <= a {
                break;
            }
            s.replace_range(a..b + close.len_utf8(), " ");
        }
    }
    let words: Vec<String> = s
        .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
        .filter(|w| !w.is_empty())
        .filter(|w| !w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .filter(|w| !EN_WORDS.contains(&w.to_lowercase().as_str()))
        .map(str::to_owned)
        .collect();
    let mut out = words.join(" ");
    // Chinese: trailing strength ("阿莫西林胶囊0.25g"), form suffix, salt prefix.
    if let Some(i) = out.find(|c: char| c.is_ascii_digit()).filter(|i| *i > 0)
        && !out[..i].is_ascii()
    {
        out.truncate(i);
    }
    let mut changed = true;
    while changed {
        changed = false;
        for f in ZH_FORMS {
            if let Some(rest) = out.strip_suffix(f)
                && !rest.is_empty()
            {
                out = rest.to_owned();
                changed = true;
            }
        }
    }
    for p in ZH_SALTS {
        if let Some(rest) = out.strip_prefix(p)
            && !rest.is_empty()
        {
            out = rest.to_owned();
            break;
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::strip_product_words;

    #[test]
    fn product_names_reduce_to_the_ingredient() {
        assert_eq!(strip_product_words("阿莫西林胶囊"), "阿莫西林");
        assert_eq!(strip_product_words("盐酸二甲双胍缓释片"), "二甲双胍");
        assert_eq!(strip_product_words("布洛芬缓释胶囊 0.3g"), "布洛芬");
        assert_eq!(strip_product_words("阿莫西林胶囊0.25g"), "阿莫西林");
        assert_eq!(
            strip_product_words("metformin hydrochloride 500 mg tablets"),
            "metformin"
        );
        assert_eq!(
            strip_product_words("Amoxicillin Capsules (500 mg)"),
            "Amoxicillin"
        );
        assert_eq!(
            strip_product_words("cefixime for oral suspension"),
            "cefixime"
        );
    }
}
