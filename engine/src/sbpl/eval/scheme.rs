//! The Scheme core that real profiles' helpers need: `define`, `lambda`, `cond`, `let` (named
//! `let` included) and calling user functions.

use std::rc::Rc;

use super::{Ctx, Evaluator, MAX_DEPTH};
use crate::sbpl::env::{Env, EnvRef};
use crate::sbpl::sexpr::{Datum, Node};
use crate::sbpl::source::FileId;
use crate::sbpl::value::{Closure, Truth, Value};

impl Evaluator<'_> {
    pub(super) fn define(
        &mut self,
        node: &Node,
        args: &[Node],
        env: &EnvRef,
        file: FileId,
    ) -> Value {
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

    pub(super) fn lambda(
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

    pub(super) fn cond(
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

    pub(super) fn let_form(
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

    pub(super) fn apply_closure(
        &mut self,
        c: &Rc<Closure>,
        vals: Vec<Value>,
        node: &Node,
        file: FileId,
        ctx: Ctx,
    ) -> Value {
        if self.depth >= MAX_DEPTH {
            self.exhaust(
                file,
                node.span,
                format!("calls of `{}` nest deeper than {MAX_DEPTH}", c.name),
                "a helper that recurses without end cannot be expanded",
            );
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
}

pub(super) fn formals(nodes: &[Node]) -> (Vec<String>, Option<String>) {
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

pub(super) fn quoted(node: &Node) -> Value {
    match &node.datum {
        Datum::Symbol(s) => Value::Symbol(s.clone()),
        Datum::Str(s) | Datum::RawStr(s) => Value::Str(s.clone()),
        Datum::Number { value, raw } => Value::Num(*value, Some(raw.clone())),
        Datum::Bool(b) => Value::Bool(*b),
        Datum::List(items) => Value::List(items.iter().map(quoted).collect()),
        Datum::Quote(inner) => quoted(inner),
    }
}
