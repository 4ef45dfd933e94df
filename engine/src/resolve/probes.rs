//! Fixtures, probe families and probes: family lookup, targets, arguments, fixture use, and
//! host safety (a destructive probe may only touch paths under `{scratch}`).

use std::collections::BTreeMap;

use crate::decode::syntax::{FamilyDecl, FixtureKindDecl, ProbeArgValue, Text, Value};
use crate::diagnostics::{codes, suggest};
use crate::model::{ArgValue, Fixture, FixtureKind, Probe};
use crate::source::FileId;

use super::context::{Cx, under_scratch};
use super::declarations::Declarations;
use crate::decode::vocabulary::{Lookup, Vocabulary};

pub const TARGET_KINDS: &[&str] = &["path", "address", "name", "command", "pid", "none"];
pub const WORLDS: &[&str] = &["linux", "macos"];

pub fn resolve_fixtures(cx: &mut Cx, decls: &Declarations) -> Vec<Fixture> {
    let mut out = Vec::new();
    for (file, f) in &decls.fixtures.items {
        let file = *file;
        let kind = match &f.kind {
            FixtureKindDecl::File {
                path,
                content,
                mode,
            } => FixtureKind::File {
                path: scratch_path(cx, file, path, "a file fixture"),
                content: content
                    .as_ref()
                    .map(|c| cx.subst(file, c))
                    .unwrap_or_default(),
                mode: mode.as_ref().map_or(0o644, |m| m.value),
            },
            FixtureKindDecl::Dir { path, mode } => FixtureKind::Dir {
                path: scratch_path(cx, file, path, "a dir fixture"),
                mode: mode.as_ref().map_or(0o755, |m| m.value),
            },
            FixtureKindDecl::TcpListener { port } => FixtureKind::TcpListener {
                port: port.as_ref().map_or(0, |p| p.value),
            },
            FixtureKindDecl::UnixListener { name } => FixtureKind::UnixListener {
                name: name
                    .as_ref()
                    .map(|n| cx.subst(file, n))
                    .unwrap_or_else(|| format!("xpr-{}", f.name.value)),
            },
            FixtureKindDecl::Process => FixtureKind::Process,
        };
        out.push(Fixture {
            name: f.name.value.clone(),
            kind,
            origin: cx.origin(file, f.name.span),
        });
    }
    out
}

/// Substitutes a fixture path, which must name something beneath `{scratch}` (never the root
/// itself, whose mode and lifetime are the run's); reports it otherwise.
fn scratch_path(cx: &mut Cx, file: FileId, path: &Text, what: &str) -> String {
    let value = cx.subst(file, path);
    let below = value
        .strip_prefix("{scratch}/")
        .is_some_and(|rest| rest.split('/').any(|c| !c.is_empty() && c != "."));
    if !under_scratch(&value) || !below {
        let message = match under_scratch(&value) {
            true => format!("{what} must name a path below {{scratch}}, not `{value}` itself"),
            false => format!("{what} must lie under {{scratch}}, not `{value}`"),
        };
        let diag = cx
            .error(
                codes::HOST_SAFETY,
                file,
                path.span,
                message,
                "outside {scratch}",
            )
            .help("fixtures are created for each run; write the path as \"{scratch}/…\"");
        cx.push(diag);
    }
    value
}

/// Checks the stdlib's family declarations themselves (operation, target kind, worlds).
pub fn check_families(cx: &mut Cx, vocab: &Vocabulary, decls: &Declarations) {
    for (file, fam) in &decls.families.items {
        let file = *file;
        match &fam.operation {
            None => {
                let diag = cx.error(
                    codes::MISSING_PROPERTY,
                    file,
                    fam.name.span,
                    format!("family `{}` has no `operation`", fam.name.value),
                    "no operation",
                );
                cx.push(diag);
            }
            Some(op) => {
                if let Lookup::Unknown { suggestion } = vocab.canonical(&op.value) {
                    let diag = cx
                        .error(
                            codes::UNKNOWN_OPERATION,
                            file,
                            op.span,
                            format!("unknown operation `{}`", op.value),
                            "not in the vocabulary",
                        )
                        .help_opt(suggestion.map(|s| format!("did you mean `{s}`?")));
                    cx.push(diag);
                }
            }
        }
        if let Some(t) = &fam.target
            && !TARGET_KINDS.contains(&t.value.as_str())
        {
            let diag = cx
                .error(
                    codes::INVALID_VALUE,
                    file,
                    t.span,
                    format!("unknown target kind `{}`", t.value),
                    "unknown kind",
                )
                .help(
                    suggest::help(&t.value, TARGET_KINDS.iter().copied())
                        .unwrap_or_else(|| TARGET_KINDS.join(", ")),
                );
            cx.push(diag);
        }
        for w in &fam.worlds {
            check_world(cx, file, w);
        }
        if let Some(arg) = &fam.destructive_with
            && !fam.args.iter().any(|a| a.name.value == arg.value)
        {
            let diag = cx.error(
                codes::INVALID_VALUE,
                file,
                arg.span,
                format!("`{}` is not an argument of this family", arg.value),
                "undeclared argument",
            );
            cx.push(diag);
        }
    }
}

pub fn check_world(cx: &mut Cx, file: FileId, w: &Text) -> bool {
    if WORLDS.contains(&w.value.as_str()) {
        return true;
    }
    let diag = cx
        .error(
            codes::UNKNOWN_WORLD,
            file,
            w.span,
            format!("unknown world `{}`", w.value),
            "unknown world",
        )
        .help(
            suggest::help(&w.value, WORLDS.iter().copied())
                .unwrap_or_else(|| "worlds are `linux` and `macos`".to_string()),
        );
    cx.push(diag);
    false
}

pub fn resolve_probes(
    cx: &mut Cx,
    vocab: &Vocabulary,
    decls: &Declarations,
    fixtures: &[Fixture],
) -> Vec<Probe> {
    let mut out = Vec::new();
    for (file, p) in &decls.probes.items {
        let file = *file;
        let Some(family_name) = &p.family else {
            continue;
        };
        let Some(fi) = decls.families.get(&family_name.value) else {
            let names: Vec<&str> = decls.families.names().collect();
            cx.unknown_ref(
                codes::UNKNOWN_FAMILY,
                "probe family",
                file,
                family_name,
                names.into_iter(),
            );
            continue;
        };
        let fam: &FamilyDecl = &decls.families.items[fi].1;
        let target_kind = fam.target.as_ref().map_or("none", |t| t.value.as_str());
        let mut used_fixtures = Vec::new();
        let mut fixture_target = None;
        if let Some(fx) = &p.fixture {
            match fixtures.iter().find(|f| f.name == fx.value) {
                Some(f) => {
                    used_fixtures.push(f.name.clone());
                    fixture_target = match &f.kind {
                        FixtureKind::File { path, .. } | FixtureKind::Dir { path, .. } => {
                            Some(path.clone())
                        }
                        FixtureKind::UnixListener { name } => Some(name.clone()),
                        _ => None,
                    };
                }
                None => {
                    let names: Vec<&str> = fixtures.iter().map(|f| f.name.as_str()).collect();
                    cx.unknown_ref(
                        codes::UNKNOWN_FIXTURE,
                        "fixture",
                        file,
                        fx,
                        names.into_iter(),
                    );
                }
            }
        }
        let mut target = p.target.as_ref().map(|t| cx.subst(file, t));
        if target_kind == "none" {
            if let Some(t) = &p.target {
                let diag = cx
                    .error(
                        codes::UNEXPECTED_TARGET,
                        file,
                        t.span,
                        format!("family `{}` takes no target", fam.name.value),
                        "not used",
                    )
                    .help("remove `target=`");
                cx.push(diag);
            }
        } else if target.is_none() {
            target = fixture_target;
            if target.is_none() && p.fixture.is_none() {
                let diag = cx
                    .error(codes::MISSING_TARGET, file, p.name.span, format!("probe `{}` needs a target ({target_kind})", p.name.value), "no target")
                    .help(format!("add `target=\"…\"` or `fixture=NAME` (family `{}` acts on a {target_kind})", fam.name.value));
                cx.push(diag);
            }
        }
        // Family arguments.
        let mut args = BTreeMap::new();
        let declared: Vec<&str> = fam.args.iter().map(|a| a.name.value.as_str()).collect();
        for arg in &p.args {
            if !declared.contains(&arg.name.value.as_str()) {
                let help = suggest::help(
                    &arg.name.value,
                    declared
                        .iter()
                        .copied()
                        .chain(super::super::decode::PROBE_PROPS.iter().copied()),
                )
                .unwrap_or_else(|| {
                    if declared.is_empty() {
                        format!("family `{}` takes no arguments", fam.name.value)
                    } else {
                        format!("family `{}` takes: {}", fam.name.value, declared.join(", "))
                    }
                });
                let diag = cx
                    .error(
                        codes::UNKNOWN_FAMILY_ARG,
                        file,
                        arg.name.span,
                        format!(
                            "family `{}` has no argument `{}`",
                            fam.name.value, arg.name.value
                        ),
                        "unknown argument",
                    )
                    .help(help);
                cx.push(diag);
                continue;
            }
            if args.contains_key(&arg.name.value) {
                let diag = cx.error(
                    codes::DUPLICATE_PROPERTY,
                    file,
                    arg.name.span,
                    format!("argument `{}` is given twice", arg.name.value),
                    "given again",
                );
                cx.push(diag);
                continue;
            }
            let value = match &arg.value.value {
                ProbeArgValue::Scalar(Value::Str(s)) => ArgValue::Str(cx.subst(
                    file,
                    &Text {
                        value: s.clone(),
                        span: arg.value.span,
                    },
                )),
                ProbeArgValue::Scalar(Value::Int(i)) => {
                    ArgValue::Int(i64::try_from(*i).unwrap_or(i64::MAX))
                }
                ProbeArgValue::Scalar(Value::Bool(b)) => ArgValue::Bool(*b),
                ProbeArgValue::List(items) => {
                    ArgValue::List(items.iter().map(|t| cx.subst(file, t)).collect())
                }
            };
            args.insert(arg.name.value.clone(), value);
        }
        for a in fam.args.iter().filter(|a| a.required) {
            if !args.contains_key(&a.name.value)
                && !p.args.iter().any(|x| x.name.value == a.name.value)
            {
                let diag = cx
                    .error(
                        codes::MISSING_FAMILY_ARG,
                        file,
                        p.name.span,
                        format!(
                            "probe `{}` lacks `{}`, which family `{}` requires",
                            p.name.value, a.name.value, fam.name.value
                        ),
                        format!("missing {}=", a.name.value),
                    )
                    .help(format!("add `{}=…`", a.name.value));
                cx.push(diag);
            }
        }
        let destructive = fam.destructive
            || fam
                .destructive_with
                .as_ref()
                .is_some_and(|a| args.contains_key(&a.value));
        if destructive {
            check_host_safety(cx, file, p, fam, target.as_deref(), &args);
        }
        // Fixtures the probe touches through its target path.
        if let Some(t) = &target {
            for f in fixtures {
                if let FixtureKind::File { path, .. } | FixtureKind::Dir { path, .. } = &f.kind {
                    let under = t == path
                        || t.strip_prefix(path.as_str())
                            .is_some_and(|r| r.starts_with('/'));
                    if under && !used_fixtures.contains(&f.name) {
                        used_fixtures.push(f.name.clone());
                    }
                }
            }
        }
        used_fixtures.sort();
        let operation = fam
            .operation
            .as_ref()
            .and_then(|o| vocab.canonical(&o.value).name().map(str::to_string))
            .unwrap_or_default();
        out.push(Probe {
            id: p.name.value.clone(),
            family: fam.name.value.clone(),
            operation,
            target,
            args,
            fixtures: used_fixtures,
            control: p.control,
            destructive,
            worlds: fam.worlds.iter().map(|w| w.value.clone()).collect(),
            origin: cx.origin(file, p.name.span),
        });
    }
    out
}

fn check_host_safety(
    cx: &mut Cx,
    file: FileId,
    p: &crate::decode::syntax::ProbeDecl,
    fam: &FamilyDecl,
    target: Option<&str>,
    args: &BTreeMap<String, ArgValue>,
) {
    let help = "destructive probes (create, truncate, unlink, rename, link, mkdir, write with content) may only touch \
                \"{scratch}/…\"; declare a fixture there";
    if let Some(t) = target
        && !under_scratch(t)
    {
        let span = p
            .target
            .as_ref()
            .or(p.fixture.as_ref())
            .map_or(p.name.span, |t| t.span);
        let diag = cx
            .error(
                codes::HOST_SAFETY,
                file,
                span,
                format!(
                    "destructive probe `{}` ({}) targets `{t}`, outside {{scratch}}",
                    p.name.value, fam.name.value
                ),
                "outside {scratch}",
            )
            .help(help);
        cx.push(diag);
    }
    for a in fam.args.iter().filter(|a| a.path) {
        if let Some(ArgValue::Str(v)) = args.get(&a.name.value)
            && !under_scratch(v)
        {
            let span = p
                .args
                .iter()
                .find(|x| x.name.value == a.name.value)
                .map_or(p.name.span, |x| x.value.span);
            let diag = cx
                .error(
                    codes::HOST_SAFETY,
                    file,
                    span,
                    format!(
                        "destructive probe `{}` writes `{}={v}`, outside {{scratch}}",
                        p.name.value, a.name.value
                    ),
                    "outside {scratch}",
                )
                .help(help);
            cx.push(diag);
        }
    }
}
