//! The voter key: a secret created once per store and kept in it, so that every process
//! and every upgrade agrees on it.
//!
//! Takes the key's bytes (from the store) and a voter id (the cookie's value), gives the
//! keyed hash (HMAC-SHA256, hex) that the store keeps instead of the id, and new voter ids
//! that carry a tag proving this store's service issued them.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How many bytes a key has.
pub const KEY_BYTES: usize = 32;

/// A store's voter key.
#[derive(Clone)]
pub struct VoterKey([u8; KEY_BYTES]);

impl std::fmt::Debug for VoterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VoterKey(..)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl VoterKey {
    /// A new random key.
    pub fn generate() -> VoterKey {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes).expect("the system's random source works");
        VoterKey(bytes)
    }

    /// The key stored as `bytes`; `None` when they are not a key.
    pub fn from_bytes(bytes: &[u8]) -> Option<VoterKey> {
        bytes.try_into().ok().map(VoterKey)
    }

    /// The key's bytes, to store.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    fn mac(&self, domain: &[u8], message: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(domain);
        mac.update(message);
        mac
    }

    /// What the store keeps for `voter`: 64 hex digits, the same in every process.
    pub fn hash(&self, voter: &str) -> String {
        hex(&self
            .mac(b"voter\0", voter.as_bytes())
            .finalize()
            .into_bytes())
    }

    /// A new voter id: 32 hex digits, 8 random bytes then 8 bytes of tag.
    pub fn new_voter_id(&self) -> String {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).expect("the system's random source works");
        let tag = self.mac(b"issued\0", &random).finalize().into_bytes();
        format!("{}{}", hex(&random), hex(&tag[..8]))
    }

    /// Whether `id` is one [`Self::new_voter_id`] gave (ids from before voter ids carried a
    /// tag are still readers' ids, but not proven ones).
    pub fn issued(&self, id: &str) -> bool {
        let (Some(random), Some(tag)) =
            (id.get(..16).and_then(unhex), id.get(16..).and_then(unhex))
        else {
            return false;
        };
        tag.len() == 8
            && self
                .mac(b"issued\0", &random)
                .verify_truncated_left(&tag)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_keyed_and_stable() {
        let key = VoterKey::from_bytes(&[7; KEY_BYTES]).unwrap();
        let again = VoterKey::from_bytes(key.bytes()).unwrap();
        let other = VoterKey::generate();
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(key.hash(id).len(), 64);
        assert_eq!(key.hash(id), again.hash(id));
        assert_ne!(key.hash(id), other.hash(id));
        assert_ne!(key.hash(id), key.hash("0123456789abcdef0123456789abcdee"));
        assert!(VoterKey::from_bytes(&[1; 16]).is_none());
    }

    #[test]
    fn issued_ids_are_told_from_made_up_ones() {
        let key = VoterKey::generate();
        let id = key.new_voter_id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(key.issued(&id));
        assert!(!VoterKey::generate().issued(&id));
        let mut forged = id.clone();
        forged.replace_range(31.., if id.ends_with('0') { "1" } else { "0" });
        assert!(!key.issued(&forged));
        assert!(!key.issued("0123456789abcdef0123456789abcdef"));
        assert!(!key.issued("short"));
        assert!(!key.issued("ééééééééééééééééé"));
    }
}
