//! What the kernel and the dynamic loader open before a program's `main`: the program itself
//! and its ELF interpreter (opened for execution), then every `DT_NEEDED` library (opened for
//! reading), found the way ld.so searches its default directories.
//!
//! Read from the ELF headers, never by running the program. The search skips `RPATH`,
//! `LD_LIBRARY_PATH` and the ld.so cache's extra directories (the exec driver passes a fixed
//! environment), so a program whose libraries live elsewhere is reported as unresolved.

use crate::sys::input::read_given;
use std::collections::BTreeSet;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;

/// ld.so's default search directories on x86_64 glibc systems (merged or not).
const SEARCH_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecDeps {
    /// `PT_INTERP` (absent for a static program).
    pub interpreter: Option<String>,
    /// Every library reached through `DT_NEEDED`, transitively, as found.
    pub libraries: Vec<String>,
    /// `DT_NEEDED` names found in no search directory.
    pub unresolved: Vec<String>,
}

struct Elf<'a> {
    bytes: &'a [u8],
}

impl Elf<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        Some(u16::from_le_bytes(
            self.bytes.get(at..at + 2)?.try_into().ok()?,
        ))
    }
    fn u32(&self, at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(
            self.bytes.get(at..at + 4)?.try_into().ok()?,
        ))
    }
    fn u64(&self, at: usize) -> Option<u64> {
        Some(u64::from_le_bytes(
            self.bytes.get(at..at + 8)?.try_into().ok()?,
        ))
    }
    fn cstr(&self, at: usize) -> Option<String> {
        let rest = self.bytes.get(at..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    /// (type, offset, vaddr, filesz) of each program header; `None` if not ELF64 little-endian.
    fn program_headers(&self) -> Option<Vec<(u32, u64, u64, u64)>> {
        if self.bytes.get(..4)? != b"\x7fELF" || self.bytes[4] != 2 || self.bytes[5] != 1 {
            return None;
        }
        let phoff = self.u64(0x20)? as usize;
        let phentsize = self.u16(0x36)? as usize;
        let phnum = self.u16(0x38)? as usize;
        (0..phnum)
            .map(|i| {
                let at = phoff + i * phentsize;
                Some((
                    self.u32(at)?,
                    self.u64(at + 8)?,
                    self.u64(at + 16)?,
                    self.u64(at + 32)?,
                ))
            })
            .collect()
    }

    fn file_offset(phdrs: &[(u32, u64, u64, u64)], vaddr: u64) -> Option<u64> {
        phdrs
            .iter()
            .find(|(t, _, va, sz)| *t == PT_LOAD && vaddr >= *va && vaddr < va + sz)
            .map(|(_, off, va, _)| off + (vaddr - va))
    }

    /// (interpreter, needed names).
    fn dependencies(&self) -> Option<(Option<String>, Vec<String>)> {
        let phdrs = self.program_headers()?;
        let mut interp = None;
        let mut needed_offsets = Vec::new();
        let mut strtab = None;
        for &(kind, off, _, size) in &phdrs {
            match kind {
                PT_INTERP => interp = self.cstr(off as usize),
                PT_DYNAMIC => {
                    for i in 0..(size / 16) as usize {
                        let at = off as usize + i * 16;
                        let (tag, val) = (self.u64(at)?, self.u64(at + 8)?);
                        match tag {
                            0 => break,
                            DT_NEEDED => needed_offsets.push(val),
                            DT_STRTAB => strtab = Self::file_offset(&phdrs, val),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let needed = match strtab {
            Some(base) => needed_offsets
                .iter()
                .filter_map(|o| self.cstr((base + o) as usize))
                .collect(),
            None => Vec::new(),
        };
        Some((interp, needed))
    }
}

/// Largest program or library read for its dependencies.
const MAX_ELF_BYTES: u64 = 256 << 20;

/// The program's interpreter and libraries; `None` when it is not a readable ELF64 file.
pub fn exec_deps(program: &str) -> Option<ExecDeps> {
    // The program is named by an experiment: a regular file of bounded size, never a FIFO or
    // a device (`target="/dev/zero"` would otherwise be read until memory runs out).
    let read = |path: &str| read_given(std::path::Path::new(path), MAX_ELF_BYTES).ok();
    let bytes = read(program)?;
    let (interpreter, needed) = Elf { bytes: &bytes }.dependencies()?;
    let mut deps = ExecDeps {
        interpreter,
        ..ExecDeps::default()
    };
    let mut seen = BTreeSet::new();
    let mut queue = needed;
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let found = SEARCH_DIRS
            .iter()
            .map(|d| format!("{d}/{name}"))
            .find(|p| std::path::Path::new(p).is_file());
        match found {
            Some(path) => {
                if let Some(lib) = read(&path)
                    && let Some((_, more)) = (Elf { bytes: &lib }).dependencies()
                {
                    queue.extend(more);
                }
                deps.libraries.push(path);
            }
            None => deps.unresolved.push(name),
        }
    }
    Some(deps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cat_needs_the_loader_and_libc() {
        let deps = exec_deps("/usr/bin/cat").expect("/usr/bin/cat must be an ELF64 program");
        assert!(
            deps.interpreter
                .as_deref()
                .unwrap_or("")
                .contains("ld-linux")
        );
        assert!(
            deps.libraries.iter().any(|l| l.ends_with("/libc.so.6")),
            "{deps:?}"
        );
    }
}
