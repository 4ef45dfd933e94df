//! Bundles do not depend on the working directory (spec §6): one experiment, run from the
//! directory above it, from its own directory and by absolute path from elsewhere, with
//! `--param` values (an SBPL file named relatively and by absolute path), writes byte-identical
//! artifacts (all but the manifest and the index, which carry the run id and the arguments as
//! typed), and `xpr diff` calls the runs identical. The experiment exercises what names files
//! (an import, SBPL origins and an SBPL import, shims, oracle records of the probe helper) and
//! what a probe could see of the working directory (a relative target, a command listing `.`).

use std::path::{Path, PathBuf};

use crate::support::{Xpr, exclusive_run, helper_exe};

const EXPERIMENT: &str = r#"
experiment "det" {
    lanes baseline scenario oracle
    timeout "5s"
    param sbfile "sb/base.sb"
}
import "lib/common.kdl"
fixtures {
    file foo path="{scratch}/foo" content="foo\n"
    file rel path="{scratch}/relative.txt" content="r\n"
}
profile from_sb sbpl="{sbfile}"
profile strict {
    default deny
    allow "file-read*" {
        subpath "{scratch}"
    }
}
profile strict_shimmed extends=strict {
    shim shared-reads
}
probe read-foo family=file-read target="{scratch}/foo" control=#true
probe read-relative family=file-read target="relative.txt"
probe read-hosts family=file-read target="/etc/hosts"
probe helper-read family=exec target="{scratch}/foo" helper="file-read"
probe list-cwd family=exec target="/bin/ls" {
    argv "ls" "-a"
}
"#;

const LIB: &str = r#"
shim shared-reads {
    allow "file-read*" {
        literal "/etc/hosts"
    }
}
"#;

/// A file the probes would see if they ran in the directory xpr was started from.
const DECOY: &str = "relative.txt";

fn tree(root: &Path) -> PathBuf {
    let exp = root.join("proj/exp");
    for (rel, text) in [
        ("det.kdl", EXPERIMENT),
        ("lib/common.kdl", LIB),
        (
            "sb/base.sb",
            "(version 1)\n(deny default)\n(import \"inc.sb\")\n",
        ),
        ("sb/inc.sb", "(allow file-read* (subpath \"/etc\"))\n"),
        (DECOY, "decoy\n"),
        ("../relative.txt", "decoy\n"),
    ] {
        let p = exp.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    exp
}

/// `xpr run` in `cwd`; returns the bundle.
fn run(cwd: &Path, file: &Path, out: &Path, label: &str, params: &[&str]) -> PathBuf {
    let mut xpr = Xpr::new()
        .cwd(cwd)
        .arg("run")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(["--label", label]);
    for p in params {
        xpr = xpr.args(["--param", p]);
    }
    let o = xpr.run();
    assert!(matches!(o.code(), Some(0 | 1)), "{o}");
    std::fs::read_dir(out.join("det"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(&format!("-{label}")))
        .expect("a bundle")
}

/// Every file of the bundle but the manifest and the index, by relative path.
fn artifacts(bundle: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![bundle.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            let rel = p.strip_prefix(bundle).unwrap().to_path_buf();
            if rel != Path::new("run_manifest.json") && rel != Path::new("artifact_index.json") {
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn bundles_are_the_same_wherever_xpr_is_started_from() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tree(tmp.path());
    let out = tmp.path().join("out");
    let abs_sb = format!("sbfile={}", exp.join("sb/base.sb").display());
    let _run = exclusive_run();
    let runs = [
        run(&exp, Path::new("det.kdl"), &out, "here", &[]),
        run(
            &exp.join("../.."),
            Path::new("proj/exp/det.kdl"),
            &out,
            "above",
            &["sbfile=sb/base.sb"],
        ),
        run(
            tmp.path(),
            &exp.join("det.kdl"),
            &out,
            "absolute",
            &[&abs_sb],
        ),
        run(&exp.join("sb"), Path::new("../det.kdl"), &out, "below", &[]),
    ];
    let first = artifacts(&runs[0]);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let xpr_dir = helper_exe()
        .parent()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for (path, bytes) in &first {
        for host in [tmp.path().to_string_lossy().into_owned(), xpr_dir.clone()] {
            assert!(
                !text(bytes).contains(&host),
                "{} names the host path {host}",
                path.display()
            );
        }
    }
    assert!(
        first.iter().any(|(p, b)| p.ends_with("from_sb.source.json")
            && text(b).contains("\"file\": \"sb/inc.sb\"")
            && text(b).contains("\"file\": \"sb/base.sb\"")),
        "SBPL origins are named relative to the experiment"
    );
    for run in &runs[1..] {
        let other = artifacts(run);
        assert_eq!(
            first.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            other.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            "{}",
            run.display()
        );
        for ((path, a), (_, b)) in first.iter().zip(&other) {
            assert!(
                a == b,
                "{} differs in {}:\n{}\n---\n{}",
                path.display(),
                run.display(),
                text(a),
                text(b)
            );
        }
        let diff = Xpr::new()
            .arg("diff")
            .arg(&runs[0])
            .arg(run)
            .args(["--format", "json"])
            .run();
        let d = diff.json();
        assert_eq!(
            (diff.code(), &d["identical"]),
            (Some(0), &serde_json::json!(true)),
            "{d:#}"
        );
    }
}
