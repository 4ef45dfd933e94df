//! A world column: one verified bundle (or a world that failed to run), with what the matrix
//! shows of it and each result's explanation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::bundle::explain::Explainer;
use crate::bundle::{self, BundleFormat, BundleView};

/// One world of the matrix.
pub(crate) struct Column {
    /// The column's name: the catalogue world (`host`, `debian-12-6.1`), unique in a matrix.
    pub name: String,
    pub outcome: Result<Loaded, String>,
}

/// A bundle that verified and was read.
pub(crate) struct Loaded {
    pub bundle: PathBuf,
    pub view: BundleView,
    /// `xpr explain` text per expectation id (xpr bundles only).
    pub explanations: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ColumnError {
    #[error(transparent)]
    Open(#[from] bundle::OpenError),
    #[error("{}: {source}", .path.display())]
    Load {
        path: PathBuf,
        source: bundle::LoadError,
    },
}

impl Column {
    /// Opens, verifies and reads the bundle at `path`; `name` is the world it ran in when the
    /// caller knows it, else the bundle's own world (`world.vm.name`, or `host`).
    pub(crate) fn from_bundle(path: &Path, name: Option<&str>) -> Result<Column, ColumnError> {
        let reader = bundle::open(path)?;
        let view = reader.load().map_err(|source| ColumnError::Load {
            path: path.to_path_buf(),
            source,
        })?;
        let explanations = if view.format == BundleFormat::Xpr {
            // Verified by `load` above; read through the bundle's confined opener.
            let explainer = Explainer::load(reader.dir());
            explainer
                .verdicts
                .iter()
                .map(|v| (v.id.clone(), explainer.text(reader.dir(), v)))
                .collect()
        } else {
            BTreeMap::new()
        };
        let name = name.map_or_else(|| world_name(&view), str::to_string);
        Ok(Column {
            name,
            outcome: Ok(Loaded {
                bundle: reader.root().to_path_buf(),
                view,
                explanations,
            }),
        })
    }

    /// A world that did not produce a bundle.
    pub(crate) fn fault(name: &str, reason: String) -> Column {
        Column {
            name: name.to_string(),
            outcome: Err(reason),
        }
    }
}

/// The catalogue name a bundle's world facts record: a guest's `world.vm.name`, else `host`
/// (another harness's bundle: its world id).
pub(crate) fn world_name(view: &BundleView) -> String {
    if let Some(name) = view.facts.get("world.vm.name").and_then(|v| v.as_str()) {
        return name.to_string();
    }
    match view.format {
        BundleFormat::Xpr => crate::worlds::HOST.to_string(),
        BundleFormat::RuntimeTools => view.world_id.clone(),
    }
}

/// Makes column names unique (`host`, `host-2`, …) in order.
pub(crate) fn uniquify(columns: &mut [Column]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for c in columns.iter_mut() {
        let n = seen.entry(c.name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            c.name = format!("{}-{n}", c.name);
        }
    }
}
