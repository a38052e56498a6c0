use std::fmt;

use base64::Engine;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use thiserror::Error;

/// Length of the key id stored before each ciphertext.
const KEY_ID: usize = 4;
/// Length of an `XChaCha20` nonce: 192 random bits, safe to choose at random for every record.
const NONCE: usize = 24;
/// Length of the Poly1305 tag after each ciphertext.
const TAG: usize = 16;

/// Authenticated encryption of stored events with XChaCha20-Poly1305 and a 256-bit key.
///
/// Each record gets a fresh random nonce. The record's identity (originator id, version,
/// topic) is authenticated as associated data, so a ciphertext moved to another row does
/// not decrypt. A 4-byte key id stored with each record tells a wrong key from damage.
///
/// XChaCha20-Poly1305 is ChaCha20-Poly1305 under a key derived for each nonce by
/// `HChaCha20` from its first 16 bytes, with the last 8 bytes as the nonce: `HChaCha20`
/// comes from the `chacha20` crate, ChaCha20-Poly1305 from `ring`.
#[derive(Clone)]
pub struct Cipher {
    key: [u8; 32],
    key_id: [u8; KEY_ID],
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cipher").field("key_id", &format_args!("{:02x?}", self.key_id)).finish_non_exhaustive()
    }
}

/// A cipher key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CipherKeyError {
    /// The key is not valid base64.
    #[error("the cipher key is not valid base64")]
    NotBase64,
    /// The key does not have 32 bytes.
    #[error("the cipher key has {0} bytes; XChaCha20-Poly1305 needs 32 (base64 of 32 random bytes)")]
    WrongLength(usize),
}

/// Why a record could not be decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecryptError {
    /// It was encrypted with another key.
    WrongKey,
    /// The ciphertext, or the record identity it is bound to, was changed.
    Damaged,
}

impl Cipher {
    /// A cipher with a raw 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        let key_id = blake3::derive_key("eventsourcing 2026 cipher key id", key);
        let mut id = [0; KEY_ID];
        id.copy_from_slice(&key_id[..KEY_ID]);
        Cipher { key: *key, key_id: id }
    }

    /// The ChaCha20-Poly1305 key and nonce that stand for XChaCha20-Poly1305's `nonce`.
    fn chacha(&self, nonce: &[u8; NONCE]) -> Option<(LessSafeKey, Nonce)> {
        let (prefix, suffix) = nonce.split_at(16);
        let subkey = chacha20::hchacha::<chacha20::R20>(&self.key.into(), &<[u8; 16]>::try_from(prefix).ok()?.into());
        let mut short = [0; 12];
        short[4..].copy_from_slice(suffix);
        let key = UnboundKey::new(&CHACHA20_POLY1305, subkey.as_slice()).ok()?;
        Some((LessSafeKey::new(key), Nonce::assume_unique_for_key(short)))
    }

    /// A cipher with a base64 key, as in `CIPHER_KEY`.
    ///
    /// # Errors
    /// [`CipherKeyError`] if the text is not base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, CipherKeyError> {
        let bytes =
            base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|_| CipherKeyError::NotBase64)?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| CipherKeyError::WrongLength(bytes.len()))?;
        Ok(Cipher::new(&key))
    }

    /// A new random key, base64-encoded, for `CIPHER_KEY`.
    ///
    /// # Errors
    /// If the operating system's random source fails.
    pub fn generate_key() -> Result<String, getrandom::Error> {
        let mut key = [0; 32];
        getrandom::fill(&mut key)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(key))
    }

    /// `key id || nonce || ciphertext and tag`.
    pub(crate) fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, String> {
        let mut nonce = [0; NONCE];
        getrandom::fill(&mut nonce).map_err(|e| format!("no random nonce: {e}"))?;
        let failed = || "encryption failed".to_owned();
        let (key, short) = self.chacha(&nonce).ok_or_else(failed)?;
        let mut out = Vec::with_capacity(KEY_ID + NONCE + plaintext.len() + TAG);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&nonce);
        let mut sealed = plaintext.to_vec();
        key.seal_in_place_append_tag(short, Aad::from(aad), &mut sealed).map_err(|_| failed())?;
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    #[cfg(test)]
    pub(crate) fn decrypt(&self, data: &[u8], aad: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let mut plain = Vec::new();
        self.decrypt_into(data, aad, &mut plain)?;
        Ok(plain)
    }

    /// Decrypts `data` into `plain` (cleared first), which may be a buffer used before.
    pub(crate) fn decrypt_into(&self, data: &[u8], aad: &[u8], plain: &mut Vec<u8>) -> Result<(), DecryptError> {
        plain.clear();
        if data.len() < KEY_ID + NONCE + TAG {
            return Err(DecryptError::Damaged);
        }
        let (key_id, rest) = data.split_at(KEY_ID);
        if key_id != self.key_id {
            return Err(DecryptError::WrongKey);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE);
        let nonce: &[u8; NONCE] = nonce.try_into().map_err(|_| DecryptError::Damaged)?;
        let (key, short) = self.chacha(nonce).ok_or(DecryptError::Damaged)?;
        plain.extend_from_slice(ciphertext);
        let length = key.open_in_place(short, Aad::from(aad), plain).map_err(|_| DecryptError::Damaged)?.len();
        plain.truncate(length);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_typed_failures() {
        let cipher = Cipher::from_base64(&Cipher::generate_key().unwrap()).unwrap();
        let sealed = cipher.encrypt(b"secret", b"row 1").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(cipher.decrypt(&sealed, b"row 1").unwrap(), b"secret");
        assert_eq!(cipher.decrypt(&sealed, b"row 2"), Err(DecryptError::Damaged));
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(cipher.decrypt(&flipped, b"row 1"), Err(DecryptError::Damaged));
        assert_eq!(cipher.decrypt(&sealed[..10], b"row 1"), Err(DecryptError::Damaged));
        let other = Cipher::new(&[7; 32]);
        assert_eq!(other.decrypt(&sealed, b"row 1"), Err(DecryptError::WrongKey));
    }

    #[test]
    fn keys_must_be_base64_of_32_bytes() {
        assert_eq!(Cipher::from_base64("not base64!").unwrap_err(), CipherKeyError::NotBase64);
        assert_eq!(Cipher::from_base64("AAAA").unwrap_err(), CipherKeyError::WrongLength(3));
        assert!(!format!("{:?}", Cipher::new(&[1; 32])).contains("key:"));
    }

    /// A record encrypted by the `chacha20poly1305` crate's XChaCha20-Poly1305 (key 7s,
    /// nonce 9s), which earlier versions of this library used: it still decrypts.
    #[test]
    fn records_of_the_standard_construction_decrypt() {
        let cipher = Cipher::new(&[7; 32]);
        let sealed = "c55096f815c91240ce307a53041f27845c96c5b83d44a71455453a228ecfcc4ff02cab42c8";
        let sealed: Vec<u8> =
            (0..sealed.len()).step_by(2).map(|i| u8::from_str_radix(&sealed[i..i + 2], 16).unwrap()).collect();
        let data = [&cipher.key_id[..], &[9; NONCE], &sealed].concat();
        assert_eq!(cipher.decrypt(&data, b"record identity").unwrap(), br#"{"trick":"roll over"}"#);
        assert_eq!(cipher.decrypt(&data, b"another identity"), Err(DecryptError::Damaged));
    }
}
