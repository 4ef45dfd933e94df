//! The `sandbox_check` question for one probe: operation, filter type and argument.
//!
//! Plain data, built and tested anywhere; only the call itself is macOS-only.

use serde::{Deserialize, Serialize};

/// `enum sandbox_filter_type` values from `<sandbox.h>` that are stable across releases
/// (values past 9 vary by OS version and are not used).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(i32)]
pub enum CheckFilterType {
    None = 0,
    Path = 1,
    GlobalName = 2,
    LocalName = 3,
    AppleEventDestination = 4,
    RightName = 5,
    PreferenceDomain = 6,
    KextBundleId = 7,
    InfoType = 8,
    Notification = 9,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckQuery {
    pub operation: String,
    pub filter: CheckFilterType,
    pub argument: Option<String>,
}

impl CheckQuery {
    /// The query for an operation on a target. The filter type follows the operation's
    /// family: file operations take a path, `mach-lookup` a global name, and so on; operations
    /// without a checkable argument are asked without a filter.
    pub fn for_operation(operation: &str, target: Option<&str>) -> CheckQuery {
        let filter = match operation {
            op if op.starts_with("file-") || op.starts_with("process-exec") => {
                CheckFilterType::Path
            }
            "mach-lookup" | "mach-register" => CheckFilterType::GlobalName,
            "appleevent-send" => CheckFilterType::AppleEventDestination,
            op if op.starts_with("authorization-right") => CheckFilterType::RightName,
            op if op.starts_with("user-preference") => CheckFilterType::PreferenceDomain,
            "system-kext-query" => CheckFilterType::KextBundleId,
            "system-info" => CheckFilterType::InfoType,
            "darwin-notification-post" | "distributed-notification-post" => {
                CheckFilterType::Notification
            }
            _ => CheckFilterType::None,
        };
        let argument = match filter {
            CheckFilterType::None => None,
            _ => target.map(str::to_string),
        };
        let filter = if argument.is_none() {
            CheckFilterType::None
        } else {
            filter
        };
        CheckQuery {
            operation: operation.to_string(),
            filter,
            argument,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_type_follows_the_operation() {
        let q = CheckQuery::for_operation("file-read-data", Some("/etc/hosts"));
        assert_eq!((q.filter, q.filter as i32), (CheckFilterType::Path, 1));
        let q = CheckQuery::for_operation("mach-lookup", Some("com.apple.logd"));
        assert_eq!(q.filter as i32, 2);
        let q = CheckQuery::for_operation("sysctl-read", Some("kern.ostype"));
        assert_eq!((q.filter, q.argument), (CheckFilterType::None, None));
        let q = CheckQuery::for_operation("file-read-data", None);
        assert_eq!(q.filter, CheckFilterType::None);
    }
}
