//! The guest protocol (spec §12.3).
//!
//! In: [`GuestRequest`], JSON at `/request.json` in the generated initramfs: what to run and
//! how the world was made. Out: one framed stream on the guest's second serial port:
//!
//! ```text
//! "XPRG1\n" then frames: tag (1 byte) · name length (u16 LE) · name · data length (u32 LE) · data
//!   F  a bundle file: name = its bundle-relative path, data = its bytes
//!   R  the result: data = GuestResult JSON (exactly one, before E)
//!   E  the end: data = blake3 of every byte before this frame (32 bytes)
//! ```
//!
//! The host decodes with hard bounds and trusts nothing in it: sizes, names and counts are
//! checked here, the files by the normal bundle verifier afterwards.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::world::{VmHarness, VmWorld};

pub(crate) const REQUEST_SCHEMA: &str = "xpr.guest_request.v1";
pub(crate) const MAGIC: &[u8] = b"XPRG1\n";
/// Everything a guest may send back, in total.
pub(crate) const MAX_STREAM: usize = 256 << 20;
pub(crate) const MAX_FILES: usize = 10_000;
pub(crate) const MAX_NAME: usize = 255;
pub(crate) const MAX_MESSAGE: usize = 64 << 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GuestRequest {
    pub schema_version: String,
    /// The host's `xpr` binary, the same bytes as the initramfs's `/xpr`, reached through the
    /// shared root: the guest's run executes it so its probe helper exists in the new root.
    pub xpr: String,
    /// The working directory the run starts in (relative paths resolve as on the host).
    pub cwd: String,
    /// `xpr run` arguments: the experiment and the user's options, without world options.
    pub run_args: Vec<String>,
    /// Host paths under `/tmp` the guest shows inside its fresh `/tmp` (`host_view`).
    pub host_tmp: Vec<String>,
    /// The user's command line, as the manifest records it.
    pub manifest_args: Vec<String>,
    /// The run id the host chose (the bundle must carry it).
    pub run_id: String,
    /// Modules to load, in order (files under `/modules/` of the initramfs).
    pub modules: Vec<GuestModule>,
    pub world: VmWorld,
    pub harness: VmHarness,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GuestModule {
    pub name: String,
    pub file: String,
    pub compressed: bool,
}

/// What the guest reports besides the bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GuestResult {
    /// The guest run's exit code (0/1 with a bundle; 2/3 without), or `None` when the guest
    /// failed before the run (then `message` says where).
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub message: Option<String>,
}

/// Encodes the stream (guest side).
pub(crate) struct Encoder {
    bytes: Vec<u8>,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    pub(crate) fn new() -> Encoder {
        Encoder {
            bytes: MAGIC.to_vec(),
        }
    }

    pub(crate) fn file(&mut self, name: &str, data: &[u8]) {
        self.frame(b'F', name, data);
    }

    /// The result and the end frame; the finished stream.
    pub(crate) fn finish(mut self, result: &GuestResult) -> Vec<u8> {
        let json = serde_json::to_vec(result).unwrap_or_default();
        self.frame(b'R', "", &json);
        let digest = *blake3::hash(&self.bytes).as_bytes();
        self.frame(b'E', "", &digest);
        self.bytes
    }

    fn frame(&mut self, tag: u8, name: &str, data: &[u8]) {
        self.bytes.push(tag);
        self.bytes
            .extend_from_slice(&(name.len() as u16).to_le_bytes());
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(data);
    }
}

/// A decoded stream: every file and the result.
#[derive(Debug, Default)]
pub(crate) struct Returned {
    pub files: BTreeMap<String, Vec<u8>>,
    pub result: GuestResult,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StreamError {
    #[error("the guest sent nothing on its result channel")]
    Empty,
    #[error("the result stream does not start with the protocol's magic")]
    BadMagic,
    #[error("the result stream ends before its end frame (at byte {0})")]
    Truncated(usize),
    #[error("the result stream is malformed at byte {at}: {what}")]
    Malformed { at: usize, what: String },
    #[error("the result stream's digest does not match its bytes")]
    Digest,
}

/// Decodes a complete stream. Bytes after the end frame are ignored (serial noise).
pub(crate) fn decode(bytes: &[u8]) -> Result<Returned, StreamError> {
    if bytes.is_empty() {
        return Err(StreamError::Empty);
    }
    if !bytes.starts_with(MAGIC) {
        return Err(StreamError::BadMagic);
    }
    let mut at = MAGIC.len();
    let mut out = Returned::default();
    let mut result = None;
    let malformed = |at: usize, what: &str| StreamError::Malformed {
        at,
        what: what.to_string(),
    };
    loop {
        let start = at;
        let take = |at: &mut usize, n: usize| -> Result<&[u8], StreamError> {
            let end = at.checked_add(n).filter(|e| *e <= bytes.len());
            let end = end.ok_or(StreamError::Truncated(*at))?;
            let s = &bytes[*at..end];
            *at = end;
            Ok(s)
        };
        let tag = take(&mut at, 1)?[0];
        let name_len = u16::from_le_bytes(take(&mut at, 2)?.try_into().expect("2 bytes")) as usize;
        if name_len > MAX_NAME {
            return Err(malformed(start, "name too long"));
        }
        let name = std::str::from_utf8(take(&mut at, name_len)?)
            .map_err(|_| malformed(start, "name is not UTF-8"))?
            .to_string();
        let len = u32::from_le_bytes(take(&mut at, 4)?.try_into().expect("4 bytes")) as usize;
        let data = take(&mut at, len)?;
        match tag {
            b'F' => {
                if out.files.len() >= MAX_FILES {
                    return Err(malformed(start, "too many files"));
                }
                if out.files.insert(name.clone(), data.to_vec()).is_some() {
                    return Err(malformed(start, &format!("file {name:?} sent twice")));
                }
            }
            b'R' if result.is_none() && len <= MAX_MESSAGE => {
                let r: GuestResult = serde_json::from_slice(data)
                    .map_err(|e| malformed(start, &format!("result: {e}")))?;
                result = Some(r);
            }
            b'E' => {
                if data != blake3::hash(&bytes[..start]).as_bytes() {
                    return Err(StreamError::Digest);
                }
                out.result = result.ok_or_else(|| malformed(start, "no result frame"))?;
                return Ok(out);
            }
            _ => {
                return Err(malformed(
                    start,
                    &format!("unexpected frame {:?}", tag as char),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut e = Encoder::new();
        e.file("verdicts.jsonl", b"{}\n");
        e.file("compiled/a.sb", b"(version 1)");
        e.finish(&GuestResult {
            exit_code: Some(1),
            message: None,
        })
    }

    #[test]
    fn round_trip() {
        let r = decode(&sample()).unwrap();
        assert_eq!(r.files.len(), 2);
        assert_eq!(r.files["compiled/a.sb"], b"(version 1)");
        assert_eq!(r.result.exit_code, Some(1));
        let mut noisy = sample();
        noisy.extend_from_slice(b"\r\n garbage");
        assert!(decode(&noisy).is_ok());
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_refused() {
        let bytes = sample();
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "prefix of {n} bytes");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            assert!(decode(&b).is_err(), "flipped byte {i}");
        }
    }

    #[test]
    fn huge_lengths_do_not_allocate() {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[b'F', 1, 0, b'x', 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(
            decode(&b).unwrap_err(),
            StreamError::Truncated(MAGIC.len() + 8)
        );
    }
}
