//! The seam where SBPL profiles (`profile NAME sbpl="file.sb"`) get their IR.

use std::path::Path;

use crate::diagnostics::Diagnostics;
use crate::model::ProfileIr;

/// Parses an SBPL file into the profile IR.
///
/// TODO(sbpl): the SBPL parser is another module's job (`crate::sbpl`). Until it lands this
/// returns `None`, and the profile resolves with an empty IR (`default deny`, no rules) and
/// `sbpl_source` set. When it lands: parse `text` (read from `path`), look operation names up
/// in `Vocabulary::standard()`, and return the IR or located diagnostics.
pub fn sbpl_hook(path: &Path, text: &str) -> Option<Result<ProfileIr, Diagnostics>> {
    let _ = (path, text);
    None
}
