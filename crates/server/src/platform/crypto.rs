//! Personal data at rest: ID and phone numbers are stored encrypted (AES-256-GCM) and found
//! through a keyed hash (HMAC-SHA-256), so the database alone reveals neither. Secrets such as
//! session tokens and one-time codes are stored only as hashes.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{bail, Context};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A personal value as stored: encrypted, and its keyed hash for lookup. Its `Debug` shows
/// neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub enc: Vec<u8>,
    pub hash: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed(..)")
    }
}

/// The keys that protect personal data, derived from one 32-byte master key.
pub struct Vault {
    cipher: Aes256Gcm,
    lookup_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(..)")
    }
}

impl Vault {
    /// A vault from a master key given as 64 hex digits or base64 of 32 bytes.
    pub fn from_config(text: &str) -> anyhow::Result<Vault> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .context("the data key is neither hex nor base64")?
        };
        let Ok(master) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            bail!("the data key must be 32 bytes (64 hex digits)");
        };
        Ok(Vault::new(&master))
    }

    pub fn new(master: &[u8; 32]) -> Vault {
        // Separate keys for separate purposes, so one use can never be mistaken for another.
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("any key length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let encryption = derive(b"zhida/encryption/v1");
        Vault {
            cipher: Aes256Gcm::new(&encryption.into()),
            lookup_key: derive(b"zhida/lookup/v1"),
        }
    }

    /// A fresh random master key, as 64 hex digits.
    pub fn generate_key() -> String {
        random_bytes::<32>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Encrypts `plain`; the result carries its random nonce.
    pub fn encrypt(&self, plain: &str) -> Vec<u8> {
        let nonce = random_bytes::<12>();
        let mut out = nonce.to_vec();
        out.extend(
            self.cipher
                .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
                .expect("encrypting in memory"),
        );
        out
    }

    /// Decrypts what [`Vault::encrypt`] produced; fails if it was altered or another key made it.
    pub fn decrypt(&self, sealed: &[u8]) -> anyhow::Result<String> {
        if sealed.len() < 12 {
            bail!("encrypted value too short");
        }
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(&sealed[..12]), &sealed[12..])
            .map_err(|_| anyhow::anyhow!("encrypted value does not decrypt with this key"))?;
        Ok(String::from_utf8(plain)?)
    }

    /// A stored phone number, decrypted and masked (`138****8000`).
    pub fn masked_phone(&self, sealed: &[u8]) -> anyhow::Result<String> {
        Ok(api::validate::mask_mobile(&self.decrypt(sealed)?))
    }

    /// A stored ID number, decrypted and masked (`4406**********1234`).
    pub fn masked_id_number(&self, sealed: &[u8]) -> anyhow::Result<String> {
        Ok(api::validate::mask_id_number(&self.decrypt(sealed)?))
    }

    /// The keyed hash by which an encrypted value is found (equal inputs, equal hashes).
    /// `value` encrypted, with its lookup hash under `kind`.
    pub fn seal(&self, kind: &str, value: &str) -> Sealed {
        Sealed {
            enc: self.encrypt(value),
            hash: self.lookup_hash(kind, value),
        }
    }

    pub fn lookup_hash(&self, kind: &str, value: &str) -> Vec<u8> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup_key).expect("any key length");
        mac.update(kind.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// Cryptographically random bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).expect("the system's random source");
    bytes
}

/// A random token for a cookie or a ticket: 32 bytes, base64url.
pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// The SHA-256 of a secret, as stored in place of the secret.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Compares two byte strings in constant time.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::from_config(&"ab".repeat(32)).unwrap()
    }

    #[test]
    fn encrypts_and_decrypts() {
        let v = vault();
        let sealed = v.encrypt("11010519491231002X");
        assert!(
            !sealed.windows(4).any(|w| w == b"1101"),
            "no plain text in the sealed bytes"
        );
        assert_eq!(v.decrypt(&sealed).unwrap(), "11010519491231002X");
        assert_ne!(v.encrypt("x"), v.encrypt("x"), "a fresh nonce each time");
    }

    #[test]
    fn refuses_tampering_and_other_keys() {
        let v = vault();
        let mut sealed = v.encrypt("13800138000");
        *sealed.last_mut().unwrap() ^= 1;
        assert!(v.decrypt(&sealed).is_err());
        let other = Vault::from_config(&"cd".repeat(32)).unwrap();
        assert!(other.decrypt(&v.encrypt("13800138000")).is_err());
        assert!(v.decrypt(b"short").is_err());
    }

    #[test]
    fn lookup_hashes_are_keyed_and_kind_separated() {
        let v = vault();
        assert_eq!(
            v.lookup_hash("phone", "13800138000"),
            v.lookup_hash("phone", "13800138000")
        );
        assert_ne!(
            v.lookup_hash("phone", "13800138000"),
            v.lookup_hash("id", "13800138000")
        );
        let other = Vault::from_config(&"cd".repeat(32)).unwrap();
        assert_ne!(
            v.lookup_hash("phone", "13800138000"),
            other.lookup_hash("phone", "13800138000")
        );
    }

    #[test]
    fn keys_are_checked() {
        assert!(Vault::from_config("short").is_err());
        assert!(Vault::from_config(&"zz".repeat(32)).is_err());
        assert!(
            Vault::from_config(&base64::engine::general_purpose::STANDARD.encode([7u8; 32]))
                .is_ok()
        );
        assert_eq!(Vault::generate_key().len(), 64);
    }
}
