//! Host facts: distro (`/etc/os-release`), kernel release and arch (`uname`).

/// `ID-VERSION_ID` from os-release (`debian-12`), `unknown` when absent.
pub(crate) fn distro() -> String {
    let text = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .unwrap_or_default();
    distro_from_os_release(&text)
}

pub(crate) fn distro_from_os_release(text: &str) -> String {
    let field = |key: &str| {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().trim_matches('"').trim_matches('\'').to_string())
    };
    match (field("ID"), field("VERSION_ID")) {
        (Some(id), Some(version)) => format!("{id}-{version}"),
        (Some(id), None) => id,
        _ => "unknown".to_string(),
    }
}

/// `(release, machine)` from uname.
pub(crate) fn uname() -> (String, String) {
    crate::sys::process::uname()
        .unwrap_or_else(|_| ("unknown".to_string(), std::env::consts::ARCH.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_id_and_version_id() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\n";
        assert_eq!(distro_from_os_release(text), "debian-12");
        assert_eq!(distro_from_os_release("ID=arch\n"), "arch");
        assert_eq!(distro_from_os_release(""), "unknown");
    }
}
