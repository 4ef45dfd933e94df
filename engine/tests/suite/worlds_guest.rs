//! Guest worlds for real: `xpr run --world debian-12-6.1` boots Debian's 6.1 kernel under qemu
//! (TCG), runs inside with the host's userland, and returns a bundle that verifies, whose
//! world facts come from the guest, and whose verdicts equal the host's at the same Landlock
//! ABI (so Landlock behaves on the guest's shared root as on a local filesystem). The faults:
//! qemu missing, a download that fails, a guest whose init fails, a guest past its timeout,
//! Ctrl-C. These tests need qemu (`apt-get install qemu-system-x86`) and the kernel (fetched
//! on first use, cached by `xpr worlds fetch debian-12-6.1`): without them they fail.
//! One guest at a time (the run lock): each takes a core or more under TCG.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{Xpr, exclusive_run, interrupt, wait_for};

const WORLD: &str = "debian-12-6.1";

/// `xpr ARGS` from the engine directory, with its temporary files under `tmp`.
fn xpr(args: &[&str], tmp: &Path) -> Xpr {
    Xpr::new()
        .args(args)
        .env("TMPDIR", tmp)
        .cwd(env!("CARGO_MANIFEST_DIR"))
}

/// The guest world's prerequisites, or a failure that says what is missing.
fn require_qemu() {
    assert!(
        xpr::worlds::fetch::find_in_path(xpr::worlds::launch::QEMU).is_some(),
        "guest-world tests need {} (apt-get install qemu-system-x86)",
        xpr::worlds::launch::QEMU
    );
}

fn bundle_dirs(out: &Path, experiment: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out.join(experiment))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && !p.ends_with("latest"))
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn manifest(bundle: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(bundle.join("run_manifest.json")).unwrap()).unwrap()
}

#[test]
fn a_guest_run_verifies_and_agrees_with_the_host_at_the_same_abi() {
    require_qemu();
    let _one = exclusive_run();
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let out_s = out.path().to_str().unwrap();
    let exp = "../experiments/runtime-checks.kdl";
    let guest = xpr(&["run", exp, "--world", WORLD, "--out", out_s], tmp.path())
        .run()
        .exit(0);
    let stdout = guest.stdout;
    assert!(
        stdout.contains("44 held, 0 mismatched, 5 known of 49"),
        "{stdout}"
    );
    xpr(
        &["run", exp, "--landlock-abi", "2", "--out", out_s],
        tmp.path(),
    )
    .run()
    .exit(0);
    let bundles = bundle_dirs(out.path(), "runtime-checks");
    assert_eq!(bundles.len(), 2, "{bundles:?}");
    let (guest_bundle, host_bundle) = (&bundles[0], &bundles[1]);

    xpr(&["verify", guest_bundle.to_str().unwrap()], tmp.path())
        .run()
        .exit(0);

    // World facts from inside the guest, plus how the world was made.
    let m = manifest(guest_bundle);
    let world = &m["world"];
    assert_eq!(world["landlock"]["effective_abi"], 2, "{world}");
    assert!(
        world["kernel"].as_str().unwrap().starts_with("6.1."),
        "{world}"
    );
    assert_eq!(world["vm"]["name"], WORLD);
    assert_eq!(world["vm"]["kernel_source"], "package");
    assert_eq!(world["vm"]["suite"], "bookworm");
    assert_eq!(world["vm"]["kernel_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(m["harness"]["vm"]["accelerator"], "tcg");
    // The host's container markers (a CI container's `/.dockerenv`) are not the guest's.
    assert!(
        world["harness"]["container_hints"]
            .as_array()
            .is_none_or(|h| h.is_empty()),
        "{world}"
    );
    assert!(
        m["harness"]["vm"]["qemu"]
            .as_str()
            .unwrap()
            .contains("QEMU")
    );
    let guest_id = m["world_id"].as_str().unwrap();
    assert!(guest_id.starts_with("linux-6.1."), "{guest_id}");
    assert_ne!(
        guest_id,
        manifest(host_bundle)["world_id"].as_str().unwrap()
    );
    // The manifest records the user's command line, not the guest's.
    let args: Vec<&str> = m["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.contains(&"--world") && args.contains(&WORLD),
        "{args:?}"
    );

    // Landlock on the guest's root (9p under an overlay) decides as on the host's disk: the
    // same verdicts, stages and errnos; only world facts differ.
    let diff = xpr(
        &[
            "diff",
            host_bundle.to_str().unwrap(),
            guest_bundle.to_str().unwrap(),
            "--format",
            "json",
        ],
        tmp.path(),
    )
    .run();
    let d = diff.json();
    assert_eq!(d["verdicts"], serde_json::json!([]), "{d}");
    assert_eq!(d["outcomes"], serde_json::json!([]), "{d}");
    assert!(!d["world_facts"].as_array().unwrap().is_empty());

    // Nothing of the guest stays behind in the temporary directory.
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn the_world_id_of_a_guest_is_stable_across_runs() {
    require_qemu();
    let _one = exclusive_run();
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let out_s = out.path().to_str().unwrap();
    for _ in 0..2 {
        let run = xpr(
            &[
                "run",
                "tests/run/small.kdl",
                "--world",
                WORLD,
                "--out",
                out_s,
            ],
            tmp.path(),
        )
        .run();
        assert!(matches!(run.code(), Some(0 | 1)), "{run}");
    }
    let name = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .file_name();
    let bundles = bundle_dirs(out.path(), name.to_str().unwrap());
    assert_eq!(bundles.len(), 2);
    let ids: Vec<String> = bundles
        .iter()
        .map(|b| manifest(b)["world_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids[0], ids[1]);
    xpr(
        &[
            "diff",
            bundles[0].to_str().unwrap(),
            bundles[1].to_str().unwrap(),
        ],
        tmp.path(),
    )
    .run()
    .exit(0);
}

/// A user world over the cached 6.1 kernel, with a broken module list or a short timeout.
fn user_world(dir: &Path, body: &str) -> PathBuf {
    let spec = xpr::worlds::Catalogue::load(&[])
        .unwrap()
        .get(WORLD)
        .unwrap()
        .clone();
    let kernel = xpr::worlds::fetch::kernel(&spec, &mut |_| {}).expect("the 6.1 kernel");
    let kdir = kernel.image.parent().unwrap().display().to_string();
    let file = dir.join("worlds.kdl");
    let text = format!(
        "world mine {{\n    kernel \"{}\" modules-dir=\"{kdir}\"\n{body}\n}}\n",
        kernel.image.display()
    );
    std::fs::write(&file, text).unwrap();
    file
}

fn console_logs(out: &Path) -> Vec<PathBuf> {
    let mut logs = Vec::new();
    for dir in std::fs::read_dir(out).unwrap().flatten() {
        for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
            if f.path().extension().is_some_and(|e| e == "log") {
                logs.push(f.path());
            }
        }
    }
    logs
}

#[test]
fn a_guest_whose_init_fails_is_an_environment_failure_with_its_console_kept() {
    require_qemu();
    let _one = exclusive_run();
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    // virtio_pci needs virtio_ring, which is not listed: the init cannot load it.
    let worlds = user_world(tmp.path(), "    modules \"virtio\" \"virtio_pci\"");
    let run = xpr(
        &[
            "run",
            "tests/run/small.kdl",
            "--world",
            "mine",
            "--world-file",
            worlds.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        tmp.path(),
    )
    .run()
    .exit(3);
    assert!(
        run.stderr.contains("loading module virtio_pci failed"),
        "{run}"
    );
    let logs = console_logs(out.path());
    assert_eq!(logs.len(), 1, "{run}");
    assert!(run.stderr.contains(logs[0].to_str().unwrap()), "{run}");
    let log = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(log.contains("loading module virtio_pci failed"), "{log}");
    assert!(bundle_dirs(out.path(), "cli-small").is_empty());
}

#[test]
fn a_guest_past_its_timeout_is_stopped() {
    require_qemu();
    let _one = exclusive_run();
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let worlds = user_world(tmp.path(), "    timeout \"1s\"");
    let started = Instant::now();
    let run = xpr(
        &[
            "run",
            "tests/run/small.kdl",
            "--world",
            "mine",
            "--world-file",
            worlds.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        tmp.path(),
    )
    .run()
    .exit(3);
    assert!(started.elapsed() < Duration::from_secs(30));
    let stderr = run.stderr;
    assert!(
        stderr.contains("did not finish within its timeout"),
        "{stderr}"
    );
    assert_eq!(console_logs(out.path()).len(), 1);
}

#[test]
fn ctrl_c_stops_the_guest_and_leaves_no_bundle() {
    require_qemu();
    let _one = exclusive_run();
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut child = xpr(
        &[
            "run",
            "../experiments/runtime-checks.kdl",
            "--world",
            WORLD,
            "--out",
            out.path().to_str().unwrap(),
        ],
        tmp.path(),
    )
    .spawn();
    // The guest's work directory exists once qemu is about to start.
    wait_for("the guest to start", Duration::from_secs(60), || {
        std::fs::read_dir(tmp.path()).unwrap().next().is_some()
    });
    std::thread::sleep(Duration::from_secs(2));
    let status = interrupt(&mut child, Duration::from_secs(20), "xpr did not stop");
    assert_eq!(status.code(), Some(3));
    assert!(bundle_dirs(out.path(), "runtime-checks").is_empty());
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn qemu_missing_is_an_environment_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let run = xpr(
        &["run", "tests/run/small.kdl", "--world", WORLD],
        tmp.path(),
    )
    .env("PATH", tmp.path())
    .run()
    .exit(3);
    assert!(
        run.stderr.contains("apt-get install qemu-system-x86"),
        "{run}"
    );
}

#[test]
fn a_failed_download_is_an_environment_failure_and_caches_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let worlds = tmp.path().join("worlds.kdl");
    // Port 9 (discard) on loopback: nothing serves an archive there.
    std::fs::write(
        &worlds,
        "world nowhere {\n    package linux-image-amd64 suite=bookworm mirror=\"http://127.0.0.1:9/debian\"\n    modules \"9p\"\n}\n",
    )
    .unwrap();
    let file = worlds.to_str().unwrap();
    let run = xpr(
        &["worlds", "fetch", "nowhere", "--world-file", file],
        tmp.path(),
    )
    .env("XDG_CACHE_HOME", cache.path())
    .run()
    .exit(3);
    assert!(run.stderr.contains("apt update failed"), "{run}");
    let list = xpr(&["worlds", "--world-file", file], tmp.path())
        .env("XDG_CACHE_HOME", cache.path())
        .run()
        .exit(0);
    assert!(list.stdout.contains("nowhere"), "{list}");
    assert!(list.stdout.contains("not fetched"), "{list}");
}

#[test]
fn an_unknown_world_is_a_usage_error_with_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let run = xpr(
        &["run", "tests/run/small.kdl", "--world", "debain-12-6.1"],
        tmp.path(),
    )
    .run()
    .exit(2);
    assert!(run.stderr.contains("did you mean `debian-12-6.1`"), "{run}");
}

/// A checkout, a build or a scratch experiment under `/tmp` (a `mktemp -d` clone, a test's
/// temporary directory) runs in a guest although the guest mounts `/tmp` afresh: the init
/// shows the places the run needs from the host's `/tmp` (spec §12.3). Here the `xpr`
/// binary, the experiment with its `.sb` import and the working directory all lie there.
#[test]
fn a_binary_and_an_experiment_under_tmp_run_in_a_guest() {
    require_qemu();
    crate::support::require_landlock(1);
    let _one = exclusive_run();
    let tmp = tempfile::tempdir_in("/tmp").unwrap();
    let bin = tmp.path().join("build/xpr");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::fs::copy(crate::support::helper_exe(), &bin).unwrap();
    let exp = tmp.path().join("exp");
    std::fs::create_dir_all(exp.join("sb")).unwrap();
    std::fs::write(
        exp.join("sb/reads.sb"),
        "(version 1)\n(deny default)\n(allow file-read*)\n",
    )
    .unwrap();
    std::fs::write(
        exp.join("main.kdl"),
        r#"experiment "in-tmp" { lanes baseline scenario; timeout "2s"; }
fixtures { file foo path="{scratch}/foo" content="foo\n" }
profile reads sbpl="sb/reads.sb"
probe read-foo family=file-read target="{scratch}/foo"
probe write-foo family=file-write target="{scratch}/foo"
expect reads {
    allow read-foo
    deny write-foo errno=EACCES
}
"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let run = std::process::Command::new(&bin)
        .args(["run", "main.kdl", "--world", WORLD, "--out"])
        .arg(&out)
        .current_dir(&exp)
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(run.status.code(), Some(0), "{text}");
    assert!(text.contains("2 held, 0 mismatched"), "{text}");
    assert_eq!(bundle_dirs(&out, "in-tmp").len(), 1, "{text}");
}

/// Several experiments with `--world` (spec §10.2): each is loaded and its selection resolved
/// on the host before any guest boots, then each boots its own guest. `--rerun-failed` takes
/// the failures from the host's latest run: the guest runs only those pairs, the bundle names
/// the reference run, and `latest` points at the guest's bundle. An experiment without an
/// earlier run is a usage error that boots nothing, and the other experiment still runs.
#[test]
fn several_experiments_and_rerun_failed_in_a_guest_world() {
    require_qemu();
    crate::support::require_landlock(1);
    let _one = exclusive_run();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out_s = out.to_str().unwrap();
    let select = tmp.path().join("select.kdl");
    std::fs::write(&select, crate::run_select::FAILING).unwrap();
    let fresh = tmp.path().join("fresh.kdl");
    std::fs::write(
        &fresh,
        crate::run_select::FAILING.replace("experiment \"select\"", "experiment \"fresh\""),
    )
    .unwrap();
    let host = xpr(
        &["run", select.to_str().unwrap(), "--out", out_s],
        tmp.path(),
    )
    .run()
    .exit(1);
    assert!(host.stdout.contains("1 mismatched"), "{host}");
    let reference = std::fs::read_link(out.join("select/latest")).unwrap();

    let guest = xpr(
        &[
            "run",
            select.to_str().unwrap(),
            fresh.to_str().unwrap(),
            "--world",
            WORLD,
            "--rerun-failed",
            "--out",
            out_s,
            "--format",
            "json",
        ],
        tmp.path(),
    )
    .run()
    .exit(2);
    assert_eq!(guest.stderr.matches(": booting ").count(), 1, "{guest}");
    assert!(
        guest.stderr.contains("no earlier run of `fresh`"),
        "{guest}"
    );
    // The same report as on the host, with the world.
    let report = guest.json();
    crate::schemas::Schemas::load().check(
        "run_report.v1.json",
        "run --world --format json",
        &report,
    );
    assert_eq!(report["world"]["name"], WORLD);
    assert_eq!(report["summary"]["mismatched"], 1, "{report}");
    assert_eq!(report["verdicts"].as_array().unwrap().len(), 1, "{report}");

    let bundles = bundle_dirs(&out, "select");
    assert_eq!(bundles.len(), 2, "{bundles:?}");
    let in_guest = bundles.iter().find(|b| !b.ends_with(&reference)).unwrap();
    assert_eq!(manifest(in_guest)["world"]["vm"]["name"], WORLD);
    assert_eq!(
        std::fs::read_link(out.join("select/latest")).unwrap(),
        Path::new(in_guest.file_name().unwrap())
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(in_guest.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["selection"]["expression"], "mismatched",
        "{summary}"
    );
    assert_eq!(summary["selection"]["pairs"], 1, "{summary}");
    assert_eq!(
        summary["selection"]["reference"],
        reference.to_str().unwrap(),
        "{summary}"
    );
    assert_eq!(scenario_pairs(in_guest), ["a/read-hosts"]);
    assert!(!out.join("fresh").exists());
}

/// The `profile/probe` pairs a bundle's scenario lane ran, in order.
fn scenario_pairs(bundle: &Path) -> Vec<String> {
    let scenario = std::fs::read_to_string(bundle.join("stages/scenario.jsonl")).unwrap();
    scenario
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{}/{}", r["profile"], r["probe"]).replace('"', "")
        })
        .collect()
}

/// `-E mismatched` in a guest world takes the mismatches from the host's latest run, as
/// `--rerun-failed` does: the host resolves the reference bundle (here under `/tmp`, which
/// the guest shows), the guest runs only that pair and records the expression.
#[test]
fn a_mismatched_filter_runs_the_hosts_mismatches_in_a_guest() {
    require_qemu();
    crate::support::require_landlock(1);
    let _one = exclusive_run();
    let tmp = tempfile::tempdir_in("/tmp").unwrap();
    let out = tmp.path().join("out");
    let out_s = out.to_str().unwrap();
    let select = tmp.path().join("select.kdl");
    std::fs::write(&select, crate::run_select::FAILING).unwrap();
    let exp = select.to_str().unwrap();
    xpr(&["run", exp, "--out", out_s], tmp.path()).run().exit(1);
    let guest = xpr(
        &[
            "run",
            exp,
            "--world",
            WORLD,
            "-E",
            "mismatched",
            "--out",
            out_s,
        ],
        tmp.path(),
    )
    .run()
    .exit(1);
    assert!(guest.stdout.contains("1 mismatched"), "{guest}");
    let latest = out
        .join("select")
        .join(std::fs::read_link(out.join("select/latest")).unwrap());
    assert_eq!(manifest(&latest)["world"]["vm"]["name"], WORLD);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(latest.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["selection"]["expression"], "mismatched",
        "{summary}"
    );
    assert_eq!(summary["selection"]["pairs"], 1, "{summary}");
    assert_eq!(scenario_pairs(&latest), ["a/read-hosts"]);
}

/// Every bundle index under `dir`, at any depth.
fn indexes_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "artifact_index.json") {
                found.push(p);
            }
        }
    }
    found
}

#[test]
fn a_matrix_of_the_host_and_a_guest_holds_and_their_diff_is_explained_by_the_abi() {
    require_qemu();
    let _one = exclusive_run();
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("m");
    let run = xpr(
        &[
            "matrix",
            "../experiments/runtime-checks.kdl",
            "--worlds",
            &format!("host,{WORLD}"),
            "--out",
            dir.to_str().unwrap(),
        ],
        tmp.path(),
    )
    .run()
    .exit(0);
    assert!(run.stdout.contains("every world holds"), "{run}");
    assert!(
        run.stderr.contains(&format!("{WORLD}: finished in")),
        "{run}"
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("matrix.json")).unwrap()).unwrap();
    assert_eq!(m["worlds"][1]["name"], WORLD);
    assert_eq!(m["worlds"][1]["landlock_abi"], 2);
    assert_eq!(m["worlds"][1]["mechanism"], "landlock");
    assert_eq!(m["worlds"][1]["counts"]["held"], 44);
    assert_eq!(m["worlds"][1]["counts"]["known"], 5);
    assert_eq!(m["rows"].as_array().unwrap().len(), 49);
    // The guest's kernel decides every probe as the host's does.
    for r in m["rows"].as_array().unwrap() {
        assert_eq!(r["change"], "same", "{r}");
    }
    let bundle = |w: usize| dir.join(m["worlds"][w]["bundle"].as_str().unwrap());
    let (host, guest) = (bundle(0), bundle(1));
    for b in [&host, &guest] {
        xpr(&["verify", b.to_str().unwrap()], tmp.path())
            .run()
            .exit(0);
    }
    // `xpr diff` host → guest: world facts, and only changes the Landlock ABI explains.
    let d = xpr(
        &[
            "diff",
            host.to_str().unwrap(),
            guest.to_str().unwrap(),
            "--format",
            "json",
        ],
        tmp.path(),
    )
    .run()
    .json();
    assert_eq!(d["verdicts"], serde_json::json!([]), "{d}");
    assert_eq!(d["outcomes"], serde_json::json!([]), "{d}");
    let facts: Vec<&str> = d["world_facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    for key in [
        "world.kernel",
        "world.landlock.effective_abi",
        "world.vm.name",
    ] {
        assert!(facts.contains(&key), "{facts:?}");
    }
    for f in d["fidelity"].as_array().unwrap() {
        let text = f.to_string();
        assert!(
            text.contains("Landlock ABI 2"),
            "not explained by the ABI: {text}"
        );
    }
    // Artifacts: the compiled Landlock plans and fidelity reports (the ABI), the oracle's
    // explanations (which name the ABI) and the summary (which names the world id); never
    // the profiles' source or runtime IR (the experiment is named as on the host).
    for a in d["artifacts"].as_array().unwrap() {
        let path = a["path"].as_str().unwrap();
        assert!(
            path.ends_with(".landlock.json")
                || path.ends_with(".fidelity.json")
                || ["oracle.jsonl", "summary.json"].contains(&path),
            "{a}"
        );
    }
}

#[test]
fn ctrl_c_during_a_matrix_stops_the_guests_and_leaves_no_bundle_that_verifies() {
    require_qemu();
    let _one = exclusive_run();
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut child = xpr(
        &[
            "matrix",
            "../experiments/runtime-checks.kdl",
            "--worlds",
            &format!("host,{WORLD}"),
            "--out",
            out.path().to_str().unwrap(),
        ],
        tmp.path(),
    )
    .spawn();
    // Wait until the host's bundle is committed and the guest is booting.
    wait_for(
        "the host run and the guest to start",
        Duration::from_secs(120),
        || {
            !indexes_under(out.path()).is_empty()
                && std::fs::read_dir(tmp.path()).unwrap().next().is_some()
        },
    );
    let status = interrupt(
        &mut child,
        Duration::from_secs(30),
        "xpr matrix did not stop",
    );
    assert_eq!(status.code(), Some(3));
    assert_eq!(indexes_under(out.path()), Vec::<PathBuf>::new());
    assert!(!out.path().join("matrix.json").exists());
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
