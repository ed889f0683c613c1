//! ICD-10 codes and ranges as rules use them: "J02.9" matches "J02" (a prefix) and
//! "J01-J06" (a range of categories). Dots and case are ignored.

/// A code prefix or an inclusive range of prefixes of equal length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icd10Range {
    lo: String,
    hi: String,
}

fn normalise(code: &str) -> String {
    code.trim()
        .chars()
        .filter(|c| *c != '.')
        .flat_map(char::to_uppercase)
        .collect()
}

fn well_formed(code: &str) -> bool {
    let mut chars = code.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && code.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric())
}

impl Icd10Range {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (lo, hi) = match text.split_once('-') {
            Some((lo, hi)) => (normalise(lo), normalise(hi)),
            None => (normalise(text), normalise(text)),
        };
        if !well_formed(&lo) || !well_formed(&hi) {
            return Err(format!(
                "`{text}` is not an ICD-10 code or range like `J02` or `J01-J06`"
            ));
        }
        if lo.len() != hi.len() || lo > hi {
            return Err(format!(
                "`{text}`: a range needs two codes of the same length, low to high"
            ));
        }
        Ok(Self { lo, hi })
    }

    pub fn contains(&self, code: &str) -> bool {
        let code = normalise(code);
        // A written (non-code) diagnosis such as "急性扁桃体炎" is in no range; slicing it
        // by bytes would split a character.
        let Some(head) = code.get(..self.lo.len()) else {
            return false;
        };
        self.lo.as_str() <= head && head <= self.hi.as_str()
    }
}

/// Whether `code` falls in any of `ranges` (unparseable ranges never match; validate them
/// when the data loads).
pub fn matches_any(code: &str, ranges: &[String]) -> bool {
    ranges
        .iter()
        .filter_map(|r| Icd10Range::parse(r).ok())
        .any(|r| r.contains(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_ranges() {
        let cases = [
            ("J02", "J02.9", true),
            ("J02", "j029", true),
            ("J02", "J03.0", false),
            ("J01-J06", "J06.9", true),
            ("J01-J06", "J00", false),
            ("J02", "急性扁桃体炎", false),
            ("J02", "J0", false),
            ("I10-I15", "I11.9", true),
            ("I10-I15", "I20", false),
            ("N39.0", "N39.0", true),
            ("N39.0", "N39.4", false),
            ("E10-E14", "E11.65", true),
        ];
        for (range, code, expected) in cases {
            let r = Icd10Range::parse(range).expect("valid range");
            assert_eq!(r.contains(code), expected, "{range} ∋ {code}");
        }
    }

    #[test]
    fn malformed_ranges_are_named() {
        for bad in ["", "10", "J06-J01", "J1-J100", "J0?"] {
            let err = Icd10Range::parse(bad).unwrap_err();
            assert!(err.contains(bad) || bad.is_empty(), "{err}");
        }
    }
}
