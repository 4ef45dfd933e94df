//! How a keyed item differs between the two sides: changed, or present on one side only.

use serde::Serialize;

/// Whether a keyed item is on both sides with different values, or on one side only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Changed,
    Added,
    Removed,
}

impl Status {
    pub(crate) fn of<T>(a: &Option<T>, b: &Option<T>) -> Status {
        match (a, b) {
            (None, _) => Status::Added,
            (_, None) => Status::Removed,
            _ => Status::Changed,
        }
    }
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Changed => "changed",
            Status::Added => "added",
            Status::Removed => "removed",
        }
    }
}
