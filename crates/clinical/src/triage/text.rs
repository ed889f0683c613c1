//! Complaint text as triage reads it: normalised (case, full-width forms), searched for
//! keywords that are not negated ("无发热", "denies chest pain"), and for a temperature the
//! patient typed ("体温38.9℃").

/// Lower-case, full-width ASCII folded to half-width, ideographic space to space.
pub fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words that negate what follows them within the same clause.
const NEGATIONS: &[&str] = &[
    "无", "没", "否认", "未", "不伴", "no ", "denies ", "deny ", "without ", "not ",
];

/// Characters that end a clause: a negation before one of them does not reach past it.
fn ends_clause(c: char) -> bool {
    matches!(
        c,
        ',' | '，' | '。' | '.' | ';' | '；' | '!' | '！' | '?' | '？' | '、' | '\n' | ':' | '：'
    )
}

/// Whether `keyword` (already normalised) occurs in `text` (normalised) at least once
/// without a negation earlier in its clause.
pub fn mentions(text: &str, keyword: &str) -> bool {
    if keyword.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(pos) = text[from..].find(keyword) {
        let at = from + pos;
        if !negated(&text[..at]) {
            return true;
        }
        from = at + keyword.len();
    }
    false
}

fn negated(before: &str) -> bool {
    let clause_start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| ends_clause(c))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let clause = &before[clause_start..];
    // Chinese negation binds to the next few characters ("无明显胸痛"); English to the
    // next few words ("no fever or chest pain").
    let tail: String = {
        let chars: Vec<char> = clause.chars().collect();
        let keep = if chars.iter().any(|c| c.is_ascii_alphabetic()) {
            40
        } else {
            6
        };
        chars[chars.len().saturating_sub(keep)..].iter().collect()
    };
    NEGATIONS.iter().any(|n| tail.contains(n))
}

/// A body temperature in °C written in the complaint: a number between 34 and 43 followed
/// by ℃, °c, 度 or preceded by 体温/t. Returns the highest one found.
pub fn temperature_c(text: &str) -> Option<f64> {
    let chars: Vec<char> = text.chars().collect();
    let mut best: Option<f64> = None;
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            let after: String = chars[i..chars.len().min(i + 3)].iter().collect();
            let before: String = chars[start.saturating_sub(4)..start].iter().collect();
            let unit_after = after.trim_start().starts_with('℃')
                || after.trim_start().starts_with("°c")
                || after.trim_start().starts_with('度');
            let label_before =
                before.contains("体温") || before.ends_with("t ") || before.ends_with("t:");
            if let Ok(v) = number.parse::<f64>()
                && (34.0..=43.0).contains(&v)
                && (unit_after || label_before)
            {
                best = Some(best.map_or(v, |b: f64| b.max(v)));
            }
        } else {
            i += 1;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negated_mentions_do_not_count() {
        let t = normalise("咽痛两天，无发热，无明显胸痛");
        assert!(mentions(&t, "咽痛"));
        assert!(!mentions(&t, "发热"));
        assert!(!mentions(&t, "胸痛"));
        let t = normalise("Sore throat. Denies chest pain, has fever");
        assert!(!mentions(&t, "chest pain"));
        assert!(mentions(&t, "fever"));
        // A negation in an earlier clause does not reach a later one.
        let t = normalise("无发热，胸痛半小时");
        assert!(mentions(&t, "胸痛"));
        // Mentioned twice, once negated and once not: it counts.
        let t = normalise("昨天无胸痛，今天胸痛");
        assert!(mentions(&t, "胸痛"));
    }

    #[test]
    fn full_width_and_case_are_folded() {
        assert_eq!(normalise("ＣＨＥＳＴ　Pain"), "chest pain");
    }

    #[test]
    fn temperatures_are_read_from_text() {
        assert_eq!(temperature_c("发热两天，体温38.9℃，咳嗽"), Some(38.9));
        assert_eq!(temperature_c("最高39度"), Some(39.0));
        assert_eq!(temperature_c(&normalise("T 38.6, cough")), Some(38.6));
        assert_eq!(temperature_c("咳嗽3天，吃了2片药"), None);
        assert_eq!(temperature_c("血压150/90"), None);
    }
}
