//! Proof that the fast parser is the `kdl` parser: on every `.kdl` file of the repository, on
//! a case for each grammar feature and on random token soup, either both reject the text or
//! both accept it with the same projection of everything xpr reads from a document.

use std::fmt::Write as _;

use kdl::{KdlDocument, KdlEntry, KdlIdentifier, KdlNode, KdlValue};
use miette::SourceSpan;

/// Everything xpr reads from a parsed document, as text.
pub(super) fn projection(doc: &KdlDocument) -> String {
    let mut out = String::new();
    document(&mut out, doc, 0);
    out
}

fn span(s: SourceSpan) -> String {
    format!("{}+{}", s.offset(), s.len())
}

fn ident(id: Option<&KdlIdentifier>) -> String {
    match id {
        Some(id) => format!("{:?}@{}", id.value(), span(id.span())),
        None => "-".into(),
    }
}

fn value(v: &KdlValue) -> String {
    match v {
        KdlValue::String(s) => format!("str {s:?}"),
        KdlValue::Integer(i) => format!("int {i}"),
        KdlValue::Float(f) => format!("float {:#x}", f.to_bits()),
        KdlValue::Bool(b) => format!("bool {b}"),
        KdlValue::Null => "null".into(),
    }
}

fn document(out: &mut String, doc: &KdlDocument, depth: usize) {
    let _ = writeln!(out, "{:depth$}doc @{}", "", span(doc.span()));
    for n in doc.nodes() {
        node(out, n, depth + 1);
    }
}

fn node(out: &mut String, n: &KdlNode, depth: usize) {
    let _ = writeln!(
        out,
        "{:depth$}node ({}) {} @{}",
        "",
        ident(n.ty()),
        ident(Some(n.name())),
        span(n.span())
    );
    for e in n.entries() {
        entry(out, e, depth + 1);
    }
    if let Some(children) = n.children() {
        document(out, children, depth + 1);
    }
}

fn entry(out: &mut String, e: &KdlEntry, depth: usize) {
    let _ = writeln!(
        out,
        "{:depth$}entry {} = ({}) {} @{} repr {:?}",
        "",
        ident(e.name()),
        ident(e.ty()),
        value(e.value()),
        span(e.span()),
        e.format().map(|f| f.value_repr.as_str()),
    );
}

/// `Err` with both sides when the fast parser and `kdl` disagree on `text`. Texts the loader
/// refuses before parsing (nested too deep) are not compared.
pub(super) fn compare(text: &str) -> Result<(), String> {
    if crate::source::nesting::check(text).is_err() {
        return Ok(());
    }
    let fast = super::parse(text).map(|d| projection(&d));
    let reference = KdlDocument::parse(text).map(|d| projection(&d));
    match (fast, reference) {
        (Ok(f), Ok(r)) if f == r => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        (f, r) => Err(format!(
            "text {text:?}\nfast:\n{}\nkdl:\n{}",
            f.unwrap_or_else(|_| "declined".into()),
            r.unwrap_or_else(|e| format!("error {:?}", e.diagnostics.first().map(|d| &d.message))),
        )),
    }
}

/// Every `.kdl` file under the repository's experiments, examples, stdlib and tests.
fn corpus() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs: Vec<std::path::PathBuf> = ["experiments", "examples", "stdlib", "engine/tests"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(dir) = dirs.pop() {
        let Ok(listing) = std::fs::read_dir(&dir) else {
            continue;
        };
        for item in listing.flatten() {
            let path = item.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "kdl")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                files.push((path.display().to_string(), text));
            }
        }
    }
    files.sort();
    files
}

/// Runs `test` on a thread with room for `kdl`'s recursion (64 levels take megabytes).
fn with_stack(test: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(test)
        .expect("test thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

#[test]
fn agrees_with_kdl_on_every_kdl_file_in_the_repository() {
    with_stack(every_file);
}

fn every_file() {
    let files = corpus();
    assert!(files.len() > 50, "corpus too small: {}", files.len());
    let mut accepted = 0;
    for (path, text) in &files {
        if let Err(diff) = compare(text) {
            panic!("{path}: {diff}");
        }
        accepted += usize::from(super::parse(text).is_ok());
        // Each file cut short at every line end too: truncated files are the common mistake.
        for (i, _) in text.match_indices('\n').step_by(7) {
            if let Err(diff) = compare(&text[..i]) {
                panic!("{path} cut at {i}: {diff}");
            }
        }
    }
    assert!(
        accepted > files.len() / 2,
        "most repository files are valid KDL"
    );
}

/// One or more cases for each feature of the grammar, valid and not, including the corners.
const CASES: &[&str] = &[
    "",
    "\u{FEFF}",
    "\u{FEFF}node",
    "node\u{FEFF}",
    "a",
    "a;b",
    "a; b",
    "a;;b",
    ";",
    "a\n\n\nb\n",
    "a\r\nb\r\n",
    "a\rb",
    "a\u{85}b\u{2028}c\u{2029}d\u{0B}e\u{0C}f",
    "  \t a  \t ",
    "a\u{A0}1\u{3000}2\u{205F}3\u{1680}4",
    "a 1 2 3",
    "a 1\tb=2 c = 3  d= 4 e =5",
    "a b=",
    "a =1",
    "a b=c=d",
    "a b==1",
    "a \"b\"=1",
    "a #\"b\"#=1",
    "a b =\\\n 1",
    "a {}",
    "a{}",
    "a {b}",
    "a {b;c}",
    "a {\n b\n c\n}",
    "a { b { c { d } } }",
    "a {} b",
    "a {};b",
    "a {}\nb",
    "a {\n}",
    "a {",
    "a }",
    "}",
    "{}",
    "a { { } }",
    "a 1 {b} 2",
    "a {b} {c}",
    // slashdash
    "/-a\nb",
    "/-a;b",
    "/- a\nb",
    "/-\na\nb",
    "/-",
    "a /-",
    "a /-b",
    "a /-b c",
    "a /- b c",
    "a /-b=1 c=2",
    "a /-{b}",
    "a /-{b} {c}",
    "a /- {b} /-{c} {d} /-{e}",
    "a {b} /-{c}",
    "a {b} /-c",
    "a /-{b} c",
    "a /-b /-c",
    "a /-b /-{c}",
    "a /-/-b c",
    "a /- /- b c d",
    "/-a {b}\nc",
    "a\n/-b {c}\n",
    "a; /-b {c}",
    "a {x; /-y {z}}",
    "a {x; /-y}",
    "/- kdl-version 2\nnode",
    "a/-b",
    "a /-(t)b",
    "a /-\n\n  // comment\n b c",
    // comments
    "// only\n",
    "//",
    "a // c\nb",
    "a// c",
    "a /* c */ b",
    "a/* c */b",
    "/* a */ b",
    "a /* /* nested */ */ b",
    "a /* /* unclosed */ b",
    "/*/ a */ b",
    "/**/a",
    "/*\n*/a",
    "a /* c",
    "a /*/ c */ 1",
    // line continuations
    "a \\\n b",
    "a \\ // comment\n b",
    "a \\",
    "a \\ x",
    "a\\\nb",
    "a 1 \\\n\\\n 2",
    "a \\ /* c */ \n 1",
    "\\\na",
    // identifiers
    "-",
    "--x",
    "-x",
    "+",
    "+x",
    ".",
    ".x",
    "-.x",
    "-.5",
    "+.5",
    ".5",
    "a .5",
    "a -",
    "a --",
    "a .",
    "a -.",
    "a +.",
    "a -x",
    "true",
    "a true",
    "a false",
    "a null",
    "a inf",
    "a -inf",
    "a nan",
    "a truex",
    "a nanx",
    "a _",
    "a.b-c+d",
    "日本 語=\"値\" ü",
    "a \u{7F}",
    "\u{7F}",
    "a\u{200E}",
    "a [b]",
    "a b<c>,",
    "a 1abc",
    "a a1",
    "a\"b\"",
    "a(b)",
    "a b(c)",
    "a#b",
    // quoted strings and escapes
    "a \"\"",
    "a \"x\"",
    "a \"\\n\\r\\t\\\\\\\"\\b\\f\\s\"",
    "a \"\\u{1F600}\\u{0}\\u{10FFFF}\"",
    "a \"\\u{110000}\"",
    "a \"\\u{D800}\"",
    "a \"\\u{}\"",
    "a \"\\u{1234567}\"",
    "a \"\\u1234\"",
    "a \"\\q\"",
    "a \"\\/\"",
    "a \"x\\   y\"",
    "a \"x\\\n   y\"",
    "a \"x\\\r\n\t\n  y\"",
    "a \"x\ny\"",
    "a \"x\u{2028}y\"",
    "a \"x\u{85}y\"",
    "a \"x\u{1}y\"",
    "a \"x\u{FEFF}y\"",
    "a \"x\u{7F}y\"",
    "a \"\t\"",
    "a \"unterminated",
    "a \"x\"y",
    "a \"x\"=1",
    "a \"x\"{}",
    // multi-line strings
    "a \"\"\"\n  x\n  \"\"\"",
    "a \"\"\"\n  x\n    y\n\n  z\n  \"\"\"",
    "a \"\"\"\n\"\"\"",
    "a \"\"\"\n\n\"\"\"",
    "a \"\"\"\n  x\n \"\"\"",
    "a \"\"\"\n x\n  \"\"\"",
    "a \"\"\"\n\tx\n\t\"\"\"",
    "a \"\"\"x\n\"\"\"",
    "a \"\"\"",
    "a \"\"\"\n",
    "a \"\"\"\n  x \"\" y \" z\n  \"\"\"",
    "a \"\"\"\n  x \"\"\" y\n  \"\"\"",
    "a \"\"\"\n  x\\\n  y\n  \"\"\"",
    "a \"\"\"\n  x\\n\n  \"\"\"",
    "a \"\"\"\n  x\r\n  y\r\n  \"\"\"",
    "a \"\"\"\n  x\n  \\\n  \"\"\"",
    "a \"\"\"\n  x\n \\\n  \"\"\"",
    "a \"\"\"\n    \n  x\n  \"\"\"",
    "a \"\"\"\n  x\n\t\"\"\"",
    "a \"\"\"\n  x\u{2028}  y\n  \"\"\"",
    "a \"\"\"\n  \"\"\"x",
    "a \"\"\"\n  \\s\n  \"\"\"",
    "\"\"\"\n  name\n  \"\"\" 1",
    // raw strings
    "a #\"x\"#",
    "a #\"\"#",
    "a #\"\"\"#",
    "a #\"\"\"x\"#",
    "a #\"\"x\"#",
    "a ##\"x\"#\"##",
    "a #\"x\"##",
    "a ##\"x\"#",
    "a #\"\\n\"#",
    "a #\"x\ny\"#",
    "a #\"x\u{1}\"#",
    "a #x",
    "a #",
    "a #\"x\"",
    "a #\"\"\"\n  x\n  \"\"\"#",
    "a ##\"\"\"\n  x \"\"\"# y\n  \"\"\"##",
    "a #\"\"\"\n  x\n  \"\"\"",
    "a #\"\"\"\n\"\n\"\"\"#",
    "a #\"\"\"\n  x \\\n  \"\"\"#",
    "a #\"\"\"\n  x\u{1}\n  \"\"\"#",
    "a #\"\"\"\n  x\n \"\"\"#",
    "a #\"\"\"\n  x\n  \"\"\"# y",
    "#\"name\"# 1",
    // numbers
    "a 0 -0 +0 1 -1 +1",
    "a 1_000 1__0 1_",
    "a _1",
    "a 1.5 -1.5 +1.5 1.0e10 1e-0 1E+5 1.5e-3 -0.0",
    "a 1. 1.e5 1.x 1e 1e+ 1ex",
    "a 0x_ff",
    "a -0x_ff",
    "a 0xff -0xff +0xFF 0XAB 0xff_ff_",
    "a 0o777 -0o7 0O7 0o8",
    "a 0b1010 -0b1 0B1 0b2 0b_1",
    "a 0x",
    "a 0xg",
    "a 170141183460469231731687303715884105727",
    "a 170141183460469231731687303715884105728",
    "a -170141183460469231731687303715884105727",
    "a -170141183460469231731687303715884105728",
    "a 0x7fffffffffffffffffffffffffffffff",
    "a 0x80000000000000000000000000000000",
    "a 1.00000000000000000000000000000000000000000001",
    "a 1e400 -1e400 1e-400",
    "a 123456789012345678901234567890123456789012.5",
    "a 1e99999999999999999999999999999999999999999",
    "a 0.1 0.2 0.30000000000000004",
    "a 1x",
    "a 1{}",
    "a 1;",
    "a 1=2",
    "a 1)",
    "a 1(x)",
    "a 1/*c*/",
    "a 1//c",
    // keywords
    "a #true #false #null #inf #-inf #nan",
    "a #truex",
    "a #true{}",
    "a #True",
    "a #",
    "a ##",
    "a k=#true",
    "a #true=1",
    // type annotations
    "(t)a",
    "(t) a",
    "( t )a",
    "(t)(u)a",
    "(\"t x\")a",
    "(#\"t\"#)a",
    "(t x)a",
    "(1)a",
    "(t",
    "()a",
    "a (t)1",
    "a (t) 1",
    "a (t)\"x\"",
    "a (t)x",
    "a k=(t)1",
    "a (t)k=1",
    "a (t)#true",
    "a (t)/* c */1",
    "a (/* c */t/* d */)1",
    "a ( t\\\n )1",
    "(t)",
    "a (t)",
    "a (u8)256 (i32)-1 (date)\"2020\"",
];

#[test]
fn agrees_with_kdl_on_every_grammar_feature() {
    let mut failures = Vec::new();
    for case in CASES {
        if let Err(diff) = compare(case) {
            failures.push(diff);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A small deterministic generator (splitmix64): the same cases on every run and machine.
struct Rng(u64);

/// The random tests' size and seed: fixed by default; `XPR_KDL_DIFF_SCALE=k` runs k times as
/// many cases and `XPR_KDL_DIFF_SEED=s` other ones, for a longer search by hand.
fn soak(cases: usize, seed: u64) -> (usize, Rng) {
    let var = |name| {
        std::env::var(name)
            .ok()
            .and_then(|v: String| v.parse::<u64>().ok())
    };
    let scale = var("XPR_KDL_DIFF_SCALE").unwrap_or(1) as usize;
    let extra = var("XPR_KDL_DIFF_SEED").unwrap_or(0);
    (
        cases * scale,
        Rng(seed ^ extra.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
    )
}

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'t>(&mut self, items: &[&'t str]) -> &'t str {
        items[self.below(items.len())]
    }
}

/// Pieces of KDL, valid and not, for the token soup.
const TOKENS: &[&str] = &[
    "a",
    "node",
    "b",
    "x1",
    "-",
    "--",
    "+",
    ".",
    "-.",
    "+x",
    ".x",
    "true",
    "null",
    "inf",
    "nan",
    "日本",
    "ü",
    "_",
    "a.b",
    " ",
    " ",
    "  ",
    "\t",
    "\u{A0}",
    "\u{3000}",
    "\n",
    "\n",
    "\r\n",
    "\r",
    "\u{85}",
    "\u{2028}",
    "\u{0B}",
    ";",
    ";",
    "=",
    "=",
    "{",
    "}",
    "{",
    "}",
    "(",
    ")",
    "(t)",
    "/-",
    "/- ",
    "//",
    "// c\n",
    "/*",
    "*/",
    "/* c */",
    "/* /* */ */",
    "\\",
    "\\\n",
    "\\ // c\n",
    "#",
    "##",
    "\"",
    "\"\"",
    "\"x\"",
    "\"a b\"",
    "\"\\n\"",
    "\"\\u{41}\"",
    "\"\\u{D800}\"",
    "\"\\q\"",
    "\"\\ \n \"",
    "\"\"\"",
    "\"\"\"\n",
    "\"\"\"\n  x\n  \"\"\"",
    "#\"",
    "\"#",
    "#\"x\"#",
    "##\"x\"#\"##",
    "#\"\"\"\nx\n\"\"\"#",
    "0",
    "1",
    "-1",
    "+1",
    "1.5",
    "1.",
    ".5",
    "1e5",
    "1e",
    "1_0",
    "_1",
    "0x",
    "0xff",
    "0x_f",
    "0o7",
    "0o8",
    "0b1",
    "0b2",
    "1a",
    "#true",
    "#false",
    "#null",
    "#inf",
    "#-inf",
    "#nan",
    "#nope",
    "k=",
    "k=1",
    "k = v",
    "\u{FEFF}",
    "\u{1}",
    "\u{200E}",
    "\u{7F}",
    "[",
    "]",
    "\"\"\"\n\"\"\"",
    "/",
    "*",
];

#[test]
fn agrees_with_kdl_on_random_token_soup() {
    with_stack(|| {
        let (cases, mut rng) = soak(20_000, 0x5EED_0001);
        let mut accepted = 0;
        for _ in 0..cases {
            let mut text = String::new();
            for _ in 0..1 + rng.below(16) {
                text.push_str(rng.pick(TOKENS));
            }
            if let Err(diff) = compare(&text) {
                panic!("{diff}");
            }
            accepted += usize::from(super::parse(&text).is_ok());
        }
        assert!(accepted > cases / 20, "only {accepted} soups were valid");
    });
}

/// A random document that is mostly valid: nodes with types, entries, properties, children,
/// slashdashes, comments and every kind of value, separated by every kind of space.
fn document_text(rng: &mut Rng, depth: usize, out: &mut String) {
    const NAMES: &[&str] = &[
        "a",
        "node",
        "\"quoted name\"",
        "#\"raw\"#",
        "-",
        "--x",
        ".x",
        "日本",
        "x.y-z",
        "\"\"",
    ];
    const VALUES: &[&str] = &[
        "1",
        "-2",
        "+3",
        "1_000",
        "1.5",
        "-0.5e-3",
        "1E10",
        "0xff",
        "-0xf_",
        "0o17",
        "0b1_0",
        "#true",
        "#false",
        "#null",
        "#inf",
        "#-inf",
        "#nan",
        "word",
        "\"str\"",
        "\"esc\\t\\u{263A}\"",
        "\"a\\\n   b\"",
        "#\"raw \"q\" \"#",
        "##\"x\"#y\"##",
        "\"\"\"\n  ml\n    in\n  \"\"\"",
        "#\"\"\"\n  raw ml\n  \"\"\"#",
        "-",
        ".",
        "x-1",
        "170141183460469231731687303715884105727",
    ];
    const SPACES: &[&str] = &[
        " ",
        "  ",
        "\t",
        " /* c */ ",
        " \\\n ",
        " \\ // c\n  ",
        "\u{3000}",
    ];
    const ENDS: &[&str] = &["\n", ";", " // end\n", "\r\n", "\n\n", "\u{2028}", ";\n"];
    for _ in 0..1 + rng.below(3) {
        if rng.below(8) == 0 {
            out.push_str("/-");
            out.push_str(rng.pick(&["", " ", "\n"]));
        }
        if rng.below(6) == 0 {
            out.push_str(rng.pick(&["(t)", "(\"ty\")", "( u8 )"]));
        }
        out.push_str(rng.pick(NAMES));
        for _ in 0..rng.below(5) {
            out.push_str(rng.pick(SPACES));
            if rng.below(8) == 0 {
                out.push_str("/-");
                out.push_str(rng.pick(&["", " "]));
            }
            if rng.below(3) == 0 {
                out.push_str(rng.pick(&["k", "\"key\"", "#\"k\"#", "k2"]));
                out.push_str(rng.pick(&["=", " = ", "= "]));
            }
            if rng.below(5) == 0 {
                out.push_str(rng.pick(&["(t)", "(date)", "( x )"]));
            }
            out.push_str(rng.pick(VALUES));
        }
        if depth < 3 && rng.below(3) == 0 {
            if rng.below(5) == 0 {
                out.push_str(" /-{ dead }");
            }
            out.push_str(rng.pick(&[" {\n", "{", " { "]));
            document_text(rng, depth + 1, out);
            out.push('}');
            if rng.below(5) == 0 {
                out.push_str(" /-{x}");
            }
        }
        out.push_str(rng.pick(ENDS));
    }
}

#[test]
fn agrees_with_kdl_on_random_documents_and_their_mutations() {
    with_stack(|| {
        let (cases, mut rng) = soak(4_000, 0x5EED_0002);
        let mut accepted = 0;
        for _ in 0..cases {
            let mut text = String::new();
            document_text(&mut rng, 0, &mut text);
            if let Err(diff) = compare(&text) {
                panic!("{diff}");
            }
            accepted += usize::from(super::parse(&text).is_ok());
            // The same document with one to three bytes' worth of damage.
            let mut damaged = text.clone();
            for _ in 0..1 + rng.below(3) {
                let mut at = rng.below(damaged.len() + 1);
                while !damaged.is_char_boundary(at) {
                    at -= 1;
                }
                match rng.below(3) {
                    0 if at < damaged.len() => {
                        damaged.remove(at);
                    }
                    _ => damaged.insert_str(at, rng.pick(TOKENS)),
                }
            }
            if let Err(diff) = compare(&damaged) {
                panic!("{diff}");
            }
        }
        assert!(
            accepted > 2_000,
            "only {accepted} generated documents were valid"
        );
    });
}

/// Multi-line strings, quoted and raw, built line by line from whitespace, escapes, quotes and
/// newlines: the dedent rules (every line starts with the closing line's whitespace, or is
/// blank) and whitespace escapes across lines are where parsers differ.
#[test]
fn agrees_with_kdl_on_random_multi_line_strings() {
    const PIECES: &[&str] = &[
        " ", "  ", "\t", "\u{3000}", "x", "yz", "\\", "\\ ", "\\\n", "\\\n  ", "\"", "\"\"",
        "\"\"\"", "\\n", "\\\"", "\\u{41}", "#", "\"#", "\r\n", "\n", "\u{2028}", "\u{1}",
    ];
    const INDENTS: &[&str] = &["", " ", "  ", "\t", "  \t", "\u{3000}"];
    with_stack(|| {
        let (cases, mut rng) = soak(6_000, 0x5EED_0003);
        for _ in 0..cases {
            let hashes = ["", "", "#", "##"][rng.below(4)];
            let indent = rng.pick(INDENTS);
            let mut text = format!("node {hashes}\"\"\"{}", rng.pick(&["\n", "\r\n", "\u{85}"]));
            for _ in 0..rng.below(4) {
                if rng.below(3) != 0 {
                    text.push_str(indent);
                } else {
                    text.push_str(rng.pick(INDENTS));
                }
                for _ in 0..rng.below(4) {
                    text.push_str(rng.pick(PIECES));
                }
                text.push_str(rng.pick(&["\n", "\n", "\r\n", "\u{2029}"]));
            }
            text.push_str(if rng.below(4) == 0 {
                rng.pick(INDENTS)
            } else {
                indent
            });
            text.push_str("\"\"\"");
            text.push_str(hashes);
            text.push_str(rng.pick(&["", "\n", " x", ";", "#"]));
            if let Err(diff) = compare(&text) {
                panic!("{diff}");
            }
        }
    });
}

/// The fast parser recurses once per children block and once per nested slashdashed entry:
/// the deepest text the loader lets through must fit a small thread stack, and a longer
/// chain of slashdashes is declined at the depth limit instead of overflowing it.
#[test]
fn the_deepest_accepted_nesting_fits_a_small_stack() {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let depth = crate::source::nesting::MAX_NESTING;
            let open = "a /- /- x y b=(t)\"c\" /-{ d } {\n";
            let blocks = format!("{}{}", open.repeat(depth), "}\n".repeat(depth));
            let doc = super::parse(&blocks).expect("valid");
            assert_eq!(doc.nodes()[0].entries().len(), 1);
            let chain = format!("a {}b c", "/- ".repeat(100_000));
            assert!(super::parse(&chain).is_err());
        })
        .expect("thread")
        .join()
        .expect("no overflow");
}

/// Every repository file with random damage: a token inserted or a character removed, a few
/// times over, so the corners of real experiments (strings, blocks, comments) are cut.
#[test]
fn agrees_with_kdl_on_damaged_repository_files() {
    with_stack(|| {
        let (rounds, mut rng) = soak(12, 0x5EED_0004);
        for (path, text) in corpus() {
            for _ in 0..rounds {
                let mut damaged = text.clone();
                for _ in 0..1 + rng.below(2) {
                    let mut at = rng.below(damaged.len() + 1);
                    while !damaged.is_char_boundary(at) {
                        at -= 1;
                    }
                    if rng.below(2) == 0 && at < damaged.len() {
                        damaged.remove(at);
                    } else {
                        damaged.insert_str(at, rng.pick(TOKENS));
                    }
                }
                if let Err(diff) = compare(&damaged) {
                    panic!("{path} damaged: {diff}");
                }
            }
        }
    });
}
