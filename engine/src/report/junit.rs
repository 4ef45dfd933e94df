//! JUnit XML for CI systems: one test case per expectation, named by its stable id.
//!
//! Results the experiment expects nothing of are not test cases. Every case's `<system-out>`
//! holds its verdict against the expectation and the stage records of that (profile, probe)
//! and of its baseline, so a CI page shows *where* it failed (apply, exec, operation) without
//! opening the bundle; a mismatch is a `<failure>`. A documented (`known`) mismatch and a
//! probe that does not apply in the world (`skipped`) are `<skipped>`. One `<testsuite>` per
//! experiment. Output is deterministic: sorted by id, no timestamps.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::model::{Lane, StageRecord, Verdict, VerdictRecord};
use crate::sys::fs::replace_file;

/// Writes the report of `suites` (one per experiment) to `path` through a temporary sibling,
/// never through a link planted in a shared directory ([`replace_file`]).
pub fn write(path: &Path, suites: &[Suite]) -> io::Result<()> {
    replace_file(path, document(suites).as_bytes(), 0o644)
}

enum CaseResult {
    Passed,
    Failed { kind: String, message: String },
    Skipped(String),
}

/// One experiment's `<testsuite>`, with its counts for the enclosing `<testsuites>`.
#[derive(Clone, Debug)]
pub struct Suite {
    xml: String,
    tests: usize,
    failures: usize,
    skipped: usize,
    seconds: f64,
}

/// The report of one experiment: [`suite`] inside a document.
pub fn render(experiment: &str, verdicts: &[VerdictRecord], stages: &[StageRecord]) -> String {
    document(&[suite(experiment, verdicts, stages)])
}

/// The XML document around `suites`.
pub(crate) fn document(suites: &[Suite]) -> String {
    let sum = |f: fn(&Suite) -> usize| suites.iter().map(f).sum::<usize>();
    let seconds: f64 = suites.iter().map(|s| s.seconds).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"xpr\" {}>",
        counts(
            sum(|s| s.tests),
            sum(|s| s.failures),
            sum(|s| s.skipped),
            seconds
        )
    );
    for s in suites {
        xml.push_str(&s.xml);
    }
    xml.push_str("</testsuites>\n");
    xml
}

fn counts(tests: usize, failures: usize, skipped: usize, seconds: f64) -> String {
    format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{seconds:.6}\""
    )
}

/// One test case per expectation (a result the experiment expects nothing of is not a test),
/// sorted by id; every case carries its verdict, stages, errno and baseline in `<system-out>`.
pub fn suite(experiment: &str, verdicts: &[VerdictRecord], stages: &[StageRecord]) -> Suite {
    let mut sorted: Vec<&VerdictRecord> =
        verdicts.iter().filter(|v| v.expected.is_some()).collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let cases: Vec<(&VerdictRecord, CaseResult, f64)> = sorted
        .into_iter()
        .map(|v| (v, classify(v), seconds(v, stages)))
        .collect();
    let failures = cases
        .iter()
        .filter(|c| matches!(c.1, CaseResult::Failed { .. }))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.1, CaseResult::Skipped(_)))
        .count();
    let total: f64 = cases.iter().map(|c| c.2).sum();
    let name = escape(experiment);
    let mut xml = String::new();
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{name}\" {}>",
        counts(cases.len(), failures, skipped, total)
    );
    for (v, result, secs) in &cases {
        let _ = writeln!(
            xml,
            "    <testcase name=\"{}\" classname=\"{name}.{}\" time=\"{secs:.6}\">",
            escape(&v.id),
            escape(&v.profile)
        );
        match result {
            CaseResult::Passed => {}
            CaseResult::Skipped(message) => {
                let _ = writeln!(xml, "      <skipped message=\"{}\"/>", escape(message));
            }
            CaseResult::Failed { kind, message } => {
                let _ = writeln!(
                    xml,
                    "      <failure type=\"{}\" message=\"{}\"/>",
                    escape(kind),
                    escape(message)
                );
            }
        }
        let _ = writeln!(
            xml,
            "      <system-out>{}</system-out>",
            escape(&details(v, stages))
        );
        xml.push_str("    </testcase>\n");
    }
    xml.push_str("  </testsuite>\n");
    Suite {
        xml,
        tests: cases.len(),
        failures,
        skipped,
        seconds: total,
    }
}

/// The verdict against the expectation, then the stage records of every lane.
fn details(v: &VerdictRecord, stages: &[StageRecord]) -> String {
    let expected = match (v.expected, &v.expected_errno) {
        (Some(a), Some(e)) => format!("{} {e}", a.as_str()),
        (Some(a), None) => a.as_str().to_string(),
        (None, _) => "nothing".to_string(),
    };
    format!(
        "\nexpected {expected}, got {}; baseline {}{}",
        outcome(v),
        v.baseline.map_or("-", |b| b.as_str()),
        stage_text(v, stages)
    )
}

fn classify(v: &VerdictRecord) -> CaseResult {
    let reasons: Vec<String> = v.mismatches.iter().map(name).collect();
    if reasons.is_empty() {
        return match v.verdict {
            Verdict::Skipped => CaseResult::Skipped(format!(
                "skipped: {}",
                v.reason.as_deref().unwrap_or("not run")
            )),
            _ => CaseResult::Passed,
        };
    }
    let got = outcome(v);
    let expected = match (v.expected, &v.expected_errno) {
        (Some(a), Some(e)) => format!("{} {e}", a.as_str()),
        (Some(a), None) => a.as_str().to_string(),
        (None, _) => "no expectation".to_string(),
    };
    let message = format!("expected {expected}, got {got}: {}", reasons.join(", "));
    match &v.known {
        Some(known) => CaseResult::Skipped(format!("known mismatch ({known}): {message}")),
        None => CaseResult::Failed {
            kind: reasons.join(","),
            message,
        },
    }
}

fn outcome(v: &VerdictRecord) -> String {
    let mut parts = Vec::new();
    if let Some(stage) = v.stage {
        parts.push(stage.as_str().to_string());
    }
    if let Some(errno) = &v.errno {
        parts.push(errno.name.clone());
    }
    if let Some(reason) = &v.reason {
        parts.push(reason.clone());
    }
    match parts.is_empty() {
        true => v.verdict.as_str().to_string(),
        false => format!("{} ({})", v.verdict.as_str(), parts.join(", ")),
    }
}

/// The records of this (profile, probe) in every lane, plus its baseline run.
fn related<'a>(v: &VerdictRecord, stages: &'a [StageRecord]) -> Vec<&'a StageRecord> {
    let mut out: Vec<&StageRecord> = stages
        .iter()
        .filter(|s| {
            s.probe == v.probe
                && (s.profile.as_deref() == Some(v.profile.as_str())
                    || (s.lane == Lane::Baseline && s.profile.is_none()))
        })
        .collect();
    out.sort_by_key(|s| s.lane);
    out
}

fn seconds(v: &VerdictRecord, stages: &[StageRecord]) -> f64 {
    related(v, stages)
        .iter()
        .filter(|s| s.lane == Lane::Scenario)
        .map(|s| s.micros as f64 / 1e6)
        .sum()
}

/// One line per stage record: lane, then each stage's outcome with errno, status and signal.
fn stage_text(v: &VerdictRecord, stages: &[StageRecord]) -> String {
    let records = related(v, stages);
    if records.is_empty() {
        return "\nno stage records\n".to_string();
    }
    let mut text = String::new();
    for s in records {
        let errno = |e: &Option<crate::model::Errno>| {
            e.as_ref()
                .map_or(String::new(), |e| format!(" {}({})", e.name, e.raw))
        };
        let _ = write!(
            text,
            "\n{}: apply={}{}{} exec={}{} operation={}{}",
            s.lane.as_str(),
            name(&s.apply),
            s.apply_reason
                .as_ref()
                .map_or(String::new(), |r| format!(" {}", name(r))),
            errno(&s.apply_errno),
            name(&s.exec),
            errno(&s.exec_errno),
            name(&s.operation),
            errno(&s.operation_errno),
        );
        if let Some(status) = s.exit_status {
            let _ = write!(text, " exit={status}");
        }
        if let Some(signal) = s.signal {
            let _ = write!(text, " signal={signal}");
        }
        for (label, value) in [
            ("apply", &s.apply_detail),
            ("skipped", &s.skipped),
            ("detail", &s.detail),
            ("output", &s.output),
        ] {
            if let Some(value) = value {
                let _ = write!(text, "\n  {label}: {value}");
            }
        }
    }
    text.push('\n');
    text
}

/// The artifact spelling of an outcome enum (its serde name).
fn name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// XML-escapes text; characters XML 1.0 cannot carry (most control characters) become `?`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}
