//! `(import "…")`: found next to the importing file, then on the search path, then among the
//! embedded files; evaluated in place; a cycle is an error; a file not found is kept opaque.
//!
//! An import is untrusted input naming a file, so it is read through the confined opener:
//! next to the importer means beneath the directory the profile came from, without following
//! any symlink; on the search path means beneath one of the `--sbpl-path` directories; only
//! regular files of at most 16 MiB, never blocking. An absolute name needs
//! [`SbplOptions::absolute_imports`]. A file found but refused (a FIFO, a device, a symlink,
//! too large) is an error, not "not found".

use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::{Evaluator, MAX_SOURCE_BYTES};
use crate::sbpl::env::EnvRef;
use crate::sbpl::error::{ErrorKind, SbplError};
use crate::sbpl::sexpr::{Datum, Node};
use crate::sbpl::source::FileId;
use crate::sbpl::value::Value;
use crate::sbpl::{SbplImport, SbplOptions};
use crate::source::loader::{MAX_FILE_BYTES, normalize};
use crate::sys::input::{self, Climb, InputDir, InputError};

/// Where a file of the parse lives on disk: the directory it was resolved beneath and its
/// path inside it (its own imports resolve from there).
#[derive(Clone, Debug)]
pub(crate) struct Place {
    pub dir: Rc<InputDir>,
    pub rel: PathBuf,
}

/// What an import name resolved to.
struct Found {
    display: String,
    text: String,
    place: Option<Place>,
}

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
        let found = match self.resolve_import(&name, file) {
            Ok(found) => found,
            Err(refused) => {
                let e = SbplError::at(
                    ErrorKind::Import,
                    node.span,
                    format!("cannot import `{name}`: {refused}"),
                    "imported here",
                    Some(refused.help()),
                );
                self.error(file, *e);
                return Value::Unspecified;
            }
        };
        let Some(found) = found else {
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
            return Value::Unspecified;
        };
        if self.import_stack.contains(&found.display) {
            let cycle = format!("{} → {}", self.import_stack.join(" → "), found.display);
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
        self.read = self.read.saturating_add(found.text.len());
        if self.read > MAX_SOURCE_BYTES {
            self.exhaust(
                file,
                node.span,
                format!(
                    "the profile and its imports are more than {} MiB of text",
                    MAX_SOURCE_BYTES >> 20
                ),
                "a file imported again and again? SBPL imports are evaluated each time",
            );
            return Value::Unspecified;
        }
        self.imports.push(SbplImport {
            name,
            resolved: Some(found.display.clone()),
            origin,
        });
        self.run_file(&found.display, &found.text, found.place, env, true);
        Value::Unspecified
    }

    /// Looks for an import next to the importing file, then in each search-path directory, then
    /// among the embedded files. `Ok(None)`: found nowhere; `Err`: found but refused.
    fn resolve_import(&self, name: &str, importer: FileId) -> Result<Option<Found>, Refused> {
        let display_next_to = |base: &str| {
            Path::new(base)
                .parent()
                .map_or_else(|| PathBuf::from(name), |d| d.join(name))
                .display()
                .to_string()
        };
        if Path::new(name).is_absolute() {
            if !self.opts.absolute_imports {
                return Err(Refused::Absolute);
            }
            return match input::read_given(Path::new(name), MAX_FILE_BYTES) {
                Ok(bytes) => Ok(Some(Found {
                    display: name.to_string(),
                    text: utf8(bytes)?,
                    place: None,
                })),
                Err(InputError::NotFound) => Ok(None),
                Err(e) => Err(Refused::File(e)),
            };
        }
        if let Some(place) = &self.places[importer] {
            let rel = join(&place.rel, name);
            match place.dir.read(&rel, Climb::Allowed, MAX_FILE_BYTES) {
                Ok(bytes) => {
                    return Ok(Some(Found {
                        display: display_next_to(&self.files[importer].name),
                        text: utf8(bytes)?,
                        place: Some(Place {
                            dir: place.dir.clone(),
                            rel,
                        }),
                    }));
                }
                Err(InputError::NotFound) => {}
                Err(e) => return Err(Refused::File(e)),
            }
        }
        for dir in &self.opts.search_path {
            let Ok(opened) = InputDir::open(dir) else {
                continue;
            };
            match opened.read(Path::new(name), Climb::Refused, MAX_FILE_BYTES) {
                Ok(bytes) => {
                    return Ok(Some(Found {
                        display: dir.join(name).display().to_string(),
                        text: utf8(bytes)?,
                        place: Some(Place {
                            dir: Rc::new(opened),
                            rel: PathBuf::from(name),
                        }),
                    }));
                }
                // `../x.sb` from a search directory: not there (it may be next to the file).
                Err(InputError::NotFound | InputError::Escapes(_)) => {}
                Err(e) => return Err(Refused::File(e)),
            }
        }
        Ok(self.opts.embedded.get(name).map(|text| Found {
            display: format!("std/sbpl/{name}"),
            text: text.clone(),
            place: None,
        }))
    }
}

/// Where the file given to [`crate::sbpl::parse`] lives: `opts.location`, or the `file`
/// argument itself (a path the caller chose) split into its directory and name.
pub(crate) fn root_place(file: &str, opts: &SbplOptions) -> Option<Place> {
    if let Some(location) = &opts.location {
        return Some(Place {
            dir: Rc::new(InputDir::open(&location.dir).ok()?),
            rel: location.file.clone(),
        });
    }
    let path = Path::new(file);
    let name = path.file_name()?;
    Some(Place {
        dir: Rc::new(InputDir::open(path.parent().unwrap_or(Path::new(""))).ok()?),
        rel: PathBuf::from(name),
    })
}

/// `name` next to `importer` (both relative to the same directory), `.` and `a/..` folded so
/// that `..` only remains where it climbs.
fn join(importer: &Path, name: &str) -> PathBuf {
    normalize(&importer.parent().unwrap_or(Path::new("")).join(name))
}

fn utf8(bytes: Vec<u8>) -> Result<String, Refused> {
    String::from_utf8(bytes).map_err(|_| Refused::NotText)
}

/// Why a file that an import names is not read.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("an absolute import needs --sbpl-absolute-imports")]
    Absolute,
    #[error("not UTF-8 text")]
    NotText,
    #[error("{0}")]
    File(InputError),
}

impl Refused {
    fn help(&self) -> &'static str {
        match self {
            Refused::Absolute => {
                "name the file relative to this one, put its directory on --sbpl-path, or pass \
                 --sbpl-absolute-imports if you trust this profile's absolute imports"
            }
            Refused::NotText | Refused::File(_) => {
                "imports name regular SBPL files (at most 16 MiB) next to the importing file or \
                 on --sbpl-path; symlinks inside a profile's tree are never followed"
            }
        }
    }
}
