//! `dot -Tsvg` for the plan tests: the render is checked when Graphviz is installed, and
//! required when XPR_REQUIRE_DOT is set (CI sets it once it has installed Graphviz).

use std::io::Write;
use std::process::{Command, Stdio};

pub fn render_with_graphviz(dot: &[u8], what: &str) {
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var_os("XPR_REQUIRE_DOT").is_none(),
                "XPR_REQUIRE_DOT is set but `dot` cannot run: {e}"
            );
            return;
        }
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(dot)
        .expect("write dot");
    let out = child.wait_with_output().expect("dot output");
    assert!(
        out.status.success(),
        "dot failed on {what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("<svg"),
        "{what}"
    );
}
