//! The standard library, embedded at build time from the repository's `stdlib/` folder.

/// `(name, text)` for every stdlib file, sorted by name; name is the path under `stdlib/`
/// without `.kdl` (`vocabulary`, `families`, `shims/linux`).
pub(crate) static FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/stdlib_table.rs"));

/// Files loaded for every experiment without an import.
pub(crate) const PRELUDE: &[&str] = &["families"];

/// Data files the engine reads for every experiment without loading them as KDL sources:
/// they can change a result, so every run's closure lists them.
pub(crate) const IMPLICIT: &[&str] = &["sysctl", "vocabulary"];

/// The text of `std/<name>`; `name` may carry a trailing `.kdl`.
pub fn get(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".kdl").unwrap_or(name);
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Every stdlib file name, for listings and "did you mean".
pub fn names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(n, _)| *n)
}

/// The stdlib files that declare `KIND NAME` at the top level (`shim linux-loader` is in
/// `shims/linux`), for "import it" hints; read from the text, not loaded.
pub(crate) fn declaring(kind: &str, name: &str) -> Vec<&'static str> {
    FILES
        .iter()
        .filter(|(_, text)| {
            text.lines().any(|line| {
                let mut words = line.split(|c: char| c.is_whitespace() || c == '{');
                words.next() == Some(kind) && words.next() == Some(name)
            })
        })
        .map(|(n, _)| *n)
        .collect()
}

/// Every top-level `KIND NAME` the stdlib declares, for "did you mean" across imports.
pub(crate) fn declared(kind: &'static str) -> impl Iterator<Item = &'static str> {
    FILES.iter().flat_map(move |(_, text)| {
        text.lines().filter_map(move |line| {
            let mut words = line.split(|c: char| c.is_whitespace() || c == '{');
            (words.next() == Some(kind)).then(|| words.next()).flatten()
        })
    })
}
