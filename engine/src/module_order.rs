//! The one-way order of the top-level modules (ARCHITECTURE.md, "Module order"), enforced: a
//! module may use the modules listed before it, never one listed after it. The test reads
//! every source file's `crate::…` paths (unit-test modules excepted: a test may build its
//! inputs with any part of the engine) and names the file and line of each edge that points
//! up.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Lowest first. `sys` is the system-call layer, below everything.
const ORDER: &[&str] = &[
    "sys",
    "model",
    "diagnostics",
    "source",
    "decode",
    "sbpl",
    "resolve",
    "plan",
    "world",
    "compile",
    "probes",
    "execute",
    "observe",
    "oracle",
    "classify",
    "lanes",
    "report",
    "bundle",
    "diff",
    "worlds",
    "run",
    "matrix",
    "shim_suggest",
    "cli",
];

/// Upward edges that are known and owned by work in progress: `(file, module it uses)`. Each
/// is removed when that work lands; one that no longer occurs fails the test, so the list
/// only shrinks.
const KNOWN_EXCEPTIONS: &[(&str, &str)] = &[];

/// One `crate::<module>` reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    file: String,
    line: usize,
    from: String,
    to: String,
}

pub(crate) fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

pub(crate) fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("source directory")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to; `None` for the crate root files and the tests of
/// the structure.
fn top_module(rel: &Path) -> Option<String> {
    let mut parts = rel.iter().map(|p| p.to_string_lossy().into_owned());
    let first = parts.next()?;
    match first.strip_suffix(".rs") {
        Some("lib" | "main" | "module_order" | "unsafe_boundary" | "file_names") => None,
        Some(name) => Some(name.to_string()),
        None => Some(first),
    }
}

/// The code of a line without its comment and with string contents blanked.
pub(crate) fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (false, '/') if chars.peek() == Some(&'/') => break,
            (false, '"') => in_string = true,
            (true, '\\') => {
                chars.next();
            }
            (true, '"') => in_string = false,
            (true, _) => continue,
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Every `crate::<module>` reference in a file, outside `#[cfg(test)]` modules.
fn edges_of(text: &str, rel: &str, from: &str) -> Vec<Edge> {
    let mut edges = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        if line.starts_with("#[cfg(test)]") {
            // rustfmt closes a top-level item with `}` in column 0.
            for (_, skipped) in lines.by_ref() {
                if skipped == "}" {
                    break;
                }
            }
            continue;
        }
        let code = code_of(line);
        let mut rest = code.as_str();
        while let Some(at) = rest.find("crate::") {
            let preceded = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !preceded && !name.is_empty() && name != from {
                edges.push(Edge {
                    file: rel.to_string(),
                    line: i + 1,
                    from: from.to_string(),
                    to: name,
                });
            }
        }
    }
    edges
}

fn all_edges() -> (BTreeSet<String>, Vec<Edge>) {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut modules = BTreeSet::new();
    let mut edges = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&root).expect("under src");
        let Some(from) = top_module(rel) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("readable source");
        edges.extend(edges_of(&text, &rel.to_string_lossy(), &from));
        modules.insert(from);
    }
    (modules, edges)
}

fn rank(module: &str) -> Option<usize> {
    ORDER.iter().position(|m| *m == module)
}

#[test]
fn every_top_level_module_has_a_place_in_the_order() {
    let (modules, _) = all_edges();
    let unplaced: Vec<_> = modules.iter().filter(|m| rank(m).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "top-level modules missing from ORDER in module_order.rs (and from ARCHITECTURE.md): \
         {unplaced:?}"
    );
}

#[test]
fn dependencies_between_top_level_modules_run_one_way() {
    let (_, edges) = all_edges();
    let mut upward = Vec::new();
    let mut seen_exceptions = BTreeSet::new();
    for e in &edges {
        let (Some(from), Some(to)) = (rank(&e.from), rank(&e.to)) else {
            continue;
        };
        if to < from {
            continue;
        }
        if let Some(known) = KNOWN_EXCEPTIONS
            .iter()
            .find(|(file, module)| *file == e.file && *module == e.to)
        {
            seen_exceptions.insert(*known);
            continue;
        }
        upward.push(format!(
            "src/{}:{}: `{}` uses `{}`, which comes after it",
            e.file, e.line, e.from, e.to
        ));
    }
    assert!(
        upward.is_empty(),
        "dependencies against the module order (ARCHITECTURE.md, \"Module order\"):\n{}",
        upward.join("\n")
    );
    let stale: Vec<_> = KNOWN_EXCEPTIONS
        .iter()
        .filter(|e| !seen_exceptions.contains(*e))
        .collect();
    assert!(
        stale.is_empty(),
        "known exceptions that no longer occur; remove them from KNOWN_EXCEPTIONS: {stale:?}"
    );
}

#[test]
fn the_scanner_sees_paths_and_skips_comments_strings_and_tests() {
    let text = "use crate::world::WorldFacts;\n\
                // crate::cli in a comment\n\
                let s = \"crate::run in a string\";\n\
                let x = crate::lanes::finish(); // and crate::report\n\
                #[cfg(test)]\n\
                mod tests {\n    use crate::cli;\n}\n\
                fn after() { crate::bundle::open(); }\n";
    let to: Vec<_> = edges_of(text, "execute/x.rs", "execute")
        .into_iter()
        .map(|e| (e.line, e.to))
        .collect();
    assert_eq!(
        to,
        [
            (1, "world".to_string()),
            (4, "lanes".to_string()),
            (9, "bundle".to_string())
        ]
    );
}

#[test]
fn the_order_is_also_the_one_architecture_md_draws() {
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md at the repository root");
    let listed: Vec<&str> = page
        .lines()
        .skip_while(|l| !l.starts_with("<!-- module order -->"))
        .skip(1)
        .take_while(|l| !l.starts_with("<!-- end module order -->"))
        .filter_map(|l| l.trim().strip_prefix("- `")?.split('`').next())
        .collect();
    assert_eq!(
        listed, ORDER,
        "ARCHITECTURE.md's module order list and ORDER differ"
    );
}
