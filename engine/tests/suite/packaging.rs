//! A published crate carries the standard library: `cargo package` lists every stdlib file
//! (through the `engine/stdlib` link), and the build script refuses a stdlib without the files
//! every run reads.

use std::path::Path;
use std::process::Command;

#[test]
fn the_package_lists_every_stdlib_file() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--no-verify",
            "--offline",
        ])
        .current_dir(manifest)
        .output()
        .expect("cargo runs");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut stdlib = Vec::new();
    let mut stack = vec![manifest.join("../stdlib")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "kdl") {
                let rel = path.strip_prefix(manifest.join("../stdlib")).unwrap();
                stdlib.push(format!("stdlib/{}", rel.display()));
            }
        }
    }
    assert!(stdlib.len() >= 4, "{stdlib:?}");
    for file in &stdlib {
        assert!(
            listed.lines().any(|l| l == file),
            "{file} is not in the package:\n{listed}"
        );
    }
    assert!(listed.lines().any(|l| l == "build.rs"));
}
