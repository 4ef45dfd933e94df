//! What a driver reports: the errno of the operation (0 = success) and one number of detail.

/// The result of one operation: `errno` 0 means it succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OpResult {
    pub errno: i32,
    /// Driver detail that does not decide the verdict (bytes read, entries listed, port).
    pub value: i64,
    /// `errno` came from acquiring the resource before the sandbox was applied
    /// (`acquire=before`), so no sandbox was involved.
    pub before_apply: bool,
}

impl OpResult {
    pub(crate) fn ok(value: i64) -> OpResult {
        OpResult {
            errno: 0,
            value,
            before_apply: false,
        }
    }
    pub(crate) fn errno(errno: i32) -> OpResult {
        OpResult {
            errno,
            value: 0,
            before_apply: false,
        }
    }
    pub(crate) fn acquisition_failed(errno: i32) -> OpResult {
        OpResult {
            errno,
            value: 0,
            before_apply: true,
        }
    }
}
