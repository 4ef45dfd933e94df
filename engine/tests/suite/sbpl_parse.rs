//! SBPL parser behaviour on hand-written input: the IR it builds, what stays opaque, and
//! diagnostics that point at the exact line and column of a bad `.sb` file.

use std::collections::BTreeMap;

use xpr::model::{Action, Filter, NetAddress};
use xpr::sbpl::{ErrorKind, OpaqueKind, SbplErrors, SbplOptions, SbplProfile, parse};

fn ok(text: &str) -> SbplProfile {
    parse(text, "test.sb", &SbplOptions::default()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn err(text: &str) -> SbplErrors {
    match parse(text, "bad.sb", &SbplOptions::default()) {
        Ok(p) => panic!("expected an error, got {:?}", p.ir),
        Err(e) => e,
    }
}

/// (kind, line, column) of every error.
fn positions(e: &SbplErrors) -> Vec<(ErrorKind, u32, u32)> {
    e.errors
        .iter()
        .map(|e| (e.kind, e.line, e.column))
        .collect()
}

#[test]
fn a_file_without_default_denies() {
    let p = ok("(allow file-read* (subpath \"/usr\"))");
    assert_eq!(p.ir.default, Action::Deny);
    assert!(p.default_origin.is_none());
    let p = ok("(version 1)\n(allow default)\n");
    assert_eq!(p.ir.default, Action::Allow);
    assert_eq!(p.default_origin.unwrap().line, 2);
}

#[test]
fn rules_keep_operations_as_written_and_their_origin() {
    let p =
        ok("(version 1)\n(deny default)\n  (allow file-read* sysctl* mach*\n (literal \"/a\"))");
    let r = &p.ir.rules[0];
    assert_eq!(r.operations, ["file-read*", "sysctl*", "mach*"]);
    assert_eq!(r.filters, [Filter::Literal("/a".into())]);
    assert_eq!(
        (r.origin.file.as_str(), r.origin.line, r.origin.column),
        ("test.sb", 3, 3)
    );
}

#[test]
fn modifiers_before_or_after_filters() {
    let p = ok("(allow (with report) signal (target self))\n\
                (deny syscall-unix (with send-signal SIGKILL) (with telemetry) (with message \"73\"))");
    assert!(p.ir.rules[0].modifiers.report);
    assert_eq!(p.ir.rules[0].filters, [Filter::Target("self".into())]);
    let m = &p.ir.rules[1].modifiers;
    assert_eq!(m.message.as_deref(), Some("73"));
    assert_eq!(m.other, ["send-signal SIGKILL", "telemetry"]);
}

#[test]
fn params_given_are_substituted_and_missing_ones_stay_symbolic() {
    let text = "(allow file-read* (subpath (param \"ROOT\")) (literal (string-append (param \"HOME\") \"/x\")))";
    let p = ok(text);
    assert_eq!(
        p.ir.rules[0].filters,
        [
            Filter::Subpath("{ROOT}".into()),
            Filter::Literal("{HOME}/x".into())
        ]
    );
    assert_eq!(p.params.iter().collect::<Vec<_>>(), ["HOME", "ROOT"]);
    let opts = SbplOptions {
        params: BTreeMap::from([("ROOT".to_string(), "/srv".to_string())]),
        ..SbplOptions::default()
    };
    let p = parse(text, "t.sb", &opts).unwrap();
    assert_eq!(p.ir.rules[0].filters[0], Filter::Subpath("/srv".into()));
}

#[test]
fn conditions_on_given_params_are_evaluated() {
    let text = "(define (param-true? s) (string=? (param s) \"TRUE\"))\n\
                (if (param-true? \"NET\") (allow network*) (deny network*))";
    let p = ok(text);
    assert_eq!(p.ir.rules.len(), 1);
    assert!(p.ir.rules[0].opaque_form_text().is_some());
    assert_eq!(
        p.opaque[0].reason,
        "depends on parameter `NET`, which was not given"
    );
    let opts = SbplOptions {
        params: BTreeMap::from([("NET".to_string(), "TRUE".to_string())]),
        ..SbplOptions::default()
    };
    let p = parse(text, "t.sb", &opts).unwrap();
    assert_eq!(p.ir.rules[0].action, Action::Allow);
    assert_eq!(p.ir.rules[0].operations, ["network*"]);
}

#[test]
fn defines_named_let_and_recursion_expand() {
    let p = ok("(define n 3)\n\
                (let loop ((i 0)) (if (< i n) (begin (allow file-read* (literal (string-append \"/d\" (number->string i)))) (loop (+ i 1)))))");
    let lits: Vec<_> = p.ir.rules.iter().map(|r| r.filters[0].clone()).collect();
    assert_eq!(
        lits,
        [
            Filter::Literal("/d0".into()),
            Filter::Literal("/d1".into()),
            Filter::Literal("/d2".into())
        ]
    );
}

#[test]
fn long_named_let_loops_expand() {
    let p = ok(
        "(let loop ((i 0)) (when (< i 5000) (allow file-read* (literal (number->string i))) (loop (+ i 1))))",
    );
    assert_eq!(p.ir.rules.len(), 5000);
}

#[test]
fn defined_knows_the_profiles_own_definitions() {
    let p = ok("(define (helper) (allow process-fork))
                (if (defined? 'helper) (helper))
                (if (defined? 'system-socket) (allow system-socket))");
    assert_eq!(p.ir.rules[0].operations, ["process-fork"]);
    assert!(p.ir.rules[1].opaque_form_text().is_some());
    let opts = SbplOptions {
        defined_symbols: Some(["system-socket".to_string()].into()),
        ..SbplOptions::default()
    };
    let p = parse(
        "(if (defined? 'system-socket) (allow system-socket))",
        "t.sb",
        &opts,
    )
    .unwrap();
    assert_eq!(p.ir.rules[0].operations, ["system-socket"]);
}

#[test]
fn runaway_recursion_is_an_error_not_a_crash() {
    let e = err("(define (f) (f))\n(f)");
    assert_eq!(e.errors[0].kind, ErrorKind::Limit);
}

#[test]
fn network_filters() {
    let p = ok(
        "(allow network-outbound (remote tcp \"*:443\") (local ip) (remote unix-socket (path-literal \"/s\")))",
    );
    assert_eq!(
        p.ir.rules[0].filters,
        [
            Filter::Remote(NetAddress {
                proto: "tcp".into(),
                host: "*".into(),
                port: Some(443)
            }),
            Filter::Local(NetAddress {
                proto: "ip".into(),
                host: "*".into(),
                port: None
            }),
            Filter::Remote(NetAddress {
                proto: "unix-socket".into(),
                host: "/s".into(),
                port: None
            }),
        ]
    );
}

#[test]
fn unmodelled_filters_and_forms_are_kept_with_text_and_origin() {
    let p =
        ok("(deny default)\n(allow file-read* (home-literal \"/x\") (literal \"/y\"))\n(helper)\n");
    assert_eq!(p.ir.rules.len(), 2);
    assert_eq!(
        p.ir.rules[0].filters[0],
        Filter::Opaque("(home-literal \"/x\")".into())
    );
    assert_eq!(p.ir.rules[1].opaque_form_text(), Some("(helper)"));
    let kinds: Vec<_> = p
        .opaque
        .iter()
        .map(|o| (o.kind, o.origin.line, o.origin.column))
        .collect();
    assert_eq!(
        kinds,
        [(OpaqueKind::Filter, 2, 19), (OpaqueKind::Rule, 3, 1)]
    );
}

#[test]
fn opaque_children_of_require_forms_are_listed() {
    let p = ok("(allow file-read* (require-all (subpath \"/a\") (home-subpath \"/b\")))");
    assert_eq!(
        p.ir.rules[0].filters,
        [Filter::RequireAll(vec![
            Filter::Subpath("/a".into()),
            Filter::Opaque("(home-subpath \"/b\")".into())
        ])]
    );
    assert_eq!(p.opaque.len(), 1);
    assert_eq!(
        (p.opaque[0].origin.line, p.opaque[0].origin.column),
        (1, 47)
    );
}

#[test]
fn imports_resolve_from_the_search_path_and_embedded_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("base.sb"),
        "(deny default)\n(allow process-fork)\n",
    )
    .unwrap();
    let opts = SbplOptions {
        search_path: vec![dir.path().to_path_buf()],
        embedded: BTreeMap::from([(
            "std.sb".to_string(),
            "(allow signal (target self))".to_string(),
        )]),
        ..SbplOptions::default()
    };
    let p = parse(
        "(import \"base.sb\")\n(import \"std.sb\")\n(import \"gone.sb\")",
        "main.sb",
        &opts,
    )
    .unwrap();
    assert_eq!(p.ir.rules[0].operations, ["process-fork"]);
    assert!(p.ir.rules[0].origin.file.ends_with("base.sb"));
    assert_eq!(p.ir.rules[1].origin.file, "std/sbpl/std.sb");
    assert_eq!(
        p.ir.rules[2].opaque_form_text(),
        Some("(import \"gone.sb\")")
    );
    assert_eq!(p.files.len(), 3);
    let resolved: Vec<_> = p.imports.iter().map(|i| i.resolved.is_some()).collect();
    assert_eq!(resolved, [true, true, false]);
}

#[test]
fn import_cycles_are_errors_naming_the_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.sb");
    std::fs::write(&a, "(import \"b.sb\")").unwrap();
    std::fs::write(dir.path().join("b.sb"), "(version 1)\n(import \"a.sb\")").unwrap();
    let e = parse(
        "(import \"b.sb\")",
        &a.display().to_string(),
        &SbplOptions::default(),
    )
    .unwrap_err();
    let err = &e.errors[0];
    assert_eq!(err.kind, ErrorKind::Import);
    assert!(err.file.ends_with("b.sb"));
    assert_eq!((err.line, err.column), (2, 1));
    assert!(err.message.contains("import cycle"), "{}", err.message);
}

// ---- diagnostics: exact line and column ----

#[test]
fn unclosed_paren_points_at_the_open_paren() {
    let e = err("(version 1)\n(deny default)\n(allow file-read*\n  (subpath \"/usr\")\n");
    assert_eq!(positions(&e), [(ErrorKind::Syntax, 3, 1)]);
}

#[test]
fn stray_close_paren() {
    let e = err("(version 1))\n");
    assert_eq!(positions(&e), [(ErrorKind::Syntax, 1, 12)]);
}

#[test]
fn unterminated_string_and_regex() {
    assert_eq!(
        positions(&err("(allow file-read*\n (literal \"/etc)")),
        [(ErrorKind::Syntax, 2, 11)]
    );
    assert_eq!(
        positions(&err("(allow file-read* (regex #\"^/etc))")),
        [(ErrorKind::Syntax, 1, 26)]
    );
}

#[test]
fn form_errors_are_all_reported_at_once() {
    let e = err(
        "(version 1)\n(allow)\n(allow file-read* (subpath 5))\n(allow \"file-read*\")\n(version 7)\n",
    );
    assert_eq!(
        positions(&e),
        [
            (ErrorKind::Form, 2, 1),
            (ErrorKind::Form, 3, 28),
            (ErrorKind::Form, 4, 8),
            (ErrorKind::Form, 4, 1),
            (ErrorKind::Form, 5, 1),
        ]
    );
    assert!(e.errors[1].message.contains("`subpath` expects a string"));
    assert!(e.errors[1].help.is_some());
}

#[test]
fn preprocessor_template_is_named_with_a_hint() {
    let e = err("(version 1)\n(allow file-read*)\n#if ENABLE(FOO)\n(allow network*)\n#endif\n");
    assert_eq!(positions(&e), [(ErrorKind::Preprocessor, 3, 1)]);
    assert!(e.errors[0].help.as_deref().unwrap().contains("cpp"));
}

#[test]
fn nix_raw_string_wrapper_gets_a_hint() {
    let e = err("R\"\"(\n(deny default)\n)\"\"\n");
    assert_eq!(e.errors[0].line, 1);
    assert!(e.errors[0].help.as_deref().unwrap().contains("raw string"));
}

#[test]
fn rendered_diagnostic_names_file_line_and_column() {
    let e = err("(version 1)\n(deny default)\n(allow file-read* (subpath 5))\n");
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, &e.errors[0])
        .unwrap();
    assert!(out.contains("bad.sb:3:28"), "{out}");
    assert!(out.contains("xpr::sbpl::form"), "{out}");
    assert!(e.to_string().contains("bad.sb:3:28"), "{e}");
}

#[test]
fn non_ascii_comments_do_not_shift_columns() {
    let e = err(";; ↔ …\n(allow (literal 5))");
    assert_eq!(
        positions(&e),
        [(ErrorKind::Form, 2, 17), (ErrorKind::Form, 2, 1)]
    );
}
