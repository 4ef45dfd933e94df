//! The vocabulary knows every operation name that real SBPL profiles use: each `(allow …)` /
//! `(deny …)` operation in the shared corpus (Apple, Chromium, Codex, sandbox-lore) must be a
//! known name, an alias or an obsolete name.

use std::path::{Path, PathBuf};

use xpr::decode::vocabulary::{Lookup, Vocabulary};

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            corpus_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "sb" || x == "sbpl") {
            out.push(p);
        }
    }
}

/// Operation symbols right after `(allow` / `(deny`, up to the first nested form.
fn operations(text: &str) -> Vec<String> {
    let text: String = text
        .lines()
        .map(|l| l.split(';').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = Vec::new();
    for head in ["(allow", "(deny"] {
        for (i, _) in text.match_indices(head) {
            let rest = &text[i + head.len()..];
            if !rest.starts_with(char::is_whitespace) {
                continue;
            }
            for token in rest.split_whitespace() {
                if token.starts_with(['(', ')', '"', '#']) {
                    break;
                }
                let closes = token.ends_with(')');
                let token = token.trim_end_matches(')');
                let is_symbol = token
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '*');
                if !token.is_empty() && is_symbol {
                    out.push(token.to_string());
                }
                if closes {
                    break;
                }
            }
        }
    }
    out
}

#[test]
fn vocabulary_covers_the_sbpl_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/sbpl-corpus");
    let mut files = Vec::new();
    corpus_files(&corpus, &mut files);
    assert!(
        !files.is_empty(),
        "no SBPL corpus at {} (the shared test inputs must sit beside the checkout)",
        corpus.display()
    );
    let v = Vocabulary::standard();
    let mut unknown = std::collections::BTreeSet::new();
    let mut seen = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for op in operations(&text) {
            seen += 1;
            if let Lookup::Unknown { .. } = v.canonical(&op) {
                unknown.insert(op);
            }
        }
    }
    assert!(seen > 100, "the extraction found only {seen} operations");
    assert!(
        unknown.is_empty(),
        "operations the vocabulary lacks: {unknown:?}"
    );
}
