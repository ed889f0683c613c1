//! Time-based one-time passwords (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits): the
//! administrator's second factor (R-ROLE-3), checked offline by the workstation and at
//! sign-in by the platform. Pure: the secret and the instant in.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: u32 = 6;
/// Codes from one step before and after are accepted (clock drift between the phone and
/// the workstation), as RFC 6238 §5.2 recommends at most.
pub const DRIFT_STEPS: u64 = 1;

/// The code for `unix_seconds` (RFC 4226 HOTP over the RFC 6238 time counter).
pub fn code_at(secret: &[u8], unix_seconds: u64, digits: u32) -> u32 {
    hotp(secret, unix_seconds / STEP_SECONDS, digits)
}

fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for HMAC.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = (u32::from(digest[offset]) & 0x7f) << 24
        | u32::from(digest[offset + 1]) << 16
        | u32::from(digest[offset + 2]) << 8
        | u32::from(digest[offset + 3]);
    binary % 10u32.pow(digits)
}

/// Whether `code` (as typed: 6 digits, spaces ignored) is valid at `unix_seconds` within
/// the allowed drift. Returns the matched time step so the caller can refuse a replay of
/// the same step.
pub fn verify(secret: &[u8], code: &str, unix_seconds: u64) -> Option<u64> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let typed: u32 = digits.parse().ok()?;
    let now_step = unix_seconds / STEP_SECONDS;
    (now_step.saturating_sub(DRIFT_STEPS)..=now_step + DRIFT_STEPS)
        .find(|&step| constant_time_eq(hotp(secret, step, DIGITS), typed))
}

/// RFC 4648 base32 without padding: how authenticator apps take the secret.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn constant_time_eq(a: u32, b: u32) -> bool {
    (a ^ b) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits, seed "12345678901234567890").
    #[test]
    fn rfc6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (t, expected) in [
            (59u64, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(code_at(secret, t, 8), expected, "T = {t}");
        }
    }

    /// RFC 4226 Appendix D: HOTP values for counters 0..9 (6 digits).
    #[test]
    fn rfc4226_test_vectors() {
        let secret = b"12345678901234567890";
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(hotp(secret, counter as u64, 6), *want, "counter {counter}");
        }
    }

    #[test]
    fn base32_matches_rfc4648() {
        for (input, expected) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(input.as_bytes()), expected);
        }
    }

    #[test]
    fn verify_accepts_one_step_of_drift_and_nothing_else() {
        let secret = b"12345678901234567890";
        let t = 1_111_111_111;
        let code = format!("{:06}", code_at(secret, t, 6));
        assert_eq!(verify(secret, &code, t), Some(t / 30));
        assert!(verify(secret, &code, t + 30).is_some());
        assert!(verify(secret, &code, t - 30).is_some());
        assert!(verify(secret, &code, t + 90).is_none());
        assert!(verify(secret, "12345", t).is_none());
        assert!(verify(secret, "abcdef", t).is_none());
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(verify(secret, &spaced, t).is_some());
    }
}
