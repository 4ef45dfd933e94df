//! Attacks on the host through the filesystem, each reproduced for real against `xpr run`:
//! links planted below `{scratch}` by an exec probe, another local user (`nobody`, a child
//! dropped from root) racing symlink swaps inside a world-writable fixture dir, and links
//! planted in shared output directories. Each victim is a file or directory this test owns
//! outside the run; after the run it must be exactly as it was.

use std::ffi::OsStr;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use xpr::probes::{Operation, ProbeSpec};

const NOBODY: u32 = 65534;

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "these attacks need root (xpr's own situation) and a second user, nobody ({NOBODY}); \
         run the test suite as root"
    );
}

/// A directory for one attack: the victims, the shared directories and the run's TMPDIR.
struct Arena {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Arena {
    fn new() -> Arena {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        // nobody must be able to reach the shared directories below.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(root.join("tmp")).unwrap();
        Arena { _tmp: tmp, root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// A root-only directory `rel` holding `keep` ("precious", mode 0600).
    fn victim(&self, rel: &str) -> Victim {
        let dir = self.path(rel);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(dir.join("keep"), "precious").unwrap();
        std::fs::set_permissions(dir.join("keep"), std::fs::Permissions::from_mode(0o600)).unwrap();
        Victim { dir }
    }

    /// A world-writable sticky directory, like /tmp.
    fn shared(&self, rel: &str) -> PathBuf {
        let dir = self.path(rel);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
        dir
    }

    fn write_experiment(&self, text: &str) -> PathBuf {
        let path = self.path("experiment.kdl");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `xpr run` with this arena's TMPDIR (its scratch parent); `args` follow the file.
    fn run(&self, experiment: &Path, args: &[&OsStr]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xpr"))
            .arg("run")
            .arg(experiment)
            .args(args)
            .env("TMPDIR", self.path("tmp"))
            .env("NO_COLOR", "1")
            .output()
            .expect("xpr runs")
    }

    fn spawn_run(&self, experiment: &Path, out: &Path) -> std::process::Child {
        Command::new(env!("CARGO_BIN_EXE_xpr"))
            .arg("run")
            .arg(experiment)
            .arg("--out")
            .arg(out)
            .env("TMPDIR", self.path("tmp"))
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("xpr starts")
    }
}

/// A root-only directory with one file; every attack tries to change it.
struct Victim {
    dir: PathBuf,
}

impl Victim {
    fn keep(&self) -> PathBuf {
        self.dir.join("keep")
    }

    fn assert_untouched(&self) {
        let names: Vec<_> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["keep"], "entries of {}", self.dir.display());
        assert_eq!(std::fs::read_to_string(self.keep()).unwrap(), "precious");
        let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().mode() & 0o7777;
        assert_eq!(mode(&self.dir), 0o700, "mode of {}", self.dir.display());
        assert_eq!(
            mode(&self.keep()),
            0o600,
            "mode of {}",
            self.keep().display()
        );
    }
}

/// A command run as nobody: forked from root, groups dropped, then setgid/setuid before exec.
fn as_nobody(program: &str) -> Command {
    let mut c = Command::new(program);
    c.uid(NOBODY).gid(NOBODY);
    c
}

fn plant_link_as_nobody(target: &Path, link: &Path) {
    let status = as_nobody("/bin/ln")
        .arg("-s")
        .arg(target)
        .arg(link)
        .status()
        .expect("ln runs");
    assert!(
        status.success(),
        "nobody could not plant {}",
        link.display()
    );
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The stage records of every committed bundle under `out`, as text.
fn stage_records(out: &Path) -> String {
    let mut all = String::new();
    for exp in std::fs::read_dir(out).unwrap().flatten() {
        for run in std::fs::read_dir(exp.path()).unwrap().flatten() {
            for lane in ["baseline", "scenario"] {
                let p = run.path().join("stages").join(format!("{lane}.jsonl"));
                all.push_str(&std::fs::read_to_string(p).unwrap_or_default());
            }
        }
    }
    all
}

/// An exec probe (the experiment is untrusted) plants `{scratch}/d -> <victim>`; the restore
/// before the next serial probe, the destructive drivers on `{scratch}/d/keep` and the run's
/// cleanup all meet it: none of them may follow the link. The restore removes the link itself,
/// so the drivers find the declared tree, where `d` does not exist.
#[test]
fn a_link_an_exec_probe_plants_is_never_followed_by_restore_drivers_or_cleanup() {
    let arena = Arena::new();
    let victim = arena.victim("victim");
    let exp = arena.write_experiment(&format!(
        r#"
experiment "plant-link" {{
    lanes baseline scenario
    timeout "5s"
}}
profile open {{
    default allow
}}
probe plant family=exec target="/bin/sh" {{
    argv "sh" "-c" "ln -sn {victim} {{scratch}}/d"
}}
probe unlink-keep family=file-unlink target="{{scratch}}/d/keep"
probe truncate-keep family=file-truncate target="{{scratch}}/d/keep" via="path"
probe rename-keep family=file-rename target="{{scratch}}/d/keep" to="{{scratch}}/stolen"
"#,
        victim = victim.dir.display()
    ));
    let out = arena.path("out");
    let o = arena.run(&exp, &["--out".as_ref(), out.as_os_str()]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    victim.assert_untouched();
    let records = stage_records(&out);
    for line in records.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        if r["probe"] != "plant" {
            assert_eq!(
                r["operation_errno"]["name"], "ENOENT",
                "the destructive probes ran on the declared tree, not through the link: {line}"
            );
        }
    }
}

/// (family, target below the scratch root, arguments).
type DriverCase = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The guardian that removes the scratch root after the engine is SIGKILLed walks a tree an
/// exec probe arranged (links to a victim directory and file, a directory it made
/// unlistable): it removes the links themselves and nothing else.
#[test]
fn the_guardian_after_sigkill_removes_planted_links_not_their_targets() {
    let arena = Arena::new();
    let victim = arena.victim("victim");
    let exp = arena.write_experiment(&format!(
        r#"
experiment "plant-and-hang" {{
    lanes baseline scenario
    timeout "30s"
}}
profile open {{
    default allow
}}
probe plant family=exec target="/bin/sh" {{
    argv "sh" "-c" "ln -sn {victim} {{scratch}}/d; mkdir -p {{scratch}}/e/x; ln -sn {victim}/keep {{scratch}}/e/f; chmod 000 {{scratch}}/e; touch {{scratch}}/planted; exec sleep 20"
}}
"#,
        victim = victim.dir.display()
    ));
    let mut run = arena.spawn_run(&exp, &arena.path("out"));
    let tmp = arena.path("tmp");
    let scratch_roots = || -> Vec<PathBuf> {
        std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !scratch_roots().iter().any(|r| r.join("planted").exists()) {
        assert!(
            Instant::now() < deadline,
            "the probe never planted its links"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    run.kill().unwrap(); // SIGKILL: no destructor runs, only the guardian
    run.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !scratch_roots().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the guardian left {:?}",
            scratch_roots()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    victim.assert_untouched();
}

/// Each destructive driver, prepared and performed as the worker and its child do, against a
/// path that crosses a symlink below the scratch root: ELOOP, and the victim is unchanged.
/// (In a run the restore before each probe refuses first; the drivers hold on their own.)
#[test]
fn destructive_drivers_refuse_a_link_below_the_scratch_root() {
    let arena = Arena::new();
    let victim = arena.victim("victim");
    let scratch = arena.path("scratch");
    std::fs::create_dir(&scratch).unwrap();
    std::fs::create_dir(scratch.join("real")).unwrap();
    std::fs::write(scratch.join("real/file"), "mine").unwrap();
    symlink(&victim.dir, scratch.join("d")).unwrap();
    symlink(victim.keep(), scratch.join("last")).unwrap();
    let s = scratch.to_str().unwrap();
    let cases: &[DriverCase] = &[
        ("file-create", "d/new", &[]),
        ("file-unlink", "d/keep", &[]),
        ("file-truncate", "d/keep", &[("via", "path")]),
        ("file-truncate", "d/keep", &[("via", "open")]),
        ("file-truncate", "d/keep", &[("via", "fd")]),
        ("file-truncate", "last", &[("via", "path")]),
        ("file-truncate", "last", &[("via", "open")]),
        ("file-write", "d/keep", &[("content", "pwned")]),
        ("file-write", "last", &[("content", "pwned")]),
        ("dir-create", "d/sub", &[]),
        ("file-rename", "d/keep", &[("to", "{scratch}/stolen")]),
        ("file-rename", "real/file", &[("to", "{scratch}/d/planted")]),
        ("file-link", "d/keep", &[("to", "{scratch}/linked")]),
        ("file-link", "real/file", &[("to", "{scratch}/d/planted")]),
    ];
    for (family, rel, args) in cases {
        let spec = ProbeSpec {
            family: family.to_string(),
            target: Some(format!("{s}/{rel}")),
            args: args
                .iter()
                .map(|(k, v)| (k.to_string(), xpr::model::ArgValue::Str(v.to_string())))
                .collect(),
            scratch: s.to_string(),
            ..ProbeSpec::default()
        };
        let op = Operation::prepare(&spec).unwrap_or_else(|e| panic!("{family} {rel}: {e}"));
        let r = op.perform(&xpr::probes::Held::NONE);
        assert_eq!(r.errno, libc::ELOOP, "{family} {rel} {args:?}: {r:?}");
    }
    victim.assert_untouched();
    assert_eq!(
        std::fs::read_to_string(scratch.join("real/file")).unwrap(),
        "mine"
    );
}

/// Another local user inside a world-writable fixture dir (`{scratch}/shared`, mode 0777)
/// swaps `shared/sub` for a link to a root-only directory while root restores the fixtures
/// before each destructive probe. The racer enters the directory as root and then drops to
/// nobody: the scratch root's 0700 alone would keep nobody out, and this test checks that the
/// engine's safety does not rest on it. Each probe either ran on the declared tree or was
/// refused because the racer's link was in the way; nothing went through the link.
#[test]
fn another_user_swapping_a_fixture_dir_for_a_link_cannot_redirect_restores() {
    require_root();
    let arena = Arena::new();
    let victim = arena.victim("victim");
    let mut probes = String::new();
    for i in 0..20 {
        probes.push_str(&format!(
            "probe write-{i} family=file-write target=\"{{scratch}}/shared/sub/f\" content=\"w{i}\"\n"
        ));
    }
    let exp = arena.write_experiment(&format!(
        r#"
experiment "shared-race" {{
    lanes baseline scenario
    timeout "5s"
}}
fixtures {{
    dir shared path="{{scratch}}/shared" mode=0o777
    dir sub path="{{scratch}}/shared/sub"
    file f path="{{scratch}}/shared/sub/f" content="fixture" mode=0o666
}}
profile open {{
    default allow
}}
// Runs before the serial job, giving the racer time to plant its link.
probe wait family=exec target="/bin/sleep" {{
    argv "sleep" "1"
}}
{probes}"#
    ));
    let out = arena.path("out");
    let run = arena.spawn_run(&exp, &out);
    let shared = wait_for_fixture(&arena.path("tmp"), "shared/sub/f");
    let swap = format!(
        "i=0; while :; do if [ ! -L sub ]; then i=$((i+1)); mv sub sub.$i; \
         ln -s {} sub; fi; sleep 0.01; done",
        victim.dir.display()
    );
    let mut racer = Command::new("/bin/sh");
    racer.arg("-c").arg(swap).current_dir(&shared);
    // SAFETY: only async-signal-safe syscalls between fork and exec.
    unsafe {
        racer.pre_exec(|| {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(NOBODY) != 0
                || libc::setuid(NOBODY) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut racer = racer
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let o = run.wait_with_output().expect("xpr finishes");
    let _ = racer.kill();
    let _ = racer.wait();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    victim.assert_untouched();
    let records = stage_records(&out);
    for line in records.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let refused = r["skipped"].as_str().is_some_and(|s| {
            s.starts_with("host_safety: the pristine state could not be restored")
        });
        let on_the_declared_tree = r["operation"] == "allow";
        assert!(
            r["probe"] == "wait" || refused || on_the_declared_tree,
            "{line}"
        );
    }
}

/// Waits until some scratch root under `tmp` holds `rel`; returns the directory holding it.
fn wait_for_fixture(tmp: &Path, rel: &str) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        for e in std::fs::read_dir(tmp).unwrap().flatten() {
            let p = e.path().join(rel);
            if p.exists() {
                return p.parent().unwrap().parent().unwrap().to_path_buf();
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!(
        "no scratch root with {rel} appeared under {}",
        tmp.display()
    );
}

const SMALL: &str = r#"
experiment "cli-small" {
    lanes baseline scenario
    timeout "2s"
}
profile open {
    default allow
}
probe read-hosts family=file-read target="/etc/hosts"
"#;

/// `--junit /shared/report.xml`: nobody plants `report.xml.tmp` (the old temporary name) and
/// `report.xml` itself as links to root-only files. The report lands as a new regular file;
/// the links' targets are untouched.
#[test]
fn a_junit_report_in_a_shared_directory_never_writes_through_planted_links() {
    require_root();
    let arena = Arena::new();
    let victim = arena.victim("victim");
    let shared = arena.shared("shared");
    plant_link_as_nobody(&victim.keep(), &shared.join("report.xml.tmp"));
    plant_link_as_nobody(&victim.keep(), &shared.join("report.xml"));
    let exp = arena.write_experiment(SMALL);
    let report = shared.join("report.xml");
    let out = arena.path("out");
    let o = arena.run(
        &exp,
        &[
            "--out".as_ref(),
            out.as_os_str(),
            "--junit".as_ref(),
            report.as_os_str(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    victim.assert_untouched();
    let st = std::fs::symlink_metadata(&report).unwrap();
    assert!(
        st.file_type().is_file(),
        "the report replaced the planted link"
    );
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .contains("<testsuites")
    );
    // Nothing of ours is left beside it: only the report and nobody's own link.
    let mut names: Vec<_> = std::fs::read_dir(&shared)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["report.xml", "report.xml.tmp"]);
}

/// `--out /shared` where nobody planted `/shared/<experiment> -> <victim>` holding a stale
/// partial bundle: the run refuses (exit 3, naming the path) instead of writing the bundle
/// into the victim and sweeping its partial directory.
#[test]
fn an_out_directory_planted_as_a_link_is_refused_not_followed() {
    require_root();
    let arena = Arena::new();
    let victim = arena.path("victim");
    std::fs::create_dir(&victim).unwrap();
    let stale = victim.join(".20200101T000000Z-abcdef.partial");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("keep"), "precious").unwrap();
    let shared = arena.shared("shared");
    plant_link_as_nobody(&victim, &shared.join("cli-small"));
    let exp = arena.write_experiment(SMALL);
    let o = arena.run(&exp, &["--out".as_ref(), shared.as_os_str()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let shown = shared.join("cli-small");
    assert!(
        stderr.contains(&*shown.to_string_lossy()) && stderr.contains("symbolic link"),
        "{}",
        text(&o)
    );
    let names: Vec<_> = std::fs::read_dir(&victim)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [stale.file_name().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(stale.join("keep")).unwrap(),
        "precious"
    );
}

/// `--out /shared` where nobody made `/shared/<experiment>` a directory of their own: they
/// could swap the partial bundle under the writer, so the run refuses it too.
#[test]
fn an_out_directory_owned_by_another_user_is_refused() {
    require_root();
    let arena = Arena::new();
    let shared = arena.shared("shared");
    let theirs = shared.join("cli-small");
    let status = as_nobody("/bin/mkdir").arg(&theirs).status().unwrap();
    assert!(status.success());
    let exp = arena.write_experiment(SMALL);
    let o = arena.run(&exp, &["--out".as_ref(), shared.as_os_str()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("owned by uid {NOBODY}")),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 0);
}
