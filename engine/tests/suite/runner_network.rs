//! No probe sees another probe's sockets, ports or abstract names, nor the host's, under any
//! `-j` (spec §5.2, "Network isolation"): each worker has a network namespace of its own with
//! the run's listener fixtures inside. Without the privilege to make one, the probes that use
//! the network run one at a time and the manifest says why.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::support::*;
use xpr::execute::{ExecuteOptions, Network};
use xpr::model::Verdict::*;

/// 12 `default allow` profiles × 8 binds of one port (the issue's case), beside the host
/// holding that very port and an abstract name of its own, and listener fixtures the probes
/// must still reach.
/// Each job's first probe reads the gate (a FIFO), which holds it until two probe children
/// are waiting there at once: the jobs after it start together.
fn experiment(host_port: u16, host_abstract: &str, gate: &Path) -> String {
    let mut text = format!(
        r#"
experiment "net-iso" {{
    lanes baseline scenario
    timeout "10s"
}}
fixtures {{
    tcp-listener svc
    unix-listener echo name="xpr-iso-echo"
}}
probe gate family=file-read target="{}"
"#,
        gate.display()
    );
    for i in 0..12 {
        text.push_str(&format!("profile open{i} {{\n    default allow\n}}\n"));
    }
    for i in 0..8 {
        text.push_str(&format!(
            "probe bind{i} family=tcp-bind target=\"127.0.0.1:{host_port}\"\n"
        ));
    }
    text.push_str(&format!(
        r#"
probe connect-svc family=tcp-connect fixture=svc
probe bind-svc family=tcp-bind fixture=svc
probe connect-echo family=unix-connect fixture=echo
probe connect-echo-by-name family=unix-connect target="@xpr-iso-echo"
probe connect-host family=unix-connect target="@{host_abstract}"
"#
    ));
    text
}

#[test]
fn probes_never_see_each_others_ports_nor_the_hosts_under_any_j() {
    require_landlock(4);
    assert_eq!(
        xpr::sys::process::uids().1,
        0,
        "this test needs root to give each worker a network namespace"
    );
    // The host holds the port every probe binds, and an abstract name.
    let host = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = host.local_addr().unwrap().port();
    let name = format!("xpr-host-{}", std::process::id());
    let addr =
        <SocketAddr as std::os::linux::net::SocketAddrExt>::from_abstract_name(&name).unwrap();
    let _host_abstract = UnixListener::bind_addr(&addr).unwrap();
    let host_namespace = std::fs::read_link("/proc/self/ns/net")
        .unwrap()
        .display()
        .to_string();
    for jobs in [2, 3, 2, 4, 2] {
        let gate = Gate::new();
        let text = experiment(port, &name, &gate.path);
        let r = run_text("net-iso.kdl", &text, &ExecuteOptions { jobs, ..options() });
        // The probes really ran at the same time, each worker in a network namespace of its own.
        let waiting = gate.open();
        assert!(
            waiting.len() >= 2,
            "-j {jobs}: no two probes ever ran at the same time: {waiting:?}"
        );
        let namespaces: BTreeSet<&String> = waiting.iter().map(|(_, ns)| ns).collect();
        assert_eq!(
            namespaces.len(),
            waiting.len(),
            "-j {jobs}: concurrent probes share a network namespace: {waiting:?}"
        );
        assert!(
            !namespaces.contains(&host_namespace),
            "-j {jobs}: a probe ran in the host's network namespace: {waiting:?}"
        );
        assert_eq!(r.network, Network::PerWorker);
        assert_eq!(verdict_of(&r, "open0", "gate"), (Allow, None));
        for i in 0..12 {
            let profile = format!("open{i}");
            for p in 0..8 {
                assert_eq!(
                    verdict_of(&r, &profile, &format!("bind{p}")),
                    (Allow, None),
                    "-j {jobs}: {profile}/bind{p}"
                );
            }
            let expect = [
                ("connect-svc", Allow, None),
                ("connect-echo", Allow, None),
                ("connect-echo-by-name", Allow, None),
                // The declared state: the listener fixture holds its port in every namespace.
                ("bind-svc", Error, Some("EADDRINUSE")),
                // The host's abstract name is not in the probe's namespace.
                ("connect-host", Error, Some("ECONNREFUSED")),
            ];
            for (probe, verdict, errno) in expect {
                assert_eq!(
                    verdict_of(&r, &profile, probe),
                    (verdict, errno.map(str::to_string)),
                    "-j {jobs}: {profile}/{probe}"
                );
            }
        }
    }
}

/// A FIFO that holds every probe reading it until two of them wait there at once, so the
/// workers' jobs start together and their binds of one port overlap. A thread watches which
/// processes hold the FIFO open; when two do, it fills the FIFO and every reader, then and
/// later, reads at once.
struct Gate {
    _dir: tempfile::TempDir,
    path: PathBuf,
    done: Arc<AtomicBool>,
    watcher: Option<std::thread::JoinHandle<Vec<(i32, String)>>>,
}

impl Gate {
    fn new() -> Gate {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("gate");
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo on a NUL-terminated path in our temp dir.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        // Held read-write by this process, so a reader's open never blocks: its read does.
        let mut fifo = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("open the gate");
        let done = Arc::new(AtomicBool::new(false));
        let (watched, stop) = (path.clone(), done.clone());
        let watcher = std::thread::spawn(move || {
            let mut waiting = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                waiting = readers_of(&watched);
                if waiting.len() >= 2 {
                    // Enough for every job's gate probe (a read takes at most 4 KiB).
                    fifo.write_all(&[b'g'; 60 * 1024]).expect("fill the gate");
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            // Kept open until the run is over: a reader never meets a gate without a writer.
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            drop(fifo);
            waiting
        });
        Gate {
            _dir: dir,
            path,
            done,
            watcher: Some(watcher),
        }
    }

    /// Ends the watch: the (pid, network namespace) of the readers that were waiting together.
    fn open(mut self) -> Vec<(i32, String)> {
        self.done.store(true, Ordering::Relaxed);
        self.watcher
            .take()
            .unwrap()
            .join()
            .expect("the gate's watcher")
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// Processes other than this one holding `path` open, with their network namespace.
fn readers_of(path: &Path) -> Vec<(i32, String)> {
    let me = std::process::id() as i32;
    let mut out = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        // Opened read-only: a probe's reader, not a child of this process that has not yet
        // closed the read-write end it inherited.
        let read_only = |fd: &std::fs::DirEntry| {
            let info = entry.path().join("fdinfo").join(fd.file_name());
            std::fs::read_to_string(info).is_ok_and(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("flags:"))
                    .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
                    .is_some_and(|flags| flags & libc::O_ACCMODE as u32 == libc::O_RDONLY as u32)
            })
        };
        if fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == path) && read_only(&fd))
        {
            let ns = std::fs::read_link(entry.path().join("ns/net"))
                .map(|l| l.display().to_string())
                .unwrap_or_default();
            out.push((pid, ns));
        }
    }
    out
}

/// As `nobody` no network namespace can be made: the probes share the host's network, those
/// that use it run one at a time (so 8 binds of one port never meet), and the manifest names
/// the reason.
#[test]
fn without_a_network_namespace_network_probes_run_one_at_a_time() {
    use std::os::unix::fs::PermissionsExt;
    require_landlock(4);
    assert_eq!(
        xpr::sys::process::uids().1,
        0,
        "this test needs root to run xpr as `nobody`"
    );
    let port = free_ports(1)[0];
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let file = dir.path().join("net.kdl");
    let mut text = String::from("experiment \"net-shared\" {\n    lanes baseline scenario\n}\n");
    for i in 0..6 {
        text.push_str(&format!("profile open{i} {{\n    default allow\n}}\n"));
    }
    for i in 0..8 {
        text.push_str(&format!(
            "probe bind{i} family=tcp-bind target=\"127.0.0.1:{port}\"\n"
        ));
    }
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    let _run = exclusive_run();
    let run = crate::support::xpr_as_nobody(dir.path())
        .args(["run", "-j", "3", "--out"])
        .arg(&out)
        .arg(&file)
        .run();
    let bundle = std::fs::read_dir(out.join("net-shared"))
        .unwrap_or_else(|e| panic!("no bundle ({e}): {run}"))
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("stages").is_dir())
        .expect("a bundle");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("run_manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["network"]["isolation"], "shared", "{manifest}");
    let reason = manifest["network"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("EPERM"), "{reason}");
    for lane in ["baseline", "scenario"] {
        let text =
            std::fs::read_to_string(bundle.join("stages").join(format!("{lane}.jsonl"))).unwrap();
        for line in text.lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(record["operation"], "allow", "{lane}: {record}");
        }
    }
}
