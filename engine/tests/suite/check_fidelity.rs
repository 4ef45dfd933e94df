//! `xpr check` tells the truth before `run`: per-rule fidelity of every profile in this host,
//! in a catalogue world (from its declared Landlock ABI, without booting it) or for a given
//! Landlock ABI; a warning with the nearest rewrite for each profile `run` would report as
//! `blocked` or approximate; and the hints for the mistakes a new user makes.

use crate::support::Xpr;

const AGENT: &str = "tests/data/agent_carve.kdl";

#[test]
fn a_carve_out_of_default_allow_is_blocked_with_an_allow_list_rewrite() {
    let out = Xpr::new().args(["check", AGENT]).run().success();
    assert!(
        out.stdout.starts_with("ok agent_carve: 3 profiles"),
        "{out}"
    );
    assert!(out.stdout.contains("fidelity in this host"), "{out}");
    // Every rule of every profile has its line, the default first.
    for line in [
        // The subtree carve is a read-only mount where the host has the mount mechanism
        // (`run --mechanism landlock` blocks it).
        "profile agent: approximate",
        "  agent_carve.kdl:9:5  approximate  mount  (deny file-write*",
        "profile agent_net: blocked (not_applicable_in_world",
        "  agent_carve.kdl:16:5  unsupported  (deny network-outbound (remote tcp \"*:443\"))",
        "profile allow_list: approximate",
        "  default               approximate  landlock  ",
        "  agent_carve.kdl:22:5  exact        landlock  ",
        "  agent_carve.kdl:23:5  approximate  landlock  (allow file-write* (subpath \"{scratch}\"))  — Linux checks a hard link",
    ] {
        assert!(out.stdout.contains(line), "no `{line}` in {out}");
    }
    // A warning for each profile `run` cannot apply as written, with the rewrite. The port
    // carve is blocked in every Linux world: neither Landlock nor a mount subtracts. The
    // allow-list's write rule is approximate (hard links, its root checked on the parent),
    // and so is the mount carve: each gets the approximate warning, not the blocked one.
    assert!(
        out.stderr
            .contains("profile `agent_net` (agent_carve.kdl:14:9) cannot be applied"),
        "{out}"
    );
    for approximate in ["agent", "allow_list"] {
        assert!(
            out.stderr
                .contains(&format!("profile `{approximate}` (agent_carve.kdl")),
            "{out}"
        );
    }
    assert_eq!(out.stderr.matches("cannot be applied").count(), 1, "{out}");
    let help: Vec<&str> = out
        .stderr
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect();
    let help = help.join(" ");
    for want in [
        "`default allow` + `deny network-outbound` (here: tcp port 443)",
        "`default deny`",
        "allow network-outbound { remote tcp \"*:PORT\" }",
    ] {
        assert!(help.contains(want), "no `{want}` in {out}");
    }
}

#[test]
fn a_catalogue_world_is_shown_from_its_declared_facts_without_booting() {
    let out = Xpr::new()
        .args(["check", AGENT, "--world", "debian-12-6.1"])
        .run()
        .success();
    assert!(
        out.stdout
            .contains("fidelity in world debian-12-6.1: Debian 12 (bookworm), Linux 6.1: Landlock ABI 2 (facts declared by the catalogue, not booted: Landlock ABI 2)"),
        "{out}"
    );
    // ABI 2 has no truncate right: the default-deny profile's default names it.
    assert!(out.stdout.contains("never denied: fs.truncate"), "{out}");
    // Nor TCP rights at all (ABI 4): a port rule is out of reach there.
    assert!(out.stdout.contains("profile agent_net: blocked"), "{out}");

    let none = Xpr::new()
        .args(["check", AGENT, "--world", "debian-11-5.10"])
        .run()
        .success();
    assert!(
        none.stdout
            .contains("profile allow_list: blocked (mechanism_unavailable"),
        "{none}"
    );
    assert_eq!(
        none.stderr.matches("xpr::fidelity::blocked").count(),
        3,
        "{none}"
    );
}

#[test]
fn landlock_abi_shows_a_made_up_kernel_and_says_so() {
    let out = Xpr::new()
        .args(["check", AGENT, "--landlock-abi", "0"])
        .run()
        .success();
    assert!(
        out.stdout
            .contains("fidelity in a made-up kernel with no Landlock (--landlock-abi 0"),
        "{out}"
    );
    assert!(out.stdout.contains("profile allow_list: blocked"), "{out}");
}

#[test]
fn an_unknown_world_is_a_usage_error_with_did_you_mean() {
    let out = Xpr::new()
        .args(["check", AGENT, "--world", "debian-12-6.2"])
        .run()
        .exit(2);
    assert!(out.stderr.contains("no world `debian-12-6.2`"), "{out}");
    assert!(out.stderr.contains("did you mean `debian-12-6."), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
}

#[test]
fn emit_sbpl_with_an_experiment_is_refused_not_ignored() {
    let out = Xpr::new()
        .args(["check", AGENT, "--emit", "sbpl"])
        .run()
        .exit(2);
    assert!(out.stderr.contains("xpr::usage"), "{out}");
    let said: Vec<&str> = out
        .stderr
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect();
    assert!(said.join(" ").contains("is an experiment"), "{out}");
}

#[test]
fn shim_suggest_with_a_misspelt_profile_suggests_the_name() {
    let out = Xpr::new()
        .args([
            "shim",
            "suggest",
            AGENT,
            "--profile",
            "allow_lst",
            "--without-audit",
        ])
        .run()
        .exit(2);
    assert!(out.stderr.contains("no profile `allow_lst`"), "{out}");
    assert!(out.stderr.contains("did you mean `allow_list`?"), "{out}");
}

#[test]
fn every_shipped_experiment_checks_without_errors() {
    for dir in ["../experiments", "../examples"] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "kdl") {
                let out = Xpr::new().arg("check").arg(&path).run().success();
                assert!(out.stdout.contains("fidelity in this host"), "{out}");
                assert!(
                    !out.stderr.contains("xpr::vocabulary::obsolete_operation"),
                    "{out}"
                );
            }
        }
    }
}

/// The spec is the reference: its sample `check` output is what `check` prints today (the
/// counts are computed, not remembered), and it points at nothing outside the repository.
#[test]
fn the_spec_sample_of_check_is_the_real_output() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec.md")).unwrap();
    let from = spec
        .find("`xpr check FILE...` checks every file")
        .expect("spec §3 describes check");
    let block = spec[from..].split("```").nth(1).expect("a sample block");
    let real = Xpr::new().args(["check", AGENT]).run().success().stdout;
    let sample_ok = block.lines().find(|l| l.starts_with("ok ")).unwrap();
    let real_ok = real.lines().next().unwrap();
    assert_eq!(sample_ok, real_ok, "spec §3's sample summary line is stale");
    // Every profile and every rule of the sample is printed: the same place, the same rule.
    // (Levels and notes follow compile; the sample's are this host's today.)
    for heading in block.lines().filter(|l| l.starts_with("profile ")) {
        let (name, _) = heading.split_once(": ").unwrap();
        let printed = format!("{name}: ");
        assert!(
            real.contains(&printed),
            "spec §3's `{name}` is not printed:\n{real}"
        );
    }
    for row in block
        .lines()
        .filter(|l| l.starts_with("  agent_carve.kdl:"))
    {
        let at = row.split_whitespace().next().unwrap();
        let rule = &row[row.find(" (").unwrap() + 1..];
        let rule = rule.split_once("  — ").map_or(rule, |(r, _)| r);
        let start = format!("  {at} ");
        assert!(
            real.lines()
                .any(|l| l.starts_with(&start) && l.contains(rule)),
            "spec §3's row `{at} {rule}` is not printed:\n{real}"
        );
    }
    assert!(
        !spec.contains("not supported yet"),
        "spec says something is not supported yet"
    );
    assert!(
        !spec.contains("](../") && !spec.contains("`../"),
        "spec points outside the repository"
    );
}
