//! KDL parse errors, re-labelled in our own diagnostics so the file name shows (the parser's
//! own diagnostics carry an unnamed source), with a hint for KDL 1 habits.

use std::sync::Arc;

use miette::SourceSpan;

use super::SourceFile;
use super::{Diag, codes};

/// One diagnostic per parser complaint; a KDL 1 spelling on the same line gets the KDL 2 hint
/// and the label moves onto it.
pub(crate) fn remap(file: &Arc<SourceFile>, err: &kdl::KdlError) -> Vec<Diag> {
    let mut out: Vec<Diag> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for d in &err.diagnostics {
        let span = clamp(d.span, file.text.len());
        let message = d
            .message
            .clone()
            .unwrap_or_else(|| "invalid KDL".to_string());
        let habit = kdl1_habit_near(&file.text, span.offset())
            .or_else(|| number_with_unit_at(&file.text, span.offset()));
        let is_habit = habit.as_ref().is_some_and(|(_, h)| !h.starts_with('"'));
        let (span, label, help) = match habit {
            Some((unit_span, quoted)) if quoted.starts_with('"') => (
                unit_span,
                "a number with a unit".to_string(),
                Some(format!(
                    "KDL numbers have no units: a duration or size is a string, write {quoted}"
                )),
            ),
            Some((habit_span, spelling)) => (
                habit_span,
                format!(
                    "KDL 1 spelling `{}`",
                    &file.text[habit_span.offset()..habit_span.offset() + habit_span.len()]
                ),
                Some(format!("xpr files are KDL 2.0: write {spelling}")),
            ),
            None => (
                span,
                d.label.clone().unwrap_or_else(|| "here".to_string()),
                d.help.clone(),
            ),
        };
        if !seen.insert((span.offset(), span.len())) {
            continue;
        }
        let message = if is_habit {
            "KDL 1 syntax in a KDL 2 document".to_string()
        } else {
            message
        };
        out.push(
            Diag::error(codes::KDL_SYNTAX, message)
                .at(file, span, label)
                .help_opt(help.or_else(|| Some(generic_help().to_string()))),
        );
    }
    if out.is_empty() {
        out.push(
            Diag::error(codes::KDL_SYNTAX, "invalid KDL document")
                .at(file, SourceSpan::from((0, 0)), "here")
                .help(generic_help()),
        );
    }
    out
}

fn generic_help() -> &'static str {
    "see https://kdl.dev (KDL 2.0): strings \"..\" or bare words, #true/#false/#null, raw strings #\"..\"#"
}

fn clamp(span: SourceSpan, len: usize) -> SourceSpan {
    let offset = span.offset().min(len);
    SourceSpan::from((offset, span.len().min(len - offset)))
}

/// A bare token at `offset` that is a number with letters after it (`2s`, `500ms`, `512M`):
/// its span and the token quoted, which is how xpr writes durations and sizes.
fn number_with_unit_at(text: &str, offset: usize) -> Option<(SourceSpan, String)> {
    let bytes = text.as_bytes();
    let mut start = offset.min(text.len());
    while start > 0 && !matches!(bytes[start - 1], b' ' | b'\t' | b'=' | b'\n' | b'(' | b')') {
        start -= 1;
    }
    let end = text[start..]
        .find(|c: char| c.is_whitespace() || matches!(c, ';' | '}' | '{' | ')'))
        .map_or(text.len(), |i| start + i);
    let token = &text[start..end];
    let digits = token.trim_start_matches(['-', '+']);
    let number_len = digits
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(digits.len());
    let unit = &digits[number_len..];
    let is_unit = number_len > 0
        && !unit.is_empty()
        && unit.chars().all(|c| c.is_ascii_alphabetic())
        && !unit.starts_with(['e', 'E', 'x', 'o', 'b']);
    is_unit.then(|| {
        (
            SourceSpan::from((start, end - start)),
            format!("\"{token}\""),
        )
    })
}

/// A KDL 1 token (`true`, `false`, `null`, `r#"…"#`, `r"…"`) on the line containing `offset`,
/// with the KDL 2 spelling to suggest.
fn kdl1_habit_near(text: &str, offset: usize) -> Option<(SourceSpan, String)> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[start..end];
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            break;
        }
        let boundary_before = i == 0
            || matches!(
                bytes[i - 1],
                b' ' | b'\t' | b'=' | b'{' | b';' | b'(' | b')'
            );
        if boundary_before && (line[i..].starts_with("r#\"") || line[i..].starts_with("r\"")) {
            let hashes = line[i + 1..].bytes().take_while(|b| *b == b'#').count();
            let closing = format!("\"{}", "#".repeat(hashes));
            let body_start = i + 2 + hashes;
            let len = line[body_start..]
                .find(&closing)
                .map_or(line.len() - i, |j| body_start + j + closing.len() - i);
            let hashes = hashes.max(1);
            let spelling = format!(
                "the raw string as `{}\"…\"{}`",
                "#".repeat(hashes),
                "#".repeat(hashes)
            );
            return Some((SourceSpan::from((start + i, len)), spelling));
        }
        if c == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if boundary_before {
            for word in ["true", "false", "null"] {
                let after = line.as_bytes().get(i + word.len());
                let boundary_after =
                    after.is_none_or(|b| matches!(b, b' ' | b'\t' | b';' | b'}' | b')'));
                if line[i..].starts_with(word) && boundary_after {
                    return Some((
                        SourceSpan::from((start + i, word.len())),
                        format!("`#{word}`"),
                    ));
                }
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_kdl1_keywords_and_raw_strings() {
        let text = "a x=true\nb \"true\" y=null\nc r#\"raw\"#\n";
        assert_eq!(kdl1_habit_near(text, 3).unwrap().1, "`#true`");
        assert_eq!(kdl1_habit_near(text, 12).unwrap().1, "`#null`");
        let (span, spelling) = kdl1_habit_near(text, 27).unwrap();
        assert_eq!(
            &text[span.offset()..span.offset() + span.len()],
            "r#\"raw\"#"
        );
        assert!(spelling.contains("#\"…\"#"));
    }
}
