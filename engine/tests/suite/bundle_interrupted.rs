//! A run killed with SIGKILL while writing its bundle leaves nothing `xpr verify` accepts, and
//! the next run of the same experiment removes what it left.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::Xpr;
use crate::support::bundles::*;
use xpr::bundle::{self, BundleWriter, Finding};

const OUT_ENV: &str = "XPR_TEST_KILLED_WRITER_OUT";

/// Not a test on its own: the process the real test starts and kills mid-write.
#[test]
fn killed_writer_process() {
    let Some(out) = std::env::var_os(OUT_ENV) else {
        return;
    };
    let run = run_id(5, None);
    let mut writer = BundleWriter::create(Path::new(&out), EXPERIMENT, &run).unwrap();
    fill(&mut writer, &World { abi: 7 }, &run);
    println!("XPR-WRITER-READY");
    std::thread::sleep(Duration::from_secs(120));
    unreachable!("the parent kills this process");
}

#[test]
fn sigkill_mid_write_leaves_no_bundle_verify_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "bundle_interrupted::killed_writer_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(OUT_ENV, tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("XPR-WRITER-READY"));
    assert!(ready, "the writer process never got going");
    child.kill().unwrap(); // SIGKILL: no destructor, no cleanup
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL)
    );

    let exp = tmp.path().join(EXPERIMENT);
    let left: Vec<_> = std::fs::read_dir(&exp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    let partial = &left[0];
    assert!(
        partial
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with(".partial")
    );
    let v = bundle::open(partial).unwrap().verify();
    assert!(
        matches!(v.findings[0], Finding::Incomplete { .. }),
        "{:?}",
        v.findings
    );
    assert!(!v.ok());
    Xpr::new().arg("verify").arg(partial).run().exit(1);

    // The next run of the experiment cleans up the dead run's directory.
    let next = write_bundle(tmp.path(), &World { abi: 7 }, &run_id(6, None));
    assert!(!partial.exists());
    let left: Vec<_> = std::fs::read_dir(&exp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, vec![next.clone()]);
    assert!(bundle::open(&next).unwrap().verify().ok());
}

const FULL_ENV: &str = "XPR_TEST_FULL_DISK_OUT";

/// Not a test on its own: a writer whose file size limit runs out mid-bundle, as on a full
/// disk (EFBIG instead of ENOSPC; same path through the writer).
#[test]
fn full_disk_writer_process() {
    let Some(out) = std::env::var_os(FULL_ENV) else {
        return;
    };
    // SAFETY: plain libc calls on this single-purpose child process.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let limit = libc::rlimit {
            rlim_cur: 4096,
            rlim_max: libc::RLIM_INFINITY,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
    let run = run_id(7, None);
    let world = World { abi: 7 };
    let mut writer = BundleWriter::create(Path::new(&out), EXPERIMENT, &run).unwrap();
    let many = (0..200).flat_map(|_| stage_records(&world, xpr::model::Lane::Scenario));
    let err = writer
        .write_jsonl(
            "stages/scenario.jsonl",
            xpr::bundle::layout::schema::STAGE_RECORDS,
            many,
        )
        .unwrap_err();
    println!("XPR-WRITE-FAILED {err}");
    let partial = writer.partial_dir().to_path_buf();
    drop(writer); // what `?` does in the runner
    println!("XPR-PARTIAL-GONE {}", !partial.exists());
}

#[test]
fn a_full_disk_mid_write_leaves_nothing_that_looks_like_a_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "bundle_interrupted::full_disk_writer_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FULL_ENV, tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("XPR-WRITE-FAILED"), "{stdout}");
    assert!(stdout.contains("XPR-PARTIAL-GONE true"), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(tmp.path().join(EXPERIMENT))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
