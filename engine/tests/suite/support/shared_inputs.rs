//! Test inputs that live outside the repository, in `../shared/` beside the checkout (the SBPL
//! corpus, our users' runtime-tools bundles). A clone without them skips those tests with a
//! visible notice; `XPR_REQUIRE_SHARED=1` (CI sets it) makes a missing input a failure.

use std::path::{Path, PathBuf};

/// `../shared/<rel>` when it exists; otherwise `None`, after saying so on stderr (or failing,
/// when `XPR_REQUIRE_SHARED` is set).
pub fn shared_input(rel: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(rel);
    if dir.exists() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("XPR_REQUIRE_SHARED").is_none(),
        "XPR_REQUIRE_SHARED is set but the shared test input {} is missing",
        dir.display()
    );
    eprintln!(
        "SKIPPED: {} is missing (shared test inputs beside the checkout); \
         XPR_REQUIRE_SHARED=1 makes this a failure",
        dir.display()
    );
    None
}

/// Returns from the test (skipped, with a notice) when `../shared/<rel>` is missing.
#[macro_export]
macro_rules! require_shared {
    ($rel:expr) => {
        if $crate::support::shared_inputs::shared_input($rel).is_none() {
            return;
        }
    };
}
