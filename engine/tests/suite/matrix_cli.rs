//! `xpr matrix --from`: bundles made elsewhere (here: this host, uncapped and capped at
//! Landlock ABI 3) become one comparison; the HTML report is rendered by a real headless
//! Chromium, offline, and its screenshot is kept under `target/tmp/matrix-html/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Xpr, require_landlock};

fn xpr(cwd: &Path) -> Xpr {
    Xpr::new().cwd(cwd)
}

/// Runs net-ports on this host into `out`; returns the bundle.
fn host_run(cwd: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    let run = xpr(cwd)
        .args(["run", "net-ports.kdl", "--format", "json", "--out"])
        .arg(out)
        .args(extra)
        .run()
        .exit(0);
    PathBuf::from(run.json()["bundle"].as_str().unwrap())
}

/// Two verified host bundles of net-ports: Landlock as it is, and capped at ABI 3.
fn two_worlds(dir: &Path) -> (PathBuf, PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::copy(
        repo.join("experiments/net-ports.kdl"),
        dir.join("net-ports.kdl"),
    )
    .unwrap();
    let out = dir.join("bundles");
    (
        host_run(dir, &out, &[]),
        host_run(dir, &out, &["--landlock-abi", "3"]),
    )
}

#[test]
fn from_bundles_the_matrix_shows_declared_changes_and_is_deterministic() {
    require_landlock(4);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_worlds(tmp.path());
    let m1 = tmp.path().join("m1");
    let run = xpr(tmp.path())
        .arg("matrix")
        .arg("--from")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&m1)
        .run()
        .exit(0);
    assert!(run.stdout.contains("every world holds"), "{run}");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(m1.join("matrix.json")).unwrap()).unwrap();
    assert_eq!(m["schema_version"], "xpr.matrix.v1");
    assert_eq!(m["experiment"], "net-ports");
    assert_eq!(m["passed"], true);
    let names: Vec<&str> = m["worlds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["host", "host-2"]);
    assert_eq!(m["worlds"][1]["landlock_abi"], 3);
    let bundle = m["worlds"][0]["bundle"].as_str().unwrap();
    assert!(bundle.starts_with("../bundles/"), "{bundle}");
    let rows = m["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    // Exactly no_outbound's three results change, all declared by its `landlock-abi="<4"`
    // expectation: blocked and held at ABI 3.
    for r in rows {
        let id = r["id"].as_str().unwrap();
        if id.starts_with("no_outbound/") {
            assert_eq!(r["change"], "declared", "{r}");
            assert_eq!(r["cells"][1]["verdict"], "blocked", "{r}");
            assert_eq!(r["cells"][1]["status"], "held", "{r}");
            assert_eq!(r["cells"][1]["differs"], true, "{r}");
        } else {
            assert_eq!(r["change"], "same", "{r}");
        }
    }
    // The same bundles give the same bytes.
    let m2 = tmp.path().join("m2");
    xpr(tmp.path())
        .arg("matrix")
        .arg("--from")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&m2)
        .run()
        .exit(0);
    for f in ["matrix.json", "matrix.md", "matrix.html"] {
        assert_eq!(
            std::fs::read(m1.join(f)).unwrap(),
            std::fs::read(m2.join(f)).unwrap(),
            "{f}"
        );
    }
    let md = std::fs::read_to_string(m1.join("matrix.md")).unwrap();
    assert!(
        md.contains(
            "| `no_outbound/connect-echo` | deny EACCES · held | **blocked** · held | declared |"
        ),
        "{md}"
    );
}

#[test]
fn a_bundle_that_does_not_verify_or_of_another_experiment_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_worlds(tmp.path());
    let summary = b.join("summary.md");
    let mut text = std::fs::read_to_string(&summary).unwrap();
    text.push_str("tampered\n");
    std::fs::write(&summary, text).unwrap();
    let run = xpr(tmp.path())
        .arg("matrix")
        .arg("--from")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(tmp.path().join("m"))
        .run()
        .exit(2);
    assert!(run.stderr.contains("does not verify"), "{run}");
    assert!(!tmp.path().join("m/matrix.json").exists());

    let run = xpr(tmp.path())
        .args(["matrix", "net-ports.kdl", "--worlds", "host,host"])
        .run()
        .exit(2);
    assert!(run.stderr.contains("named twice"), "{run}");
    let run = xpr(tmp.path())
        .args(["matrix", "net-ports.kdl", "--worlds", "host,debian-12-6.2"])
        .run()
        .exit(2);
    assert!(run.stderr.contains("debian-12-6.1"), "{run}");
}

#[test]
fn a_host_matrix_with_a_mismatch_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("wrong.kdl"),
        "experiment \"wrong\" {\n    lanes scenario\n}\nfixtures {\n    file foo path=\"{scratch}/foo\" content=\"foo\\n\"\n}\nprofile open {\n    default allow\n}\nprobe read-foo family=file-read target=\"{scratch}/foo\"\nexpect open {\n    deny read-foo\n}\n",
    )
    .unwrap();
    let out = tmp.path().join("m");
    let run = xpr(tmp.path())
        .args(["matrix", "wrong.kdl", "--worlds", "host", "--out"])
        .arg(&out)
        .run()
        .exit(1);
    assert!(run.stdout.contains("NOT every world holds"), "{run}");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("matrix.json")).unwrap()).unwrap();
    assert_eq!(m["rows"][0]["cells"][0]["status"], "mismatch");
    assert_eq!(m["worlds"][0]["status"], "mismatches");
}

/// Debian's `chromium`, or a failure that says how to get it.
fn chromium() -> PathBuf {
    xpr::worlds::fetch::find_in_path("chromium").unwrap_or_else(|| {
        panic!(
            "the matrix.html test renders the page in a real browser: apt-get install -y chromium"
        )
    })
}

fn headless(browser: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Offline: every host name fails to resolve.
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .env("HOME", profile);
    cmd
}

#[test]
fn matrix_html_renders_offline_in_headless_chromium_with_every_world_and_expectation() {
    let browser = chromium();
    require_landlock(4);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_worlds(tmp.path());
    let m = tmp.path().join("m");
    xpr(tmp.path())
        .arg("matrix")
        .arg("--from")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&m)
        .run()
        .exit(0);
    let html = m.join("matrix.html");
    let page = std::fs::read_to_string(&html).unwrap();
    for external in ["http://", "https://", "<script", "<link", "src="] {
        assert!(!page.contains(external), "matrix.html holds `{external}`");
    }
    let url = format!("file://{}", html.display());
    let profile = tmp.path().join("chromium-profile");
    let out = headless(&browser, &profile)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(m.join("matrix.json")).unwrap()).unwrap();
    for w in doc["worlds"].as_array().unwrap() {
        let name = w["name"].as_str().unwrap();
        assert!(
            dom.contains(&format!("data-world=\"{name}\"")),
            "world {name} missing"
        );
    }
    for r in doc["rows"].as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        assert!(
            dom.contains(&format!("data-id=\"{id}\"")),
            "row {id} missing"
        );
    }
    assert!(
        dom.contains("class=\"cell held differs\""),
        "no highlighted change"
    );
    // The screenshot is the test's artifact: target/tmp/matrix-html/matrix.png.
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("matrix-html");
    std::fs::create_dir_all(&keep).unwrap();
    let png = keep.join("matrix.png");
    let _ = std::fs::remove_file(&png);
    std::fs::copy(&html, keep.join("matrix.html")).unwrap();
    let out = headless(&browser, &profile)
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1400,1200")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );
}
