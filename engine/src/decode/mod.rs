//! decode: a parsed KDL document → the typed syntax tree ([`syntax`]), accumulating every error.
//!
//! Hand-written over `kdl::KdlDocument` (not serde) so that every mistake in a file is
//! reported in one pass with the span of the exact node, argument or property.

use std::sync::Arc;

use kdl::KdlDocument;

use crate::diagnostics::{Diag, Diagnostics, codes, suggest};
use crate::source::SourceFile;

mod expect;
mod experiment;
mod fixtures;
pub(crate) mod node_reader;
mod probe;
mod profile;
pub(crate) mod syntax;
pub mod vocabulary;

pub(crate) use probe::PROBE_PROPS;

use node_reader::Reader;
use syntax::FileSyntax;

/// Top-level node names, for "did you mean".
pub(crate) const TOP_LEVEL: &[&str] = &[
    "experiment",
    "import",
    "fixtures",
    "profile",
    "shim",
    "family",
    "probe",
    "expect",
    "vocabulary",
    "sysctl-names",
];

/// An imported file (not the root, not the stdlib) whose first node is no declaration and
/// not a near miss of one is not an xpr file at all (a key, `/etc/shadow` reached by `../`):
/// one diagnostic, located, with none of its text — not one "unknown node" per line.
fn not_an_xpr_file(file: &Arc<SourceFile>, doc: &KdlDocument) -> Option<Diag> {
    if file.id == 0 || file.stdlib.is_some() {
        return None;
    }
    let first = doc.nodes().first()?;
    let name = first.name().value();
    if TOP_LEVEL.contains(&name) || suggest::did_you_mean(name, TOP_LEVEL.iter().copied()).is_some()
    {
        return None;
    }
    let (line, column) = file.line_col(first.name().span().offset());
    Some(
        Diag::error(
            codes::IMPORT_NOT_XPR,
            format!(
                "{}:{line}:{column}: the imported file does not start with an xpr declaration",
                file.display
            ),
        )
        .at_without_excerpt(file, first.name().span())
        .help(format!(
            "imported files hold declarations ({}); nothing of a file that is not one is shown",
            TOP_LEVEL.join(", ")
        )),
    )
}

/// Decodes one file's declarations; errors go to `diags`.
pub(crate) fn decode_file(
    file: &Arc<SourceFile>,
    doc: &KdlDocument,
    diags: &mut Diagnostics,
) -> FileSyntax {
    let mut r = Reader { file, diags };
    let mut out = FileSyntax {
        file: file.id,
        ..FileSyntax::default()
    };
    if let Some(diag) = not_an_xpr_file(file, doc) {
        r.push(diag);
        return out;
    }
    for node in doc.nodes() {
        match node.name().value() {
            "experiment" => {
                if let Some(e) = experiment::decode(&mut r, node) {
                    out.experiment.push(e);
                }
            }
            "import" => {
                r.props(node, &[], false);
                r.no_children(node);
                if let Some(path) = r.one_arg(node, "a file to import") {
                    out.imports.push(path);
                }
            }
            "fixtures" => {
                r.props(node, &[], false);
                let args = r.args(node);
                r.max_args(node, &args, 0);
                out.fixtures.extend(fixtures::decode(&mut r, node));
            }
            "profile" => out.profiles.extend(profile::decode_profile(&mut r, node)),
            "shim" => out.shims.extend(profile::decode_shim(&mut r, node)),
            "family" => out.families.extend(probe::decode_family(&mut r, node)),
            "probe" => out.probes.extend(probe::decode_probe(&mut r, node)),
            "expect" => out.expects.extend(expect::decode(&mut r, node)),
            "vocabulary" => {
                vocabulary::decode_block(&mut r, node);
                out.vocabularies.push(("vocabulary", node.name().span()));
            }
            // The stdlib's sysctl table (read by the engine, not by experiments): checked here so
            // `xpr check std/sysctl.kdl` reports its mistakes.
            "sysctl-names" => {
                if let Err((span, message)) = crate::source::sysctl::SysctlTable::decode_block(node)
                {
                    r.error(codes::INVALID_VALUE, span, message, "here");
                }
                out.vocabularies.push(("sysctl-names", node.name().span()));
            }
            _ => r.unknown_node(node, "the top level", TOP_LEVEL),
        }
    }
    out
}
