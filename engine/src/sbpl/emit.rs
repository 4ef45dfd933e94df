//! IR → normalised SBPL text.
//!
//! One rule per form, operations as written, filters in order; a rule with several filters or
//! modifiers puts each on its own indented line. Parameter placeholders `{NAME}` become
//! `(param "NAME")` (inside regexes `(regex-quote (param "NAME"))`). Opaque forms and filters
//! are written back verbatim. Parsing the output gives the same IR, and emitting that gives the
//! same text.

use crate::model::{Filter, Modifiers, NetAddress, ProfileIr, Rule};

use super::SbplProfile;
use super::filters::BARE_ARG_FILTERS;
use super::printer::quote_string;
use super::value::{Segment, segments};

/// Rules longer than this are broken into one filter per line.
const LINE_WIDTH: usize = 100;

/// SBPL text for a profile IR, as `(version 1)`.
pub fn emit(ir: &ProfileIr) -> String {
    emit_with(ir, 1, None, &Modifiers::default())
}

/// SBPL text for a parsed profile, keeping its version, `(debug …)` and default modifiers.
pub fn emit_profile(p: &SbplProfile) -> String {
    emit_with(
        &p.ir,
        p.version.unwrap_or(1),
        p.debug.as_deref(),
        &p.default_modifiers,
    )
}

fn emit_with(
    ir: &ProfileIr,
    version: u32,
    debug: Option<&str>,
    default_mods: &Modifiers,
) -> String {
    let mut out = format!("(version {version})\n");
    if let Some(d) = debug {
        out.push_str(&format!("(debug {d})\n"));
    }
    let mut default = format!("({} default", ir.default.as_str());
    for m in modifier_texts(default_mods) {
        default.push(' ');
        default.push_str(&m);
    }
    default.push_str(")\n");
    out.push_str(&default);
    // A comment marks each run of rules a shim contributed, so readers of a runtime profile see
    // which rules are not the source profile's (comments do not survive parsing).
    let mut shim: Option<&str> = None;
    for rule in &ir.rules {
        let rule_shim = rule.origin.shim.as_deref();
        if rule_shim != shim {
            match rule_shim {
                Some(name) => out.push_str(&format!(";; shim {name}\n")),
                None => out.push_str(";; end of shim\n"),
            }
            shim = rule_shim;
        }
        out.push_str(&rule_text(rule));
        out.push('\n');
    }
    out
}

/// One rule in SBPL notation (also used for fidelity reports).
pub fn rule_text(rule: &Rule) -> String {
    if let Some(text) = rule.opaque_form_text() {
        return text.to_string();
    }
    let head = format!("({} {}", rule.action.as_str(), rule.operations.join(" "));
    let items: Vec<String> = rule
        .filters
        .iter()
        .map(filter_text)
        .chain(modifier_texts(&rule.modifiers))
        .collect();
    let one_line = items.iter().map(|i| i.len() + 1).sum::<usize>() + head.len() + 1;
    if rule.filters.len() <= 1 && one_line <= LINE_WIDTH {
        let mut s = head;
        for i in items {
            s.push(' ');
            s.push_str(&i);
        }
        s.push(')');
        s
    } else {
        let mut s = head;
        for i in items {
            s.push_str("\n  ");
            s.push_str(&i);
        }
        s.push(')');
        s
    }
}

fn modifier_texts(m: &Modifiers) -> Vec<String> {
    let mut out = Vec::new();
    if m.report {
        out.push("(with report)".to_string());
    }
    if let Some(msg) = &m.message {
        out.push(format!("(with message {})", string_expr(msg, false)));
    }
    out.extend(m.other.iter().map(|o| format!("(with {o})")));
    out
}

/// One filter in SBPL notation.
pub fn filter_text(f: &Filter) -> String {
    match f {
        Filter::Literal(p) => format!("(literal {})", string_expr(p, false)),
        Filter::Subpath(p) => format!("(subpath {})", string_expr(p, false)),
        Filter::Prefix(p) => format!("(prefix {})", string_expr(p, false)),
        Filter::Regex(r) => format!("(regex {})", string_expr(r, true)),
        Filter::RequireAll(fs) => compound("require-all", fs),
        Filter::RequireAny(fs) => compound("require-any", fs),
        Filter::RequireNot(inner) => format!("(require-not {})", filter_text(inner)),
        Filter::Target(t) => format!("(target {t})"),
        Filter::Remote(a) => network("remote", a),
        Filter::Local(a) => network("local", a),
        Filter::GlobalName(n) => format!("(global-name {})", string_expr(n, false)),
        Filter::LocalName(n) => format!("(local-name {})", string_expr(n, false)),
        Filter::SysctlName(n) => format!("(sysctl-name {})", string_expr(n, false)),
        Filter::Named { name, args } => {
            let bare = BARE_ARG_FILTERS.contains(&name.as_str());
            let regex = name.ends_with("-regex");
            let mut s = format!("({name}");
            for a in args {
                s.push(' ');
                if bare {
                    s.push_str(a);
                } else {
                    s.push_str(&string_expr(a, regex));
                }
            }
            s.push(')');
            s
        }
        Filter::Opaque(text) => text.clone(),
    }
}

fn compound(name: &str, fs: &[Filter]) -> String {
    let mut s = format!("({name}");
    for f in fs {
        s.push(' ');
        s.push_str(&filter_text(f));
    }
    s.push(')');
    s
}

fn network(side: &str, a: &NetAddress) -> String {
    match (a.proto.as_str(), a.host.as_str(), a.port) {
        (_, "*", None) => format!("({side} {})", a.proto),
        ("unix-socket", path, _) => {
            format!(
                "({side} unix-socket (path-literal {}))",
                string_expr(path, false)
            )
        }
        _ => format!("({side} {} {})", a.proto, quote_string(&a.spec())),
    }
}

/// A string with `{NAME}` placeholders as an SBPL expression.
fn string_expr(s: &str, regex: bool) -> String {
    let parts: Vec<String> = segments(s)
        .into_iter()
        .map(|seg| match seg {
            Segment::Text(t) if regex && !t.contains('"') => format!("#\"{t}\""),
            Segment::Text(t) => quote_string(t),
            Segment::Param(p) if regex => format!("(regex-quote (param {}))", quote_string(p)),
            Segment::Param(p) => format!("(param {})", quote_string(p)),
        })
        .collect();
    match parts.len() {
        0 if regex => "#\"\"".to_string(),
        0 => "\"\"".to_string(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("(string-append {})", parts.join(" ")),
    }
}
