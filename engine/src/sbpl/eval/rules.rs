//! `(allow|deny …)`, `(with …)` modifiers, `(with-filter …)` and filter forms: what turns into
//! IR rules.

use super::{Ctx, Evaluator};
use crate::model::{Action, Filter, Modifiers, Rule};
use crate::sbpl::OpaqueKind;
use crate::sbpl::env::EnvRef;
use crate::sbpl::error::{ErrorKind, SbplError};
use crate::sbpl::filters::{self, Built};
use crate::sbpl::printer::print;
use crate::sbpl::sexpr::{Datum, Node};
use crate::sbpl::source::FileId;
use crate::sbpl::value::{Modifier, Value, measure_filters};

impl Evaluator<'_> {
    pub(super) fn rule_form(
        &mut self,
        node: &Node,
        action: &str,
        args: &[Node],
        env: &EnvRef,
        file: FileId,
    ) -> Value {
        let action = if action == "allow" {
            Action::Allow
        } else {
            Action::Deny
        };
        let mut operations = Vec::new();
        let mut is_default = false;
        let mut alternatives = Vec::new();
        let mut modifiers = Modifiers::default();
        for arg in args {
            match &arg.datum {
                Datum::Symbol(s) if s == "default" => is_default = true,
                // Operation names stay as written; see `SbplProfile::map_operations`.
                Datum::Symbol(s) => operations.push(s.clone()),
                Datum::List(_) => match self.eval(arg, env, file, Ctx::Expr) {
                    Value::Filters(fs) => alternatives.extend(fs),
                    Value::Modifier(m) => apply_modifier(&mut modifiers, m),
                    Value::Unknown(reason) => {
                        let text = print(arg);
                        self.record_opaque(
                            OpaqueKind::Filter,
                            text.clone(),
                            self.origin(file, arg),
                            reason,
                        );
                        alternatives.push(Filter::Opaque(text));
                    }
                    other => self.form_error(
                        file,
                        arg.span,
                        format!(
                            "expected a filter or `(with …)` here, found {}",
                            other.describe()
                        ),
                        "not a filter",
                        "filters look like `(subpath \"/tmp\")`",
                    ),
                },
                Datum::Str(s) | Datum::RawStr(s) => self.form_error(
                    file,
                    arg.span,
                    format!("operation names are symbols, not strings: \"{s}\""),
                    "a string",
                    "remove the quotes: `(allow file-read* …)`",
                ),
                _ => self.form_error(
                    file,
                    arg.span,
                    "expected an operation name or a filter".into(),
                    "unexpected value",
                    "a rule is `(allow OPERATION… FILTER…)`",
                ),
            }
        }
        let origin = self.origin(file, node);
        if is_default {
            if !operations.is_empty() || !alternatives.is_empty() {
                self.form_error(
                    file,
                    node.span,
                    "`default` cannot be combined with operations or filters".into(),
                    "mixed default rule",
                    "write `(deny default)` on its own and the other rules separately",
                );
            }
            self.default = Some((action, modifiers, origin));
            return Value::Unspecified;
        }
        if operations.is_empty() {
            self.form_error(
                file,
                node.span,
                format!("`{}` needs at least one operation", action.as_str()),
                "no operation",
                "write e.g. `(allow file-read* (subpath \"/usr\"))` or `(deny default)`",
            );
            return Value::Unspecified;
        }
        let filters = self.contextualise(alternatives);
        // A rule keeps its own copy of every filter (a `with-filter` context copied into
        // each rule inside it), so rules count against the value budget too.
        let left = super::MAX_VALUE_BYTES.saturating_sub(self.built);
        let m = measure_filters(&filters, left, super::MAX_VALUE_DEPTH);
        self.check_measure(m, file, node.span);
        self.rules.push(Rule {
            action,
            operations,
            filters,
            modifiers,
            origin,
        });
        Value::Unspecified
    }

    /// Inside `(with-filter W …)`, a rule matches only where `W` also holds.
    pub(super) fn contextualise(&self, alternatives: Vec<Filter>) -> Vec<Filter> {
        if self.filter_context.is_empty() {
            return alternatives;
        }
        let mut all = self.filter_context.clone();
        match alternatives.len() {
            0 => {}
            1 => all.extend(alternatives),
            _ => all.push(Filter::RequireAny(alternatives)),
        }
        if all.len() == 1 {
            all
        } else {
            vec![Filter::RequireAll(all)]
        }
    }

    pub(super) fn with_form(
        &mut self,
        node: &Node,
        args: &[Node],
        env: &EnvRef,
        file: FileId,
    ) -> Value {
        match args {
            [n] if n.as_symbol() == Some("report") => Value::Modifier(Modifier::Report),
            [n, msg] if n.as_symbol() == Some("message") => {
                match self.eval(msg, env, file, Ctx::Expr) {
                    Value::Str(s) => Value::Modifier(Modifier::Message(s)),
                    _ => Value::Modifier(Modifier::Other(inner_text(node))),
                }
            }
            [first, ..] if first.as_symbol().is_some() => {
                Value::Modifier(Modifier::Other(inner_text(node)))
            }
            _ => {
                self.form_error(
                    file,
                    node.span,
                    "`with` needs a modifier name".into(),
                    "empty modifier",
                    "write e.g. `(with report)`",
                );
                Value::Unspecified
            }
        }
    }

    pub(super) fn with_filter(
        &mut self,
        node: &Node,
        args: &[Node],
        env: &EnvRef,
        file: FileId,
    ) -> Value {
        let Some(first) = args.first() else {
            self.form_error(
                file,
                node.span,
                "`with-filter` needs a filter".into(),
                "no filter",
                "write `(with-filter (system-attribute apple-internal) (allow …))`",
            );
            return Value::Unspecified;
        };
        let filter = match self.eval(first, env, file, Ctx::Expr) {
            Value::Filters(fs) if fs.len() == 1 => fs[0].clone(),
            Value::Filters(fs) => Filter::RequireAny(fs),
            _ => {
                return self.unknown(
                    node,
                    file,
                    Ctx::Stmt,
                    "`with-filter` whose filter is not modelled",
                );
            }
        };
        self.filter_context.push(filter);
        self.body(&args[1..], env, file, Ctx::Stmt);
        self.filter_context.pop();
        Value::Unspecified
    }

    pub(super) fn filter_form(
        &mut self,
        node: &Node,
        name: &str,
        vals: &[Value],
        args: &[Node],
        file: FileId,
    ) -> Value {
        // Children of `require-*` that cannot be modelled stay opaque inside the combination.
        if name.starts_with("require-") {
            for (v, arg) in vals.iter().zip(args) {
                if let Value::Unknown(reason) = v {
                    let origin = self.origin(file, arg);
                    self.record_opaque(OpaqueKind::Filter, print(arg), origin, reason.clone());
                }
            }
        }
        let child = |i: usize| args.get(i).map(print).unwrap_or_default();
        match filters::build(name, vals, &child) {
            Ok(Built::Filters(fs)) => Value::Filters(fs),
            Ok(Built::Opaque(reason)) => {
                let text = print(node);
                self.record_opaque(
                    OpaqueKind::Filter,
                    text.clone(),
                    self.origin(file, node),
                    reason,
                );
                Value::Filters(vec![Filter::Opaque(text)])
            }
            Err(e) => {
                let span = e
                    .arg
                    .and_then(|i| args.get(i))
                    .map_or(node.span, |a| a.span);
                let err = SbplError::at(ErrorKind::Form, span, e.message, "here", Some(e.help));
                self.error(file, *err);
                Value::Filters(vec![Filter::Opaque(print(node))])
            }
        }
    }
}

/// `(with send-signal SIGKILL)` → `send-signal SIGKILL`.
fn inner_text(node: &Node) -> String {
    let text = print(node);
    text.strip_prefix("(with ")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(&text)
        .to_string()
}

fn apply_modifier(m: &mut Modifiers, modifier: Modifier) {
    match modifier {
        Modifier::Report => m.report = true,
        Modifier::Message(s) => m.message = Some(s),
        Modifier::Other(s) => m.other.push(s),
    }
}
