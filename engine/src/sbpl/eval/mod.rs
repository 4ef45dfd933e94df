//! The evaluator: runs a profile's top-level forms, expanding `define`d helpers, and collects
//! rules. What it cannot decide (a condition on a missing parameter, an undefined helper, a
//! message filter) is kept as an opaque rule or filter with its text, origin and reason.

use std::collections::BTreeSet;

use crate::model::{Action, Filter, Modifiers, Origin, Rule};

use super::env::{Env, EnvRef};
use super::error::{ErrorKind, SbplError};
use super::filters::{self, Built};
use super::printer::print;
use super::sexpr::{Datum, Node, read};
use super::source::{FileId, SbplSource};
use super::value::{Measure, Truth, Value};
use super::{OpaqueItem, OpaqueKind, SbplImport, SbplOptions, SbplWarning};
use scheme::quoted;

mod builtins;
mod imports;
mod rules;
mod scheme;

/// Deepest nesting of calls before evaluation stops (a runaway recursive helper). A named-`let`
/// loop counts one level per iteration.
const MAX_DEPTH: usize = 10_000;

/// Forms evaluated for one profile and its imports: a helper that calls itself twice per
/// level does 2^40 calls in little memory. A 100,000-rule profile takes about 500,000.
const MAX_STEPS: usize = 10_000_000;

/// Bytes of values one profile may build (every value an evaluation returns is counted, so
/// `(string-append x x)` nested 60 deep or `(require-any x x)` 40 deep stop here, not at 2^60).
const MAX_VALUE_BYTES: usize = 64 << 20;

/// Deepest nesting of one value's lists and filters: deeper values cannot come from the text
/// (it nests at most 64 lists) but from defines that wrap each other, and every later stage
/// (printing, compiling, dropping) walks filters recursively.
const MAX_VALUE_DEPTH: usize = 128;

/// SBPL text read for one profile: the file and every import, re-imports included.
pub(crate) const MAX_SOURCE_BYTES: usize = 64 << 20;

const NOT_SBPL_HELP: &str =
    "a file a profile or experiment names must be SBPL; nothing of a file that is not is shown";

/// Whether a file another input named fails to be SBPL: it does not read as S-expressions, or
/// its first form is not a list (a password file reads as symbols). The reason names only the
/// kind of problem, never the text.
fn not_sbpl(
    read: &Result<(Vec<Node>, Vec<super::lexer::LexWarning>), Box<SbplError>>,
) -> Option<((usize, usize), &'static str)> {
    match read {
        Err(e) => Some((
            e.span,
            match e.kind {
                ErrorKind::Preprocessor => "it has C preprocessor lines",
                ErrorKind::Limit => "it nests too deeply",
                _ => "it is not well-formed S-expressions",
            },
        )),
        Ok((forms, _)) => forms
            .first()
            .filter(|f| f.as_list().is_none())
            .map(|f| (f.span, "its first form is not a list")),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// A form whose effect is rules (top level, `begin`, function bodies called as statements).
    Stmt,
    /// A form whose value is used.
    Expr,
}

pub(crate) struct Evaluator<'o> {
    opts: &'o SbplOptions,
    pub files: Vec<SbplSource>,
    /// Where each of `files` is on disk (`None`: embedded, or given as text).
    places: Vec<Option<imports::Place>>,
    pub rules: Vec<Rule>,
    pub default: Option<(Action, Modifiers, Origin)>,
    pub version: Option<u32>,
    pub debug: Option<String>,
    pub params: BTreeSet<String>,
    pub params_unbound: BTreeSet<String>,
    pub imports: Vec<SbplImport>,
    pub opaque: Vec<OpaqueItem>,
    pub errors: Vec<SbplError>,
    pub warnings: Vec<SbplWarning>,
    import_stack: Vec<String>,
    filter_context: Vec<Filter>,
    depth: usize,
    /// Forms evaluated so far ([`MAX_STEPS`]).
    steps: usize,
    /// Bytes of values built so far ([`MAX_VALUE_BYTES`]).
    built: usize,
    /// Bytes of text read so far ([`MAX_SOURCE_BYTES`]).
    read: usize,
    /// A limit was hit: evaluation has stopped (its error is recorded once).
    exhausted: bool,
}

impl<'o> Evaluator<'o> {
    pub(crate) fn new(opts: &'o SbplOptions) -> Self {
        Evaluator {
            opts,
            files: Vec::new(),
            places: Vec::new(),
            rules: Vec::new(),
            default: None,
            version: None,
            debug: None,
            params: BTreeSet::new(),
            params_unbound: BTreeSet::new(),
            imports: Vec::new(),
            opaque: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            import_stack: Vec::new(),
            filter_context: Vec::new(),
            depth: 0,
            steps: 0,
            built: 0,
            read: 0,
            exhausted: false,
        }
    }

    /// Stops evaluation for good with one `xpr::sbpl::limit` error at `span`.
    fn exhaust(&mut self, file: FileId, span: (usize, usize), message: String, help: &str) {
        if self.exhausted {
            return;
        }
        self.exhausted = true;
        let e = SbplError::at(
            ErrorKind::Limit,
            span,
            message,
            "evaluation stopped here",
            Some(help),
        );
        self.error(file, *e);
    }

    /// Counts what a value holds against [`MAX_VALUE_BYTES`] and [`MAX_VALUE_DEPTH`].
    fn charge(&mut self, value: &Value, file: FileId, span: (usize, usize)) {
        let left = MAX_VALUE_BYTES.saturating_sub(self.built);
        let m = value.measure(left, MAX_VALUE_DEPTH);
        self.check_measure(m, file, span);
    }

    fn check_measure(&mut self, m: Measure, file: FileId, span: (usize, usize)) {
        self.built = self.built.saturating_add(m.bytes);
        if m.depth > MAX_VALUE_DEPTH {
            self.exhaust(
                file,
                span,
                format!("a value nests deeper than {MAX_VALUE_DEPTH} levels"),
                "definitions wrap each other without end; flatten them",
            );
        } else if self.built > MAX_VALUE_BYTES {
            self.exhaust(
                file,
                span,
                format!(
                    "the profile builds more than {} MiB of values",
                    MAX_VALUE_BYTES >> 20
                ),
                "a helper doubles its input at every level (`string-append x x`, `require-any x x`)?",
            );
        }
    }

    /// Evaluates the file given to [`crate::sbpl::parse`].
    pub(crate) fn run_root(&mut self, name: &str, text: &str, env: &EnvRef) {
        self.read = text.len();
        let place = imports::root_place(name, self.opts);
        self.run_file(name, text, place, env, self.opts.named_by_input);
    }

    /// Reads and evaluates one file in `env`; a file that cannot be read adds its error. A
    /// file another input `named` must read as SBPL and start with a form before anything of
    /// it is shown: otherwise one error, located, with none of its text.
    fn run_file(
        &mut self,
        name: &str,
        text: &str,
        place: Option<imports::Place>,
        env: &EnvRef,
        named: bool,
    ) {
        if self.exhausted {
            return;
        }
        let file = self.files.len();
        self.files.push(SbplSource::new(name, text));
        self.places.push(place);
        let read = read(text);
        if named && let Some((span, why)) = not_sbpl(&read) {
            let e = SbplError::at(ErrorKind::Import, span, "", "", Some(NOT_SBPL_HELP));
            let mut e = e.in_file(&self.files[file]);
            e.message = format!(
                "{}:{}:{}: not an SBPL file ({why})",
                e.file, e.line, e.column
            );
            self.errors.push(e.without_excerpt());
            return;
        }
        let forms = match read {
            Ok((forms, warnings)) => {
                for w in warnings {
                    self.warnings.push(SbplWarning {
                        origin: self.files[file].origin(w.span),
                        message: w.message,
                        help: w.help.to_string(),
                    });
                }
                forms
            }
            Err(e) => {
                let e = self.with_hint_for_wrapper(e, text);
                self.error(file, *e);
                return;
            }
        };
        self.import_stack.push(name.to_string());
        for form in &forms {
            self.eval(form, env, file, Ctx::Stmt);
        }
        self.import_stack.pop();
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

    /// Evaluates one form, within the step and value budgets; once a limit is hit every
    /// further form is skipped.
    fn eval(&mut self, node: &Node, env: &EnvRef, file: FileId, ctx: Ctx) -> Value {
        if self.exhausted {
            return Value::Unspecified;
        }
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.exhaust(
                file,
                node.span,
                format!("evaluation takes more than {MAX_STEPS} steps"),
                "a helper calls itself more than once per level, or loops without end?",
            );
            return Value::Unspecified;
        }
        let value = self.eval_form(node, env, file, ctx);
        self.charge(&value, file, node.span);
        value
    }

    fn eval_form(&mut self, node: &Node, env: &EnvRef, file: FileId, ctx: Ctx) -> Value {
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
        // Kept twice (the opaque list and the rule): both count.
        self.check_measure(
            Measure {
                bytes: 2 * text.len(),
                depth: 0,
            },
            file,
            node.span,
        );
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
        // The profile's own definitions are known; libsandbox's names are the world's question.
        if let ("defined?", [Value::Symbol(s)]) = (name, vals.as_slice())
            && Env::lookup(env, s).is_some()
        {
            return Value::Bool(true);
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
