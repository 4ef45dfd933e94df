//! The Seatbelt backend's SBPL for an IR built the way the experiment language builds it (not
//! from SBPL): `{scratch}` stays a parameter, shim rules keep their place, fidelity per rule.

use xpr::compile::Fidelity;
use xpr::compile::seatbelt::{CheckFilterType, CheckQuery, compile};
use xpr::model::{Action, Filter, Modifiers, NetAddress, Origin, ProfileIr, Rule};

fn rule(action: Action, ops: &[&str], filters: Vec<Filter>, shim: Option<&str>) -> Rule {
    Rule {
        action,
        operations: ops.iter().map(|s| s.to_string()).collect(),
        filters,
        modifiers: Modifiers::default(),
        origin: Origin {
            file: "runtime-checks.kdl".into(),
            line: 1,
            column: 1,
            span: (0, 0),
            shim: shim.map(str::to_string),
        },
    }
}

#[test]
fn strict_profile_with_macos_shim_matches_golden() {
    let ir = ProfileIr {
        default_origin: Default::default(),
        layers: Vec::new(),
        default: Action::Deny,
        rules: vec![
            rule(
                Action::Allow,
                &["file-read*", "file-write*"],
                vec![Filter::Subpath("{scratch}/strict_ok".into())],
                None,
            ),
            rule(
                Action::Deny,
                &["file-read*"],
                vec![Filter::Literal("/etc/hosts".into())],
                None,
            ),
            rule(
                Action::Allow,
                &["network-outbound"],
                vec![Filter::Remote(NetAddress {
                    proto: "tcp".into(),
                    host: "localhost".into(),
                    port: Some(8080),
                })],
                None,
            ),
            rule(
                Action::Allow,
                &["file-write-data"],
                vec![Filter::RequireAll(vec![
                    Filter::Literal("/dev/null".into()),
                    Filter::Named {
                        name: "vnode-type".into(),
                        args: vec!["CHARACTER-DEVICE".into()],
                    },
                ])],
                None,
            ),
            rule(
                Action::Allow,
                &["process-exec*"],
                vec![],
                Some("macos-harness"),
            ),
            rule(
                Action::Allow,
                &["file-read*"],
                ["/System", "/usr", "/bin", "/sbin", "/dev"]
                    .map(|p| Filter::Subpath(p.into()))
                    .to_vec(),
                Some("macos-harness"),
            ),
        ],
    };
    let compiled = compile(&ir);
    insta::assert_snapshot!("strict_shimmed", compiled.sbpl);
    // insta ignores trailing whitespace; a file ends with exactly one newline.
    assert!(compiled.sbpl.ends_with(")\n"), "{:?}", compiled.sbpl);
    assert_eq!(compiled.params.iter().collect::<Vec<_>>(), ["scratch"]);
    assert!(
        compiled
            .fidelity
            .iter()
            .all(|f| f.fidelity == Fidelity::Exact)
    );
    assert_eq!(compiled.fidelity.len(), ir.rules.len() + 1);
    assert_eq!(
        compiled.fidelity[5].origin.shim.as_deref(),
        Some("macos-harness")
    );
}

#[test]
fn oracle_queries() {
    let q = CheckQuery::for_operation("file-write-data", Some("/etc/hosts"));
    assert_eq!(q.filter, CheckFilterType::Path);
    assert_eq!(q.argument.as_deref(), Some("/etc/hosts"));
}

#[test]
fn a_stack_emits_its_innermost_layer_and_marks_the_others_unsupported() {
    let read = rule(Action::Allow, &["file-read*"], vec![], None);
    let write = rule(
        Action::Allow,
        &["file-write*"],
        vec![Filter::Subpath("{scratch}/w".into())],
        None,
    );
    let ir = ProfileIr {
        default_origin: Default::default(),
        default: Action::Deny,
        rules: vec![read, write.clone()],
        layers: vec![
            xpr::model::IrLayer {
                default_origin: Default::default(),
                profile: "outer".into(),
                default: Action::Deny,
                rules: 1,
            },
            xpr::model::IrLayer {
                default_origin: Default::default(),
                profile: "inner".into(),
                default: Action::Deny,
                rules: 1,
            },
        ],
    };
    let sb = compile(&ir);
    let inner = compile(&ProfileIr::new(Action::Deny, vec![write]));
    assert_eq!(
        sb.sbpl,
        format!(
            "; xpr: SBPL has no layers: only the innermost of 2 layers (inner) is emitted\n{}",
            inner.sbpl
        )
    );
    let levels: Vec<(Option<usize>, Fidelity)> =
        sb.fidelity.iter().map(|f| (f.rule, f.fidelity)).collect();
    assert_eq!(
        levels,
        [
            (None, Fidelity::Exact),
            (Some(0), Fidelity::Unsupported),
            (Some(1), Fidelity::Exact)
        ]
    );
}
