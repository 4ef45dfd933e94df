//! `xpr world` end to end, including the harness canary run from inside a real Landlock domain.

use xpr::compile::linux::{PreparedSandbox, compile};
use xpr::model::{Action, Origin, ProfileIr, Rule};
use xpr::world::{LandlockStatus, WorldFacts, WorldOptions};

use crate::support::Xpr;

fn world_json(xpr: Xpr) -> serde_json::Value {
    xpr.args(["world", "--format", "json"])
        .run()
        .success()
        .json()
}

#[test]
fn json_output_is_canonical_and_names_the_world() {
    let value = world_json(Xpr::new());
    let id = value["world_id"].as_str().unwrap();
    assert!(id.starts_with("linux-"), "{id}");
    assert_eq!(value["schema_version"], "xpr.world.v1");
    assert_eq!(value["harness"]["landlock_domain"]["state"], "none");
    let text = Xpr::new().args(["world", "--format", "json"]).run().stdout;
    assert_eq!(
        text.trim_end(),
        String::from_utf8(xpr::world::canonical_json(&value)).unwrap()
    );
}

#[test]
fn an_abi_cap_above_the_host_is_a_usage_error() {
    let facts = WorldFacts::detect(&WorldOptions::default());
    assert_eq!(
        facts.landlock.status,
        LandlockStatus::Available,
        "needs Landlock"
    );
    let too_high = (facts.landlock.host_abi + 1).to_string();
    let out = Xpr::new()
        .args(["world", "--landlock-abi", &too_high])
        .run()
        .exit(2);
    assert!(out.stderr.contains("exceeds the host's Landlock ABI"));

    let capped = Xpr::new()
        .args(["world", "--format", "json", "--landlock-abi", "3"])
        .run()
        .json();
    assert_eq!(capped["landlock"]["effective_abi"], 3);
    assert_eq!(capped["landlock"]["abi_cap"], 3);
}

#[test]
fn the_canary_sees_an_inherited_landlock_domain() {
    let world = WorldFacts::detect(&WorldOptions::default());
    assert_eq!(
        world.landlock.status,
        LandlockStatus::Available,
        "needs Landlock"
    );
    // Allow default + deny every write: a real domain that still lets xpr load and run.
    let ir = ProfileIr {
        default_origin: Default::default(),
        layers: Vec::new(),
        default: Action::Allow,
        rules: vec![Rule {
            action: Action::Deny,
            operations: vec!["file-write*".into()],
            filters: vec![],
            modifiers: Default::default(),
            origin: Origin::default(),
        }],
    };
    let compiled = compile("canary", &ir, &world);
    let sandbox = PreparedSandbox::prepare(&compiled, std::path::Path::new("/")).unwrap();
    // SAFETY: apply only makes raw syscalls, which is what pre_exec allows.
    let xpr = unsafe {
        Xpr::new().pre_exec(move || {
            sandbox
                .apply()
                .map_err(|f| std::io::Error::from_raw_os_error(f.errno))
        })
    };
    let value = world_json(xpr);
    assert_eq!(
        value["harness"]["landlock_domain"]["state"], "inside",
        "{value}"
    );
    assert_eq!(value["harness"]["landlock_domain"]["layers"], 1);
    assert_eq!(value["harness"]["no_new_privs"], true);
}
