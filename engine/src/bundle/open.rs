//! Opening a bundle of any known format behind one interface.
//!
//! `xpr verify` and `xpr diff` only talk to [`BundleReader`]: each format (today xpr's own;
//! issue 7 adds the `runtime-tools` bundles of our users' Python harness) knows how to check
//! its own digests and how to map its records into a [`super::view::BundleView`]. [`open`] picks the format
//! from the schema string of the bundle's index.

use std::io;
use std::path::{Path, PathBuf};

use super::dir::BundleDir;
use super::format::{BundleFormat, BundleReader};
use super::layout;
use super::xpr_reader::XprBundle;
use crate::sys::input::InputError;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{}: no such file or directory", .0.display())]
    NotFound(PathBuf),
    #[error("{}: neither a bundle directory nor its artifact_index.json", .0.display())]
    NotABundle(PathBuf),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {source}", path.display())]
    Unreadable { path: PathBuf, source: InputError },
}

/// Opens the bundle at `path`: a bundle directory or its `artifact_index.json`.
pub fn open(path: &Path) -> Result<Box<dyn BundleReader>, OpenError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => OpenError::NotFound(path.to_path_buf()),
        _ => OpenError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    let root = if meta.is_dir() {
        path.to_path_buf()
    } else if path.file_name().is_some_and(|n| n == layout::INDEX) {
        match path.parent() {
            Some(p) if p.as_os_str().is_empty() => PathBuf::from("."),
            Some(p) => p.to_path_buf(),
            None => return Err(OpenError::NotABundle(path.to_path_buf())),
        }
    } else {
        return Err(OpenError::NotABundle(path.to_path_buf()));
    };
    let dir = BundleDir::open(&root).map_err(|source| OpenError::Unreadable {
        path: root.clone(),
        source,
    })?;
    Ok(match detect(&dir) {
        BundleFormat::Xpr => Box::new(XprBundle::new(dir)),
        BundleFormat::RuntimeTools => Box::new(super::runtime_tools::RuntimeToolsReader::new(dir)),
    })
}

/// The format named by the index's schema string. A bundle whose index is absent, unreadable
/// or of an unknown family is handed to the xpr reader, which reports exactly that.
pub(crate) fn detect(dir: &BundleDir) -> BundleFormat {
    if super::runtime_tools::detect::is_runtime_tools_dir(dir) {
        return BundleFormat::RuntimeTools;
    }
    BundleFormat::Xpr
}

/// The newest committed bundle directly under `dir`: the run `--rerun-failed` reads by
/// default, and a hint when a user points at `out/<experiment>/` instead of one of its runs.
/// The run `latest` names when it is a run of `dir`; else the greatest run id (they sort by
/// start time). Only directories named like run ids count (not a `.partial` directory).
pub(crate) fn latest_run(dir: &Path) -> Option<PathBuf> {
    let linked = std::fs::read_link(dir.join(layout::LATEST))
        .ok()
        .and_then(|target| target.to_str().map(str::to_string))
        .filter(|name| super::RunId::parse(name).is_ok())
        .map(|name| dir.join(name))
        .filter(|run| run.join(layout::INDEX).is_file());
    if linked.is_some() {
        return linked;
    }
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            e.file_type().is_ok_and(|t| t.is_dir())
                && name
                    .to_str()
                    .is_some_and(|n| super::RunId::parse(n).is_ok())
                && e.path().join(layout::INDEX).is_file()
        })
        .map(|e| e.path())
        .collect();
    runs.sort();
    runs.pop()
}
