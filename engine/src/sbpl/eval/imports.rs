//! `(import "…")`: found next to the importing file, then on the search path, then among the
//! embedded files; evaluated in place; a cycle is an error; a file not found is kept opaque.

use std::path::{Path, PathBuf};

use super::Evaluator;
use crate::sbpl::env::EnvRef;
use crate::sbpl::error::{ErrorKind, SbplError};
use crate::sbpl::reader::{Datum, Node};
use crate::sbpl::source::FileId;
use crate::sbpl::value::Value;
use crate::sbpl::{SbplImport, SbplOptions};

impl Evaluator<'_> {
    pub(super) fn import(
        &mut self,
        node: &Node,
        args: &[Node],
        env: &EnvRef,
        file: FileId,
    ) -> Value {
        let name = match args {
            [
                Node {
                    datum: Datum::Str(s),
                    ..
                },
            ] => s.clone(),
            _ => {
                self.form_error(
                    file,
                    node.span,
                    "`import` takes one file name".into(),
                    "here",
                    "write `(import \"system.sb\")`",
                );
                return Value::Unspecified;
            }
        };
        let origin = self.origin(file, node);
        let importer_dir = Path::new(&self.files[file].name)
            .parent()
            .map(Path::to_path_buf);
        match resolve_import(&name, importer_dir.as_deref(), self.opts) {
            Some((display, text)) => {
                if self.import_stack.contains(&display) {
                    let cycle = format!("{} → {display}", self.import_stack.join(" → "));
                    let e = SbplError::at(
                        ErrorKind::Import,
                        node.span,
                        format!("import cycle: {cycle}"),
                        "imports a file that is already being imported",
                        Some("remove one of the imports in the cycle"),
                    );
                    self.error(file, *e);
                    return Value::Unspecified;
                }
                self.imports.push(SbplImport {
                    name,
                    resolved: Some(display.clone()),
                    origin,
                });
                self.run_file(&display, &text, env);
            }
            None => {
                self.imports.push(SbplImport {
                    name: name.clone(),
                    resolved: None,
                    origin,
                });
                self.push_opaque_rule(
                    node,
                    file,
                    format!("import `{name}` was not found in the search path"),
                );
            }
        }
        Value::Unspecified
    }
}

/// Looks for an import next to the importing file, then in each search-path directory, then
/// among the embedded files. Returns the display name and the text.
fn resolve_import(
    name: &str,
    importer_dir: Option<&Path>,
    opts: &SbplOptions,
) -> Option<(String, String)> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if Path::new(name).is_absolute() {
        candidates.push(PathBuf::from(name));
    } else {
        // `file.sb` has the empty parent: its imports are relative to the working directory.
        candidates.push(importer_dir.map_or_else(|| PathBuf::from(name), |d| d.join(name)));
        candidates.extend(opts.search_path.iter().map(|d| d.join(name)));
    }
    for c in candidates {
        if let Ok(text) = std::fs::read_to_string(&c) {
            return Some((c.display().to_string(), text));
        }
    }
    opts.embedded
        .get(name)
        .map(|text| (format!("std/sbpl/{name}"), text.clone()))
}
