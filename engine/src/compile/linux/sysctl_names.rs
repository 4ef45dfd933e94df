//! sysctl names → `/proc/sys` paths. Darwin names go through a small table (most `hw.*` and
//! many `kern.*` names have no Linux file); Linux names (`kernel.hostname`) map directly.

const DARWIN_TO_PROC_SYS: &[(&str, &str)] = &[
    ("kern.ostype", "kernel/ostype"),
    ("kern.osrelease", "kernel/osrelease"),
    ("kern.version", "kernel/version"),
    ("kern.hostname", "kernel/hostname"),
    ("kern.domainname", "kernel/domainname"),
    ("kern.maxfiles", "fs/file-max"),
    ("kern.maxproc", "kernel/pid_max"),
    ("kern.ngroups", "kernel/ngroups_max"),
];

const LINUX_TOP_LEVELS: &[&str] = &[
    "abi", "crypto", "debug", "dev", "fs", "kernel", "net", "user", "vm",
];

/// `/proc/sys/...` for a sysctl name, or `None` when Linux has no such file.
pub fn proc_sys_path(name: &str) -> Option<String> {
    if let Some((_, path)) = DARWIN_TO_PROC_SYS
        .iter()
        .find(|(darwin, _)| *darwin == name)
    {
        return Some(format!("/proc/sys/{path}"));
    }
    let (top, rest) = name.split_once('.')?;
    let valid = LINUX_TOP_LEVELS.contains(&top)
        && !rest.is_empty()
        && rest.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
        });
    valid.then(|| format!("/proc/sys/{top}/{}", rest.replace('.', "/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_darwin_and_linux_names() {
        assert_eq!(
            proc_sys_path("kern.ostype").as_deref(),
            Some("/proc/sys/kernel/ostype")
        );
        assert_eq!(
            proc_sys_path("kernel.hostname").as_deref(),
            Some("/proc/sys/kernel/hostname")
        );
        assert_eq!(proc_sys_path("hw.ncpu"), None);
        assert_eq!(proc_sys_path("kern.bootargs"), None);
        assert_eq!(proc_sys_path("kernel../x"), None);
    }
}
