//! Embeds every file under `engine/stdlib/` into the binary, so an installed `xpr` resolves
//! `import "std/<name>"` without the source tree. In the repository `engine/stdlib` is a link to
//! the top-level `stdlib/`; `cargo package` follows it, so a published crate carries the files
//! themselves. The table is generated (instead of a hand-written list of `include_str!`) so a
//! new stdlib file needs no code change. A missing stdlib, or one without the files every run
//! reads, fails the build: a binary with an empty stdlib would check nothing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("stdlib");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    for required in REQUIRED {
        if !files.iter().any(|(name, _)| name == required) {
            panic!(
                "the standard library is incomplete: {} has no {required}.kdl (found {} files); \
                 in a checkout, engine/stdlib must be the link to ../stdlib",
                root.display(),
                files.len()
            );
        }
    }
    let mut out = String::from("&[\n");
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("]\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("stdlib_table.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// Files every run reads: the operation vocabulary, the probe families, the sysctl table.
const REQUIRED: [&str; 3] = ["vocabulary", "families", "sysctl"];

/// Collects `(name, path)` for every `.kdl` file, where name is the path below `stdlib/`
/// without the extension, with `/` separators (`shims/linux`).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Hidden entries are editor or test scratch, never stdlib files.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "kdl") {
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .with_extension("");
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push((name, path));
        }
    }
}
