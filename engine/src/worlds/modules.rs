//! Finding a world's modules in a kernel's module tree (`lib/modules/<release>/`): each name
//! the catalogue lists is a `.ko` file (possibly `.xz`/`.zst`-compressed) or built in
//! (`modules.builtin`); anything else is an error naming the module, never a silent skip.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One listed module, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    File { path: PathBuf, compressed: bool },
    Builtin,
}

/// `-` and `_` are the same in module names (the kernel says so too).
fn normal(name: &str) -> String {
    name.replace('-', "_")
}

/// The stem of a module file name: `9pnet_virtio.ko.xz` → `9pnet_virtio`.
fn module_stem(file: &str) -> Option<(String, bool)> {
    for (suffix, compressed) in [(".ko", false), (".ko.xz", true), (".ko.zst", true)] {
        if let Some(stem) = file.strip_suffix(suffix) {
            return Some((normal(stem), compressed));
        }
    }
    None
}

/// Resolves `wanted` in `tree` (a `lib/modules/<release>` directory, or any directory of
/// `.ko` files). Errors name every module that is neither a file nor built in.
pub(crate) fn resolve(tree: &Path, wanted: &[String]) -> Result<Vec<(String, Found)>, String> {
    let mut files = BTreeMap::new();
    walk(tree, 0, &mut files);
    let builtin: Vec<String> = std::fs::read_to_string(tree.join("modules.builtin"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.rsplit('/').next())
        .filter_map(|f| module_stem(f).map(|(s, _)| s))
        .collect();
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for name in wanted {
        let key = normal(name);
        if let Some((path, compressed)) = files.get(&key) {
            out.push((
                name.clone(),
                Found::File {
                    path: path.clone(),
                    compressed: *compressed,
                },
            ));
        } else if builtin.contains(&key) {
            out.push((name.clone(), Found::Builtin));
        } else {
            missing.push(name.as_str());
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "module(s) {} are neither a file under {} nor built into the kernel",
            missing.join(", "),
            tree.display()
        ));
    }
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut BTreeMap<String, (PathBuf, bool)>) {
    if depth > 12 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            walk(&path, depth + 1, out);
        } else if kind.is_file()
            && let Some((stem, compressed)) = module_stem(&entry.file_name().to_string_lossy())
        {
            out.entry(stem).or_insert((path, compressed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_builtins_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let fs_dir = dir.path().join("kernel/fs/9p");
        std::fs::create_dir_all(&fs_dir).unwrap();
        std::fs::write(fs_dir.join("9p.ko.xz"), b"x").unwrap();
        std::fs::write(dir.path().join("kernel/fs/overlay.ko"), b"x").unwrap();
        std::fs::write(
            dir.path().join("modules.builtin"),
            "kernel/drivers/virtio/virtio_pci.ko\n",
        )
        .unwrap();
        let wanted = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let found = resolve(dir.path(), &wanted(&["virtio-pci", "9p", "overlay"])).unwrap();
        assert_eq!(found[0].1, Found::Builtin);
        assert!(matches!(
            found[1].1,
            Found::File {
                compressed: true,
                ..
            }
        ));
        assert!(matches!(
            found[2].1,
            Found::File {
                compressed: false,
                ..
            }
        ));
        let err = resolve(dir.path(), &wanted(&["9p", "nope"])).unwrap_err();
        assert!(err.contains("nope") && !err.contains("9p,"), "{err}");
    }
}
