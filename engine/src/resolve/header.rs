//! The experiment header: lanes, isolation, timeout and parameters (with `--param` overrides).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::decode::syntax::{ExperimentDecl, Text};
use crate::diagnostics::{Diag, codes, suggest};
use crate::model::{Isolation, Lane};
use crate::source::FileId;

use super::context::{Cx, MAX_SUBSTITUTED, SCRATCH, SubstError, substitute};

pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct Header {
    pub lanes: Vec<Lane>,
    pub isolation: Isolation,
    pub timeout: Duration,
}

/// Declares the parameters in order (each value may use `{scratch}` and earlier ones), then
/// applies the overrides; an override of an undeclared parameter is an error.
pub(crate) fn params(
    cx: &mut Cx,
    file: FileId,
    decl: Option<&ExperimentDecl>,
    overrides: &[(String, String)],
) {
    let mut declared: BTreeMap<String, Text> = BTreeMap::new();
    for (name, value) in decl.map(|d| d.params.as_slice()).unwrap_or_default() {
        if name.value == SCRATCH {
            let diag = cx
                .error(
                    codes::INVALID_VALUE,
                    file,
                    name.span,
                    "`scratch` is reserved",
                    "reserved name",
                )
                .help("`{scratch}` is the run's scratch root; pick another name");
            cx.push(diag);
            continue;
        }
        if let Some(first) = declared.get(&name.value) {
            let diag = cx
                .error(
                    codes::DUPLICATE_NAME,
                    file,
                    name.span,
                    format!("parameter `{}` is declared twice", name.value),
                    "declared again here",
                )
                .label(first.span, "first declared here");
            cx.push(diag);
            continue;
        }
        let value = cx.subst(file, value);
        declared.insert(name.value.clone(), name.clone());
        cx.params.insert(name.value.clone(), value);
    }
    for (name, value) in overrides {
        if !cx.params.contains_key(name) {
            let help =
                suggest::help(name, cx.params.keys().map(String::as_str)).unwrap_or_else(|| {
                    "only parameters the experiment declares with `param` can be overridden"
                        .to_string()
                });
            cx.push(
                Diag::error(
                    codes::UNDECLARED_OVERRIDE,
                    format!("--param `{name}` is not declared by the experiment"),
                )
                .help(help),
            );
            continue;
        }
        match substitute(value, &cx.params, MAX_SUBSTITUTED) {
            Ok(v) => {
                cx.params.insert(name.clone(), v);
            }
            Err(SubstError::Unknown(unknown)) => cx.push(Diag::error(
                codes::UNKNOWN_PARAM,
                format!("--param {name}: unknown parameter `{{{unknown}}}` in its value"),
            )),
            Err(SubstError::TooLong) => cx.push(Diag::error(
                codes::LIMIT_EXPANSION,
                format!(
                    "--param {name}: its value expands past {} MiB",
                    MAX_SUBSTITUTED >> 20
                ),
            )),
        }
    }
}

/// The experiment's name becomes a directory (`out/<experiment>/`): 1 to 64 letters, digits,
/// `.`, `_` or `-`, not starting with `.` (so never `..`, `/abs`, `a/b` or empty). The same
/// rule as a run's `--label`.
fn check_name(cx: &mut Cx, file: FileId, name: &Text) {
    let v = &name.value;
    let why = if v.is_empty() || v.len() > 64 {
        "has 1 to 64 characters"
    } else if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        "uses only letters, digits, `.`, `_` and `-`"
    } else if v.starts_with('.') {
        "does not start with `.`"
    } else {
        return;
    };
    let diag = cx
        .error(
            codes::EXPERIMENT_NAME,
            file,
            name.span,
            format!("experiment name `{v}` is not usable: a name {why}"),
            "not a safe name",
        )
        .help("the name is the run's output directory `out/<experiment>/`; write e.g. `experiment \"my-checks\"`");
    cx.push(diag);
}

pub(crate) fn header(cx: &mut Cx, file: FileId, decl: Option<&ExperimentDecl>) -> Header {
    let mut header = Header {
        lanes: vec![Lane::Baseline, Lane::Scenario],
        isolation: Isolation::Probe,
        timeout: DEFAULT_TIMEOUT,
    };
    let Some(decl) = decl else { return header };
    check_name(cx, file, &decl.name);
    if let Some(lanes) = &decl.lanes {
        let mut out = Vec::new();
        for lane in lanes {
            match Lane::ALL.iter().find(|l| l.as_str() == lane.value) {
                Some(l) if !out.contains(l) => out.push(*l),
                Some(_) => {}
                None => {
                    let diag = cx
                        .error(
                            codes::INVALID_VALUE,
                            file,
                            lane.span,
                            format!("unknown lane `{}`", lane.value),
                            "unknown lane",
                        )
                        .help(
                            suggest::help(&lane.value, Lane::ALL.iter().map(|l| l.as_str()))
                                .unwrap_or_else(|| {
                                    "lanes are baseline, scenario, oracle, observer".to_string()
                                }),
                        );
                    cx.push(diag);
                }
            }
        }
        if !out.contains(&Lane::Scenario) && lanes.len() == out.len() {
            let span = lanes.first().map_or(decl.keyword, |l| l.span);
            let diag = cx
                .error(
                    codes::LANES,
                    file,
                    span,
                    "the lanes must include `scenario`",
                    "no scenario lane",
                )
                .help("the scenario lane runs the probes under each profile; add `scenario`");
            cx.push(diag);
        }
        out.sort();
        header.lanes = out;
    }
    if let Some(isolation) = &decl.isolation {
        header.isolation = match isolation.value.as_str() {
            "probe" => Isolation::Probe,
            "profile" => Isolation::Profile,
            other => {
                let diag = cx
                    .error(
                        codes::INVALID_VALUE,
                        file,
                        isolation.span,
                        format!("unknown isolation `{other}`"),
                        "expected probe or profile",
                    )
                    .help_opt(suggest::help(other, ["probe", "profile"]));
                cx.push(diag);
                Isolation::Probe
            }
        };
    }
    if let Some(timeout) = &decl.timeout {
        match parse_duration(&timeout.value) {
            Some(d) if !d.is_zero() => header.timeout = d,
            _ => {
                let diag = cx
                    .error(codes::INVALID_VALUE, file, timeout.span, format!("invalid timeout `{}`", timeout.value), "not a duration")
                    .help("write a positive whole number of milliseconds or seconds: \"500ms\", \"2s\"");
                cx.push(diag);
            }
        }
    }
    header
}

/// `"<n>ms"` or `"<n>s"`.
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse::<u64>().ok().map(Duration::from_millis);
    }
    s.strip_suffix('s')?
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}
