//! SBPL profiles inside experiments (`profile NAME sbpl="sb/NAME.sb"`): the IR comes from the
//! SBPL parser with the experiment's parameters, canonical operation names, artifact-relative
//! origins, and located warnings and errors in the `.sb` file.

use crate::support::Xpr;
use std::path::Path;

use xpr::model::{Action, Filter};
use xpr::resolve::{LoadOptions, check};

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const EXPERIMENT: &str =
    "experiment \"t\" {\n    param home \"/home/u\"\n}\nprofile p sbpl=\"sb/p.sb\"\n";

#[test]
fn sbpl_profile_resolves_with_params_and_canonical_operations() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "exp.kdl", EXPERIMENT);
    write(
        dir.path(),
        "sb/p.sb",
        "(version 1)\n(deny default)\n(allow iokit-open)\n\
         (allow file-read* (subpath (param \"home\")) (subpath \"{scratch}/w\"))\n\
         (if (param \"NET\") (allow network*))\n",
    );
    let loaded = check(&dir.path().join("exp.kdl"), &LoadOptions::default())
        .unwrap_or_else(|d| panic!("{d}"));
    let p = &loaded.experiment.profiles[0];
    assert_eq!(p.sbpl_source.as_deref(), Some("sb/p.sb"));
    assert_eq!(p.source.default, Action::Deny);
    let rules = &p.source.rules;
    assert_eq!(rules[0].operations, ["iokit-open-user-client"]);
    assert_eq!(
        rules[1].filters,
        [
            Filter::Subpath("/home/u".into()),
            Filter::Subpath("{scratch}/w".into())
        ]
    );
    assert_eq!(
        (rules[1].origin.file.as_str(), rules[1].origin.line),
        ("sb/p.sb", 4)
    );
    assert!(rules[2].opaque_form_text().is_some());
    let codes: Vec<&str> = loaded.warnings.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["xpr::vocabulary::obsolete_operation", "xpr::sbpl::opaque"]
    );
}

#[test]
fn bad_sbpl_in_an_experiment_points_into_the_sb_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "exp.kdl", EXPERIMENT);
    write(
        dir.path(),
        "sb/p.sb",
        "(version 1)\n(allow file-reed* (subpath 5))\n",
    );
    let check = || Xpr::new().args(["check", "exp.kdl"]).cwd(dir.path()).run();
    let stderr = check().exit(2).stderr;
    assert!(stderr.contains("sb/p.sb:2:28"), "{stderr}");
    assert!(stderr.contains("xpr::sbpl::form"), "{stderr}");
    // After the form error is fixed, the misspelt operation gets "did you mean".
    write(
        dir.path(),
        "sb/p.sb",
        "(version 1)\n(allow file-reed* (subpath \"/a\"))\n",
    );
    let stderr = check().exit(2).stderr;
    assert!(stderr.contains("sb/p.sb:2:1"), "{stderr}");
    assert!(stderr.contains("did you mean `file-read*`"), "{stderr}");
}
