//! The formulary's errors. Each issue names the file, the entry id and the field, so a data
//! author can fix it without a debugger; they carry no patient data (the pack has none).

use std::fmt;

/// One problem found in the pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Path relative to the pack directory, e.g. `drugs/anti_infective.toml`.
    pub file: String,
    /// 1-based line when known (syntax and type errors).
    pub line: Option<usize>,
    /// The entry's id (`amoxicillin`, `penicillins`, `fda-amoxicillin`, `warfarin + nsaids`).
    pub entry: Option<String>,
    /// The field, dotted for sub-tables (`adult.dose_min`, `renal[1].source`).
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(":")?;
        if let Some(entry) = &self.entry {
            write!(f, " entry `{entry}`")?;
        }
        if let Some(field) = &self.field {
            if self.entry.is_some() {
                f.write_str(",")?;
            }
            write!(f, " field `{field}`")?;
        }
        if self.entry.is_some() || self.field.is_some() {
            f.write_str(":")?;
        }
        write!(f, " {}", self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FormularyError {
    /// A pack file could not be read.
    #[error("pack_unreadable: {file}: {message}")]
    Unreadable { file: String, message: String },
    /// The pack was read but breaks the schema; every issue found is listed.
    #[error("pack_invalid: {} issue(s)\n{}", .0.len(), IssueList(.0))]
    Invalid(Vec<Issue>),
}

impl FormularyError {
    /// The stable code a front can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            FormularyError::Unreadable { .. } => "pack_unreadable",
            FormularyError::Invalid(_) => "pack_invalid",
        }
    }

    pub fn issues(&self) -> &[Issue] {
        match self {
            FormularyError::Invalid(v) => v,
            FormularyError::Unreadable { .. } => &[],
        }
    }
}

struct IssueList<'a>(&'a [Issue]);

impl fmt::Display for IssueList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  {issue}")?;
        }
        Ok(())
    }
}
