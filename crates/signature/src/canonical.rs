//! RFC 8785 JSON Canonicalization Scheme (JCS): one byte string per JSON value, so a
//! signature covers exactly what was signed whatever order or spacing a transport used.
//!
//! Object members are sorted by their names' UTF-16 code units (the workspace builds
//! serde_json with `preserve_order`, so maps arrive in insertion order and are sorted here),
//! there is no whitespace, strings escape only `"`, `\` and U+0000–U+001F, and numbers take
//! the ECMAScript Number-to-String form.
//!
//! One deliberate narrowing of RFC 8785: an integer beyond ±2^53 that the nearest double
//! would print differently (9007199254740993, u64::MAX) is refused
//! ([`Error::NumberOutOfRange`]) rather than rounded, because rounding would let two
//! different documents sign as the same bytes.

use serde::Serialize;
use serde_json::Value;

use crate::Error;

/// The largest integer every IEEE 754 double below it represents exactly (2^53).
const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// The canonical bytes of `value`.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value)?;
    Ok(out)
}

/// The canonical bytes of any serializable value (through its `serde_json::Value` form).
pub fn to_vec_of<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let value = serde_json::to_value(value).map_err(|e| Error::Encoding(e.to_string()))?;
    to_vec(&value)
}

fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), Error> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_json_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, name);
                out.push(b':');
                write_value(out, item)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_json_number(out: &mut Vec<u8>, n: &serde_json::Number) -> Result<(), Error> {
    let integer = if let Some(u) = n.as_u64() {
        Some((u <= MAX_EXACT_INTEGER, u.to_string(), u as f64))
    } else {
        n.as_i64().map(|i| {
            (
                i.unsigned_abs() <= MAX_EXACT_INTEGER,
                i.to_string(),
                i as f64,
            )
        })
    };
    match integer {
        Some((true, text, _)) => out.extend_from_slice(text.as_bytes()),
        // Beyond 2^53 an integer is kept only when its double prints as the same digits
        // (e.g. 100000000000000000000, which canonical JSON itself produces for 1e20).
        Some((false, text, double)) => {
            if number(double)? != text {
                return Err(Error::NumberOutOfRange);
            }
            out.extend_from_slice(text.as_bytes());
        }
        None => {
            let f = n.as_f64().ok_or(Error::NumberNotFinite)?;
            out.extend_from_slice(number(f)?.as_bytes());
        }
    }
    Ok(())
}

/// The ECMAScript Number-to-String form of `value` (ECMA-262 §6.1.6.1.20, RFC 8785 §3.2.2.3):
/// the shortest digits that round-trip, integers without a fraction, and the exponent form
/// below 1e-6 and from 1e21 on (`1e+21`, `1e-7`).
pub fn number(value: f64) -> Result<String, Error> {
    if !value.is_finite() {
        return Err(Error::NumberNotFinite);
    }
    if value == 0.0 {
        // Both zeros, as ECMAScript prints them.
        return Ok("0".to_owned());
    }
    // Ryu prints the shortest digits that round-trip, the closest of them, ties to even:
    // the digit string ECMAScript asks for (Rust's `{:e}` rounds such ties up instead, e.g.
    // 1424953923781206.25). Only its layout differs, so take digits and exponent from it.
    let mut buffer = ryu::Buffer::new();
    let (digits, n) = digits_and_exponent(buffer.format_finite(value.abs()))?;
    let k = i32::try_from(digits.len()).map_err(|_| Error::Encoding("too many digits".into()))?;

    let mut out = String::with_capacity(32);
    if value < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        out.push_str(&(n - 1).abs().to_string());
    }
    Ok(out)
}

/// Splits a plain decimal (`123.45`, `1.5e-7`, `1e16`) into its significant digits `s` and
/// the ECMAScript exponent `n` with value = 0.s × 10^n.
fn digits_and_exponent(text: &str) -> Result<(String, i32), Error> {
    let unexpected = || Error::Encoding("unexpected float form".to_owned());
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            (mantissa, exponent.parse::<i32>().map_err(|_| unexpected())?)
        }
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = int.chars().chain(frac.chars()).collect();
    if all.is_empty() || !all.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unexpected());
    }
    let int_len = i32::try_from(int.len()).map_err(|_| unexpected())?;
    let leading = all.bytes().take_while(|b| *b == b'0').count();
    let digits = all[leading..].trim_end_matches('0').to_owned();
    if digits.is_empty() {
        return Err(unexpected());
    }
    let leading = i32::try_from(leading).map_err(|_| unexpected())?;
    Ok((digits, exponent + int_len - leading))
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &byte in s.as_bytes() {
        // Multi-byte UTF-8 sequences never contain bytes below 0x80, so a byte-wise pass
        // copies every non-ASCII character through unchanged, as JCS requires.
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x00..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0x0f)]);
            }
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_beyond_two_to_the_53_are_refused_not_rounded() {
        let ok = serde_json::json!([9007199254740992_u64, -9007199254740992_i64]);
        assert_eq!(
            to_vec(&ok).unwrap(),
            b"[9007199254740992,-9007199254740992]"
        );
        // 2^60 is a double, but ECMAScript prints it as 1152921504606847000.
        let exact = serde_json::json!([100000000000000000000.0_f64, 10000000000000000000_u64]);
        assert_eq!(
            to_vec(&exact).unwrap(),
            b"[100000000000000000000,10000000000000000000]"
        );
        for bad in [
            serde_json::json!(9007199254740993_u64),
            serde_json::json!(-9007199254740993_i64),
            serde_json::json!(1_u64 << 60),
            serde_json::json!(u64::MAX),
        ] {
            assert_eq!(to_vec(&bad).unwrap_err().code(), "number_out_of_range");
        }
    }

    #[test]
    fn non_finite_numbers_are_refused() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(number(f).unwrap_err().code(), "number_not_finite");
        }
    }
}
