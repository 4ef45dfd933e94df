//! macOS world facts and their id.
//!
//! The id hashes only host facts (never a file whose paths or formatting could change without
//! the host changing): `macos-<version>-<build>-<arch>-<blake3 of the canonical JSON, 8 hex>`.
//! Only a macOS build collects them; elsewhere the parsers are compiled and unit-tested but
//! unused, hence the allowance.
#![cfg_attr(not(target_os = "macos"), allow(dead_code))]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MacWorldFacts {
    /// `sw_vers -productVersion`, e.g. `14.4.1`.
    pub product_version: String,
    /// `sw_vers -buildVersion`, e.g. `23E224`.
    pub build: String,
    /// `arm64` or `x86_64`.
    pub arch: String,
    /// `enabled`, `disabled`, or csrutil's own words for custom configurations.
    pub sip: String,
    /// `kern.osrelease`, e.g. `23.4.0`.
    pub kernel_release: String,
    /// The sandbox mechanism, always `seatbelt`.
    pub mechanism: String,
}

impl MacWorldFacts {
    /// Keys sorted, no whitespace (the engine's one canonical JSON): the bytes the id hashes.
    pub(crate) fn canonical_json(&self) -> String {
        let map = BTreeMap::from([
            ("arch", self.arch.as_str()),
            ("build", self.build.as_str()),
            ("kernel_release", self.kernel_release.as_str()),
            ("mechanism", self.mechanism.as_str()),
            ("os", "macos"),
            ("product_version", self.product_version.as_str()),
            ("sip", self.sip.as_str()),
        ]);
        String::from_utf8(crate::world::canonical_json(&map)).unwrap_or_default()
    }

    pub(crate) fn world_id(&self) -> String {
        let hash = blake3::hash(self.canonical_json().as_bytes()).to_hex();
        format!(
            "macos-{}-{}-{}-{}",
            id_part(&self.product_version),
            id_part(&self.build),
            id_part(&self.arch),
            &hash[..8]
        )
    }
}

/// Keeps an id readable and path-safe.
fn id_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `(ProductVersion, BuildVersion)` from `sw_vers` output.
pub(crate) fn parse_sw_vers(out: &str) -> Option<(String, String)> {
    let field = |key: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(key)?.trim().strip_prefix(':'))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Some((field("ProductVersion")?, field("BuildVersion")?))
}

/// `enabled` / `disabled` from `csrutil status`, or the status words for a custom
/// configuration (`enabled (custom configuration)`), or `unknown`.
pub(crate) fn parse_csrutil_status(out: &str) -> String {
    let Some(rest) = out
        .lines()
        .find_map(|l| l.split_once("System Integrity Protection status:"))
        .map(|(_, r)| r.trim().trim_end_matches('.').trim().to_string())
    else {
        return "unknown".into();
    };
    if rest.is_empty() {
        "unknown".into()
    } else {
        rest
    }
}

/// `hw.machine` / `uname -m` → the arch name used in world ids.
pub(crate) fn arch_name(machine: &str) -> String {
    match machine.trim() {
        "arm64" | "arm64e" | "aarch64" => "arm64".into(),
        "x86_64" | "amd64" => "x86_64".into(),
        other => other.to_string(),
    }
}

/// Collects the facts from `sw_vers`, `sysctl` and `csrutil` (macOS only; not yet run on a
/// Mac).
#[cfg(target_os = "macos")]
pub(crate) fn collect_world_facts() -> std::io::Result<MacWorldFacts> {
    use std::process::Command;
    let run = |cmd: &str, args: &[&str]| -> std::io::Result<String> {
        let out = Command::new(cmd).args(args).output()?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (product_version, build) =
        parse_sw_vers(&run("/usr/bin/sw_vers", &[])?).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "unexpected sw_vers output")
        })?;
    Ok(MacWorldFacts {
        product_version,
        build,
        arch: arch_name(&run("/usr/sbin/sysctl", &["-n", "hw.machine"])?),
        sip: parse_csrutil_status(&run("/usr/bin/csrutil", &["status"])?),
        kernel_release: run("/usr/sbin/sysctl", &["-n", "kern.osrelease"])?
            .trim()
            .to_string(),
        mechanism: "seatbelt".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sonoma() -> MacWorldFacts {
        MacWorldFacts {
            product_version: "14.4.1".into(),
            build: "23E224".into(),
            arch: "arm64".into(),
            sip: "enabled".into(),
            kernel_release: "23.4.0".into(),
            mechanism: "seatbelt".into(),
        }
    }

    #[test]
    fn world_id_is_readable_and_pinned() {
        let w = sonoma();
        assert_eq!(
            w.canonical_json(),
            r#"{"arch":"arm64","build":"23E224","kernel_release":"23.4.0","mechanism":"seatbelt","os":"macos","product_version":"14.4.1","sip":"enabled"}"#
        );
        let id = w.world_id();
        assert!(id.starts_with("macos-14.4.1-23E224-arm64-"), "{id}");
        assert_eq!(id.len(), "macos-14.4.1-23E224-arm64-".len() + 8);
        // Any fact change is a different world; the same facts are the same world.
        assert_eq!(id, sonoma().world_id());
        let mut off = sonoma();
        off.sip = "disabled".into();
        assert_ne!(off.world_id(), id);
    }

    #[test]
    fn parses_tool_output() {
        let sw = "ProductName:\t\tmacOS\nProductVersion:\t\t14.4.1\nBuildVersion:\t\t23E224\n";
        assert_eq!(parse_sw_vers(sw), Some(("14.4.1".into(), "23E224".into())));
        assert_eq!(parse_sw_vers("ProductName: macOS\n"), None);
        assert_eq!(
            parse_csrutil_status("System Integrity Protection status: enabled.\n"),
            "enabled"
        );
        assert_eq!(
            parse_csrutil_status(
                "System Integrity Protection status: unknown (Custom Configuration).\n"
            ),
            "unknown (Custom Configuration)"
        );
        assert_eq!(
            parse_csrutil_status("csrutil: command not found"),
            "unknown"
        );
        assert_eq!(arch_name("arm64e\n"), "arm64");
    }
}
