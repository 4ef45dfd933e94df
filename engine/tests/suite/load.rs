//! Happy paths of `xpr::resolve::load`: what a well-formed experiment resolves to.

use std::path::{Path, PathBuf};

use xpr::model::{Action, ArgValue, Filter, FixtureKind, Lane};
use xpr::resolve::{LoadOptions, load};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn opts() -> LoadOptions {
    LoadOptions::default()
}

#[test]
fn basic_experiment_resolves() {
    let loaded = load(&data("basic.kdl"), &opts()).unwrap_or_else(|d| panic!("{d}"));
    let e = &loaded.experiment;
    assert!(loaded.warnings.is_empty(), "{}", loaded.warnings);
    assert!(!loaded.library);
    assert_eq!(e.name, "basic");
    assert_eq!(e.lanes, vec![Lane::Baseline, Lane::Scenario, Lane::Oracle]);
    assert_eq!(e.timeout.as_millis(), 2000);
    assert_eq!(e.params["foo"], "{scratch}/foo");

    // extends + shim: source keeps the base's rules, runtime adds the shim's, marked.
    let p = e
        .profiles
        .iter()
        .find(|p| p.id == "read_foo_loader")
        .unwrap();
    assert_eq!(p.extends.as_deref(), Some("read_foo"));
    assert_eq!(p.source.default, Action::Deny);
    assert_eq!(p.source.rules.len(), 2);
    assert_eq!(
        p.source.rules[0].filters,
        vec![Filter::Subpath("{scratch}/foo".into())]
    );
    assert!(p.source.rules[1].modifiers.report);
    assert_eq!(p.shims, vec!["loader"]);
    assert_eq!(p.runtime.rules.len(), 3);
    assert_eq!(p.runtime.rules[2].origin.shim.as_deref(), Some("loader"));
    assert_eq!(
        p.runtime.rules[2].operations,
        vec!["file-read*", "process-exec"]
    );
    assert_eq!(p.runtime.rules[2].origin.file, "shared/loader.kdl");

    // Probes get the family's operation, worlds and destructiveness; fixtures by path.
    let probe = |id: &str| e.probes.iter().find(|p| p.id == id).unwrap();
    assert_eq!(probe("read-foo").operation, "file-read-data");
    assert_eq!(probe("read-foo").fixtures, vec!["foo"]);
    assert!(probe("read-foo").control);
    assert!(!probe("write-hosts").destructive);
    assert!(probe("unlink-foo").destructive);
    assert_eq!(probe("unlink-foo").target.as_deref(), Some("{scratch}/foo"));
    assert_eq!(
        probe("rename-foo").args["to"],
        ArgValue::Str("{scratch}/foo2".into())
    );
    assert_eq!(
        probe("cat-hosts").args["argv"],
        ArgValue::List(vec!["cat".into(), "/etc/hosts".into()])
    );
    assert_eq!(probe("kill-outsider").args["signal"], ArgValue::Int(0));
    assert_eq!(probe("kill-outsider").fixtures, vec!["outsider"]);
    assert_eq!(probe("lookup").worlds, vec!["macos"]);
    assert!(matches!(
        e.fixtures[0].kind,
        FixtureKind::File { mode: 0o644, .. }
    ));

    // Globs expand over profiles; macOS-only expectations are dropped on linux.
    let ids: Vec<&str> = e.expectations.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "read_all/read-hosts",
            "read_all/read-foo",
            "read_all/write-hosts",
            "read_foo/read-hosts",
            "read_foo/read-foo",
            "read_foo/cat-hosts",
            "read_foo_loader/read-hosts",
            "read_foo_loader/read-foo",
            "read_foo_loader/cat-hosts",
        ]
    );
    let w = e
        .expectations
        .iter()
        .find(|x| x.id == "read_all/write-hosts")
        .unwrap();
    assert_eq!(w.errno.as_deref(), Some("EACCES"));

    // Sources: relative paths and the prelude, sorted, no absolute paths.
    let paths: Vec<&str> = e.sources.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "basic.kdl",
            "shared/loader.kdl",
            "std/families.kdl",
            "std/sysctl.kdl",
            "std/vocabulary.kdl"
        ]
    );
}

#[test]
fn macos_world_keeps_macos_expectations() {
    let o = LoadOptions {
        world: "macos".into(),
        ..opts()
    };
    let e = load(&data("basic.kdl"), &o).unwrap().experiment;
    let w = e
        .expectations
        .iter()
        .find(|x| x.id == "read_all/write-hosts")
        .unwrap();
    assert_eq!(w.errno.as_deref(), Some("EPERM"));
}

#[test]
fn param_override_applies() {
    let o = LoadOptions {
        params: vec![("foo".into(), "{scratch}/other".into())],
        ..opts()
    };
    let e = load(&data("basic.kdl"), &o).unwrap().experiment;
    let p = e.probes.iter().find(|p| p.id == "read-foo").unwrap();
    assert_eq!(p.target.as_deref(), Some("{scratch}/other"));
}

#[test]
fn resolution_is_deterministic() {
    let a = serde_json::to_string(&load(&data("basic.kdl"), &opts()).unwrap().experiment).unwrap();
    let b = serde_json::to_string(&load(&data("basic.kdl"), &opts()).unwrap().experiment).unwrap();
    assert_eq!(a, b);
    assert!(!a.contains(env!("CARGO_MANIFEST_DIR")));
}

#[test]
fn a_file_imported_twice_is_loaded_once() {
    let e = load(&data("diamond.kdl"), &opts())
        .unwrap_or_else(|d| panic!("{d}"))
        .experiment;
    let paths: Vec<&str> = e.sources.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "diamond.kdl",
            "shared/execs.kdl",
            "shared/loader.kdl",
            "shared/reads.kdl",
            "std/families.kdl",
            "std/shims/linux.kdl",
            "std/sysctl.kdl",
            "std/vocabulary.kdl"
        ]
    );
    let p = &e.profiles[0];
    assert_eq!(p.shims, ["loader", "exec-bin"]);
    let shims: Vec<_> = p
        .runtime
        .rules
        .iter()
        .map(|r| r.origin.shim.as_deref().unwrap())
        .collect();
    assert_eq!(shims, ["loader", "exec-bin"]);
}

#[test]
fn load_str_resolves_text_with_stdlib_imports() {
    let text = "experiment t {\n    lanes scenario\n}\nimport \"std/shims/linux\"\nprobe r family=file-read target=\"/etc/hosts\"\n";
    let e = xpr::resolve::load_str("t.kdl", text, &opts())
        .unwrap()
        .experiment;
    assert_eq!(e.probes[0].operation, "file-read-data");
    assert!(e.sources.iter().any(|s| s.path == "std/shims/linux.kdl"));
}

#[test]
fn the_closure_lists_the_vocabulary_and_every_sbpl_import() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("sb")).unwrap();
    std::fs::write(
        dir.join("sb/main.sb"),
        "(version 1)\n(deny default)\n(import \"helper.sb\")\n",
    )
    .unwrap();
    let helper = dir.join("sb/helper.sb");
    std::fs::write(&helper, "(allow file-read* (subpath \"/etc\"))\n").unwrap();
    let exp = dir.join("e.kdl");
    std::fs::write(
        &exp,
        "experiment e {\n    lanes scenario\n}\nprofile p sbpl=\"sb/main.sb\"\nprobe r family=file-read target=\"/etc/hosts\"\nexpect p {\n    allow r\n}\n",
    )
    .unwrap();
    let sources = |path: &Path| {
        load(path, &opts())
            .unwrap_or_else(|d| panic!("{d}"))
            .experiment
            .sources
    };
    let first = sources(&exp);
    let paths: Vec<&str> = first.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "e.kdl",
            "sb/helper.sb",
            "sb/main.sb",
            "std/families.kdl",
            "std/sysctl.kdl",
            "std/vocabulary.kdl"
        ]
    );
    let vocabulary = xpr::source::stdlib::get("vocabulary").unwrap();
    assert_eq!(
        first[5].blake3,
        blake3::hash(vocabulary.as_bytes()).to_hex().to_string()
    );
    // Editing only the imported file changes the closure.
    std::fs::write(&helper, "(allow file-read* (subpath \"/usr\"))\n").unwrap();
    let second = sources(&exp);
    assert_ne!(first[1].blake3, second[1].blake3);
    assert_eq!(first[2].blake3, second[2].blake3);
}

/// Engine data tables only take effect in the stdlib; a copy in an experiment is flagged, not
/// silently ignored.
#[test]
fn data_tables_outside_the_stdlib_are_warned_about() {
    let text = r#"
experiment "tables" { lanes baseline scenario; }
vocabulary { operation "file-read*" }
sysctl-names { sysctl "kern.ostype" "/proc/sys/kernel/ostype" }
profile p { default deny; }
probe r family=file-read target="/etc/hosts"
"#;
    let loaded =
        xpr::resolve::load_str("tables.kdl", text, &opts()).unwrap_or_else(|d| panic!("{d}"));
    let messages: Vec<String> = loaded
        .warnings
        .iter()
        .filter(|d| d.code == "xpr::vocabulary::ignored")
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(
        messages,
        [
            "this `vocabulary` block has no effect",
            "this `sysctl-names` block has no effect"
        ]
    );
}

#[test]
fn a_stack_flattens_nested_layers_with_their_shims_in_declaration_order() {
    let text = r#"experiment t {
    lanes scenario
}
import "std/shims/linux"
profile read {
    default deny
    allow "file-read*"
}
profile exec extends=read {
    shim linux-loader
}
profile inner {
    layer read
    layer exec
}
profile outer {
    layer inner
    layer read
}
"#;
    let e = xpr::resolve::load_str("t.kdl", text, &opts())
        .unwrap()
        .experiment;
    let ids: Vec<&str> = e.profiles.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["read", "exec", "inner", "outer"]);
    let outer = &e.profiles[3];
    assert_eq!(outer.layers, ["read", "exec", "read"]);
    let exec = &e.profiles[1];
    let n_exec = exec.runtime.rules.len();
    assert!(
        n_exec > exec.source.rules.len(),
        "the shim's rules are in the runtime IR"
    );
    // Runtime: each layer's runtime rules in order, partitioned by `layers`.
    let parts: Vec<(&str, Action, usize)> = outer
        .runtime
        .layers
        .iter()
        .map(|l| (l.profile.as_str(), l.default, l.rules))
        .collect();
    assert_eq!(
        parts,
        [
            ("read", Action::Deny, 1),
            ("exec", Action::Deny, n_exec),
            ("read", Action::Deny, 1)
        ]
    );
    assert_eq!(outer.runtime.rules.len(), 2 + n_exec);
    // Source: the layers' source IRs, without shims.
    let source: Vec<usize> = outer.source.layers.iter().map(|l| l.rules).collect();
    assert_eq!(source, [1, 1, 1]);
    // The layers' shims, derived (the stack names none itself).
    assert_eq!(outer.shims, ["linux-loader"]);
    assert!(outer.extends.is_none());
    // A plain profile serialises as before (no `layers` key).
    let json = serde_json::to_string(&e.profiles[0]).unwrap();
    assert!(!json.contains("\"layers\""), "{json}");
}

/// The default action keeps where it was written, so fidelity notes and the oracle's
/// deciding rule can point at it (a variant inherits its base's).
#[test]
fn the_default_action_keeps_its_source_location() {
    let loaded = load(&data("basic.kdl"), &opts()).unwrap_or_else(|d| panic!("{d}"));
    let base = loaded
        .experiment
        .profiles
        .iter()
        .find(|p| p.id == "read_foo")
        .unwrap();
    let at = &base.source.default_origin;
    assert_eq!(
        (at.file.as_str(), at.line > 0),
        ("basic.kdl", true),
        "{at:?}"
    );
    assert_eq!(base.runtime.default_origin, *at);
    let variant = loaded
        .experiment
        .profiles
        .iter()
        .find(|p| p.id == "read_foo_loader")
        .unwrap();
    assert_eq!(variant.source.default_origin, *at);
}
