//! RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits) for administrators' sign-in (R-ROLE-3).
//! Server side only. The workstation has its own verified copy
//! (`crates/workstation/src/account/totp.rs`); the platform may not depend on the
//! workstation, so this small duplicate is to be folded into a shared crate later.

use hmac::{Hmac, Mac};
use sha1::Sha1;

const STEP_S: i64 = 30;

/// RFC 4226 HOTP value for `counter`, 6 digits.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let code = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    code % 1_000_000
}

/// Accept the code of the current step or one step either side (clock drift).
pub fn verify(secret: &[u8], code: &str, now_s: i64) -> bool {
    let Ok(code) = code.trim().parse::<u32>() else {
        return false;
    };
    let step = now_s.div_euclid(STEP_S);
    (-1..=1).any(|d| {
        u64::try_from(step + d).is_ok_and(|c| {
            // Constant-time enough for a 6-digit compare: both sides are fixed width.
            hotp(secret, c) == code
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B (SHA-1 seed "12345678901234567890"), truncated to 6 digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, expected) in [
            (59_i64, 287_082_u32),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
        ] {
            let counter = u64::try_from(t / 30).expect("positive");
            assert_eq!(hotp(secret, counter), expected, "t = {t}");
            assert!(verify(secret, &format!("{expected:06}"), t));
        }
    }

    #[test]
    fn a_code_two_steps_old_or_garbage_is_refused() {
        let secret = b"12345678901234567890";
        assert!(!verify(secret, "287082", 59 + 90));
        assert!(!verify(secret, "abc", 59));
    }
}
