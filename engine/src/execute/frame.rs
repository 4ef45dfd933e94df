//! Worker → engine frames: `[u32 len][u64 micros][i32 pid][len bytes of StageRecord JSON]`
//! (micros and the probe child's pid are not part of the written record); len 0 ends
//! a job. The engine → worker direction carries bare `u32` job ids.

use crate::model::StageRecord;

pub const JOB_DONE: u32 = 0;
/// Bytes before a frame's JSON: len, micros, pid.
const HEADER: usize = 16;

fn errno() -> i32 {
    crate::probes::helper_errno()
}

pub fn write_all(fd: i32, mut bytes: &[u8]) -> Result<(), i32> {
    while !bytes.is_empty() {
        // SAFETY: writing a slice we own.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            return Err(errno());
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` on EOF before the first byte.
pub fn read_exact(fd: i32, buf: &mut [u8]) -> Result<bool, i32> {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: reading into a slice we own.
        let n = unsafe { libc::read(fd, buf[got..].as_mut_ptr().cast(), buf.len() - got) };
        if n < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            return Err(errno());
        }
        if n == 0 {
            return if got == 0 {
                Ok(false)
            } else {
                Err(libc::EPIPE)
            };
        }
        got += n as usize;
    }
    Ok(true)
}

/// Appends a record frame to `out` (the worker batches frames and writes them per job).
pub fn push_record(out: &mut Vec<u8>, record: &StageRecord) -> Result<(), i32> {
    let at = out.len();
    out.extend_from_slice(&[0u8; HEADER]);
    serde_json::to_writer(&mut *out, record).map_err(|_| libc::EINVAL)?;
    let len = (out.len() - at - HEADER) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    out[at + 4..at + 12].copy_from_slice(&record.micros.to_le_bytes());
    out[at + 12..at + 16].copy_from_slice(&record.pid.unwrap_or(0).to_le_bytes());
    Ok(())
}

/// Appends the end-of-job frame.
pub fn push_done(out: &mut Vec<u8>) {
    out.extend_from_slice(&JOB_DONE.to_le_bytes());
    out.extend_from_slice(&[0u8; HEADER - 4]);
}

/// The engine's side of one worker's pipe: reads in large chunks, yields complete frames.
#[derive(Default)]
pub struct FrameReader {
    buf: Vec<u8>,
    start: usize,
}

impl FrameReader {
    /// One `read` (the caller polled for POLLIN); `Ok(false)` on EOF.
    pub fn fill(&mut self, fd: i32) -> Result<bool, i32> {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + 256 * 1024, 0);
        loop {
            // SAFETY: reading into the spare tail of our buffer.
            let n = unsafe {
                libc::read(
                    fd,
                    self.buf[old..].as_mut_ptr().cast(),
                    self.buf.len() - old,
                )
            };
            if n < 0 && errno() == libc::EINTR {
                continue;
            }
            self.buf.truncate(old + n.max(0) as usize);
            return match n {
                n if n < 0 => Err(errno()),
                0 => Ok(false),
                _ => Ok(true),
            };
        }
    }

    /// The next complete frame in the buffer, if any.
    pub fn next_frame(&mut self) -> Option<Result<Frame, i32>> {
        let avail = &self.buf[self.start..];
        if avail.len() < HEADER {
            return None;
        }
        let len = u32::from_le_bytes(avail[..4].try_into().unwrap_or_default()) as usize;
        if len == 0 {
            self.start += HEADER;
            return Some(Ok(Frame::Done));
        }
        if avail.len() < HEADER + len {
            return None;
        }
        let micros = u64::from_le_bytes(avail[4..12].try_into().unwrap_or_default());
        let pid = i32::from_le_bytes(avail[12..16].try_into().unwrap_or_default());
        let parsed = serde_json::from_slice::<StageRecord>(&avail[HEADER..HEADER + len]);
        self.start += HEADER + len;
        Some(match parsed {
            Ok(mut r) => {
                r.micros = micros;
                r.pid = (pid > 0).then_some(pid);
                Ok(Frame::Record(Box::new(r)))
            }
            Err(_) => Err(libc::EPROTO),
        })
    }
}

pub enum Frame {
    Record(Box<StageRecord>),
    Done,
}
