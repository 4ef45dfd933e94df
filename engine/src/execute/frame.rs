//! Worker → engine frames: `[u32 len][u64 micros][len bytes of StageRecord JSON]`; len 0 ends
//! a job. The engine → worker direction carries bare `u32` job ids.

use crate::model::StageRecord;

pub const JOB_DONE: u32 = 0;

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

pub fn send_record(fd: i32, record: &StageRecord) -> Result<(), i32> {
    let json = serde_json::to_vec(record).map_err(|_| libc::EINVAL)?;
    let mut frame = Vec::with_capacity(12 + json.len());
    frame.extend_from_slice(&(json.len() as u32).to_le_bytes());
    frame.extend_from_slice(&record.micros.to_le_bytes());
    frame.extend_from_slice(&json);
    write_all(fd, &frame)
}

pub fn send_done(fd: i32) -> Result<(), i32> {
    let mut frame = [0u8; 12];
    frame[..4].copy_from_slice(&JOB_DONE.to_le_bytes());
    write_all(fd, &frame)
}

pub enum Frame {
    Record(Box<StageRecord>),
    Done,
    Closed,
}

pub fn read_frame(fd: i32) -> Result<Frame, i32> {
    let mut head = [0u8; 12];
    if !read_exact(fd, &mut head)? {
        return Ok(Frame::Closed);
    }
    let len = u32::from_le_bytes(head[..4].try_into().unwrap_or_default()) as usize;
    if len == 0 {
        return Ok(Frame::Done);
    }
    let micros = u64::from_le_bytes(head[4..].try_into().unwrap_or_default());
    let mut body = vec![0u8; len];
    if !read_exact(fd, &mut body)? {
        return Err(libc::EPIPE);
    }
    let mut r: StageRecord = serde_json::from_slice(&body).map_err(|_| libc::EPROTO)?;
    r.micros = micros;
    Ok(Frame::Record(Box::new(r)))
}
