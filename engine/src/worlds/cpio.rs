//! A newc (`070701`) cpio writer: the initramfs format the kernel unpacks. Directories and
//! regular files only, all owned by root, mtime 0, so the same inputs give the same bytes.

use std::collections::BTreeSet;

#[derive(Default)]
pub(crate) struct Cpio {
    bytes: Vec<u8>,
    dirs: BTreeSet<String>,
    next_ino: u32,
}

impl Cpio {
    pub(crate) fn new() -> Cpio {
        Cpio::default()
    }

    /// Adds a regular file at `path` (absolute or relative; stored relative) with its
    /// parent directories.
    pub(crate) fn file(&mut self, path: &str, mode: u32, data: &[u8]) {
        let path = path.trim_start_matches('/');
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.dir(parent);
        }
        self.entry(path, libc::S_IFREG | (mode & 0o7777), data);
    }

    /// Adds a directory and its parents (each once).
    pub(crate) fn dir(&mut self, path: &str) {
        let path = path.trim_start_matches('/').trim_end_matches('/');
        let mut at = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(part);
            if self.dirs.insert(at.clone()) {
                let name = at.clone();
                self.entry(&name, libc::S_IFDIR | 0o755, &[]);
            }
        }
    }

    /// The archive with its trailer.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.bytes
    }

    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) {
        self.next_ino += 1;
        let nlink = if mode & libc::S_IFMT == libc::S_IFDIR {
            2
        } else {
            1
        };
        let fields = [
            self.next_ino,
            mode,
            0,
            0,
            nlink,
            0,
            data.len() as u32,
            0,
            0,
            0,
            0,
            name.len() as u32 + 1,
            0,
        ];
        self.bytes.extend_from_slice(b"070701");
        for f in fields {
            self.bytes.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newc_layout() {
        let mut c = Cpio::new();
        c.file("/a/b", 0o755, b"hi");
        let bytes = c.finish();
        let text = String::from_utf8_lossy(&bytes);
        // a (dir), a/b (file), trailer; each header is 110 bytes and 4-aligned.
        assert_eq!(text.matches("070701").count(), 3);
        assert!(text.contains("a/b\0"));
        assert!(text.contains("TRAILER!!!\0"));
        assert_eq!(bytes.len() % 4, 0);
        let second = text.find("070701000000020000").unwrap();
        assert_eq!(&text[second + 14..second + 22], "000081ed"); // S_IFREG | 0755
    }
}
