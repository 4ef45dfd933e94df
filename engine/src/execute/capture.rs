//! Bounded capture of a probe's output: the first `limit` bytes are kept, the rest only counted.

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Capture {
    pub kept: Vec<u8>,
    pub dropped: u64,
    limit: usize,
}

/// Bytes kept of each exec probe's stdout+stderr.
pub(crate) const DEFAULT_OUTPUT_LIMIT: usize = 64 * 1024;

impl Capture {
    pub(crate) fn new(limit: usize) -> Capture {
        Capture {
            kept: Vec::with_capacity(limit.min(4096)),
            dropped: 0,
            limit,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        let room = self.limit.saturating_sub(self.kept.len());
        let keep = room.min(bytes.len());
        self.kept.extend_from_slice(&bytes[..keep]);
        self.dropped += (bytes.len() - keep) as u64;
    }

    pub(crate) fn truncated(&self) -> bool {
        self.dropped > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_limit_and_counts_the_rest() {
        let mut c = Capture::new(10);
        c.push(b"12345678");
        c.push(b"abcdef");
        assert_eq!(c.kept, b"12345678ab");
        assert_eq!(c.dropped, 4);
        assert!(c.truncated());
    }
}
