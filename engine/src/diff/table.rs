//! The diff for people: one aligned table per non-empty group, most important first, and a
//! one-line summary. Only the run ids and world ids identify the bundles (never host paths),
//! so the output is stable enough to snapshot.

use std::fmt::Write;

use serde_json::Value;

use super::expectations::{Aspect, ExpectationChange, Outcome};
use super::fidelity::RuleState;
use super::{BundleDiff, Side};
use crate::report::columns;
use crate::report::width::wrap;

const ABSENT: &str = "—";

/// The diff as text; with `width`, every line fits it (table cells wrap inside their column).
pub fn render(d: &BundleDiff, width: Option<usize>) -> String {
    let mut out = String::new();
    let line = |text: String| wrap(&text, width, 3) + "\n";
    out.push_str(&line(format!("A  {}", side(&d.a))));
    out.push_str(&line(format!("B  {}", side(&d.b))));
    // Across formats another harness's flags are not compared, but they explain a change.
    let context = !d.compared.contains(&Aspect::Flags);
    if !d.verdicts.is_empty() {
        group(
            &mut out,
            width,
            "verdict changes",
            d.verdicts.len(),
            &["expectation", "A", "B"],
            d.verdicts
                .iter()
                .flat_map(|c| expectation_rows(c, false, context)),
        );
    }
    if !d.outcomes.is_empty() {
        group(
            &mut out,
            width,
            "stage and errno changes",
            d.outcomes.len(),
            &["expectation", "changed", "A", "B"],
            d.outcomes
                .iter()
                .flat_map(|c| expectation_rows(c, true, context)),
        );
    }
    if !d.world_facts.is_empty() {
        group(
            &mut out,
            width,
            "world facts",
            d.world_facts.len(),
            &["fact", "A", "B"],
            d.world_facts
                .iter()
                .map(|f| vec![f.key.clone(), json(&f.a), json(&f.b)]),
        );
    }
    if !d.inputs.is_empty() {
        group(
            &mut out,
            width,
            "inputs",
            d.inputs.len(),
            &["input", "A", "B"],
            d.inputs
                .iter()
                .map(|i| vec![i.path.clone(), digest(&i.a), digest(&i.b)]),
        );
    }
    if !d.vocabulary.is_empty() {
        group(
            &mut out,
            width,
            "vocabulary",
            d.vocabulary.len(),
            &["name", "A", "B"],
            d.vocabulary.iter().map(|v| {
                let kind = match v.kind {
                    super::VocabularyKind::Operation => "operation",
                    super::VocabularyKind::Family => "family",
                };
                vec![format!("{kind} {}", v.name), text(&v.a), text(&v.b)]
            }),
        );
    }
    if !d.fidelity.is_empty() {
        group(
            &mut out,
            width,
            "fidelity",
            d.fidelity.len(),
            &["rule", "A", "B"],
            d.fidelity.iter().map(|f| {
                let rule = f
                    .rule
                    .map_or("default".to_string(), |n| format!("rule {n}"));
                vec![
                    format!("{} {rule} {}", f.profile, f.text),
                    rule_state(&f.a, &f.b),
                    rule_state(&f.b, &f.a),
                ]
            }),
        );
    }
    if !d.artifacts.is_empty() {
        group(
            &mut out,
            width,
            "artifacts",
            d.artifacts.len(),
            &["artifact", "digest"],
            d.artifacts
                .iter()
                .map(|a| vec![a.path.clone(), a.status.as_str().to_string()]),
        );
    }
    for note in &d.notes {
        out.push('\n');
        out.push_str(&line(format!("note: {note}")));
    }
    out.push('\n');
    if d.identical {
        out.push_str("identical: no differences in meaning or artifacts\n");
    } else {
        let parts: Vec<String> = d
            .counts()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{n} {name}"))
            .collect();
        out.push_str(&line(format!("different: {}", parts.join(", "))));
    }
    out
}

fn side(s: &Side) -> String {
    format!(
        "run {}  world {}  ({})",
        s.run_id,
        s.world_id,
        s.format.as_str()
    )
}

/// A titled group: column headers, then the rows in aligned columns that fit `width`.
/// `count` is the number of changes (an expectation may take several rows).
fn group(
    out: &mut String,
    width: Option<usize>,
    title: &str,
    count: usize,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) {
    let _ = writeln!(out, "\n{title} ({count})");
    out.push_str(&columns(headers, rows, width, 2));
}

/// The expectation's row, then one indented row per changed field of another harness's record
/// (and, across formats, its flags: not compared, but they explain a change).
fn expectation_rows(c: &ExpectationChange, with_aspects: bool, context: bool) -> Vec<Vec<String>> {
    // The verdict, stage, errno and reason are always shown; other details only if they changed.
    let details: Vec<Aspect> = c
        .aspects
        .iter()
        .copied()
        .filter(|a| with_aspects || *a != Aspect::Evidence)
        .collect();
    // `details` keeps `Verdict` for verdict rows, so a long reason shows only its head there.
    let describe = |o: &Option<Outcome>| {
        o.as_ref()
            .map_or(ABSENT.to_string(), |o| outcome(o, &details))
    };
    let mut row = vec![c.id.clone()];
    let own: Vec<&str> = c
        .aspects
        .iter()
        .filter(|a| !a.is_foreign())
        .map(|a| a.as_str())
        .collect();
    if with_aspects {
        row.push(format!("[{}]", own.join(",")));
    }
    row.push(describe(&c.a));
    row.push(describe(&c.b));
    let mut rows = vec![row];
    let mut sub = |name: String, aspect: Aspect| {
        let mut r = vec![format!("  {name}")];
        if with_aspects {
            r.push(String::new());
        }
        r.push(foreign_value(&c.a, aspect));
        r.push(foreign_value(&c.b, aspect));
        rows.push(r);
    };
    for aspect in c.aspects.iter().filter(|a| a.is_foreign()) {
        sub(aspect.as_str().to_string(), *aspect);
    }
    let flagged = |o: &Option<Outcome>| {
        o.as_ref()
            .and_then(|o| o.foreign.as_ref())
            .is_some_and(|f| !f.flags.is_empty())
    };
    if context && (flagged(&c.a) || flagged(&c.b)) {
        sub("flags (not compared)".to_string(), Aspect::Flags);
    }
    rows
}

/// `deny (operation, EACCES)`, plus the changed details and ` ✗ reasons` for mismatches.
fn outcome(o: &Outcome, aspects: &[Aspect]) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(stage) = o.stage {
        parts.push(stage.as_str().to_string());
    }
    if let Some(errno) = &o.errno {
        parts.push(errno.name.clone());
    }
    if let Some(reason) = &o.reason {
        // The reason's head (`not_applicable_in_world`); its detail is in the JSON and the
        // fidelity group.
        // Shown whole when the reason is all that changed.
        let head = reason
            .split_once(": ")
            .map_or(reason.as_str(), |(head, _)| head);
        let whole = aspects.contains(&Aspect::Reason) && !aspects.contains(&Aspect::Verdict);
        parts.push(if whole {
            reason.clone()
        } else {
            head.to_string()
        });
    }
    for aspect in aspects {
        match aspect {
            Aspect::Baseline => parts.push(format!(
                "baseline {}",
                o.baseline.map_or(ABSENT, |v| v.as_str())
            )),
            Aspect::Expected => parts.push(format!(
                "expected {}{}",
                o.expected.map_or(ABSENT, |a| a.as_str()),
                o.expected_errno
                    .as_ref()
                    .map_or(String::new(), |e| format!(" {e}"))
            )),
            Aspect::Evidence => parts.push(format!(
                "evidence {}",
                json(&serde_json::to_value(o.evidence).ok())
            )),
            Aspect::Known => parts.push(format!("known {}", o.known.as_deref().unwrap_or(ABSENT))),
            _ => {}
        }
    }
    let mut text = o.verdict.as_str().to_string();
    if !parts.is_empty() {
        let _ = write!(text, " ({})", parts.join(", "));
    }
    if !o.mismatches.is_empty() {
        let reasons: Vec<String> = o
            .mismatches
            .iter()
            .map(|m| json(&serde_json::to_value(m).ok()))
            .collect();
        let _ = write!(text, " ✗ {}", reasons.join(","));
        if o.known.is_some() {
            text.push_str(" (known)");
        }
    }
    text
}

/// One field of another harness's record (`—` when absent or when the side has none).
fn foreign_value(o: &Option<Outcome>, aspect: Aspect) -> String {
    let Some(f) = o.as_ref().and_then(|o| o.foreign.as_ref()) else {
        return ABSENT.to_string();
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| ABSENT.to_string());
    let list = |v: &[String]| {
        if v.is_empty() {
            ABSENT.to_string()
        } else {
            v.join(", ")
        }
    };
    match aspect {
        Aspect::Actual => opt(&f.actual),
        Aspect::FailureStage => opt(&f.failure_stage),
        Aspect::FailureKind => opt(&f.failure_kind),
        Aspect::ExitCode => f.exit_code.map_or(ABSENT.to_string(), |e| e.to_string()),
        Aspect::MismatchClasses => list(&f.mismatch_classes),
        Aspect::MismatchReason => opt(&f.mismatch_reason),
        Aspect::Harness => opt(&f.harness),
        Aspect::Lanes => list(&f.lanes),
        Aspect::Flags => list(&f.flags),
        Aspect::Operation => opt(&f.operation),
        Aspect::Target => opt(&f.target),
        Aspect::SourceId => opt(&f.source_id),
        _ => ABSENT.to_string(),
    }
}

/// A JSON value compactly; strings without quotes.
fn json(v: &Option<Value>) -> String {
    match v {
        None => ABSENT.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| ABSENT.to_string())
}

fn digest(v: &Option<String>) -> String {
    v.as_ref()
        .map_or(ABSENT.to_string(), |d| d.chars().take(12).collect())
}

/// `fidelity: note`; a note sharing a long opening with the other side's shows only from
/// the clause where they part (`…`), so the change is visible in a terminal.
fn rule_state(s: &Option<RuleState>, other: &Option<RuleState>) -> String {
    let Some(state) = s else {
        return ABSENT.to_string();
    };
    let Some(note) = &state.note else {
        return state.fidelity.clone();
    };
    let other_note = other.as_ref().and_then(|o| o.note.as_deref()).unwrap_or("");
    format!("{}: {}", state.fidelity, from_divergence(note, other_note))
}

/// `text` from the start of the clause (after `; `, `: ` or `. `) in which it first differs
/// from `other`; the whole text when that clause is near the start.
fn from_divergence(text: &str, other: &str) -> String {
    let common = text
        .char_indices()
        .zip(other.chars())
        .find(|((_, a), b)| a != b)
        .map_or(text.len().min(other.len()), |((i, _), _)| i);
    let start = ["; ", ": ", ". "]
        .iter()
        .filter_map(|sep| text[..common].rfind(sep).map(|i| i + sep.len()))
        .max()
        .unwrap_or(0);
    if start < 24 {
        text.to_string()
    } else {
        format!("…{}", &text[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::from_divergence;

    #[test]
    fn long_shared_openings_are_elided() {
        let a = "only Landlock-handled rights become default-deny: stat and more; not in ABI 7: x";
        let b =
            "only Landlock-handled rights become default-deny: stat and more; not in ABI 3: x, y";
        assert_eq!(from_divergence(a, b), "…not in ABI 7: x");
        assert_eq!(from_divergence(b, a), "…not in ABI 3: x, y");
        assert_eq!(from_divergence("short; a", "short; b"), "short; a");
        assert_eq!(from_divergence(a, ""), a);
    }
}
