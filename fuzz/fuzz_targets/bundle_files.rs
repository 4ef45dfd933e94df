//! The input format of the bundle targets: a bundle directory as text, each file introduced
//! by a line `--- <relative path>`. Paths are reduced to safe relative names (the harness
//! writes them; the readers under test decide what to make of the bytes). A line `--> <path>`
//! instead makes a symlink to the text that follows, `--| <path>` a FIFO: what a crafted bundle
//! holds.

use std::path::{Component, Path, PathBuf};

/// Writes the files `data` describes under `dir`.
pub fn materialise(data: &[u8], dir: &Path) {
    let mut rest = data;
    let mut current: Option<(u8, PathBuf, Vec<u8>)> = None;
    loop {
        let (line, next) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let header = line
            .strip_prefix(b"--")
            .filter(|l| matches!(l.first(), Some(b'-' | b'>' | b'|')) && l.get(1) == Some(&b' '));
        match (header, &mut current) {
            (Some(h), _) => {
                if let Some(file) = current.take() {
                    write(dir, file);
                }
                let name = String::from_utf8_lossy(&h[2..]).into_owned();
                current = safe(&name).map(|p| (h[0], p, Vec::new()));
            }
            (None, Some((_, _, bytes))) => {
                bytes.extend_from_slice(line);
                if next.is_some() {
                    bytes.push(b'\n');
                }
            }
            (None, None) => {}
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    if let Some(file) = current {
        write(dir, file);
    }
}

/// Normal components only, at most four deep.
fn safe(name: &str) -> Option<PathBuf> {
    let path: PathBuf = Path::new(name)
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .take(4)
        .collect();
    (!path.as_os_str().is_empty()).then_some(path)
}

fn write(dir: &Path, (kind, rel, bytes): (u8, PathBuf, Vec<u8>)) {
    let path = dir.join(&rel);
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    // A name given twice: the last wins (writing into an earlier FIFO would block the harness).
    let _ = std::fs::remove_file(&path);
    let _ = match kind {
        b'>' => std::os::unix::fs::symlink(String::from_utf8_lossy(&bytes).trim(), &path),
        b'|' => std::process::Command::new("mkfifo").arg(&path).status().map(|_| ()),
        _ => std::fs::write(&path, &bytes),
    };
}
