//! A crafted runtime-tools bundle (see `bundle_files.rs` for the input format): verify, read,
//! map to records, and import as KDL. Nothing may panic or block, and whatever the bundle
//! holds, the imported experiment parses as KDL to only the nodes the importer writes.
//! Run: `cargo fuzz run bundle_runtime_tools -s none`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xpr::bundle::runtime_tools::{self, RuntimeToolsBundle, to_kdl};

mod bundle_files;

const WRITTEN: &[&str] = &[
    "experiment", "description", "lanes", "profile", "default", "probe", "expect", "allow", "deny",
];

fuzz_target!(|data: &[u8]| {
    let Ok(tmp) = tempfile::tempdir() else { return };
    let dir = tmp.path().join("bundle");
    let _ = std::fs::create_dir(&dir);
    bundle_files::materialise(data, &dir);
    let _ = runtime_tools::verify(&dir).map(|report| report.render_text("fuzz"));
    if let Ok(reader) = xpr::bundle::open(&dir) {
        let _ = reader.verify();
        let _ = reader.load();
    }
    let Ok(bundle) = RuntimeToolsBundle::open(&dir) else { return };
    let imported = to_kdl::to_kdl(
        &bundle,
        &to_kdl::Options {
            sbpl_dir: None,
            output_dir: tmp.path().to_path_buf(),
        },
    );
    let doc = match kdl::KdlDocument::parse(&imported.text) {
        Ok(doc) => doc,
        Err(e) => panic!("the import does not parse: {e:?}\n{}", imported.text),
    };
    let mut stack: Vec<&kdl::KdlNode> = doc.nodes().iter().collect();
    while let Some(node) = stack.pop() {
        assert!(
            WRITTEN.contains(&node.name().value()),
            "injected node `{}`:\n{}",
            node.name().value(),
            imported.text
        );
        stack.extend(node.children().into_iter().flat_map(|c| c.nodes()));
    }
});
