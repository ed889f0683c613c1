//! Provenance rules (issue 14, data-sources.md "What counts as a source"): every source is a
//! primary document of a known kind, carries the identifier that kind needs, links only to
//! the publisher's own host, ships under an allowed licence; a product document (label,
//! SmPC) is cited only for the product it is about. Also counts how many fact citations rest
//! on a primary source.

use std::collections::{BTreeMap, HashMap};

use crate::error::Issue;
use crate::schema::{Class, CrossReactivity, Drug, Interaction, Source, SourceKind};

/// The licences a source may carry, written exactly like this (SCHEMA.md). Anything else —
/// a vendor's terms, "patient-information page", "© …" — is rejected.
pub const ALLOWED_LICENCES: &[&str] = &[
    "Public domain (US government work)",
    "CC0 1.0",
    "CC BY 4.0",
    "CC BY 3.0",
    "MIT",
    "Apache-2.0",
    "statute (facts of law)",
    "facts cited, no text reproduced",
];

pub const PUBLIC_DOMAIN_US: &str = "Public domain (US government work)";
pub const STATUTE: &str = "statute (facts of law)";
pub const FACTS_CITED: &str = "facts cited, no text reproduced";

/// Hosts (and their subdomains) a URL of each kind may point at: the publisher's own.
pub fn allowed_hosts(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::FdaLabel => &["dailymed.nlm.nih.gov", "api.fda.gov", "fda.gov"],
        SourceKind::Smpc => &[
            "ema.europa.eu",
            "ec.europa.eu",
            "medicines.org.uk",
            "mhra.gov.uk",
        ],
        SourceKind::CnLabel => &["nmpa.gov.cn"],
        SourceKind::Regulation => &[
            "gov.cn",
            "fda.gov",
            "federalregister.gov",
            "ecfr.gov",
            "ema.europa.eu",
            "ec.europa.eu",
            "gov.uk",
            "govt.nz",
            "ansm.sante.fr",
        ],
        SourceKind::Guideline | SourceKind::Paper => &[
            "doi.org",
            "ncbi.nlm.nih.gov",
            "nejm.org",
            "acpjournals.org",
            "jamanetwork.com",
            "bmj.com",
            "thelancet.com",
            "sciencedirect.com",
            "wiley.com",
            "springer.com",
            "oup.com",
            "ahajournals.org",
            "jacionline.org",
            "jaci-inpractice.org",
            "yiigle.com",
            "who.int",
        ],
    }
}

/// The host of an http(s) URL, lowercased; `None` when it is not an http(s) URL.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host.split(':').next().unwrap_or(host);
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

fn host_allowed(host: &str, allowed: &[&str]) -> bool {
    allowed
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// "8dfbaa75-87ba-4a6b-a2db-176441a842af".
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_doi(s: &str) -> bool {
    s.starts_with("10.") && s.contains('/') && !s.contains(char::is_whitespace)
}

fn is_pmid(s: &str) -> bool {
    !s.is_empty() && s.len() <= 9 && s.chars().all(|c| c.is_ascii_digit())
}

/// "YYYY-MM" or "YYYY-MM-DD".
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (b.len() == 7 || b.len() == 10)
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && (b.len() == 7 || (b[7] == b'-' && digits(8..10)))
}

fn present(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.trim().is_empty())
}

/// Whether a source without a `kind` is an error. Every source of the shipped pack has one.
pub const KIND_REQUIRED: bool = false;

/// Check one source entry; issues name `sources.toml`, the source id and the field.
pub fn check_source(s: &Source, issues: &mut Vec<Issue>) {
    let f = "sources.toml";
    let push = |issues: &mut Vec<Issue>, field: &str, m: String| {
        issues.push(Issue {
            file: f.to_owned(),
            line: None,
            entry: Some(s.id.clone()),
            field: Some(field.to_owned()),
            message: m,
        })
    };
    let licence = s.licence.trim();
    if !ALLOWED_LICENCES.contains(&licence) {
        push(
            issues,
            "licence",
            format!(
                "licence `{licence}` is not in the allowed list ({})",
                ALLOWED_LICENCES.join(" | ")
            ),
        );
    }
    let Some(kind) = s.kind else {
        if KIND_REQUIRED {
            push(
                issues,
                "kind",
                "every source needs a kind: fda_label, smpc, cn_label, regulation, guideline \
                 or paper (a page that is none of these is not a source)"
                    .into(),
            );
        }
        return;
    };
    let k = kind.as_str();
    match kind {
        SourceKind::FdaLabel => {
            match s.setid.as_deref() {
                None => push(
                    issues,
                    "setid",
                    format!("a {k} source needs its SPL set id"),
                ),
                Some(id) if !is_uuid(id) => push(
                    issues,
                    "setid",
                    format!("`{id}` is not an SPL set id (UUID 8-4-4-4-12 hex)"),
                ),
                Some(_) => {}
            }
            if licence != PUBLIC_DOMAIN_US {
                push(
                    issues,
                    "licence",
                    format!("an FDA label is `{PUBLIC_DOMAIN_US}`"),
                );
            }
        }
        SourceKind::Smpc => {
            if !present(&s.product) {
                push(issues, "product", format!("a {k} source names its product"));
            }
            if !present(&s.authorisation) {
                push(
                    issues,
                    "authorisation",
                    format!("a {k} source needs its EMA procedure or PL number"),
                );
            }
        }
        SourceKind::CnLabel => {
            if !present(&s.product) {
                push(issues, "product", format!("a {k} source names its product"));
            }
            if !present(&s.manufacturer) {
                push(
                    issues,
                    "manufacturer",
                    format!("a {k} source names its manufacturer"),
                );
            }
            match s.revised.as_deref() {
                Some(d) if is_date(d) => {}
                _ => push(
                    issues,
                    "revised",
                    format!("a {k} source needs its revision date (YYYY-MM or YYYY-MM-DD)"),
                ),
            }
        }
        SourceKind::Regulation => {
            if !present(&s.document) {
                push(
                    issues,
                    "document",
                    format!("a {k} source needs its document number and/or date"),
                );
            }
            if ![STATUTE, PUBLIC_DOMAIN_US, FACTS_CITED].contains(&licence) {
                push(
                    issues,
                    "licence",
                    format!(
                        "a {k} is `{STATUTE}`, `{PUBLIC_DOMAIN_US}` (a US regulator's \
                         document) or `{FACTS_CITED}` (another regulator's)"
                    ),
                );
            }
        }
        SourceKind::Guideline | SourceKind::Paper => {
            let doi_ok = s.doi.as_deref().is_some_and(is_doi);
            let pmid_ok = s.pmid.as_deref().is_some_and(is_pmid);
            if let Some(d) = s.doi.as_deref()
                && !is_doi(d)
            {
                push(issues, "doi", format!("`{d}` is not a DOI (10.…/…)"));
            }
            if let Some(p) = s.pmid.as_deref()
                && !is_pmid(p)
            {
                push(issues, "pmid", format!("`{p}` is not a PubMed id"));
            }
            if !doi_ok && !pmid_ok && s.doi.is_none() && s.pmid.is_none() {
                push(issues, "doi", format!("a {k} source needs a DOI or a PMID"));
            }
        }
    }
    if let Some(url) = s.url.as_deref() {
        match url_host(url) {
            None => push(issues, "url", format!("`{url}` is not an http(s) URL")),
            Some(host) => {
                let allowed = allowed_hosts(kind);
                if !host_allowed(&host, allowed) {
                    push(
                        issues,
                        "url",
                        format!(
                            "host `{host}` is not the publisher's own for a {k} source \
                             (allowed: {})",
                            allowed.join(", ")
                        ),
                    );
                } else if kind == SourceKind::FdaLabel
                    && (host == "dailymed.nlm.nih.gov" || host == "api.fda.gov")
                    && let Some(setid) = s.setid.as_deref()
                    && !url
                        .to_ascii_lowercase()
                        .contains(&setid.to_ascii_lowercase())
                {
                    push(
                        issues,
                        "url",
                        "the URL does not open the label of this set id".into(),
                    );
                }
            }
        }
    }
}

/// The source ids a citation string names: the first word of each `;`-separated part (a `;`
/// inside brackets belongs to the locator).
pub fn cited_ids(citation: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = citation.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b';' if depth <= 0 => {
                out.extend(citation[start..i].split_whitespace().next());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.extend(citation[start..].split_whitespace().next());
    out
}

/// What a citation is about: the drugs and classes whose product document may support it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Drug(usize),
    Class(usize),
}

/// One fact citation in the pack.
#[derive(Debug, Clone)]
pub struct Citation<'a> {
    pub file: &'a str,
    pub entry: String,
    pub field: String,
    pub text: &'a str,
    /// Empty when unknown (an unresolved reference; reported elsewhere).
    pub subjects: Vec<Subject>,
}

fn parse_subject(
    r: &str,
    drug_ix: &HashMap<String, usize>,
    class_ix: &HashMap<String, usize>,
) -> Option<Subject> {
    if let Some(id) = r.strip_prefix("drug:") {
        drug_ix.get(id).map(|&i| Subject::Drug(i))
    } else {
        r.strip_prefix("class:")
            .and_then(|id| class_ix.get(id))
            .map(|&i| Subject::Class(i))
    }
}

/// Every fact citation of the pack (drug facts including the contraindication notes
/// attached from contraindications.toml, class sources, cross-reactivity, interactions)
/// in file order.
pub fn citations<'a>(
    drugs: &[(&'a str, &'a Drug)],
    classes: &'a [Class],
    cross: &'a [CrossReactivity],
    interactions: &'a [Interaction],
    drug_ix: &HashMap<String, usize>,
    class_ix: &HashMap<String, usize>,
) -> Vec<Citation<'a>> {
    let mut out = Vec::new();
    for (i, (file, d)) in drugs.iter().enumerate() {
        let mut add = |field: String, text: &'a str| {
            out.push(Citation {
                file,
                entry: d.id.clone(),
                field,
                text,
                subjects: vec![Subject::Drug(i)],
            })
        };
        if let Some(s) = &d.controlled_source {
            add("controlled_source".into(), s);
        }
        if let Some(s) = &d.indications_source {
            add("indications_source".into(), s);
        }
        if let Some(a) = &d.adult {
            add("adult.source".into(), &a.source);
        }
        if let Some(p) = &d.paediatric {
            add("paediatric.source".into(), &p.source);
        }
        for (k, r) in d.age.iter().enumerate() {
            add(format!("age[{k}].source"), &r.source);
        }
        for (k, r) in d.renal.iter().enumerate() {
            add(format!("renal[{k}].source"), &r.source);
        }
        for (k, r) in d.hepatic.iter().enumerate() {
            add(format!("hepatic[{k}].source"), &r.source);
        }
        if let Some(r) = &d.pregnancy {
            add("pregnancy.source".into(), &r.source);
        }
        if let Some(r) = &d.lactation {
            add("lactation.source".into(), &r.source);
        }
        if let Some(g) = &d.guidance {
            add("guidance.source".into(), &g.source);
        }
        for (k, r) in d.property.iter().enumerate() {
            add(format!("property[{k}].source"), &r.source);
        }
        for (k, r) in d.genotype.iter().enumerate() {
            add(format!("genotype[{k}].source"), &r.source);
        }
        for (k, r) in d.schedule.iter().enumerate() {
            add(format!("schedule[{k}].source"), &r.source);
        }
        for (k, r) in d.paediatric_regimen.iter().enumerate() {
            add(format!("paediatric_regimen[{k}].source"), &r.source);
        }
        // Attached from contraindications.toml: reported against that file.
        if let Some(c) = &d.contraindications {
            out.push(Citation {
                file: crate::pack::CONTRAINDICATIONS_FILE,
                entry: d.id.clone(),
                field: "source".into(),
                text: &c.source,
                subjects: vec![Subject::Drug(i)],
            });
        }
    }
    for (i, c) in classes.iter().enumerate() {
        if let Some(s) = &c.source {
            out.push(Citation {
                file: "classes.toml",
                entry: c.id.clone(),
                field: "source".into(),
                text: s,
                subjects: vec![Subject::Class(i)],
            });
        }
    }
    for c in cross {
        let mut subjects: Vec<Subject> = Vec::new();
        subjects.extend(parse_subject(&c.from, drug_ix, class_ix));
        subjects.extend(
            c.to.iter()
                .filter_map(|t| parse_subject(t, drug_ix, class_ix)),
        );
        out.push(Citation {
            file: "classes.toml",
            entry: c.from.clone(),
            field: "source".into(),
            text: &c.source,
            subjects,
        });
    }
    for it in interactions {
        let subjects = [&it.a, &it.b]
            .iter()
            .filter_map(|r| parse_subject(r, drug_ix, class_ix))
            .collect();
        out.push(Citation {
            file: "interactions.toml",
            entry: format!("{} + {}", it.a, it.b),
            field: "source".into(),
            text: &it.source,
            subjects,
        });
    }
    out
}

fn tokens(name: &str) -> Vec<String> {
    name.to_lowercase()
        .split(|c: char| c.is_whitespace() || matches!(c, '/' | '+' | '_' | ',' | '(' | ')'))
        .filter(|t| !t.is_empty() && *t != "and" && *t != "&")
        .map(str::to_owned)
        .collect()
}

/// Whether `title` names `name`: every word of the name appears in it (so "insulin
/// glargine" is not named by an "insulin human" label).
fn names(title: &str, name: &str) -> bool {
    let t = tokens(name);
    !t.is_empty() && t.iter().all(|w| title.contains(w.as_str()))
}

/// The names a product document for this subject may use: for a drug its id, INN, Chinese
/// name, synonyms and the names of its classes; for a class its names and its members'.
#[derive(Debug)]
pub struct SubjectNames<'a> {
    pub drugs: &'a [(&'a str, &'a Drug)],
    pub classes: &'a [Class],
    pub class_ix: &'a HashMap<String, usize>,
    /// Per class: the drugs in it (with sub-classes).
    pub class_members: &'a [Vec<usize>],
}

impl SubjectNames<'_> {
    fn drug_names(&self, i: usize, out: &mut Vec<String>) {
        let d = self.drugs[i].1;
        out.push(d.id.clone());
        out.push(d.inn.clone());
        out.push(d.zh.clone());
        out.extend(d.synonyms.iter().cloned());
        for c in &d.classes {
            if let Some(&ci) = self.class_ix.get(c) {
                self.class_names(ci, out);
            }
        }
    }

    fn class_names(&self, ci: usize, out: &mut Vec<String>) {
        let c = &self.classes[ci];
        out.push(c.id.clone());
        out.push(c.en.clone());
        out.push(c.zh.clone());
        out.extend(c.synonyms.iter().cloned());
    }

    fn accepts(&self, subject: Subject, title: &str) -> bool {
        let mut n = Vec::new();
        match subject {
            Subject::Drug(i) => self.drug_names(i, &mut n),
            Subject::Class(ci) => {
                self.class_names(ci, &mut n);
                for &m in &self.class_members[ci] {
                    let d = self.drugs[m].1;
                    n.push(d.id.clone());
                    n.push(d.inn.clone());
                    n.push(d.zh.clone());
                    n.extend(d.synonyms.iter().cloned());
                }
            }
        }
        n.iter().any(|name| names(title, name))
    }
}

/// A product document (label, SmPC) cited for a fact must be about the fact's drug (or one
/// of the drugs or classes an interaction or cross-reactivity names).
pub fn check_products(
    cites: &[Citation<'_>],
    sources: &HashMap<&str, &Source>,
    names_of: &SubjectNames<'_>,
    issues: &mut Vec<Issue>,
) {
    for c in cites {
        if c.subjects.is_empty() {
            continue;
        }
        for id in cited_ids(c.text) {
            let Some(s) = sources.get(id) else { continue };
            let Some(kind) = s.kind else { continue };
            if !kind.is_product_document() {
                continue;
            }
            let title = s.title.to_lowercase();
            if !c.subjects.iter().any(|&sub| names_of.accepts(sub, &title)) {
                let what = c
                    .subjects
                    .iter()
                    .map(|sub| match *sub {
                        Subject::Drug(i) => names_of.drugs[i].1.id.clone(),
                        Subject::Class(ci) => format!("class {}", names_of.classes[ci].id),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                issues.push(Issue {
                    file: c.file.to_owned(),
                    line: None,
                    entry: Some(c.entry.clone()),
                    field: Some(c.field.clone()),
                    message: format!(
                        "source `{id}` is a {} for another product: its title \"{}\" names \
                         none of the names or classes of {what}",
                        kind.as_str(),
                        s.title
                    ),
                });
            }
        }
    }
}

/// How many fact citations rest on primary sources, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CitationStats {
    pub total: usize,
    /// Citations every cited id of which is a source with a kind.
    pub primary: usize,
    /// Cited ids by the kind of their source ("none" for a source without a kind).
    pub by_kind: BTreeMap<String, usize>,
}

impl CitationStats {
    pub fn primary_share(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.primary as f64 / self.total as f64
        }
    }
}

pub fn citation_stats(cites: &[Citation<'_>], sources: &HashMap<&str, &Source>) -> CitationStats {
    let mut st = CitationStats::default();
    for c in cites {
        st.total += 1;
        let mut all_primary = true;
        let ids = cited_ids(c.text);
        for id in &ids {
            let kind = sources.get(id).and_then(|s| s.kind);
            let key = kind.map_or("none", SourceKind::as_str);
            *st.by_kind.entry(key.to_owned()).or_default() += 1;
            all_primary &= kind.is_some();
        }
        if all_primary && !ids.is_empty() {
            st.primary += 1;
        }
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ids() {
        assert_eq!(
            url_host("https://DailyMed.nlm.nih.gov/dailymed/x?setid=1").as_deref(),
            Some("dailymed.nlm.nih.gov")
        );
        assert_eq!(url_host("ftp://x"), None);
        assert!(host_allowed(
            "www.fda.gov",
            allowed_hosts(SourceKind::FdaLabel)
        ));
        assert!(!host_allowed(
            "www.droracle.ai",
            allowed_hosts(SourceKind::FdaLabel)
        ));
        assert!(!host_allowed(
            "notfda.gov.evil.com",
            allowed_hosts(SourceKind::FdaLabel)
        ));
        assert!(is_uuid("8dfbaa75-87ba-4a6b-a2db-176441a842af"));
        assert!(!is_uuid("8dfbaa75-87ba-4a6b-a2db-176441a842a"));
        assert!(is_date("2024-05") && is_date("2024-05-07") && !is_date("2024/05/07"));
        assert_eq!(
            cited_ids("a §2 (x; y); b Table 2"),
            vec!["a", "b"],
            "a `;` inside brackets is part of the locator"
        );
        assert!(names(
            "amoxicillin and clavulanate potassium tablets",
            "amoxicillin_clavulanate"
        ));
        assert!(!names("insulin human injection", "insulin glargine"));
    }
}
