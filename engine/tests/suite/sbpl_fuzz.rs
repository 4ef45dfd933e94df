//! Property tests: arbitrary SBPL-ish text never panics the parser, and whatever parses
//! round-trips through the emitter.

use proptest::prelude::*;
use xpr::sbpl::{SbplOptions, emit_profile, parse};

/// Fragments that exercise the lexer, reader and evaluator together.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("(".to_string()),
        Just(")".to_string()),
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just("'".to_string()),
        Just("; c\n".to_string()),
        Just("#|x|#".to_string()),
        Just("#t".to_string()),
        Just("#o17".to_string()),
        Just("#\"^/a\\.b\"".to_string()),
        Just("\"s\\\"q\"".to_string()),
        Just("\"{X}\"".to_string()),
        Just("#if".to_string()),
        prop::sample::select(vec![
            "allow",
            "deny",
            "default",
            "file-read*",
            "literal",
            "subpath",
            "regex",
            "require-all",
            "require-any",
            "require-not",
            "remote",
            "local",
            "tcp",
            "unix-socket",
            "path-literal",
            "with",
            "report",
            "message",
            "define",
            "if",
            "when",
            "let",
            "loop",
            "lambda",
            "param",
            "string-append",
            "begin",
            "import",
            "version",
            "1",
            "2",
            "-5",
            "x",
            "f",
            "with-filter",
            "vnode-type",
            "target",
            "self",
            "apply",
            "apply-message-filter",
            "substring",
            "+",
            "<",
            "not",
            "defined?",
            "cond",
            "else",
            "debug",
        ])
        .prop_map(str::to_string),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_round_trips(tokens in prop::collection::vec(token(), 0..60)) {
        let text = tokens.join("");
        let parsed = parse(&text, "fuzz.sb", &SbplOptions::default());
        if let Err(e) = &parsed {
            for err in &e.errors {
                prop_assert!(err.help.is_some(), "{}", err.message);
                prop_assert!(err.span.0 + err.span.1 <= text.len());
            }
        }
        if let Ok(p) = parsed {
            let emitted = emit_profile(&p);
            let again = parse(&emitted, "emitted.sb", &SbplOptions::default());
            prop_assert!(again.is_ok(), "emitted text does not parse:\n{}\nfrom:\n{}", emitted, text);
            prop_assert_eq!(emit_profile(&again.unwrap()), emitted);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        if let Err(e) = parse(&text, "fuzz.sb", &SbplOptions::default()) {
            for err in &e.errors {
                // Every diagnostic has a position and a hint.
                prop_assert!(err.line >= 1 && err.column >= 1);
                prop_assert!(err.help.is_some(), "{}", err.message);
                prop_assert!(err.span.0 + err.span.1 <= text.len());
            }
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = "(".repeat(100_000);
    assert!(parse(&text, "deep.sb", &SbplOptions::default()).is_err());
}

#[test]
fn the_deepest_accepted_nesting_evaluates_and_emits() {
    let depth = 62;
    let mut filter = "(literal \"/x\")".to_string();
    for _ in 0..depth - 2 {
        filter = format!("(require-all {filter})");
    }
    let text = format!("(allow file-read* {filter})");
    let p = parse(&text, "deep.sb", &SbplOptions::default()).unwrap();
    let emitted = emit_profile(&p);
    assert!(parse(&emitted, "e.sb", &SbplOptions::default()).is_ok());
    let nested_begin = format!(
        "{}(allow file-read*){}",
        "(begin ".repeat(63),
        ")".repeat(63)
    );
    assert!(parse(&nested_begin, "deep.sb", &SbplOptions::default()).is_ok());
}

// ---- Exhaustion: the evaluator's budgets (issue 10, item 9) ----

fn limit_error(text: &str) -> String {
    let errors = parse(text, "hostile.sb", &SbplOptions::default())
        .expect_err("the evaluation must stop at a limit");
    let limit = errors
        .errors
        .iter()
        .find(|e| e.kind == xpr::sbpl::ErrorKind::Limit)
        .unwrap_or_else(|| panic!("no limit error: {errors}"));
    assert!(limit.line >= 1 && limit.help.is_some());
    limit.message.clone()
}

#[test]
fn a_helper_that_doubles_a_string_stops_at_the_value_budget() {
    let text = format!(
        "(version 1)\n(define (d x) (string-append x x))\n(allow file-read* (literal {}\"a\"{}))\n",
        "(d ".repeat(60),
        ")".repeat(60)
    );
    assert!(limit_error(&text).contains("MiB of values"));
}

#[test]
fn filters_that_double_stop_at_the_value_budget() {
    let mut text = String::from("(version 1)\n(define a0 (literal \"/a\"))\n");
    for i in 1..=40 {
        text.push_str(&format!(
            "(define a{i} (require-any a{} a{}))\n",
            i - 1,
            i - 1
        ));
    }
    text.push_str("(allow file-read* a40)\n");
    assert!(limit_error(&text).contains("MiB of values"));
    // The same doubling as nested forms, 40 deep.
    let nested = format!(
        "(version 1)\n(define x (literal \"/a\"))\n(define (twice f) (require-any f f))\n(allow file-read* {}x{})\n",
        "(twice ".repeat(40),
        ")".repeat(40)
    );
    assert!(limit_error(&nested).contains("MiB of values"));
}

#[test]
fn a_helper_that_calls_itself_twice_per_level_stops_at_the_step_budget() {
    let text = "(define (f n) (if (= n 0) 0 (begin (f (- n 1)) (f (- n 1)))))\n(f 40)\n";
    assert!(limit_error(text).contains("steps"));
}

#[test]
fn definitions_that_wrap_each_other_stop_at_the_value_depth() {
    let mut text = String::from("(define a0 (literal \"/a\"))\n");
    for i in 1..=500 {
        text.push_str(&format!("(define a{i} (require-not a{}))\n", i - 1));
    }
    text.push_str("(allow file-read* a500)\n");
    assert!(limit_error(&text).contains("nests deeper"));
}

#[test]
fn a_profile_of_many_rules_parses_every_rule() {
    // 100,000 rules took minutes (a scan from the file start per rule); the benchmark times
    // that size, this checks the result.
    let mut text = String::from("(version 1)\n(deny default)\n");
    for i in 0..20_000 {
        text.push_str(&format!("(allow file-read* (literal \"/tmp/f{i}\"))\n"));
    }
    let p = parse(&text, "many.sb", &SbplOptions::default()).unwrap();
    assert_eq!(p.ir.rules.len(), 20_000);
    assert_eq!(p.ir.rules[19_999].origin.line, 20_002);
}
