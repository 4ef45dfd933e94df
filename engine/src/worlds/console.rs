//! A guest's console, kept with a bound: the first MiB (the boot) and the last 3 MiB (how it
//! ended), so a guest that floods its console cannot fill the host's disk or memory. Written
//! to a file only when the run fails.

use std::collections::VecDeque;
use std::path::Path;

use crate::bundle::RunId;

const HEAD: usize = 1 << 20;
const TAIL: usize = 3 << 20;

pub(crate) struct ConsoleLog {
    header: String,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    dropped: u64,
    qemu: Vec<u8>,
    /// The last bytes seen, so a marker split across two reads is still found.
    window: Vec<u8>,
}

impl ConsoleLog {
    pub(crate) fn new(world: &str, run_id: &RunId) -> ConsoleLog {
        ConsoleLog {
            header: format!("xpr: console of world {world}, run {run_id}\n"),
            head: Vec::new(),
            tail: VecDeque::new(),
            dropped: 0,
            qemu: Vec::new(),
            window: Vec::new(),
        }
    }

    /// Keeps console bytes; whether `marker` appears in them (or across the previous read).
    pub(crate) fn push(&mut self, bytes: &[u8], marker: &str) -> bool {
        self.window.extend_from_slice(bytes);
        let found = self
            .window
            .windows(marker.len())
            .any(|w| w == marker.as_bytes());
        let keep = self.window.len().min(marker.len());
        self.window.drain(..self.window.len() - keep);
        let room = HEAD - self.head.len();
        let (first, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(first);
        self.tail.extend(rest);
        while self.tail.len() > TAIL {
            self.tail.pop_front();
            self.dropped += 1;
        }
        found
    }

    /// qemu's own messages (its stderr), bounded like the console's head.
    pub(crate) fn push_qemu(&mut self, bytes: &[u8]) {
        let room = HEAD - self.qemu.len().min(HEAD);
        self.qemu.extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    /// The kernel's panic line, if the console shows one.
    pub(crate) fn panic_line(&self) -> Option<String> {
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        [&self.head[..], &tail[..]].iter().find_map(|part| {
            String::from_utf8_lossy(part)
                .lines()
                .find(|l| l.contains("Kernel panic"))
                .map(|l| l.trim().to_string())
        })
    }

    /// Writes the log (best effort: a failed run's reason is reported either way).
    pub(crate) fn write_to(&self, path: &Path) {
        let mut out = self.header.clone().into_bytes();
        out.extend_from_slice(&self.head);
        if self.dropped > 0 {
            out.extend_from_slice(format!("\n[xpr: {} bytes left out]\n", self.dropped).as_bytes());
        }
        out.extend(self.tail.iter());
        if !self.qemu.is_empty() {
            out.extend_from_slice(b"\n[xpr: qemu's messages]\n");
            out.extend_from_slice(&self.qemu);
        }
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        // A new file, never through a symlink someone planted at that name.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(0o644)
            .open(path);
        if let Ok(mut file) = file {
            let _ = file.write_all(&out);
        }
    }
}
