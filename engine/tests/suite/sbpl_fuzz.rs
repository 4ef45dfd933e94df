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
