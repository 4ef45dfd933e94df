//! `xpr list FILE...`: what an experiment declares (profiles, probes, expectations) and which
//! (profile, probe) pairs a selection selects, before anything runs. `--format json` prints
//! one `xpr.list.v1` object per experiment, one per line.

use std::io::Write;

use serde::Serialize;

use super::*;
use crate::model::Experiment;
use crate::report::{self, width};
use crate::resolve;
use crate::run::select::{self, Selected};

/// The schema of `xpr list --format json`.
pub(crate) const LIST_SCHEMA: &str = "xpr.list.v1";

#[derive(Serialize)]
struct Listing<'a> {
    schema_version: &'static str,
    experiment: &'a str,
    file: String,
    profiles: Vec<ProfileEntry<'a>>,
    probes: Vec<ProbeEntry<'a>>,
    expectations: Vec<ExpectationEntry<'a>>,
    /// The selected pairs (`<profile>/<probe>`), in matrix order.
    selected: Vec<String>,
    selection: &'a Selected,
}

#[derive(Serialize)]
struct ProfileEntry<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    extends: Option<&'a str>,
    shims: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    sbpl: Option<&'a str>,
    rules: usize,
    origin: String,
}

#[derive(Serialize)]
struct ProbeEntry<'a> {
    id: &'a str,
    family: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    control: bool,
    destructive: bool,
    origin: String,
}

#[derive(Serialize)]
struct ExpectationEntry<'a> {
    id: &'a str,
    decision: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errno: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    known: Option<&'a str>,
    /// The worlds a scoped expectation is for (`landlock-abi=`, `mechanism=`), described.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

pub(crate) fn run(args: ListArgs, format: MessageFormat) -> Result<Outcome, Error> {
    let out_root = args.out.clone().unwrap_or_else(|| "out".into());
    let endings: Vec<Result<Outcome, Error>> = args
        .files
        .iter()
        .map(|file| exit::report(list_one(file, &args, &out_root, format), format))
        .collect();
    Ok(exit::worst(endings))
}

fn list_one(
    file: &std::path::Path,
    args: &ListArgs,
    out_root: &std::path::Path,
    format: MessageFormat,
) -> Result<Outcome, Error> {
    let loaded = resolve::load(file, &args.load.options()).map_err(Error::Invalid)?;
    crate::diagnostics::eprint(&loaded.warnings, format);
    let exp = &loaded.experiment;
    let selection = args.select.selection();
    let failed = select::reference(&selection, out_root, &exp.name)?;
    let selected = select::select(exp, &selection, failed.as_ref())?;
    let listing = listing(exp, file, &selected);
    let text = match args.format {
        OutputFormat::Json => format!(
            "{}\n",
            serde_json::to_string(&listing).expect("listing serialises")
        ),
        OutputFormat::Text => text(&listing, width::stdout_width()),
    };
    let mut out = std::io::stdout().lock();
    exit::stdout_written(
        out.write_all(text.as_bytes()).and_then(|()| out.flush()),
        "the listing",
    )?;
    Ok(Outcome::Clean)
}

fn listing<'a>(exp: &'a Experiment, file: &std::path::Path, selected: &'a Selected) -> Listing<'a> {
    let profiles = exp
        .profiles
        .iter()
        .map(|p| ProfileEntry {
            id: &p.id,
            extends: p.extends.as_deref(),
            shims: &p.shims,
            sbpl: p.sbpl_source.as_deref(),
            rules: p.source.rules.len(),
            origin: p.origin.to_string(),
        })
        .collect();
    let probes = exp
        .probes
        .iter()
        .map(|q| ProbeEntry {
            id: &q.id,
            family: &q.family,
            target: q.target.as_deref(),
            control: q.control,
            destructive: q.destructive,
            origin: q.origin.to_string(),
        })
        .collect();
    let expectations = exp
        .expectations
        .iter()
        .map(|e| ExpectationEntry {
            id: &e.id,
            decision: e.decision.as_str(),
            errno: e.errno.as_deref(),
            known: e.known.as_deref(),
            scope: e.landlock_abi.as_ref().map(|s| s.describe()),
        })
        .collect();
    let mut pairs = Vec::new();
    for (i, p) in exp.profiles.iter().enumerate() {
        for (j, q) in exp.probes.iter().enumerate() {
            if selected.mask.contains(i, j) {
                pairs.push(format!("{}/{}", p.id, q.id));
            }
        }
    }
    Listing {
        schema_version: LIST_SCHEMA,
        experiment: &exp.name,
        file: file.display().to_string(),
        profiles,
        probes,
        expectations,
        selected: pairs,
        selection: selected,
    }
}

/// Three aligned sections and the selection line.
fn text(l: &Listing, width: Option<usize>) -> String {
    let mut out = width::wrap(
        &format!("experiment {} ({})", l.experiment, l.file),
        width,
        4,
    );
    out.push('\n');
    let mut section = |title: &str, rows: Vec<[String; 3]>| {
        out.push_str(&format!("\n{title} ({})\n", rows.len()));
        out.push_str(&report::columns(
            &[],
            rows.into_iter().map(Vec::from),
            width,
            2,
        ));
    };
    section(
        "profiles",
        l.profiles
            .iter()
            .map(|p| {
                let mut how = Vec::new();
                if let Some(base) = p.extends {
                    how.push(format!("extends {base}"));
                }
                if !p.shims.is_empty() {
                    how.push(format!("shims {}", p.shims.join(", ")));
                }
                if let Some(sb) = p.sbpl {
                    how.push(format!("sbpl {sb}"));
                }
                [
                    p.id.to_string(),
                    format!("{} rule{}", p.rules, if p.rules == 1 { "" } else { "s" }),
                    how.join("; "),
                ]
            })
            .collect(),
    );
    section(
        "probes",
        l.probes
            .iter()
            .map(|q| {
                let mut marks = String::new();
                if q.control {
                    marks.push_str(" (control)");
                }
                if q.destructive {
                    marks.push_str(" (destructive)");
                }
                [
                    q.id.to_string(),
                    q.family.to_string(),
                    format!("{}{marks}", q.target.unwrap_or("-")),
                ]
            })
            .collect(),
    );
    section(
        "expectations",
        l.expectations
            .iter()
            .map(|e| {
                let mut decision = match e.errno {
                    Some(errno) => format!("{} {errno}", e.decision),
                    None => e.decision.to_string(),
                };
                if let Some(scope) = &e.scope {
                    decision.push_str(&format!(" ({scope})"));
                }
                let known = e.known.map_or(String::new(), |k| format!("known: {k}"));
                [e.id.to_string(), decision, known]
            })
            .collect(),
    );
    let s = l.selection;
    out.push_str(&format!(
        "\nselected: {} of {} pairs ({})\n",
        s.pairs, s.total, s.expression
    ));
    if s.pairs < s.total {
        for id in &l.selected {
            out.push_str(&format!("  {id}\n"));
        }
    }
    out
}
