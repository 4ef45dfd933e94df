//! Host safety: running every shipped experiment as root, through the real `xpr run`, leaves
//! /etc and the repository unchanged (digests before and after), the host's mount table as it
//! was (the mount mechanism mounts only inside the probes' own namespaces), nothing of xpr's
//! in /tmp, and no scratch directory, no process and the audit state as it was.
//!
//! A binary of its own: it digests the host before and after, so no other test may run in its
//! process meanwhile (their temporary files, pending snapshots or regression files would read
//! as changes the experiments made).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// path → (mode, blake3 of the content or of the link target).
fn digest_tree(root: &Path, skip: &[&str]) -> BTreeMap<PathBuf, (u32, String)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if skip.iter().any(|s| p.file_name().is_some_and(|n| n == *s)) {
                continue;
            }
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let digest = if m.is_dir() {
                stack.push(p.clone());
                String::new()
            } else if m.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap_or_default();
                blake3::hash(t.as_os_str().as_encoded_bytes())
                    .to_hex()
                    .to_string()
            } else if m.is_file() {
                match std::fs::read(&p) {
                    Ok(bytes) => blake3::hash(&bytes).to_hex().to_string(),
                    Err(_) => "unreadable".into(),
                }
            } else {
                String::new()
            };
            out.insert(p, (m.mode(), digest));
        }
    }
    out
}

#[test]
fn shipped_experiments_leave_etc_and_the_repository_unchanged() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let experiments: Vec<PathBuf> = std::fs::read_dir(repo.join("experiments"))
        .expect("experiments/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "kdl"))
        .collect();
    assert!(!experiments.is_empty(), "no experiments to run");
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tempfile::tempdir().expect("out dir");
    let skip = ["target", "out", ".git"];
    let audit_before = xpr::observe::status_between_sessions()
        .ok()
        .map(|s| s.enabled);
    let etc_before = digest_tree(Path::new("/etc"), &[]);
    let mounts_before = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let tmp_before = xpr_entries_in_tmp();
    let repo_before = digest_tree(&repo, &skip);

    for exp in &experiments {
        let status = Command::new(env!("CARGO_BIN_EXE_xpr"))
            .arg("run")
            .arg(exp)
            .arg("--out")
            .arg(out.path())
            .env("TMPDIR", tmp.path())
            .env("NO_COLOR", "1")
            .current_dir(&repo)
            .output()
            .expect("xpr runs");
        let code = status.status.code();
        assert!(
            matches!(code, Some(0) | Some(1)),
            "{}: exit {code:?}\n{}",
            exp.display(),
            String::from_utf8_lossy(&status.stderr)
        );
    }

    let etc_after = digest_tree(Path::new("/etc"), &[]);
    assert_eq!(
        std::fs::read_to_string("/proc/self/mountinfo").unwrap(),
        mounts_before,
        "the host's mount table changed"
    );
    // The runs' TMPDIR is elsewhere: nothing of theirs may land in /tmp (other users' and
    // sessions' files there come and go, so only xpr's names are compared).
    assert_eq!(xpr_entries_in_tmp(), tmp_before, "xpr left entries in /tmp");
    let repo_after = digest_tree(&repo, &skip);
    let changed = |a: &BTreeMap<PathBuf, (u32, String)>, b: &BTreeMap<PathBuf, (u32, String)>| {
        let mut d: Vec<String> = Vec::new();
        for (p, v) in a {
            if b.get(p) != Some(v) {
                d.push(format!("changed or removed: {}", p.display()));
            }
        }
        for p in b.keys().filter(|p| !a.contains_key(*p)) {
            d.push(format!("added: {}", p.display()));
        }
        d
    };
    assert_eq!(
        changed(&etc_before, &etc_after),
        Vec::<String>::new(),
        "/etc changed"
    );
    assert_eq!(
        changed(&repo_before, &repo_after),
        Vec::<String>::new(),
        "the repository changed"
    );
    let left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "scratch directories left behind: {left:?}");
    assert_eq!(
        xpr::observe::status_between_sessions()
            .ok()
            .map(|s| s.enabled),
        audit_before,
        "the audit state changed"
    );
    let xpr_exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_xpr")).unwrap();
    let survivors = || -> Vec<String> {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| std::fs::read_link(e.path().join("exe")).ok().as_deref() == Some(&xpr_exe))
            .map(|e| {
                let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
                format!(
                    "{}: {}",
                    e.file_name().to_string_lossy(),
                    String::from_utf8_lossy(&cmdline).replace('\0', " ")
                )
            })
            .collect()
    };
    // Generous: on a loaded machine the last guardian may take seconds to be scheduled.
    let ended = eventually(std::time::Duration::from_secs(30), || {
        survivors().is_empty()
    });
    assert!(
        ended,
        "an xpr process (worker, guardian, fixture or probe helper) outlived its run: {:?}",
        survivors()
    );
    // Each run wrote one bundle (beside it, the `latest` link).
    let bundles: usize = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|d| {
            std::fs::read_dir(d.path())
                .map(|r| r.flatten().filter(|e| e.file_name() != "latest").count())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(bundles, experiments.len());
}

/// The entries directly in /tmp whose names say they are xpr's (scratch roots, temporary
/// reports, the guardians' files).
fn xpr_entries_in_tmp() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/tmp")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.to_ascii_lowercase().contains("xpr"))
        .collect();
    names.sort();
    names
}

/// Polls `done` every 20 ms for at most `limit`.
fn eventually(limit: std::time::Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = std::time::Instant::now();
    while !done() {
        if started.elapsed() > limit {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    true
}
