//! The status line of one (profile, probe) as soon as it is classified, nextest-style, printed
//! above the progress bar: failures always, every result with `-v`.

use crate::model::VerdictRecord;

/// `  MISMATCH [  0.012s] read_foo/read-hosts: expected deny EPERM, got deny (operation,
/// EACCES): errno_differs`; the word is coloured when `colour`.
pub(crate) fn status(v: &VerdictRecord, micros: u64, colour: bool) -> String {
    let (word, paint) = match (v.expected, v.mismatches.is_empty(), v.known.is_some()) {
        (None, ..) => ("RESULT", anstyle::AnsiColor::Cyan),
        (Some(_), true, _) => ("OK", anstyle::AnsiColor::Green),
        (Some(_), false, true) => ("KNOWN", anstyle::AnsiColor::Yellow),
        (Some(_), false, false) => ("MISMATCH", anstyle::AnsiColor::Red),
    };
    let style = anstyle::Style::new().fg_color(Some(paint.into())).bold();
    let word = if colour {
        format!("{style}{word:>10}{style:#}")
    } else {
        format!("{word:>10}")
    };
    let mut got = v.verdict.as_str().to_string();
    let detail: Vec<&str> = v
        .stage
        .map(|s| s.as_str())
        .into_iter()
        .chain(v.errno.as_ref().map(|e| e.name.as_str()))
        .collect();
    if !detail.is_empty() {
        got.push_str(&format!(" ({})", detail.join(", ")));
    }
    let text = match v.expected {
        None => got,
        Some(a) => {
            let errno = v
                .expected_errno
                .as_ref()
                .map_or(String::new(), |e| format!(" {e}"));
            let mut t = format!("expected {}{errno}, got {got}", a.as_str());
            if !v.mismatches.is_empty() {
                let reasons: Vec<String> = v
                    .mismatches
                    .iter()
                    .map(|r| {
                        serde_json::to_value(r).map_or(String::new(), |s| {
                            s.as_str().unwrap_or_default().to_string()
                        })
                    })
                    .collect();
                t.push_str(&format!(": {}", reasons.join(",")));
            }
            t
        }
    };
    format!("{word} [{:>7.3}s] {}: {text}", micros as f64 / 1e6, v.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Errno, Evidence, MismatchReason, Stage, Verdict};

    #[test]
    fn says_what_was_expected_what_came_and_why_it_failed() {
        let v = VerdictRecord {
            id: "read_foo/read-hosts".into(),
            profile: "read_foo".into(),
            probe: "read-hosts".into(),
            verdict: Verdict::Deny,
            stage: Some(Stage::Operation),
            errno: Some(Errno {
                raw: 13,
                name: "EACCES".into(),
            }),
            baseline: Some(Verdict::Allow),
            expected: Some(Action::Deny.into()),
            expected_errno: Some("EPERM".into()),
            mismatches: vec![MismatchReason::ErrnoDiffers],
            known: None,
            evidence: Evidence::Syscall,
            reason: None,
            witness: None,
            shim_divergence: None,
            mount: None,
        };
        assert_eq!(
            status(&v, 12_000, false),
            "  MISMATCH [  0.012s] read_foo/read-hosts: expected deny EPERM, got deny \
             (operation, EACCES): errno_differs"
        );
        assert!(status(&v, 12_000, true).contains("\x1b["));
    }
}
