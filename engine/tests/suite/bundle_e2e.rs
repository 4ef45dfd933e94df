//! End to end through `xpr run`: two runs of an experiment diff as identical, an ABI-3 run
//! against a host-ABI run reports exactly the expected changes, every bundle verifies, and no
//! bundle holds the temp root or the repository path.
//!
//! Needs the runner (`xpr run`) and a host with Landlock ABI ≥ 4; says so and returns early
//! otherwise.

use std::path::{Path, PathBuf};

use crate::support::Xpr;

fn host_abi() -> u64 {
    let out = Xpr::new().args(["world", "--format", "json"]).run();
    serde_json::from_str::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|w| w["landlock"]["host_abi"].as_u64())
        .unwrap_or(0)
}

/// Runs the experiment copied into `cwd`; returns the bundle dir. The output root is an
/// absolute path outside `cwd` (under the temp root), so the no-host-path check below also
/// covers the recorded CLI arguments.
fn run(cwd: &Path, out_root: &Path, label: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "run",
        "net-ports.kdl",
        "--out",
        out_root.to_str().unwrap(),
        "--label",
        label,
    ];
    args.extend_from_slice(extra);
    let out = Xpr::new().cwd(cwd).args(args).run();
    assert!(matches!(out.code(), Some(0 | 1)), "run {label}: {out}");
    let runs = out_root.join("net-ports");
    let found = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .ends_with(&format!("-{label}"))
        });
    found.expect("the run's bundle")
}

fn diff_json(cwd: &Path, a: &Path, b: &Path) -> (Option<i32>, serde_json::Value) {
    let out = Xpr::new()
        .cwd(cwd)
        .arg("diff")
        .arg(a)
        .arg(b)
        .args(["--format", "json"])
        .run();
    (out.code(), out.json())
}

fn strings(v: &serde_json::Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c[key].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn runs_diff_as_identical_and_abi3_reports_exactly_the_expected_changes() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    std::fs::copy(
        repo.join("experiments/net-ports.kdl"),
        cwd.join("net-ports.kdl"),
    )
    .unwrap();
    assert!(
        host_abi() >= 4,
        "this test compares a Landlock ABI >= 4 run (TCP port rules) with an ABI 3 run; \
         the host's Landlock ABI is {}",
        host_abi()
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out_root = out_dir.path();
    let a = run(cwd, out_root, "first", &[]);
    let b = run(cwd, out_root, "second", &[]);
    let c = run(cwd, out_root, "abi3", &["--landlock-abi", "3"]);

    for bundle in [&a, &b, &c] {
        Xpr::new()
            .cwd(cwd)
            .arg("verify")
            .arg(bundle)
            .run()
            .success();
    }

    let (code, same) = diff_json(cwd, &a, &b);
    assert_eq!(
        (code, &same["identical"]),
        (Some(0), &serde_json::json!(true)),
        "{same:#}"
    );

    let (code, d) = diff_json(cwd, &a, &c);
    assert_eq!(code, Some(1));
    assert_eq!(
        strings(&d["verdicts"], "id"),
        [
            "no_outbound/connect-echo",
            "no_outbound/read-foo",
            "no_outbound/write-foo"
        ]
    );
    for change in d["verdicts"].as_array().unwrap() {
        assert_eq!(change["b"]["verdict"], "blocked", "{change:#}");
        assert_eq!(change["b"]["stage"], "apply");
    }
    assert_eq!(d["outcomes"], serde_json::json!([]));
    assert_eq!(
        strings(&d["world_facts"], "key"),
        ["world.landlock.abi_cap", "world.landlock.effective_abi"]
    );
    assert_eq!(d["inputs"], serde_json::json!([]));
    let unsupported: Vec<&serde_json::Value> = d["fidelity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["b"]["fidelity"] == "unsupported")
        .collect();
    assert_eq!(unsupported.len(), 1, "{:#}", d["fidelity"]);
    assert_eq!(unsupported[0]["profile"], "no_outbound");

    let temp_root = std::env::temp_dir();
    let needles = [temp_root.to_str().unwrap(), repo.to_str().unwrap()];
    for bundle in [&a, &b, &c] {
        let mut stack = vec![bundle.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                for needle in needles {
                    assert!(
                        !text.contains(needle),
                        "{} contains {needle}",
                        path.display()
                    );
                }
            }
        }
    }
}
