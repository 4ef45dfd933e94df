//! Rules and filters: operation names through the vocabulary (aliases and obsolete names
//! resolved), filters checked against their declared arity and words.

use crate::decode::syntax::{FilterDecl, RuleDecl};
use crate::diagnostics::{Diag, codes, suggest};
use crate::model::{Filter, Modifiers, NetAddress, Rule};
use crate::source::FileId;

use super::context::Cx;
use crate::decode::vocabulary::{Children, Lookup, Vocabulary};

pub(crate) fn resolve_rules(
    cx: &mut Cx,
    vocab: &Vocabulary,
    file: FileId,
    rules: &[RuleDecl],
    shim: Option<&str>,
) -> Vec<Rule> {
    rules
        .iter()
        .filter_map(|r| resolve_rule(cx, vocab, file, r, shim))
        .collect()
}

fn resolve_rule(
    cx: &mut Cx,
    vocab: &Vocabulary,
    file: FileId,
    rule: &RuleDecl,
    shim: Option<&str>,
) -> Option<Rule> {
    let mut operations = Vec::new();
    let mut ok = true;
    for op in &rule.operations {
        let name = cx.subst(file, op);
        match vocab.canonical(&name) {
            Lookup::Known(n) | Lookup::Alias(n) => operations.push(n.to_string()),
            Lookup::Obsolete { replacement } => {
                let diag = Diag::warning(
                    codes::OBSOLETE_OPERATION,
                    format!("operation `{name}` is obsolete"),
                )
                .at(cx.file(file), op.span, format!("now `{replacement}`"))
                .help(format!(
                    "write `{replacement}`; it is used in place of `{name}`"
                ));
                cx.push(diag);
                operations.push(replacement.to_string());
            }
            Lookup::Unknown => {
                ok = false;
                let help = cx
                    .diags
                    .suggest(&name, vocab.operation_names())
                    .unwrap_or_else(|| {
                        "operation names are Seatbelt's, listed in std/vocabulary.kdl".to_string()
                    });
                let diag = cx
                    .error(
                        codes::UNKNOWN_OPERATION,
                        file,
                        op.span,
                        format!("unknown operation `{name}`"),
                        "not in the vocabulary",
                    )
                    .help(help);
                cx.push(diag);
            }
        }
    }
    let filters: Vec<Filter> = rule
        .filters
        .iter()
        .filter_map(|f| resolve_filter(cx, vocab, file, f))
        .collect();
    if !ok || filters.len() != rule.filters.len() {
        return None;
    }
    let message = rule.message.as_ref().map(|m| cx.subst(file, m));
    let mut origin = cx.origin(file, rule.keyword);
    origin.shim = shim.map(str::to_string);
    Some(Rule {
        action: rule.action,
        operations,
        filters,
        modifiers: Modifiers {
            report: rule.report,
            message,
            ..Modifiers::default()
        },
        origin,
    })
}

fn resolve_filter(cx: &mut Cx, vocab: &Vocabulary, file: FileId, f: &FilterDecl) -> Option<Filter> {
    let name = f.name.value.as_str();
    let Some(spec) = vocab.filter(name) else {
        let help = suggest::help(name, vocab.filter_names())
            .unwrap_or_else(|| "filter names are listed in std/vocabulary.kdl".to_string());
        let diag = cx
            .error(
                codes::UNKNOWN_FILTER,
                file,
                f.name.span,
                format!("unknown filter `{name}`"),
                "not in the vocabulary",
            )
            .help(help);
        cx.push(diag);
        return None;
    };
    let mut ok = true;
    // Children: none, exactly one, or at least one.
    let child_count = f.children.len();
    let children_problem = match spec.children {
        Children::None if f.has_children => Some("takes no nested filters"),
        Children::One if child_count != 1 => Some("takes exactly one nested filter"),
        Children::Many if child_count == 0 => Some("takes at least one nested filter"),
        _ => None,
    };
    if let Some(problem) = children_problem {
        ok = false;
        let diag = cx
            .error(
                codes::FILTER_ARGUMENTS,
                file,
                f.span,
                format!("filter `{name}` {problem}"),
                "here",
            )
            .help(usage(spec));
        cx.push(diag);
    }
    let want = spec.args.len();
    let arity_ok = if spec.variadic {
        f.args.len() + 1 >= want
    } else {
        f.args.len() == want
    };
    if !arity_ok {
        ok = false;
        let count = |n: usize| {
            if n == 1 {
                "1 argument".to_string()
            } else {
                format!("{n} arguments")
            }
        };
        let expected = if spec.variadic {
            format!("at least {}", count(want.saturating_sub(1)))
        } else {
            count(want)
        };
        let diag = cx
            .error(
                codes::FILTER_ARGUMENTS,
                file,
                f.span,
                format!("filter `{name}` takes {expected}, found {}", f.args.len()),
                "wrong number of arguments",
            )
            .help(usage(spec));
        cx.push(diag);
    }
    let args: Vec<String> = f.args.iter().map(|a| cx.subst(file, a)).collect();
    if let (Some(first), false) = (f.args.first(), spec.one_of.is_empty())
        && !spec.one_of.contains(&args[0])
    {
        ok = false;
        let help = suggest::help(&args[0], spec.one_of.iter().map(String::as_str))
            .unwrap_or_else(|| format!("`{name}` takes one of: {}", spec.one_of.join(", ")));
        let diag = cx
            .error(
                codes::INVALID_VALUE,
                file,
                first.span,
                format!("`{}` is not a valid `{name}` value", args[0]),
                "unknown value",
            )
            .help(help);
        cx.push(diag);
    }
    let children: Vec<Filter> = f
        .children
        .iter()
        .filter_map(|c| resolve_filter(cx, vocab, file, c))
        .collect();
    if !ok || children.len() != f.children.len() {
        return None;
    }
    let first = || args.first().cloned().unwrap_or_default();
    let filter = match name {
        "literal" => Filter::Literal(first()),
        "subpath" => Filter::Subpath(first()),
        "prefix" => Filter::Prefix(first()),
        "regex" => Filter::Regex(first()),
        "require-all" => Filter::RequireAll(children),
        "require-any" => Filter::RequireAny(children),
        "require-not" => Filter::RequireNot(Box::new(children.into_iter().next()?)),
        "target" => Filter::Target(first()),
        "remote" | "local" => {
            let proto = args.first().map_or("", String::as_str);
            let spec = args.get(1).map_or("", String::as_str);
            let Some(address) = NetAddress::parse(proto, spec) else {
                let diag = cx
                    .error(
                        codes::INVALID_VALUE,
                        file,
                        f.args.get(1).map_or(f.span, |a| a.span),
                        format!("`{spec}` is not a `host:port` address"),
                        "expected host:port",
                    )
                    .help("write \"*:443\", \"localhost:*\" or \"127.0.0.1:8080\"");
                cx.push(diag);
                return None;
            };
            if name == "remote" {
                Filter::Remote(address)
            } else {
                Filter::Local(address)
            }
        }
        "global-name" => Filter::GlobalName(first()),
        "local-name" => Filter::LocalName(first()),
        "sysctl-name" => Filter::SysctlName(first()),
        _ => Filter::Named {
            name: name.to_string(),
            args,
        },
    };
    Some(filter)
}

fn usage(spec: &crate::decode::vocabulary::FilterSpec) -> String {
    let mut s = format!("usage: {}", spec.name);
    for (i, kind) in spec.args.iter().enumerate() {
        let repeat = spec.variadic && i + 1 == spec.args.len();
        s.push_str(&format!(" <{kind}>{}", if repeat { "..." } else { "" }));
    }
    match spec.children {
        Children::None => {}
        Children::One => s.push_str(" { <filter> }"),
        Children::Many => s.push_str(" { <filter>... }"),
    }
    if !spec.one_of.is_empty() {
        s.push_str(&format!(" (one of: {})", spec.one_of.join(", ")));
    }
    s
}
