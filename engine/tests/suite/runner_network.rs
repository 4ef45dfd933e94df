//! No probe sees another probe's sockets, ports or abstract names, nor the host's, under any
//! `-j` (spec §5.2, "Network isolation"): each worker has a network namespace of its own with
//! the run's listener fixtures inside. Without the privilege to make one, the probes that use
//! the network run one at a time and the manifest says why.

use std::net::TcpListener;
use std::os::unix::net::{SocketAddr, UnixListener};

use crate::support::*;
use xpr::execute::{ExecuteOptions, Network};
use xpr::model::Verdict::*;

/// 12 `default allow` profiles × 8 binds of one port (the issue's case), beside the host
/// holding that very port and an abstract name of its own, and listener fixtures the probes
/// must still reach.
fn experiment(host_port: u16, host_abstract: &str) -> String {
    let mut text = String::from(
        r#"
experiment "net-iso" {
    lanes baseline scenario
    timeout "10s"
}
fixtures {
    tcp-listener svc
    unix-listener echo name="xpr-iso-echo"
}
"#,
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
    let text = experiment(port, &name);
    for jobs in [2, 3, 2, 4, 2] {
        let r = run_text("net-iso.kdl", &text, &ExecuteOptions { jobs, ..options() });
        assert_eq!(r.network, Network::PerWorker);
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

/// As `nobody` no network namespace can be made: the probes share the host's network, those
/// that use it run one at a time (so 8 binds of one port never meet), and the manifest names
/// the reason.
#[test]
fn without_a_network_namespace_network_probes_run_one_at_a_time() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
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
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_xpr"))
        .args(["run", "-j", "3", "--out"])
        .arg(&out)
        .arg(&file)
        .env("TMPDIR", dir.path())
        .env("NO_COLOR", "1")
        .uid(65534)
        .gid(65534)
        .output()
        .expect("xpr runs as nobody");
    let bundle = std::fs::read_dir(out.join("net-shared"))
        .unwrap_or_else(|e| panic!("no bundle ({e}): {}", String::from_utf8_lossy(&run.stderr)))
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
