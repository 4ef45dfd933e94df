//! Reading one artifact of a bundle directory as typed JSON, through the bundle's confined
//! opener.

use serde::de::DeserializeOwned;

use super::error::RuntimeToolsError;
use crate::bundle::dir::BundleDir;
use crate::sys::input::InputError;

/// Reads `name` as JSON; `Ok(None)` when the file does not exist.
pub(crate) fn optional_json<T: DeserializeOwned>(
    dir: &BundleDir,
    name: &str,
) -> Result<Option<T>, RuntimeToolsError> {
    let Some(bytes) = optional_bytes(dir, name)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| RuntimeToolsError::Json {
            path: dir.root().join(name),
            source,
        })
}

/// Reads a JSON Lines artifact; blank lines are skipped; `Ok(vec![])` when absent.
pub(crate) fn optional_jsonl<T: DeserializeOwned>(
    dir: &BundleDir,
    name: &str,
) -> Result<Vec<T>, RuntimeToolsError> {
    let Some(bytes) = optional_bytes(dir, name)? else {
        return Ok(Vec::new());
    };
    let path = dir.root().join(name);
    let text = String::from_utf8(bytes).map_err(|_| RuntimeToolsError::Invalid {
        path: path.clone(),
        message: "not UTF-8 text".into(),
    })?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).map_err(|source| RuntimeToolsError::Json {
                path: path.clone(),
                source,
            })
        })
        .collect()
}

fn optional_bytes(dir: &BundleDir, name: &str) -> Result<Option<Vec<u8>>, RuntimeToolsError> {
    match dir.read(name) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(InputError::NotFound) => Ok(None),
        Err(source) => Err(RuntimeToolsError::Unreadable {
            path: dir.root().join(name),
            source,
        }),
    }
}
