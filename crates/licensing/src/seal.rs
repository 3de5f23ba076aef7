//! The licence's QR code payload: the licence's essentials, signed with Ed25519, compact enough
//! for a small QR code, and verifiable offline with the published public key.
//!
//! Format: `base64url(payload) "." base64url(signature)`, no padding; the payload is UTF-8 lines:
//!
//! ```text
//! Z1                      version
//! YZT-2026-000007         licence number
//! 92440604MA4UKN0021      统一社会信用代码
//! 佛山市禅城区康宁大药房    business name
//! 20261129                issued on
//! drug_retail:20311128    each permit: code ":" valid-to date, or "-" for 长期
//! ```

use api::Date;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

const VERSION: &str = "Z1";

/// What a licence's QR code says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub number: String,
    pub uscc: String,
    pub business_name: String,
    pub issued_on: Date,
    /// (permit code, valid to; `None` for 长期)
    pub permits: Vec<(String, Option<Date>)>,
}

fn compact(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

fn uncompact(s: &str) -> Option<Date> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Date::new(
        s[..4].parse().ok()?,
        s[4..6].parse().ok()?,
        s[6..].parse().ok()?,
    )
    .ok()
}

impl Sealed {
    fn payload(&self) -> String {
        let mut lines = vec![
            VERSION.to_owned(),
            self.number.clone(),
            self.uscc.clone(),
            self.business_name.clone(),
            compact(self.issued_on),
        ];
        for (code, to) in &self.permits {
            lines.push(format!("{code}:{}", to.map_or("-".to_owned(), compact)));
        }
        lines.join("\n")
    }

    fn from_payload(text: &str) -> Option<Sealed> {
        let mut lines = text.split('\n');
        if lines.next()? != VERSION {
            return None;
        }
        let number = lines.next()?.to_owned();
        let uscc = lines.next()?.to_owned();
        let business_name = lines.next()?.to_owned();
        let issued_on = uncompact(lines.next()?)?;
        let mut permits = Vec::new();
        for line in lines {
            let (code, to) = line.split_once(':')?;
            let to = if to == "-" {
                None
            } else {
                Some(uncompact(to)?)
            };
            permits.push((code.to_owned(), to));
        }
        if permits.is_empty() {
            return None;
        }
        Some(Sealed {
            number,
            uscc,
            business_name,
            issued_on,
            permits,
        })
    }

    /// The signed token.
    pub fn seal(&self, key: &SigningKey) -> String {
        let payload = self.payload();
        let signature = key.sign(payload.as_bytes());
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
    }

    /// The token's contents if `key` signed it exactly; `None` for anything altered or made up.
    pub fn open(token: &str, key: &VerifyingKey) -> Option<Sealed> {
        let (payload, signature) = token.trim().split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let signature: [u8; 64] = URL_SAFE_NO_PAD.decode(signature).ok()?.try_into().ok()?;
        key.verify(&payload, &Signature::from_bytes(&signature))
            .ok()?;
        Sealed::from_payload(std::str::from_utf8(&payload).ok()?)
    }
}

/// A signing key from its 32-byte seed, written as base64 (standard or URL-safe).
pub fn key_from_base64(text: &str) -> Result<SigningKey, String> {
    use base64::engine::general_purpose::STANDARD;
    let bytes = STANDARD
        .decode(text.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim()))
        .map_err(|_| "the licence signing key is not base64".to_owned())?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "the licence signing key must be 32 bytes".to_owned())?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The public key as published: base64url of its 32 bytes.
pub fn public_key_text(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn sample() -> Sealed {
        Sealed {
            number: "YZT-2026-000007".into(),
            uscc: "92440604MA4UKN0021".into(),
            business_name: "佛山市禅城区康宁大药房".into(),
            issued_on: "2026-11-29".parse().unwrap(),
            permits: vec![
                ("business_licence".into(), None),
                ("drug_retail".into(), Some("2031-11-28".parse().unwrap())),
            ],
        }
    }

    #[test]
    fn a_sealed_licence_opens_with_the_public_key() {
        let token = sample().seal(&key(7));
        assert_eq!(
            Sealed::open(&token, &key(7).verifying_key()),
            Some(sample())
        );
        // Small enough for a QR code a phone reads easily.
        assert!(token.len() < 260, "{} characters", token.len());
    }

    #[test]
    fn another_key_or_garbage_does_not_open() {
        let token = sample().seal(&key(7));
        assert_eq!(Sealed::open(&token, &key(8).verifying_key()), None);
        for junk in ["", ".", "abc", "abc.def", "Z1.", &token.replace('.', "")] {
            assert_eq!(Sealed::open(junk, &key(7).verifying_key()), None, "{junk}");
        }
    }

    #[test]
    fn a_changed_valid_to_date_breaks_the_signature() {
        let token = sample().seal(&key(7));
        let (payload, signature) = token.split_once('.').unwrap();
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        let forged = URL_SAFE_NO_PAD.encode(text.replace("20311128", "20991231"));
        assert_eq!(
            Sealed::open(&format!("{forged}.{signature}"), &key(7).verifying_key()),
            None
        );
    }

    #[test]
    fn keys_read_from_base64() {
        use base64::engine::general_purpose::STANDARD;
        let k = key_from_base64(&STANDARD.encode([3u8; 32])).unwrap();
        assert_eq!(k.to_bytes(), [3u8; 32]);
        assert!(key_from_base64("!!").unwrap_err().contains("not base64"));
        assert!(key_from_base64(&STANDARD.encode([3u8; 31]))
            .unwrap_err()
            .contains("32 bytes"));
    }

    proptest! {
        #[test]
        fn any_single_byte_change_is_detected(pos in 0usize..200, bit in 0u8..8) {
            let token = sample().seal(&key(7));
            let mut bytes = token.into_bytes();
            let i = pos % bytes.len();
            bytes[i] ^= 1 << bit;
            if let Ok(t) = String::from_utf8(bytes) {
                let opened = Sealed::open(&t, &key(7).verifying_key());
                // Either refused, or (base64's unused trailing bits) exactly the original.
                prop_assert!(opened.is_none() || opened == Some(sample()));
            }
        }
    }
}
