//! What of the host's files a guest sees. The guest's root is the host's (read-only, under an
//! overlay), but its init mounts `/tmp`, `/run`, `/proc`, `/sys` and `/dev` afresh. Test
//! suites, `mktemp -d` checkouts and scratch experiments live under `/tmp`, so the host names
//! the places there the run needs (the `xpr` binary, the experiment's directory, a reference
//! bundle, the working directory) and the guest's init shows exactly those, from its overlay
//! view of the host's `/tmp`, inside its fresh one. Anything under the other fresh mounts is
//! refused before a guest boots.

use std::path::{Component, Path, PathBuf};

use super::WorldError;

/// Host directories the guest's init covers with fresh mounts.
pub(crate) const FRESH_IN_GUEST: &[&str] = &["/tmp", "/run", "/proc", "/sys", "/dev"];
/// The one fresh mount the guest can show host paths in (spec §12.3).
pub(crate) const SHOWN_FROM_HOST: &str = "/tmp";

/// One host place the guest's run needs, and what it is for (named in errors).
#[derive(Clone, Debug)]
pub(crate) struct Needed {
    pub what: &'static str,
    pub path: PathBuf,
    pub is_dir: bool,
}

/// The paths under `/tmp` the guest's init must show from the host's `/tmp` (each a
/// directory, or a file directly in `/tmp`), sorted and without one beneath another; an
/// error names the first needed path under another fresh mount.
pub(crate) fn tmp_binds(needed: &[Needed]) -> Result<Vec<String>, WorldError> {
    let mut binds: Vec<PathBuf> = Vec::new();
    for n in needed {
        let path = normalise(&n.path);
        let Some(mount) = FRESH_IN_GUEST.iter().find(|m| path.starts_with(m)) else {
            continue;
        };
        if *mount != SHOWN_FROM_HOST {
            return Err(WorldError::Setup(format!(
                "{} is at {}, under {mount}, which the guest mounts afresh (it cannot see the \
                 host's); move it elsewhere",
                n.what,
                path.display()
            )));
        }
        // A file is shown with its directory (a program or an experiment may look beside
        // itself), unless that directory is `/tmp` itself.
        let shown = match (n.is_dir, path.parent()) {
            (false, Some(parent)) if parent != Path::new(SHOWN_FROM_HOST) => parent.to_path_buf(),
            _ => path,
        };
        if shown != Path::new(SHOWN_FROM_HOST) {
            binds.push(shown);
        }
    }
    binds.sort();
    binds.dedup();
    let kept: Vec<String> = binds
        .iter()
        .filter(|p| !binds.iter().any(|q| q != *p && p.starts_with(q)))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    Ok(kept)
}

/// The part of `bind` below `/tmp`, checked as the guest's init reads it from the request:
/// relative, of normal components only (never `..`), so it cannot name anything outside.
pub(crate) fn below_tmp(bind: &str) -> Option<&Path> {
    let rest = Path::new(bind).strip_prefix(SHOWN_FROM_HOST).ok()?;
    let normal = rest.components().all(|c| matches!(c, Component::Normal(_)));
    (normal && rest.components().next().is_some()).then_some(rest)
}

/// `path` made absolute and free of `.`/`..` lexically (no link is followed on the host).
fn normalise(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::from("/");
    for c in absolute.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> Needed {
        Needed {
            what: "the experiment",
            path: path.into(),
            is_dir: false,
        }
    }

    fn dir(path: &str) -> Needed {
        Needed {
            what: "the reference bundle",
            path: path.into(),
            is_dir: true,
        }
    }

    #[test]
    fn files_are_shown_with_their_directory_and_nested_places_once() {
        let binds = tmp_binds(&[
            file("/tmp/t1/select.kdl"),
            dir("/tmp/t1/out/select/20261206T060702Z-810a24"),
            dir("/tmp/t1"),
            file("/tmp/ck/x/target/debug/xpr"),
            file("/usr/bin/true"),
            dir("/tmp"),
        ])
        .unwrap();
        assert_eq!(binds, ["/tmp/ck/x/target/debug", "/tmp/t1"]);
    }

    #[test]
    fn a_file_directly_in_tmp_is_shown_alone_and_dot_dot_is_resolved_lexically() {
        let binds = tmp_binds(&[file("/tmp/exp.kdl"), file("/tmp/a/../b/c.kdl")]).unwrap();
        assert_eq!(binds, ["/tmp/b", "/tmp/exp.kdl"]);
    }

    #[test]
    fn other_fresh_mounts_are_refused_with_what_is_there() {
        let err = tmp_binds(&[file("/run/user/0/exp.kdl")]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("the experiment is at /run/user/0/exp.kdl, under /run"),
            "{text}"
        );
        assert!(tmp_binds(&[file("/tmpfoo/x.kdl")]).unwrap().is_empty());
    }

    #[test]
    fn the_guest_accepts_only_plain_paths_below_tmp() {
        assert_eq!(below_tmp("/tmp/a/b"), Some(Path::new("a/b")));
        for bad in [
            "/tmp",
            "/tmp/",
            "/tmp/../etc",
            "/tmp/a/../../etc",
            "/etc",
            "tmp/a",
        ] {
            assert_eq!(below_tmp(bad), None, "{bad}");
        }
    }
}
