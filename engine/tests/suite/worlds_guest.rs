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

use crate::support::{Xpr, exclusive_run};

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
                .filter(|p| p.is_dir())
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
    let start = Instant::now();
    while std::fs::read_dir(tmp.path()).unwrap().next().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the guest never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "xpr did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
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
