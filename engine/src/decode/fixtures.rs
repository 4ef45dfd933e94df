//! `fixtures { file|dir|tcp-listener|unix-listener|process NAME [props] }`.

use kdl::KdlNode;

use super::node_reader::Reader;
use super::syntax::{FixtureDecl, FixtureKindDecl, Spanned};
use crate::diagnostics::{Diag, codes};

const KINDS: &[&str] = &["file", "dir", "tcp-listener", "unix-listener", "process"];

pub(crate) fn decode(r: &mut Reader<'_>, node: &KdlNode) -> Vec<FixtureDecl> {
    let mut out = Vec::new();
    for child in r.children(node) {
        let kind = child.name().value();
        let allowed: &[&str] = match kind {
            "file" => &["path", "content", "mode"],
            "dir" => &["path", "mode"],
            "tcp-listener" => &["port"],
            "unix-listener" => &["name"],
            "process" => &[],
            _ => {
                r.unknown_node(child, "`fixtures`", KINDS);
                continue;
            }
        };
        let props = r.props(child, allowed, false);
        r.no_children(child);
        let name = r.one_arg(child, "a fixture name");
        let mode = props
            .get("mode")
            .and_then(|e| r.int_in(e, "`mode`", 0, 0o7777))
            .map(|m| Spanned {
                value: m.value as u32,
                span: m.span,
            })
            .filter(|m| privilege_bits_refused(r, m));
        let path = || props.get("path");
        let kind = match kind {
            "file" | "dir" => {
                let Some(entry) = path() else {
                    r.error(
                        crate::diagnostics::codes::MISSING_PROPERTY,
                        child.name().span(),
                        format!("a `{kind}` fixture needs `path=`"),
                        "missing path=",
                    );
                    continue;
                };
                let Some(path) = r.text(entry, "`path`") else {
                    continue;
                };
                if kind == "file" {
                    let content = r.text_prop(&props, "content");
                    FixtureKindDecl::File {
                        path,
                        content,
                        mode,
                    }
                } else {
                    FixtureKindDecl::Dir { path, mode }
                }
            }
            "tcp-listener" => {
                let port = props
                    .get("port")
                    .and_then(|e| r.int_in(e, "`port`", 0, 65535))
                    .map(|p| Spanned {
                        value: p.value as u16,
                        span: p.span,
                    });
                FixtureKindDecl::TcpListener { port }
            }
            "unix-listener" => FixtureKindDecl::UnixListener {
                name: r.text_prop(&props, "name"),
            },
            _ => FixtureKindDecl::Process,
        };
        if let Some(name) = name {
            out.push(FixtureDecl { name, kind });
        }
    }
    out
}

/// A fixture is made by root: a setuid or setgid bit would hand its owner's privileges (or
/// group) to whoever runs or writes into it. The sticky bit only restricts who may delete, so
/// it is allowed (a world-writable sticky dir, like /tmp, is a useful fixture).
fn privilege_bits_refused(r: &mut Reader<'_>, mode: &Spanned<u32>) -> bool {
    let bits = mode.value & 0o6000;
    if bits != 0 {
        let which = match bits {
            0o4000 => "the setuid bit",
            0o2000 => "the setgid bit",
            _ => "the setuid and setgid bits",
        };
        let diag = Diag::error(
            codes::FIXTURE_MODE,
            format!("fixture mode {:#o} sets {which}", mode.value),
        )
        .at(r.file, mode.span, "setuid/setgid")
        .help(format!(
            "fixtures are created by the user running xpr (often root); use {:#o}",
            mode.value & 0o1777
        ));
        r.push(diag);
    }
    bits == 0
}
