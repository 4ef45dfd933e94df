//! The sysctl name table (`stdlib/sysctl.kdl`): sysctl names → `/proc/sys` paths, shared by
//! the Linux backend (`sysctl-name` filters) and the `sysctl-read` driver so both agree on
//! which file a name means. Parsed once from the embedded stdlib.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use kdl::KdlNode;
use miette::SourceSpan;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SysctlTable {
    /// Darwin name → its `/proc/sys/...` file.
    pub darwin: BTreeMap<String, String>,
    /// Top-level components of Linux names that map directly.
    pub linux_roots: Vec<String>,
}

impl SysctlTable {
    /// The table embedded from `stdlib/sysctl.kdl`.
    pub(crate) fn standard() -> &'static SysctlTable {
        static STANDARD: OnceLock<SysctlTable> = OnceLock::new();
        STANDARD.get_or_init(|| {
            let text = super::stdlib::get("sysctl").unwrap_or_default();
            // A test keeps the shipped file clean; a broken one must not take the engine down.
            let parsed = SysctlTable::parse(text);
            debug_assert!(parsed.is_ok(), "std/sysctl.kdl: {parsed:?}");
            parsed.unwrap_or_default()
        })
    }

    /// Parses a table file: one `sysctl-names { … }` block.
    pub(crate) fn parse(text: &str) -> Result<SysctlTable, String> {
        let doc = super::kdl_fast::parse_or_reference(text).map_err(|e| e.to_string())?;
        match doc.nodes() {
            [node] if node.name().value() == "sysctl-names" => {
                SysctlTable::decode_block(node).map_err(|(_, message)| message)
            }
            _ => Err("expected one `sysctl-names { … }` block".to_string()),
        }
    }

    /// Reads a `sysctl-names` block; the error names the first child that is not
    /// `sysctl NAME /proc/sys/PATH` or `linux-roots NAME...`, with its span.
    pub(crate) fn decode_block(block: &KdlNode) -> Result<SysctlTable, (SourceSpan, String)> {
        let mut table = SysctlTable::default();
        if !block.entries().is_empty() {
            return Err((block.span(), "`sysctl-names` takes no arguments".into()));
        }
        for node in block.iter_children() {
            let args = strings(node).map_err(|m| (node.span(), m))?;
            match (node.name().value(), args.as_slice()) {
                ("sysctl", [name, path]) if path.starts_with("/proc/sys/") => {
                    if table.darwin.insert(name.clone(), path.clone()).is_some() {
                        return Err((node.span(), format!("sysctl {name:?} is listed twice")));
                    }
                }
                ("linux-roots", roots) if !roots.is_empty() => {
                    table.linux_roots.extend(roots.iter().cloned());
                }
                (other, _) => {
                    return Err((
                        node.span(),
                        format!(
                            "`{other}`: expected `sysctl NAME /proc/sys/PATH` or `linux-roots NAME...`"
                        ),
                    ));
                }
            }
        }
        Ok(table)
    }

    /// `/proc/sys/...` for a sysctl name, or `None` when Linux has no such file.
    pub(crate) fn proc_sys_path(&self, name: &str) -> Option<String> {
        if let Some(path) = self.darwin.get(name) {
            return Some(path.clone());
        }
        let (top, rest) = name.split_once('.')?;
        let valid = self.linux_roots.iter().any(|r| r == top)
            && !rest.is_empty()
            && rest.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
            });
        valid.then(|| format!("/proc/sys/{top}/{}", rest.replace('.', "/")))
    }
}

/// `/proc/sys/...` for a sysctl name in the standard table, or `None` when Linux has no such
/// file.
pub(crate) fn proc_sys_path(name: &str) -> Option<String> {
    SysctlTable::standard().proc_sys_path(name)
}

/// The node's arguments, all strings (bare identifiers count), and no properties or children.
fn strings(node: &KdlNode) -> Result<Vec<String>, String> {
    let name = node.name().value();
    if node.children().is_some() {
        return Err(format!("`{name}` takes no children"));
    }
    node.entries()
        .iter()
        .map(|e| match (e.name(), e.value().as_string()) {
            (None, Some(s)) => Ok(s.to_string()),
            _ => Err(format!("`{name}`: every argument is a string")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses() {
        let text = crate::source::stdlib::get("sysctl").expect("embedded");
        let table = SysctlTable::parse(text).unwrap();
        assert_eq!(table.darwin.len(), 8);
        assert!(table.linux_roots.iter().any(|r| r == "kernel"));
    }

    #[test]
    fn translates_darwin_and_linux_names() {
        assert_eq!(
            proc_sys_path("kern.ostype").as_deref(),
            Some("/proc/sys/kernel/ostype")
        );
        assert_eq!(
            proc_sys_path("kern.maxfiles").as_deref(),
            Some("/proc/sys/fs/file-max")
        );
        assert_eq!(
            proc_sys_path("kernel.hostname").as_deref(),
            Some("/proc/sys/kernel/hostname")
        );
        assert_eq!(proc_sys_path("hw.ncpu"), None);
        assert_eq!(proc_sys_path("kern.bootargs"), None);
        assert_eq!(proc_sys_path("kernel../x"), None);
    }

    #[test]
    fn mistakes_are_named() {
        assert!(SysctlTable::parse("sysctl \"a\"").is_err());
        assert!(SysctlTable::parse("sysctl \"a\" \"/etc/x\"").is_err());
        assert!(
            SysctlTable::parse("sysctl \"a\" \"/proc/sys/x\"\nsysctl \"a\" \"/proc/sys/y\"")
                .is_err()
        );
        assert!(SysctlTable::parse("linux-roots").is_err());
        assert!(SysctlTable::parse("other 1").is_err());
    }
}
