//! The evaluator: runs a profile's top-level forms, expanding `define`d helpers, and collects
//! rules. What it cannot decide (a condition on a missing parameter, an undefined helper, a
//! message filter) is kept as an opaque rule or filter with its text, origin and reason.

use std::collections::BTreeSet;
use std::rc::Rc;

use crate::model::{Action, Filter, Modifiers, Origin, Rule};

use super::env::{Env, EnvRef};
use super::error::{ErrorKind, SbplError};
use super::filters::{self, Built};
use super::printer::print;
use super::reader::{Datum, Node, read};
use super::source::{FileId, SbplSource};
use super::value::{Closure, Modifier, Truth, Value};
use super::{OpaqueItem, OpaqueKind, SbplImport, SbplOptions, SbplWarning};

mod builtins;
mod imports;

/// Deepest nesting of calls before evaluation stops (a runaway recursive helper). A named-`let`
/// loop counts one level per iteration.
const MAX_DEPTH: usize = 10_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// A form whose effect is rules (top level, `begin`, function bodies called as statements).
    Stmt,
    /// A form whose value is used.
    Expr,
}

pub struct Evaluator<'o> {
    opts: &'o SbplOptions,
    pub files: Vec<SbplSource>,
    pub rules: Vec<Rule>,
    pub default: Option<(Action, Modifiers, Origin)>,
    pub version: Option<u32>,
    pub debug: Option<String>,
    pub params: BTreeSet<String>,
    pub imports: Vec<SbplImport>,
    pub opaque: Vec<OpaqueItem>,
    pub errors: Vec<SbplError>,
    pub warnings: Vec<SbplWarning>,
    import_stack: Vec<String>,
    filter_context: Vec<Filter>,
    depth: usize,
}

impl<'o> Evaluator<'o> {
    pub fn new(opts: &'o SbplOptions) -> Self {
        Evaluator {
            opts,
            files: Vec::new(),
            rules: Vec::new(),
            default: None,
            version: None,
            debug: None,
            params: BTreeSet::new(),
            imports: Vec::new(),
            opaque: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            import_stack: Vec::new(),
            filter_context: Vec::new(),
            depth: 0,
        }
    }

    /// Reads and evaluates one file in `env`. Returns false if it could not be read.
    pub fn run_file(&mut self, name: &str, text: &str, env: &EnvRef) -> bool {
        let file = self.files.len();
        self.files.push(SbplSource {
            name: name.to_string(),
            text: text.to_string(),
        });
        let forms = match read(text) {
            Ok((forms, warnings)) => {
                for (span, message) in warnings {
                    self.warnings.push(SbplWarning {
                        origin: self.files[file].origin(span),
                        message,
                        help: "write regexes as #\"…\" literals, which keep backslashes".into(),
                    });
                }
                forms
            }
            Err(e) => {
                let e = self.with_hint_for_wrapper(e, text);
                self.error(file, *e);
                return false;
            }
        };
        self.import_stack.push(name.to_string());
        for form in &forms {
            self.eval(form, env, file, Ctx::Stmt);
        }
        self.import_stack.pop();
        true
    }

    /// Nix keeps its profiles inside a C++ raw string `R""( … )""`; say so instead of a bare
    /// syntax error.
    fn with_hint_for_wrapper(&self, e: Box<SbplError>, text: &str) -> Box<SbplError> {
        if text.trim_start().starts_with("R\"\"(") {
            let mut e = e;
            e.help = Some(
                "this file is a C++ raw string `R\"\"( … )\"\"`: remove the first and last lines"
                    .into(),
            );
            e
        } else {
            e
        }
    }

    fn error(&mut self, file: FileId, e: SbplError) {
        let e = e.in_file(&self.files[file]);
        self.errors.push(e);
    }

    fn form_error(
        &mut self,
        file: FileId,
        span: (usize, usize),
        msg: String,
        label: &str,
        help: &str,
    ) {
        let e = SbplError::at(ErrorKind::Form, span, msg, label, Some(help));
        self.error(file, *e);
    }

    fn origin(&self, file: FileId, node: &Node) -> Origin {
        self.files[file].origin(node.span)
    }

    fn eval(&mut self, node: &Node, env: &EnvRef, file: FileId, ctx: Ctx) -> Value {
        match &node.datum {
            Datum::Str(s) | Datum::RawStr(s) => Value::Str(s.clone()),
            Datum::Number { value, raw } => Value::Num(*value, Some(raw.clone())),
            Datum::Bool(b) => Value::Bool(*b),
            Datum::Quote(inner) => quoted(inner),
            Datum::Symbol(s) => match Env::lookup(env, s) {
                Some(v) => v,
                None if ctx == Ctx::Stmt && self.depth == 0 => {
                    let hint = if s == "R" {
                        "this looks like a C++ raw string wrapper `R\"\"( … )\"\"`: remove the \
                         first and last lines"
                    } else {
                        "a profile is a list of forms such as `(allow file-read* …)`"
                    };
                    self.form_error(
                        file,
                        node.span,
                        format!("unexpected `{s}` at top level"),
                        "not a form",
                        hint,
                    );
                    Value::Unspecified
                }
                None => Value::Symbol(s.clone()),
            },
            Datum::List(items) => self.eval_list(node, items, env, file, ctx),
        }
    }

    fn eval_list(
        &mut self,
        node: &Node,
        items: &[Node],
        env: &EnvRef,
        file: FileId,
        ctx: Ctx,
    ) -> Value {
        let Some(head) = items.first() else {
            return Value::List(Vec::new());
        };
        let args = &items[1..];
        let Some(name) = head.as_symbol() else {
            // `((lambda …) …)` and friends: not used by real profiles.
            return self.unknown(
                node,
                file,
                ctx,
                "a call of a computed function is not modelled",
            );
        };
        // A user definition shadows builtins (entitlement-diff redefines `param`).
        if let Some(Value::Closure(c)) = Env::lookup(env, name) {
            let vals = args
                .iter()
                .map(|a| self.eval(a, env, file, Ctx::Expr))
                .collect();
            return self.apply_closure(&c, vals, node, file, ctx);
        }
        match name {
            "quote" => args.first().map_or(Value::Unspecified, quoted),
            "version" => self.version_form(node, args, file),
            "debug" => {
                self.debug = args.first().map(print);
                Value::Unspecified
            }
            "import" => self.import(node, args, env, file),
            "allow" | "deny" => self.rule_form(node, name, args, env, file),
            "with" => self.with_form(node, args, env, file),
            "with-filter" => self.with_filter(node, args, env, file),
            "apply-message-filter" => {
                let text = print(node);
                self.record_opaque(
                    OpaqueKind::Filter,
                    text.clone(),
                    self.origin(file, node),
                    "message filters (rules on individual messages) are not modelled".into(),
                );
                Value::Filters(vec![Filter::Opaque(text)])
            }
            "define" => self.define(node, args, env, file),
            "lambda" => self.lambda(node, args, env, file, "lambda"),
            "begin" => self.body(args, env, file, ctx),
            "if" => {
                if args.len() < 2 {
                    self.form_error(
                        file,
                        node.span,
                        "`if` needs a condition and a branch".into(),
                        "incomplete `if`",
                        "write `(if CONDITION THEN ELSE)`",
                    );
                    return Value::Unspecified;
                }
                match self.eval(&args[0], env, file, Ctx::Expr).truth() {
                    Truth::True => self.eval(&args[1], env, file, ctx),
                    Truth::False => match args.get(2) {
                        Some(e) => self.eval(e, env, file, ctx),
                        None => Value::Unspecified,
                    },
                    Truth::Unknown(reason) => self.unknown(node, file, ctx, &reason),
                }
            }
            "when" | "unless" => {
                let Some(cond) = args.first() else {
                    return Value::Unspecified;
                };
                match self.eval(cond, env, file, Ctx::Expr).truth() {
                    Truth::True if name == "when" => self.body(&args[1..], env, file, ctx),
                    Truth::False if name == "unless" => self.body(&args[1..], env, file, ctx),
                    Truth::Unknown(reason) => self.unknown(node, file, ctx, &reason),
                    _ => Value::Unspecified,
                }
            }
            "cond" => self.cond(node, args, env, file, ctx),
            "and" | "or" => {
                let mut last = Value::Bool(name == "and");
                for a in args {
                    let v = self.eval(a, env, file, Ctx::Expr);
                    match (v.truth(), name) {
                        (Truth::Unknown(r), _) => return self.unknown(node, file, ctx, &r),
                        (Truth::False, "and") | (Truth::True, "or") => return v,
                        _ => last = v,
                    }
                }
                last
            }
            "let" | "let*" | "letrec" => self.let_form(node, args, env, file, ctx),
            "apply" => {
                let vals: Vec<Value> = args
                    .iter()
                    .map(|a| self.eval(a, env, file, Ctx::Expr))
                    .collect();
                match (args.first().and_then(Node::as_symbol), vals.last()) {
                    (Some(f), Some(Value::List(list))) if args.len() == 2 => {
                        let list = list.clone();
                        self.call_named(f, list, node, env, file, ctx)
                    }
                    _ => self.unknown(
                        node,
                        file,
                        ctx,
                        "`apply` over a list that is not known here",
                    ),
                }
            }
            _ => {
                let vals: Vec<Value> = args
                    .iter()
                    .map(|a| self.eval(a, env, file, Ctx::Expr))
                    .collect();
                if filters::is_filter_name(name) {
                    return self.filter_form(node, name, &vals, args, file);
                }
                self.call_named(name, vals, node, env, file, ctx)
            }
        }
    }

    /// Something this evaluator cannot decide: as a statement it becomes an opaque rule, as an
    /// expression an unknown value (whatever uses it becomes opaque in turn).
    fn unknown(&mut self, node: &Node, file: FileId, ctx: Ctx, reason: &str) -> Value {
        if ctx == Ctx::Stmt {
            self.push_opaque_rule(node, file, reason.to_string());
            Value::Unspecified
        } else {
            Value::Unknown(reason.to_string())
        }
    }

    fn record_opaque(&mut self, kind: OpaqueKind, text: String, origin: Origin, reason: String) {
        self.opaque.push(OpaqueItem {
            kind,
            text,
            origin,
            reason,
        });
    }

    fn push_opaque_rule(&mut self, node: &Node, file: FileId, reason: String) {
        let mut text = print(node);
        // Keep an enclosing `(with-filter …)` so emitting does not widen the form.
        for f in self.filter_context.iter().rev() {
            text = format!("(with-filter {} {text})", super::emit::filter_text(f));
        }
        let origin = self.origin(file, node);
        self.record_opaque(OpaqueKind::Rule, text.clone(), origin.clone(), reason);
        self.rules.push(Rule::opaque_form(&text, origin));
    }

    fn body(&mut self, forms: &[Node], env: &EnvRef, file: FileId, ctx: Ctx) -> Value {
        let mut last = Value::Unspecified;
        for (i, f) in forms.iter().enumerate() {
            let c = if i + 1 == forms.len() { ctx } else { Ctx::Stmt };
            last = self.eval(f, env, file, c);
        }
        last
    }

    fn version_form(&mut self, node: &Node, args: &[Node], file: FileId) -> Value {
        match args {
            [
                Node {
                    datum: Datum::Number { value, .. },
                    ..
                },
            ] if (1..=2).contains(value) => {
                if self.version.is_none() {
                    self.version = Some(*value as u32);
                }
            }
            _ => self.form_error(
                file,
                node.span,
                "`version` takes 1 or 2".into(),
                "unsupported version",
                "write `(version 1)`",
            ),
        }
        Value::Unspecified
    }

    fn rule_form(
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
    fn contextualise(&self, alternatives: Vec<Filter>) -> Vec<Filter> {
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

    fn with_form(&mut self, node: &Node, args: &[Node], env: &EnvRef, file: FileId) -> Value {
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

    fn with_filter(&mut self, node: &Node, args: &[Node], env: &EnvRef, file: FileId) -> Value {
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

    fn filter_form(
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

    fn define(&mut self, node: &Node, args: &[Node], env: &EnvRef, file: FileId) -> Value {
        match args.first().map(|a| &a.datum) {
            Some(Datum::Symbol(name)) => {
                let v = match args.get(1) {
                    Some(e) => self.eval(e, env, file, Ctx::Expr),
                    None => Value::Unspecified,
                };
                Env::define(env, name, v);
            }
            Some(Datum::List(sig)) if sig.first().and_then(Node::as_symbol).is_some() => {
                let name = sig[0].as_symbol().unwrap_or_default().to_string();
                let (params, rest) = formals(&sig[1..]);
                let c = Closure {
                    name: name.clone(),
                    params,
                    rest,
                    body: args[1..].to_vec(),
                    env: env.clone(),
                    file,
                };
                Env::define(env, &name, Value::Closure(Rc::new(c)));
            }
            _ => self.form_error(
                file,
                node.span,
                "malformed `define`".into(),
                "here",
                "write `(define NAME VALUE)` or `(define (NAME ARG…) BODY…)`",
            ),
        }
        Value::Unspecified
    }

    fn lambda(
        &mut self,
        node: &Node,
        args: &[Node],
        env: &EnvRef,
        file: FileId,
        name: &str,
    ) -> Value {
        let (params, rest) = match args.first().map(|a| &a.datum) {
            Some(Datum::List(ps)) => formals(ps),
            Some(Datum::Symbol(s)) => (Vec::new(), Some(s.clone())),
            _ => {
                self.form_error(
                    file,
                    node.span,
                    "malformed `lambda`".into(),
                    "here",
                    "write `(lambda (ARG…) BODY…)`",
                );
                return Value::Unspecified;
            }
        };
        Value::Closure(Rc::new(Closure {
            name: name.to_string(),
            params,
            rest,
            body: args[1..].to_vec(),
            env: env.clone(),
            file,
        }))
    }

    fn cond(
        &mut self,
        node: &Node,
        clauses: &[Node],
        env: &EnvRef,
        file: FileId,
        ctx: Ctx,
    ) -> Value {
        for clause in clauses {
            let Some(parts) = clause.as_list().filter(|p| !p.is_empty()) else {
                continue;
            };
            let truth = if parts[0].as_symbol() == Some("else") {
                Truth::True
            } else {
                self.eval(&parts[0], env, file, Ctx::Expr).truth()
            };
            match truth {
                Truth::True => return self.body(&parts[1..], env, file, ctx),
                Truth::False => {}
                Truth::Unknown(r) => return self.unknown(node, file, ctx, &r),
            }
        }
        Value::Unspecified
    }

    fn let_form(
        &mut self,
        node: &Node,
        args: &[Node],
        env: &EnvRef,
        file: FileId,
        ctx: Ctx,
    ) -> Value {
        // Named let: `(let loop ((i 0)) … (loop (+ i 1)))`.
        if let Some(loop_name) = args.first().and_then(Node::as_symbol) {
            let Some(bindings) = args.get(1).and_then(Node::as_list) else {
                return self.unknown(node, file, ctx, "malformed named `let`");
            };
            let names: Vec<String> = bindings
                .iter()
                .filter_map(|b| b.as_list()?.first()?.as_symbol().map(str::to_string))
                .collect();
            let vals: Vec<Value> = bindings
                .iter()
                .map(|b| match b.as_list() {
                    Some([_, e]) => self.eval(e, env, file, Ctx::Expr),
                    _ => Value::Unspecified,
                })
                .collect();
            let scope = Env::child(env);
            let c = Rc::new(Closure {
                name: loop_name.to_string(),
                params: names,
                rest: None,
                body: args[2..].to_vec(),
                env: scope.clone(),
                file,
            });
            Env::define(&scope, loop_name, Value::Closure(c.clone()));
            return self.apply_closure(&c, vals, node, file, ctx);
        }
        let Some(bindings) = args.first().and_then(Node::as_list) else {
            return self.unknown(node, file, ctx, "malformed `let`");
        };
        let scope = Env::child(env);
        for b in bindings {
            if let Some([name, e]) = b.as_list()
                && let Some(name) = name.as_symbol()
            {
                // `let*` semantics for all three forms: harmless for real profiles.
                let v = self.eval(e, &scope, file, Ctx::Expr);
                Env::define(&scope, name, v);
            }
        }
        self.body(&args[1..], &scope, file, ctx)
    }

    fn apply_closure(
        &mut self,
        c: &Rc<Closure>,
        vals: Vec<Value>,
        node: &Node,
        file: FileId,
        ctx: Ctx,
    ) -> Value {
        if self.depth >= MAX_DEPTH {
            let e = SbplError::at(
                ErrorKind::Limit,
                node.span,
                format!("calls of `{}` nest deeper than {MAX_DEPTH}", c.name),
                "called here",
                Some("a helper that recurses without end cannot be expanded"),
            );
            self.error(file, *e);
            return Value::Unknown("recursion limit".into());
        }
        let scope = Env::child(&c.env);
        let mut vals = vals.into_iter();
        for p in &c.params {
            Env::define(
                &scope,
                p,
                vals.next()
                    .unwrap_or(Value::Unknown(format!("argument `{p}` was not passed"))),
            );
        }
        if let Some(rest) = &c.rest {
            Env::define(&scope, rest, Value::List(vals.collect()));
        }
        self.depth += 1;
        let v = self.body(&c.body, &scope, c.file, ctx);
        self.depth -= 1;
        v
    }

    fn call_named(
        &mut self,
        name: &str,
        vals: Vec<Value>,
        node: &Node,
        env: &EnvRef,
        file: FileId,
        ctx: Ctx,
    ) -> Value {
        if let Some(Value::Closure(c)) = Env::lookup(env, name) {
            return self.apply_closure(&c, vals, node, file, ctx);
        }
        if filters::is_filter_name(name) {
            return match filters::build(name, &vals, &|_| String::new()) {
                Ok(Built::Filters(fs)) => Value::Filters(fs),
                _ => self.unknown(
                    node,
                    file,
                    ctx,
                    &format!("`{name}` applied to values that are not modelled"),
                ),
            };
        }
        match self.builtin(name, &vals) {
            Some(v) => v,
            None => self.unknown(
                node,
                file,
                ctx,
                &format!(
                    "`{name}` is not defined (a helper from a prelude that was not imported?)"
                ),
            ),
        }
    }
}

fn formals(nodes: &[Node]) -> (Vec<String>, Option<String>) {
    let mut params = Vec::new();
    let mut rest = None;
    let mut it = nodes.iter();
    while let Some(n) = it.next() {
        match n.as_symbol() {
            Some(".") => rest = it.next().and_then(Node::as_symbol).map(str::to_string),
            Some(s) => params.push(s.to_string()),
            None => {}
        }
    }
    (params, rest)
}

fn quoted(node: &Node) -> Value {
    match &node.datum {
        Datum::Symbol(s) => Value::Symbol(s.clone()),
        Datum::Str(s) | Datum::RawStr(s) => Value::Str(s.clone()),
        Datum::Number { value, raw } => Value::Num(*value, Some(raw.clone())),
        Datum::Bool(b) => Value::Bool(*b),
        Datum::List(items) => Value::List(items.iter().map(quoted).collect()),
        Datum::Quote(inner) => quoted(inner),
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
