//! Worker → engine frames: `[u32 len][u64 micros][i32 pid][len bytes of StageRecord JSON]`
//! (micros and the probe child's pid are not part of the written record); len 0 ends
//! a job. The engine → worker direction carries bare `u32` job ids.

use std::io;
use std::os::fd::RawFd;

use crate::model::StageRecord;

pub(crate) const JOB_DONE: u32 = 0;
/// Bytes before a frame's JSON: len, micros, pid.
const HEADER: usize = 16;

/// Appends a record frame to `out` (the worker batches frames and writes them per job).
pub(crate) fn push_record(out: &mut Vec<u8>, record: &StageRecord) -> io::Result<()> {
    let at = out.len();
    out.extend_from_slice(&[0u8; HEADER]);
    serde_json::to_writer(&mut *out, record)?;
    let len = (out.len() - at - HEADER) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    out[at + 4..at + 12].copy_from_slice(&record.micros.to_le_bytes());
    out[at + 12..at + 16].copy_from_slice(&record.pid.unwrap_or(0).to_le_bytes());
    Ok(())
}

/// Appends the end-of-job frame.
pub(crate) fn push_done(out: &mut Vec<u8>) {
    out.extend_from_slice(&JOB_DONE.to_le_bytes());
    out.extend_from_slice(&[0u8; HEADER - 4]);
}

/// The engine's side of one worker's pipe: reads in large chunks, yields complete frames.
#[derive(Default)]
pub(crate) struct FrameReader {
    buf: Vec<u8>,
    start: usize,
}

impl FrameReader {
    /// One `read` (the caller polled for POLLIN); `Ok(false)` on EOF.
    pub(crate) fn fill(&mut self, fd: RawFd) -> io::Result<bool> {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + 256 * 1024, 0);
        let n = crate::sys::fd::read(fd, &mut self.buf[old..]);
        self.buf.truncate(old + *n.as_ref().unwrap_or(&0));
        n.map(|n| n > 0)
    }

    /// The next complete frame in the buffer, if any.
    pub(crate) fn next_frame(&mut self) -> Option<Result<Frame, serde_json::Error>> {
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
        Some(parsed.map(|mut r| {
            r.micros = micros;
            r.pid = (pid > 0).then_some(pid);
            Frame::Record(Box::new(r))
        }))
    }
}

pub(crate) enum Frame {
    Record(Box<StageRecord>),
    Done,
}
