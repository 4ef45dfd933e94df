//! SHA-256 as lowercase hex: the digest runtime-tools records for every artifact.

/// Lowercase hex of a finished digest.
pub(crate) fn to_hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    #[test]
    fn known_vector() {
        assert_eq!(
            super::to_hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
