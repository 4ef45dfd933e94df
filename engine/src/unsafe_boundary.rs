//! The system-call layer holds (ARCHITECTURE.md, "The sys layer"), enforced: `unsafe` appears
//! in `sys/` and, outside it, only in the files listed below, each for a reason `sys` cannot
//! take over (a forked child's body is its caller's code; a probe's raw syscall is the
//! measured operation; a foreign OS's functions are not Linux system calls). Every `unsafe`
//! block outside `sys` carries a `SAFETY` comment right above it. A new file with `unsafe`
//! fails the test until its calls move into `sys` or it joins the list with its reason; an
//! entry that no longer has any fails too, so the list only shrinks.

use std::path::Path;

use crate::module_order::{code_of, rust_files, src_dir};

/// Files outside `sys/` that may hold `unsafe`, each with why it cannot move.
const ALLOWED: &[(&str, &str)] = &[
    (
        "compile/seatbelt/ffi.rs",
        "macOS libsandbox functions: not Linux system calls, and sys is the Linux layer",
    ),
    (
        "compile/linux/mounts/mount_namespace.rs",
        "forks the mount builder whose body (building the probe's mount tree) is in this file",
    ),
    (
        "execute/child.rs",
        "the bodies of forked children, async-signal-safe until execve or _exit, are this file",
    ),
    (
        "execute/fixtures.rs",
        "forks a fixture process whose body is in this file",
    ),
    (
        "execute/pool.rs",
        "forks the worker whose loop is its body and never returns into the engine",
    ),
    (
        "execute/scratch.rs",
        "starts a guardian whose body (removing the scratch) is the closure it passes",
    ),
    (
        "execute/shared_vm_child.rs",
        "the entry of a CLONE_VM child and the memory it shares with the suspended parent",
    ),
    (
        "observe/audit_state.rs",
        "starts a guardian whose body (restoring audit state) is the closure it passes",
    ),
    (
        "probes/files.rs",
        "the raw filesystem syscalls are the operation a probe measures",
    ),
    (
        "probes/helper.rs",
        "the fork self-test's child body is the helper's own code",
    ),
    (
        "world/mount_facts.rs",
        "forks the mount-namespace canary whose body (unshare, a tmpfs) is in this file",
    ),
    (
        "world/landlock_domain_canary.rs",
        "forks a canary child whose body (raw Landlock syscalls) is in this file",
    ),
];

/// How many lines above an `unsafe` its `SAFETY` comment may start.
const SAFETY_REACH: usize = 4;

/// Whether the code of a line (comments and string contents removed) uses `unsafe` as a word.
fn uses_unsafe(code: &str) -> bool {
    code.match_indices("unsafe").any(|(at, _)| {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let before = code[..at].chars().next_back().is_none_or(|c| !ident(c));
        let after = code[at + 6..].chars().next().is_none_or(|c| !ident(c));
        before && after
    })
}

/// `(file relative to src, 1-based line, whether a SAFETY comment covers it)` for each line
/// outside `sys/` that uses `unsafe`.
fn unsafe_lines() -> Vec<(String, usize, bool)> {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut out = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&root).expect("under src");
        if rel.starts_with("sys") || rel == Path::new("unsafe_boundary.rs") {
            continue;
        }
        let rel = rel.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("source file");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = code_of(line);
            if !uses_unsafe(&code) {
                continue;
            }
            // A declaration (`unsafe fn`, `unsafe extern`) documents its contract in `# Safety`.
            let declaration = code.contains("unsafe fn") || code.contains("unsafe extern");
            let covered = declaration
                || lines[i.saturating_sub(SAFETY_REACH)..=i]
                    .iter()
                    .any(|l| l.contains("SAFETY"));
            out.push((rel.clone(), i + 1, covered));
        }
    }
    out
}

#[test]
fn unsafe_outside_sys_is_only_in_allowed_files_and_each_says_why() {
    let found = unsafe_lines();
    let mut problems = Vec::new();
    for (file, line, covered) in &found {
        if !ALLOWED.iter().any(|(f, _)| f == file) {
            problems.push(format!(
                "{file}:{line}: `unsafe` outside sys/: move the call into a safe wrapper in \
                 sys/, or allow the file in unsafe_boundary.rs with the reason it cannot move"
            ));
        } else if !covered {
            problems.push(format!(
                "{file}:{line}: `unsafe` without a SAFETY comment in the {SAFETY_REACH} lines above"
            ));
        }
    }
    for (file, _) in ALLOWED {
        if !found.iter().any(|(f, _, _)| f == file) {
            problems.push(format!(
                "{file} has no `unsafe` any more: remove it from the allowlist"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_allowed_file_gives_a_reason() {
    for (file, reason) in ALLOWED {
        assert!(reason.len() > 20, "{file}: say why it cannot move into sys");
    }
}

#[test]
fn the_scanner_sees_the_keyword_not_names_comments_or_strings() {
    assert!(uses_unsafe(&code_of("    let x = unsafe { f() };")));
    assert!(uses_unsafe(&code_of("unsafe fn open(p: &CStr) {}")));
    assert!(!uses_unsafe(&code_of("fn unsafe_names_are_refused() {}")));
    assert!(!uses_unsafe(&code_of("    // unsafe { f() } in a comment")));
    assert!(!uses_unsafe(&code_of(r#"    let m = "an unsafe name";"#)));
}
