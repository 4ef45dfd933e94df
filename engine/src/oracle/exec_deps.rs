//! What the kernel and the dynamic loader open before a program's `main`: the program itself
//! and its ELF interpreter (opened for execution), then every `DT_NEEDED` library (opened for
//! reading), found the way ld.so(8) searches for it.
//!
//! Read from the ELF headers (the `object` crate: 32- and 64-bit, either byte order), never by
//! running the program. For each object, a needed name with a `/` is a path; otherwise the
//! search is: `DT_RPATH` of the object and of the objects that loaded it (only when the object
//! has no `DT_RUNPATH`), the object's own `DT_RUNPATH`, then the default directories of its
//! architecture (the Debian multiarch directories of its machine, then `lib64`/`lib` by class).
//! `$ORIGIN`, `$LIB` and `$PLATFORM` are expanded in both paths. A candidate whose class or
//! machine differs from the loading object is skipped, as ld.so skips it. `LD_LIBRARY_PATH`
//! does not apply (the exec driver passes a fixed environment) and the ld.so cache is not read,
//! so a library found only through `/etc/ld.so.conf` directories is reported unresolved.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use object::elf;
use object::read::elf::{ElfFile, FileHeader, ProgramHeader};
use object::{Endianness, FileKind};

/// Largest program or library read for its dependencies.
const MAX_ELF_BYTES: u64 = 256 << 20;

/// The program is named by an experiment: read as a regular file of bounded size, never a FIFO
/// or a device (`target="/dev/zero"` would otherwise be read until memory runs out).
fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    crate::sys::input::read_given(path, MAX_ELF_BYTES).ok()
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ExecDeps {
    /// `PT_INTERP` (absent for a static program).
    pub interpreter: Option<String>,
    /// Every library reached through `DT_NEEDED`, transitively, as found.
    pub libraries: Vec<String>,
    /// `DT_NEEDED` names found nowhere ld.so would look.
    pub unresolved: Vec<String>,
}

/// The facts of one ELF object the search needs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Object {
    is_64: bool,
    machine: elf::Machine,
    interpreter: Option<String>,
    needed: Vec<String>,
    rpath: Vec<String>,
    runpath: Vec<String>,
}

/// Reads an ELF object of either class; `None` when the bytes are not one.
fn read(data: &[u8]) -> Option<Object> {
    match FileKind::parse(data).ok()? {
        FileKind::Elf32 => read_as::<elf::FileHeader32<Endianness>>(data),
        FileKind::Elf64 => read_as::<elf::FileHeader64<Endianness>>(data),
        _ => None,
    }
}

fn read_as<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<Object> {
    let file = ElfFile::<Elf>::parse(data).ok()?;
    let endian = file.endian();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let interpreter = file
        .elf_program_headers()
        .iter()
        .find_map(|ph| ph.interpreter(endian, data).ok().flatten())
        .map(text);
    let mut object = Object {
        is_64: file.elf_header().is_class_64(),
        machine: file.elf_header().e_machine(endian),
        interpreter,
        needed: Vec::new(),
        rpath: Vec::new(),
        runpath: Vec::new(),
    };
    let table = file.elf_section_table().dynamic_table(endian, data).ok()?;
    for entry in &table {
        let Ok(value) = table.string(entry) else {
            continue;
        };
        let value = text(value);
        let paths = || {
            value
                .split(':')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
        };
        match entry.tag {
            elf::DT_NEEDED => object.needed.push(value),
            elf::DT_RPATH => object.rpath.extend(paths()),
            elf::DT_RUNPATH => object.runpath.extend(paths()),
            _ => {}
        }
    }
    Some(object)
}

/// The Debian multiarch directory names of a machine (`x86_64-linux-gnu`).
fn multiarch(machine: elf::Machine, is_64: bool) -> &'static [&'static str] {
    match (machine, is_64) {
        (m, true) if m == elf::EM_X86_64 => &["x86_64-linux-gnu"],
        (m, false) if m == elf::EM_X86_64 => &["x86_64-linux-gnux32"],
        (m, _) if m == elf::EM_386 => &["i386-linux-gnu"],
        (m, _) if m == elf::EM_AARCH64 => &["aarch64-linux-gnu"],
        (m, _) if m == elf::EM_ARM => &["arm-linux-gnueabihf", "arm-linux-gnueabi"],
        (m, true) if m == elf::EM_RISCV => &["riscv64-linux-gnu"],
        (m, true) if m == elf::EM_PPC64 => &["powerpc64le-linux-gnu", "powerpc64-linux-gnu"],
        (m, true) if m == elf::EM_S390 => &["s390x-linux-gnu"],
        (m, true) if m == elf::EM_LOONGARCH => &["loongarch64-linux-gnu"],
        _ => &[],
    }
}

/// ld.so's `$PLATFORM` for a machine (the `AT_PLATFORM` its kernel reports).
fn platform(machine: elf::Machine, is_64: bool) -> &'static str {
    match (machine, is_64) {
        (m, _) if m == elf::EM_X86_64 => "x86_64",
        (m, _) if m == elf::EM_386 => "i686",
        (m, _) if m == elf::EM_AARCH64 => "aarch64",
        (m, true) if m == elf::EM_PPC64 => "ppc64le",
        _ => "",
    }
}

/// The default directories for an object of this class and machine, in ld.so's order.
fn default_dirs(loader: &Object) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for root in ["/lib", "/usr/lib"] {
        for triple in multiarch(loader.machine, loader.is_64) {
            dirs.push(Path::new(root).join(triple));
        }
    }
    let lib = if loader.is_64 { "lib64" } else { "lib32" };
    dirs.extend(
        [
            format!("/{lib}"),
            format!("/usr/{lib}"),
            "/lib".into(),
            "/usr/lib".into(),
        ]
        .map(PathBuf::from),
    );
    dirs
}

/// A search path entry with `$ORIGIN` (the object's directory), `$LIB` and `$PLATFORM`
/// expanded, in both the `$NAME` and `${NAME}` forms, and `.`/`..` folded (`$ORIGIN/../lib`),
/// so the path names the file the way a rule would.
fn expand(entry: &str, origin: &Path, loader: &Object) -> PathBuf {
    let lib = if loader.is_64 { "lib64" } else { "lib" };
    let mut out = entry.to_string();
    for (name, value) in [
        ("ORIGIN", origin.to_string_lossy().into_owned()),
        ("LIB", lib.to_string()),
        (
            "PLATFORM",
            platform(loader.machine, loader.is_64).to_string(),
        ),
    ] {
        out = out
            .replace(&format!("${{{name}}}"), &value)
            .replace(&format!("${name}"), &value);
    }
    let mut folded = PathBuf::new();
    for part in Path::new(&out).components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                folded.pop();
            }
            other => folded.push(other),
        }
    }
    folded
}

/// An object the loader has loaded, and the `DT_RPATH` chain it passes to its dependencies.
struct Loaded {
    path: PathBuf,
    object: Object,
    /// `DT_RPATH` directories of this object and its loaders, expanded, nearest first.
    rpath: Vec<PathBuf>,
}

/// Where ld.so finds `name` needed by `by`: the path and the object there.
fn find(name: &str, by: &Loaded) -> Option<(PathBuf, Object)> {
    let compatible = |path: &Path| {
        let bytes = read_bounded(path)?;
        let object = read(&bytes)?;
        (object.is_64 == by.object.is_64 && object.machine == by.object.machine)
            .then(|| (path.to_path_buf(), object))
    };
    if name.contains('/') {
        return compatible(Path::new(name));
    }
    let origin = by.path.parent().unwrap_or(Path::new("/"));
    let mut dirs: Vec<PathBuf> = Vec::new();
    if by.object.runpath.is_empty() {
        dirs.extend(by.rpath.iter().cloned());
    }
    dirs.extend(
        by.object
            .runpath
            .iter()
            .map(|r| expand(r, origin, &by.object)),
    );
    dirs.extend(default_dirs(&by.object));
    dirs.iter().find_map(|d| compatible(&d.join(name)))
}

/// The program's interpreter and libraries; `None` when it is not a readable ELF file.
pub(crate) fn exec_deps(program: &str) -> Option<ExecDeps> {
    let object = read(&read_bounded(Path::new(program))?)?;
    let path = PathBuf::from(program);
    let origin = path.parent().unwrap_or(Path::new("/")).to_path_buf();
    let rpath = object
        .rpath
        .iter()
        .map(|r| expand(r, &origin, &object))
        .collect();
    let mut deps = ExecDeps {
        interpreter: object.interpreter.clone(),
        ..ExecDeps::default()
    };
    let mut seen = BTreeSet::new();
    // Breadth first, as ld.so loads them; each name is loaded once.
    let mut queue = std::collections::VecDeque::from([Loaded {
        path,
        object,
        rpath,
    }]);
    while let Some(by) = queue.pop_front() {
        for name in &by.object.needed {
            if !seen.insert(name.clone()) {
                continue;
            }
            match find(name, &by) {
                Some((path, object)) => {
                    deps.libraries.push(path.to_string_lossy().into_owned());
                    let origin = path.parent().unwrap_or(Path::new("/")).to_path_buf();
                    let mut rpath: Vec<PathBuf> = object
                        .rpath
                        .iter()
                        .map(|r| expand(r, &origin, &object))
                        .collect();
                    rpath.extend(by.rpath.iter().cloned());
                    queue.push_back(Loaded {
                        path,
                        object,
                        rpath,
                    });
                }
                None => deps.unresolved.push(name.clone()),
            }
        }
    }
    Some(deps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cat_needs_the_loader_and_libc() {
        let deps = exec_deps("/usr/bin/cat").expect("/usr/bin/cat must be an ELF program");
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
        assert!(deps.unresolved.is_empty(), "{deps:?}");
    }

    #[test]
    fn origin_lib_and_platform_expand_in_both_forms() {
        let cat = read(&std::fs::read("/usr/bin/cat").unwrap()).unwrap();
        let at = Path::new("/opt/app/bin");
        assert_eq!(
            expand("$ORIGIN/../lib", at, &cat),
            PathBuf::from("/opt/app/lib")
        );
        assert_eq!(
            expand("${ORIGIN}/x/$LIB", at, &cat),
            PathBuf::from("/opt/app/bin/x/lib64")
        );
        assert_eq!(
            expand("/p/${PLATFORM}", at, &cat),
            PathBuf::from(format!("/p/{}", platform(cat.machine, cat.is_64)))
        );
    }

    /// A real library copied under a made-up application tree.
    fn app_with_library(tmp: &Path) -> (PathBuf, Object) {
        let cat = read(&std::fs::read("/usr/bin/cat").unwrap()).unwrap();
        let libc = exec_deps("/usr/bin/cat")
            .unwrap()
            .libraries
            .into_iter()
            .find(|l| l.ends_with("/libc.so.6"))
            .unwrap();
        std::fs::create_dir_all(tmp.join("app/lib")).unwrap();
        std::fs::create_dir_all(tmp.join("app/bin")).unwrap();
        std::fs::copy(libc, tmp.join("app/lib/libxpr-test.so")).unwrap();
        let program = Object {
            needed: vec!["libxpr-test.so".into()],
            ..cat
        };
        (tmp.join("app/bin/prog"), program)
    }

    #[test]
    fn runpath_and_rpath_with_origin_are_searched_as_ld_so_does() {
        let tmp = tempfile::tempdir().unwrap();
        let (path, program) = app_with_library(tmp.path());
        let loaded = |object: Object, rpath: Vec<PathBuf>| Loaded {
            path: path.clone(),
            object,
            rpath,
        };
        let want = tmp.path().join("app/lib/libxpr-test.so");
        let runpath = Object {
            runpath: vec!["$ORIGIN/../lib".into()],
            ..program.clone()
        };
        assert_eq!(
            find("libxpr-test.so", &loaded(runpath.clone(), vec![])).map(|f| f.0),
            Some(want.clone())
        );
        // DT_RPATH (inherited from a loader) is searched when the object has no DT_RUNPATH...
        let from_loader = vec![tmp.path().join("app/lib")];
        assert_eq!(
            find(
                "libxpr-test.so",
                &loaded(program.clone(), from_loader.clone())
            )
            .map(|f| f.0),
            Some(want)
        );
        // ...and ignored when it has one.
        let elsewhere = Object {
            runpath: vec!["/nonexistent".into()],
            ..program.clone()
        };
        assert!(find("libxpr-test.so", &loaded(elsewhere, from_loader)).is_none());
        assert!(
            find("libxpr-test.so", &loaded(program, vec![])).is_none(),
            "not in the defaults"
        );
    }

    #[test]
    fn a_library_of_another_machine_is_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let (path, program) = app_with_library(tmp.path());
        let other = Object {
            machine: if program.machine == elf::EM_AARCH64 {
                elf::EM_X86_64
            } else {
                elf::EM_AARCH64
            },
            runpath: vec!["$ORIGIN/../lib".into()],
            ..program
        };
        let by = Loaded {
            path,
            object: other,
            rpath: vec![],
        };
        assert!(find("libxpr-test.so", &by).is_none());
    }

    #[test]
    fn the_defaults_follow_the_objects_architecture_not_the_host() {
        let arm = Object {
            is_64: true,
            machine: elf::EM_AARCH64,
            interpreter: None,
            needed: Vec::new(),
            rpath: Vec::new(),
            runpath: Vec::new(),
        };
        let dirs = default_dirs(&arm);
        assert_eq!(dirs[0], PathBuf::from("/lib/aarch64-linux-gnu"));
        assert!(!dirs.iter().any(|d| d.to_string_lossy().contains("x86_64")));
    }
}
