//! Property test: the oracle's evaluator and the real kernel agree on generated Landlock
//! rulesets (one or two layers, random handled rights and path rules in a temp tree; a layer
//! that handles no file right handles TCP connect instead) and generated probes (read, write,
//! create, unlink of files and directories, rename within and across directories, list of
//! directories and files), each made the way the driver makes it.
//!
//! Needs Landlock ABI ≥ 4 (TCP); without it the test FAILS with a message. Children only
//! make raw syscalls after the fork (the harness is multi-threaded).

use crate::support;

use std::ffi::CString;
use std::path::Path;

use proptest::prelude::*;
use xpr::compile::linux::{
    CompiledProfile, LANDLOCK_PLAN_SCHEMA_VERSION, LandlockPlan, LayerPlan, PathRulePlan,
    PreparedSandbox,
};
use xpr::model::{ArgValue, Probe};
use xpr::oracle::{HostView, Prediction, predict};

const DIRS: &[&str] = &["", "a", "a/b", "c"];
const FILES: &[&str] = &["a/f", "a/b/g", "c/h", "top"];
/// execute, write_file, read_file, read_dir, remove_file, make_reg, refer, truncate.
const RIGHTS: &[u64] = &[
    1 << 0,
    1 << 1,
    1 << 2,
    1 << 3,
    1 << 5,
    1 << 8,
    1 << 13,
    1 << 14,
];

#[derive(Clone, Debug)]
enum Op {
    Read(usize),
    Write(usize),
    Create(usize),
    Unlink(usize),
    /// file → directory/new name, or onto an existing file.
    Rename(usize, usize, bool),
    List(usize),
}

fn mask(bits: &[bool]) -> u64 {
    bits.iter()
        .zip(RIGHTS)
        .filter(|(on, _)| **on)
        .fold(0, |m, (_, r)| m | r)
}

fn node(i: usize) -> &'static str {
    if i < DIRS.len() {
        DIRS[i]
    } else {
        FILES[i - DIRS.len()]
    }
}

fn layer_strategy() -> impl Strategy<Value = (u64, Vec<(usize, u64)>)> {
    (
        proptest::collection::vec(any::<bool>(), RIGHTS.len()),
        proptest::collection::vec(
            (
                0..DIRS.len() + FILES.len(),
                proptest::collection::vec(any::<bool>(), RIGHTS.len()),
            ),
            0..4,
        ),
    )
        .prop_map(|(handled, rules)| {
            // A ruleset that handles no file right handles TCP connect (it must handle
            // something): a domain without file rights makes no move check.
            let handled = mask(&handled);
            let rules = rules
                .into_iter()
                .map(|(n, r)| (n, mask(&r) & handled))
                .filter(|(_, r)| *r != 0)
                .collect();
            (handled, rules)
        })
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..FILES.len()).prop_map(Op::Read),
        (0..FILES.len()).prop_map(Op::Write),
        (0..DIRS.len()).prop_map(Op::Create),
        (0..DIRS.len() + FILES.len()).prop_map(Op::Unlink),
        (0..FILES.len(), 0..DIRS.len(), any::<bool>()).prop_map(|(f, d, e)| Op::Rename(f, d, e)),
        (0..DIRS.len() + FILES.len()).prop_map(Op::List),
    ]
}

fn build_tree(root: &Path) {
    for d in DIRS {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    for f in FILES {
        std::fs::write(root.join(f), b"x").unwrap();
    }
}

fn plan(root: &Path, layers: &[(u64, Vec<(usize, u64)>)]) -> CompiledProfile {
    let abs = |rel: &str| {
        let p = root.join(rel);
        p.to_string_lossy().trim_end_matches('/').to_string()
    };
    let layers = layers
        .iter()
        .map(|(handled, rules)| LayerPlan {
            handled_fs_mask: *handled,
            handled_net_mask: if *handled == 0 { 1 << 1 } else { 0 },
            path_rules: rules
                .iter()
                .enumerate()
                .map(|(i, (n, m))| PathRulePlan {
                    path: abs(node(*n)),
                    literal: false,
                    access: Vec::new(),
                    access_mask: *m,
                    rules: vec![i],
                })
                .collect(),
            ..LayerPlan::default()
        })
        .collect();
    CompiledProfile::from_plan(LandlockPlan {
        schema_version: LANDLOCK_PLAN_SCHEMA_VERSION.into(),
        profile: "generated".into(),
        abi: 4,
        layers,
        restrict_flags: 0,
        seccomp: None,
        scratch_not_under: Vec::new(),
    })
}

/// The op as a model probe (for the oracle) and as C paths (for the child).
fn probe_of(root: &Path, op: &Op) -> (Probe, Vec<CString>) {
    let p = |rel: &str| {
        root.join(rel)
            .to_string_lossy()
            .trim_end_matches('/')
            .to_string()
    };
    let c = |s: &str| CString::new(s).unwrap();
    match op {
        Op::Read(f) => (
            support::probe("p", "file-read", Some(&p(FILES[*f]))),
            vec![c(&p(FILES[*f]))],
        ),
        Op::Write(f) => (
            support::probe("p", "file-write", Some(&p(FILES[*f]))),
            vec![c(&p(FILES[*f]))],
        ),
        Op::Create(d) => {
            let t = p(&format!("{}/new", DIRS[*d]));
            (support::probe("p", "file-create", Some(&t)), vec![c(&t)])
        }
        Op::Unlink(n) => (
            support::probe("p", "file-unlink", Some(&p(node(*n)))),
            vec![c(&p(node(*n)))],
        ),
        Op::Rename(f, d, existing) => {
            let from = p(FILES[*f]);
            let to = if *existing {
                p(FILES[(*f + 1 + *d) % FILES.len()])
            } else {
                p(&format!("{}/moved", DIRS[*d]))
            };
            let probe = support::with_arg(
                support::probe("p", "file-rename", Some(&from)),
                "to",
                ArgValue::Str(to.clone()),
            );
            (probe, vec![c(&from), c(&to)])
        }
        Op::List(n) => (
            support::probe("p", "dir-list", Some(&p(node(*n)))),
            vec![c(&p(node(*n)))],
        ),
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(255)
}

/// Runs the op in a forked child under the sandbox; 0 or the errno.
fn kernel(prepared: &PreparedSandbox, op: &Op, paths: &[CString]) -> i32 {
    // SAFETY: the child makes raw syscalls on prebuilt C strings, then _exit.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0);
        if pid == 0 {
            if prepared.apply().is_err() {
                libc::_exit(254);
            }
            let r = match op {
                Op::Read(_) => libc::open(paths[0].as_ptr(), libc::O_RDONLY),
                Op::Write(_) => libc::open(paths[0].as_ptr(), libc::O_WRONLY),
                // As the driver: mknod, the create right only.
                Op::Create(_) => libc::mknod(paths[0].as_ptr(), libc::S_IFREG | 0o644, 0),
                Op::Unlink(_) => libc::unlink(paths[0].as_ptr()),
                Op::Rename(..) => libc::rename(paths[0].as_ptr(), paths[1].as_ptr()),
                Op::List(_) => libc::open(paths[0].as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY),
            };
            libc::_exit(if r < 0 { errno() } else { 0 });
        }
        let mut status = 0;
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        assert!(libc::WIFEXITED(status));
        libc::WEXITSTATUS(status)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("XPR_ORACLE_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(96), ..ProptestConfig::default() })]

    #[test]
    fn oracle_agrees_with_the_kernel(
        layers in proptest::collection::vec(layer_strategy(), 1..3),
        op in op_strategy(),
    ) {
        support::require_landlock(4);
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        build_tree(&root);
        let compiled = plan(&root, &layers);
        let (probe, paths) = probe_of(&root, &op);
        let predicted = predict(&compiled, &probe, &HostView { scratch: None }, "");
        let expected = match predicted.prediction {
            Prediction::Allow => 0,
            Prediction::Deny | Prediction::Error => predicted.errno.as_ref().unwrap().raw,
            other => panic!("unexpected prediction {other:?}: {}", predicted.explanation),
        };
        let prepared = PreparedSandbox::prepare(&compiled, &root).expect("prepare");
        let got = kernel(&prepared, &op, &paths);
        prop_assert_eq!(
            got, expected,
            "op {:?} layers {:?}: oracle said {} ({})", op, layers, predicted.decision_text(), predicted.explanation
        );
    }
}
