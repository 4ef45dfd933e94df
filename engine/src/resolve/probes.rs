//! Fixtures, probe families and probes: family lookup, targets, arguments, fixture use, and
//! host safety (a destructive probe may only touch paths under `{scratch}`).

use std::collections::BTreeMap;

use crate::decode::syntax::{FamilyDecl, FixtureKindDecl, ProbeArgValue, Text, Value};
use crate::diagnostics::{codes, suggest};
use crate::model::{ArgValue, Fixture, FixtureKind, Probe};
use crate::source::FileId;

use super::context::{Cx, below_scratch, under_scratch};
use super::declarations::Declarations;
use crate::decode::vocabulary::{Lookup, Vocabulary};

pub(crate) const TARGET_KINDS: &[&str] = &["path", "address", "name", "command", "pid", "none"];
pub(crate) const WORLDS: &[&str] = &["linux", "macos"];

pub(crate) fn resolve_fixtures(cx: &mut Cx, decls: &Declarations) -> Vec<Fixture> {
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
    if cx.unresolved(&value) {
        return value;
    }
    if !below_scratch(&value) {
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
pub(crate) fn check_families(cx: &mut Cx, vocab: &Vocabulary, decls: &Declarations) {
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
                if let Lookup::Unknown = vocab.canonical(&op.value) {
                    let help = cx.diags.suggest(&op.value, vocab.operation_names());
                    let diag = cx
                        .error(
                            codes::UNKNOWN_OPERATION,
                            file,
                            op.span,
                            format!("unknown operation `{}`", op.value),
                            "not in the vocabulary",
                        )
                        .help_opt(help);
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

pub(crate) fn check_world(cx: &mut Cx, file: FileId, w: &Text) -> bool {
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

pub(crate) fn resolve_probes(
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
        let mut target = p
            .target
            .as_ref()
            .map(|t| cx.subst(file, t))
            .map(|t| match target_kind {
                "path" => beneath_scratch_if_relative(t),
                _ => t,
            });
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
        if let (Some(t), Some(value)) = (&p.target, &target)
            && !cx.unresolved(value)
        {
            check_target(cx, file, fam, target_kind, t, value);
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
            let decl = fam.args.iter().find(|a| a.name.value == arg.name.value);
            let is_path = decl.is_some_and(|a| a.path);
            let value = match &arg.value.value {
                ProbeArgValue::Scalar(Value::Str(s)) => {
                    let value = cx.subst(
                        file,
                        &Text {
                            value: s.clone(),
                            span: arg.value.span,
                        },
                    );
                    ArgValue::Str(match is_path {
                        true => beneath_scratch_if_relative(value),
                        false => value,
                    })
                }
                ProbeArgValue::Scalar(Value::Int(i)) => {
                    ArgValue::Int(i64::try_from(*i).unwrap_or(i64::MAX))
                }
                ProbeArgValue::Scalar(Value::Bool(b)) => ArgValue::Bool(*b),
                ProbeArgValue::List(items) => {
                    ArgValue::List(items.iter().map(|t| cx.subst(file, t)).collect())
                }
            };
            // A value holding an unknown `{name}` was reported once already.
            let unresolved = matches!(&value, ArgValue::Str(s) if cx.unresolved(s));
            if let Some(decl) = decl.filter(|_| !unresolved) {
                check_arg_value(cx, file, fam, decl, arg, &value);
                if decl.family {
                    check_family_name(cx, decls, file, decl, arg, &value);
                }
            }
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
        let destructive = is_destructive(fam, &args);
        if destructive {
            check_host_safety(cx, file, p, fam, target.as_deref(), &args);
        }
        if target_kind == "pid" {
            check_process_target(cx, file, p, fixtures);
        }
        // `exec helper=<family>`: xpr's helper performs that family's operation on this
        // probe's target and arguments, so that family's rules apply as well.
        if let Some(helper) = helper_family(p, decls) {
            let helper = &decls.families.items[helper].1;
            if is_destructive(helper, &args) {
                check_host_safety(cx, file, p, helper, target.as_deref(), &args);
            }
            if helper.target.as_ref().is_some_and(|t| t.value == "pid") {
                check_process_target(cx, file, p, fixtures);
            }
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

/// A family is destructive itself, or when its `destructive-with` argument is given.
fn is_destructive(fam: &FamilyDecl, args: &BTreeMap<String, ArgValue>) -> bool {
    fam.destructive
        || fam
            .destructive_with
            .as_ref()
            .is_some_and(|a| args.contains_key(&a.value))
}

/// The family an `exec` probe's `helper=` names (index into the declared families), or `None`
/// when there is no helper or it names no family (`check_family_name` reports that).
fn helper_family(p: &crate::decode::syntax::ProbeDecl, decls: &Declarations) -> Option<usize> {
    let arg = p.args.iter().find(|a| a.name.value == "helper")?;
    let ProbeArgValue::Scalar(Value::Str(name)) = &arg.value.value else {
        return None;
    };
    // The helper's self-test behaviours (the runner's failure-path tests) are no family; an
    // unknown name is reported once, by the `family=#true` argument check.
    decls.families.get(name)
}

/// A probe that acts on a process (signal, process-info) may only act on one the run itself
/// creates: itself (`target="self"`) or a `process` fixture. A pid (`1`, `-1`: every process,
/// `0`: the process group), `parent` (the engine's own worker) or anything else is refused
/// here, before any run.
fn check_process_target(
    cx: &mut Cx,
    file: FileId,
    p: &crate::decode::syntax::ProbeDecl,
    fixtures: &[Fixture],
) {
    let help = "write `target=\"self\"` (the probe's own process) or `fixture=NAME` naming a \
                `process` fixture (a process the run starts outside the sandbox)";
    if let Some(t) = &p.target {
        let value = cx.subst(file, t);
        if value != "self" {
            let diag = cx
                .error(
                    codes::PROCESS_TARGET,
                    file,
                    t.span,
                    format!(
                        "probe `{}` acts on `{value}`, a process the run does not create",
                        p.name.value
                    ),
                    "not a process of the run",
                )
                .help(help);
            cx.push(diag);
        }
        return;
    }
    let Some(fx) = &p.fixture else { return };
    let kind = fixtures
        .iter()
        .find(|f| f.name == fx.value)
        .map(|f| &f.kind);
    if kind.is_some_and(|k| !matches!(k, FixtureKind::Process)) {
        let diag = cx
            .error(
                codes::PROCESS_TARGET,
                file,
                fx.span,
                format!("fixture `{}` is not a `process` fixture", fx.value),
                "not a process",
            )
            .help(help);
        cx.push(diag);
    }
}

/// A relative probe path names something beneath `{scratch}`, where every probe runs (its
/// working directory), never beneath wherever xpr was started: the plan holds it as
/// `{scratch}/<path>`.
fn beneath_scratch_if_relative(path: String) -> String {
    if path.is_empty() || path.starts_with('/') || path.starts_with("{scratch}") {
        path
    } else {
        format!("{{scratch}}/{path}")
    }
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
        && !below_scratch(t)
        && !cx.unresolved(t)
    {
        let span = p
            .target
            .as_ref()
            .or(p.fixture.as_ref())
            .map_or(p.name.span, |t| t.span);
        let place = match under_scratch(t) {
            true => "the scratch root itself",
            false => "outside {scratch}",
        };
        let diag = cx
            .error(
                codes::HOST_SAFETY,
                file,
                span,
                format!(
                    "destructive probe `{}` ({}) targets `{t}`, {place}",
                    p.name.value, fam.name.value
                ),
                place,
            )
            .help(help);
        cx.push(diag);
    }
    for a in fam.args.iter().filter(|a| a.path) {
        if let Some(ArgValue::Str(v)) = args.get(&a.name.value)
            && !below_scratch(v)
            && !cx.unresolved(v)
        {
            let span = p
                .args
                .iter()
                .find(|x| x.name.value == a.name.value)
                .map_or(p.name.span, |x| x.value.span);
            let place = match under_scratch(v) {
                true => "the scratch root itself",
                false => "outside {scratch}",
            };
            let diag = cx
                .error(
                    codes::HOST_SAFETY,
                    file,
                    span,
                    format!(
                        "destructive probe `{}` writes `{}={v}`, {place}",
                        p.name.value, a.name.value
                    ),
                    place,
                )
                .help(help);
            cx.push(diag);
        }
    }
}

/// A literal target the family's driver would refuse at run time (`invalid_probe`) is an error
/// now: a target outside the family's `values`, an empty path, an address that is not
/// `host:port` (a process is `check_process_target`'s).
fn check_target(
    cx: &mut Cx,
    file: FileId,
    fam: &FamilyDecl,
    kind: &str,
    written: &Text,
    value: &str,
) {
    // A process is checked by `check_process_target`: only `self` or a process fixture, which
    // is stricter than any pid the driver would take.
    if kind == "pid" {
        return;
    }
    let family = &fam.name.value;
    let problem: Option<(String, String)> = if !fam.target_values.is_empty() {
        (!fam.target_values.iter().any(|v| v == value)).then(|| {
            let listed = fam.target_values.join("`, `");
            (
                format!("family `{family}` cannot target `{value}`"),
                format!(
                    "target a fixture of this run (`fixture=NAME`) or `{listed}`{}",
                    suggest::help(value, fam.target_values.iter().map(String::as_str))
                        .map(|s| format!("; {s}"))
                        .unwrap_or_default()
                ),
            )
        })
    } else {
        match kind {
            "pid" if value != "self" && value.parse::<u32>().is_err() => Some((
                format!("`{value}` is not a pid"),
                "write `target=\"self\"`, a number, or use `fixture=NAME` of a `process` fixture"
                    .to_string(),
            )),
            // A relative path was already placed beneath `{scratch}`; an empty one names nothing.
            "path" if !value.starts_with('/') && !value.starts_with("{scratch}") => Some((
                "an empty path names no file".to_string(),
                "write the whole path (`/etc/hosts`) or one beneath `{scratch}` (`{scratch}/f` or `f`)".to_string(),
            )),
            "address" => address_problem(value).map(|why| {
                (
                    format!("`{value}` is not an address: {why}"),
                    "write `HOST:PORT` with an IPv4 literal or `localhost` (`127.0.0.1:80`, `:8080`), or use `fixture=NAME` of a `tcp-listener`".to_string(),
                )
            }),
            _ => None,
        }
    };
    if let Some((message, help)) = problem {
        let diag = cx
            .error(
                codes::INVALID_PROBE_ARG,
                file,
                written.span,
                message,
                "the driver refuses this",
            )
            .help(help);
        cx.push(diag);
    }
}

/// Why `host:port` (or `port`, `:port`) would not parse as the network driver reads it.
fn address_problem(value: &str) -> Option<&'static str> {
    let (host, port) = match value.rsplit_once(':') {
        Some((h, p)) => (h, p),
        None if value.parse::<u16>().is_ok() => return None,
        None => return Some("no `:PORT`"),
    };
    if port.parse::<u16>().is_err() {
        return Some("the port is not a number from 0 to 65535");
    }
    let host_ok =
        matches!(host, "" | "localhost" | "*") || host.parse::<std::net::Ipv4Addr>().is_ok();
    (!host_ok).then_some("the host is not an IPv4 literal or `localhost`")
}

/// An argument value the family declares a shape for: a list of words given as one string
/// with spaces (`argv="cat /etc/hosts"` would run a command named `cat /etc/hosts`), or a
/// value outside the family's `values`.
fn check_arg_value(
    cx: &mut Cx,
    file: FileId,
    fam: &FamilyDecl,
    decl: &crate::decode::syntax::FamilyArgDecl,
    arg: &crate::decode::syntax::ProbeArgDecl,
    value: &ArgValue,
) {
    let name = &arg.name.value;
    if decl.words {
        let single = match value {
            ArgValue::Str(s) => Some(s.as_str()),
            ArgValue::List(items) if items.len() == 1 => Some(items[0].as_str()),
            _ => None,
        };
        if let Some(s) = single.filter(|s| s.contains(char::is_whitespace)) {
            let words: Vec<String> = s
                .split_whitespace()
                .map(|w| {
                    if w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                    {
                        w.to_string()
                    } else {
                        format!("{w:?}")
                    }
                })
                .collect();
            let diag = cx
                .error(
                    codes::INVALID_PROBE_ARG,
                    file,
                    arg.value.span,
                    format!("`{name}` is a list of words, but this is one word with spaces: the command would be `{s}` as a single argument"),
                    "one word",
                )
                .help(format!(
                    "give each word as its own value in a child node: `{{ {name} {} }}`",
                    words.join(" ")
                ));
            cx.push(diag);
        }
    }
    // For a family name, `values` are the extra names it accepts (checked with the families).
    if decl.values.is_empty() || decl.family {
        return;
    }
    let given = match value {
        ArgValue::Str(s) => s.clone(),
        ArgValue::Int(_) if decl.numbers => return,
        ArgValue::Int(i) => i.to_string(),
        ArgValue::Bool(b) => b.to_string(),
        ArgValue::List(items) => items.join(" "),
    };
    if decl.values.contains(&given) || (decl.numbers && given.parse::<u32>().is_ok()) {
        return;
    }
    let listed = decl.values.join(", ");
    let help = match suggest::help(&given, decl.values.iter().map(String::as_str)) {
        Some(s) => s,
        None => format!(
            "family `{}` accepts {name}= {listed}{}",
            fam.name.value,
            if decl.numbers { ", or a number" } else { "" }
        ),
    };
    let diag = cx
        .error(
            codes::INVALID_PROBE_ARG,
            file,
            arg.value.span,
            format!(
                "`{name}={given}` is not one of {listed}{}",
                if decl.numbers { ", or a number" } else { "" }
            ),
            "not a value of this argument",
        )
        .help(help);
    cx.push(diag);
}

/// An argument that names a probe family (`helper=file-read`) must name a declared one, or one
/// of the argument's own `values` (the probe helper's self-tests).
fn check_family_name(
    cx: &mut Cx,
    decls: &Declarations,
    file: FileId,
    decl: &crate::decode::syntax::FamilyArgDecl,
    arg: &crate::decode::syntax::ProbeArgDecl,
    value: &ArgValue,
) {
    let ArgValue::Str(name) = value else {
        return;
    };
    if decls.families.get(name).is_some() || decl.values.contains(name) {
        return;
    }
    let mut names: Vec<&str> = decls.families.names().collect();
    names.extend(decl.values.iter().map(String::as_str));
    let help = suggest::help(name, names.iter().copied())
        .unwrap_or_else(|| format!("families: {}", names.join(", ")));
    let diag = cx
        .error(
            codes::INVALID_PROBE_ARG,
            file,
            arg.value.span,
            format!("`{}={name}` names no probe family", arg.name.value),
            "not a family",
        )
        .help(help);
    cx.push(diag);
}
