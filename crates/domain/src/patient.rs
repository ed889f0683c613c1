//! Patients as the workstation shows them: de-identified (R-REC-1, R-REC-2).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The platform's patient id. Opaque; never derived from the ID-card number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(transparent)]
pub struct PatientId(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

/// A name fit for a screen or a log: the family name (first character) kept, every other
/// character replaced by `*` (张三丰 → 张**, "Jane Doe" → "J*******"). R-REC-1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(transparent)]
pub struct MaskedName(String);

impl MaskedName {
    pub fn from_full_name(full: &str) -> Self {
        let trimmed = full.trim();
        let mut chars = trimmed.chars();
        let masked = match chars.next() {
            None => String::new(),
            Some(first) => {
                let rest = chars.count().max(1);
                let mut s = String::with_capacity(first.len_utf8() + rest);
                s.push(first);
                s.extend(std::iter::repeat_n('*', rest));
                s
            }
        };
        Self(masked)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_only_the_first_character() {
        for (full, masked) in [
            ("张三丰", "张**"),
            ("李四", "李*"),
            ("王", "王*"),
            ("  Jane Doe ", "J*******"),
            ("", ""),
        ] {
            assert_eq!(
                MaskedName::from_full_name(full).as_str(),
                masked,
                "{full:?}"
            );
        }
    }
}
