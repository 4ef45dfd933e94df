//! A rule rendered in SBPL notation for people (fidelity reports, blocked details).

use crate::model::{Filter, Rule};

pub fn rule_text(rule: &Rule) -> String {
    let mut out = format!("({} {}", rule.action.as_str(), rule.operations.join(" "));
    for filter in &rule.filters {
        out.push(' ');
        out.push_str(&filter_text(filter));
    }
    out.push(')');
    out
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub(crate) fn filter_text(filter: &Filter) -> String {
    let list = |name: &str, items: &[Filter]| {
        let inner: Vec<String> = items.iter().map(filter_text).collect();
        format!("({name} {})", inner.join(" "))
    };
    match filter {
        Filter::Literal(p) => format!("(literal {})", quoted(p)),
        Filter::Subpath(p) => format!("(subpath {})", quoted(p)),
        Filter::Prefix(p) => format!("(prefix {})", quoted(p)),
        Filter::Regex(r) => format!("(regex #{})", quoted(r)),
        Filter::RequireAll(items) => list("require-all", items),
        Filter::RequireAny(items) => list("require-any", items),
        Filter::RequireNot(inner) => format!("(require-not {})", filter_text(inner)),
        Filter::Target(t) => format!("(target {t})"),
        Filter::Remote(a) => format!("(remote {} {})", a.proto, quoted(&a.spec())),
        Filter::Local(a) => format!("(local {} {})", a.proto, quoted(&a.spec())),
        Filter::GlobalName(n) => format!("(global-name {})", quoted(n)),
        Filter::LocalName(n) => format!("(local-name {})", quoted(n)),
        Filter::SysctlName(n) => format!("(sysctl-name {})", quoted(n)),
        Filter::Named { name, args } => {
            let args: Vec<String> = args.iter().map(|a| quoted(a)).collect();
            format!("({name} {})", args.join(" "))
        }
        Filter::Opaque(text) => text.clone(),
    }
}
