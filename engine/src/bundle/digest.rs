//! blake3 digests as they appear in artifacts: lowercase hex.

/// The lowercase hex blake3 of `bytes`.
pub(crate) fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Whether `s` looks like a blake3 hex digest (64 lowercase hex digits).
pub(crate) fn is_blake3_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
