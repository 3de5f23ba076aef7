//! Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits), the second
//! factor of staff logins.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECS: i64 = 30;

/// The code for time step `step` (= Unix time / 30).
pub fn code_at(secret: &[u8], step: i64) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).expect("any key length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let binary = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    format!("{:06}", binary % 1_000_000)
}

/// The time step `code` matches at `unix_time`, allowing one step of clock drift either way.
pub fn verify(secret: &[u8], code: &str, unix_time: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = unix_time.div_euclid(STEP_SECS);
    (step - 1..=step + 1)
        .find(|s| crate::platform::crypto::same(code_at(secret, *s).as_bytes(), code.as_bytes()))
}

/// A secret in base32 (RFC 4648, no padding), as authenticator apps take it.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B (SHA-1), the last six digits.
    #[test]
    fn matches_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, time / 30), code, "at {time}");
        }
    }

    #[test]
    fn allows_one_step_of_drift() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        let step = now / 30;
        assert_eq!(verify(secret, &code_at(secret, step), now), Some(step));
        assert_eq!(
            verify(secret, &code_at(secret, step - 1), now),
            Some(step - 1)
        );
        assert_eq!(
            verify(secret, &code_at(secret, step + 1), now),
            Some(step + 1)
        );
        assert_eq!(verify(secret, &code_at(secret, step - 2), now), None);
        assert_eq!(verify(secret, "12345", now), None);
        assert_eq!(verify(secret, "abcdef", now), None);
    }

    #[test]
    fn base32_as_authenticators_read_it() {
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(base32(b"f"), "MY");
    }
}
