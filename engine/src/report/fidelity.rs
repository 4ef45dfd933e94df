//! Per-rule fidelity of a profile in one world, as `xpr check` prints it: one line per rule
//! (where, how faithfully, by which means, the rule, why), and for a profile that will not be
//! enforced as written, the nearest rewrite this world can express.
//!
//! The columns come from the compile result itself: every field of [`RuleFidelity`] beyond
//! the rule's place, text, level and note (today none; the enforcing mechanisms once compile
//! reports them) becomes a column, so what compile learns to say shows here without a change.

use std::fmt::Write;

use crate::model::{Action, Fidelity, Filter, ProfileIr, RuleFidelity};

/// The fields every row shows in fixed places; any other field is an extra column.
const FIXED: &[&str] = &["rule", "origin", "text", "fidelity", "note"];

/// The verdict on a whole profile in one world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProfileFidelity {
    Exact,
    /// Enforced, but some rule only approximately.
    Approximate,
    /// Apply is refused: every scenario probe of the profile will be `blocked`.
    Blocked,
}

impl ProfileFidelity {
    pub(crate) fn of(fidelity: &[RuleFidelity], blocked: bool) -> ProfileFidelity {
        if blocked {
            ProfileFidelity::Blocked
        } else if fidelity.iter().any(|r| r.fidelity != Fidelity::Exact) {
            ProfileFidelity::Approximate
        } else {
            ProfileFidelity::Exact
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProfileFidelity::Exact => "exact",
            ProfileFidelity::Approximate => "approximate",
            ProfileFidelity::Blocked => "blocked",
        }
    }
}

/// The table of one profile: a heading, then one indented row per rule (the default first).
pub(crate) fn fidelity_table(
    profile: &str,
    fidelity: &[RuleFidelity],
    verdict: ProfileFidelity,
    blocked: Option<&str>,
) -> String {
    let mut out = String::new();
    let _ = write!(out, "profile {profile}: {}", verdict.as_str());
    if let Some(why) = blocked {
        let _ = write!(out, " ({why})");
    }
    out.push('\n');
    let rows: Vec<Row> = fidelity.iter().map(Row::of).collect();
    let at_width = rows.iter().map(|r| r.at.len()).max().unwrap_or(0);
    let extra_width = rows.iter().map(|r| r.extra.len()).max().unwrap_or(0);
    for row in rows {
        let _ = write!(out, "  {:<at_width$}  {:<11}", row.at, row.level);
        if extra_width > 0 {
            let _ = write!(out, "  {:<extra_width$}", row.extra);
        }
        let _ = write!(out, "  {}", row.text);
        if let Some(note) = row.note {
            let _ = write!(out, "  — {note}");
        }
        out.push('\n');
    }
    out
}

struct Row {
    at: String,
    level: &'static str,
    extra: String,
    text: String,
    note: Option<String>,
}

impl Row {
    fn of(r: &RuleFidelity) -> Row {
        let at = match r.rule {
            Some(_) if r.origin.line > 0 => {
                format!("{}:{}:{}", r.origin.file, r.origin.line, r.origin.column)
            }
            Some(i) => format!("rule {i}"),
            None => "default".to_string(),
        };
        let level = match r.fidelity {
            Fidelity::Exact => "exact",
            Fidelity::Approximate => "approximate",
            Fidelity::Unsupported => "unsupported",
        };
        Row {
            at,
            level,
            extra: extra_columns(r),
            text: r.text.replace('\n', " "),
            note: r.note.clone(),
        }
    }
}

/// The fields of the row beyond [`FIXED`], as `a+b` for a list and the value otherwise.
fn extra_columns(r: &RuleFidelity) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(r) else {
        return String::new();
    };
    let mut cells = Vec::new();
    for (key, value) in map {
        if FIXED.contains(&key.as_str()) {
            continue;
        }
        let cell = match value {
            serde_json::Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("+"),
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => continue,
            other => other.to_string(),
        };
        if !cell.is_empty() {
            cells.push(cell);
        }
    }
    cells.join(" ")
}

/// The nearest rewrite this world can express, for a profile that is blocked or approximate:
/// `None` when there is nothing better to say than the rule's own note.
pub(crate) fn rewrite_advice(ir: &ProfileIr, fidelity: &[RuleFidelity]) -> Option<String> {
    let unsupported: Vec<&RuleFidelity> = fidelity
        .iter()
        .filter(|r| r.fidelity == Fidelity::Unsupported)
        .collect();
    let note = |r: &RuleFidelity| r.note.clone().unwrap_or_default();
    // A deny carved out of what is allowed: Landlock only grants, so invert it into an
    // allow-list of what may be written, read or connected to.
    let carve = unsupported
        .iter()
        .find(|r| note(r).contains("cannot subtract") || note(r).contains("cannot carve"));
    if let Some(r) = carve {
        let denied = r
            .rule
            .and_then(|i| ir.rules.get(i))
            .map(|rule| rule.operations.join(" "))
            .unwrap_or_else(|| "the denied operations".to_string());
        let paths = r
            .rule
            .and_then(|i| ir.rules.get(i))
            .map(|rule| filter_paths(&rule.filters))
            .unwrap_or_default();
        let grant = if denied.contains("network") {
            "allow network-outbound { remote tcp \"*:PORT\" }` for each port it may use (Landlock ABI 4 or later) and `allow file-write* { subpath \"{scratch}\" }"
        } else if denied.contains("read") {
            "allow file-read* { subpath \"/usr\" }` for each tree it may read, and `allow file-write* { subpath \"{scratch}\" }"
        } else {
            "allow file-write* { subpath \"{scratch}\" }"
        };
        let what = if paths.is_empty() {
            String::new()
        } else {
            format!(" (here: {})", paths.join(", "))
        };
        let base = if ir.default == Action::Allow {
            "`default allow`"
        } else {
            "the rule that allows the enclosing subtree"
        };
        return Some(format!(
            "Landlock grants and cannot take away: write the profile as an allow-list. Replace {base} + `deny {denied}`{what} with `default deny`, the reads the command needs (`allow file-read*`), and allows of only what it may do, e.g. `{grant}`; everything not allowed is then denied"
        ));
    }
    if let Some(r) = unsupported
        .iter()
        .find(|r| note(r).contains("ABI") || note(r).contains("not available"))
    {
        return Some(format!(
            "{}; choose a world whose kernel has it (`--world`, `--landlock-abi`), or drop the rule and expect the probes it guards to differ there",
            note(r)
        ));
    }
    if let Some(r) = unsupported.first() {
        return Some(format!(
            "rewrite or drop `{}`: {}",
            r.text.replace('\n', " "),
            note(r)
        ));
    }
    let approximate: Vec<&RuleFidelity> = fidelity
        .iter()
        .filter(|r| r.rule.is_some() && r.fidelity == Fidelity::Approximate)
        .collect();
    let first = approximate.first()?;
    Some(format!(
        "{} enforced only approximately (first: `{}`: {}); expect probes near them to differ from Seatbelt, or narrow the rule to a path filter (`subpath`, `literal`)",
        if approximate.len() == 1 {
            "1 rule is".to_string()
        } else {
            format!("{} rules are", approximate.len())
        },
        first.text.replace('\n', " "),
        note(first)
    ))
}

fn filter_paths(filters: &[Filter]) -> Vec<String> {
    filters
        .iter()
        .filter_map(|f| match f {
            Filter::Subpath(p) | Filter::Literal(p) | Filter::Prefix(p) => Some(p.clone()),
            Filter::Remote(a) | Filter::Local(a) => Some(match a.port {
                Some(port) => format!("{} port {port}", a.proto),
                None => format!("{} {}", a.proto, a.host),
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Origin, Rule};

    /// Built from JSON, as a bundle stores it, so fields compile adds later default here.
    fn row(rule: Option<usize>, fidelity: Fidelity, text: &str, note: &str) -> RuleFidelity {
        serde_json::from_value(serde_json::json!({
            "rule": rule,
            "origin": {"file": "x.kdl", "line": rule.map_or(0, |i| i + 3), "column": 5},
            "text": text,
            "fidelity": fidelity,
            "note": (!note.is_empty()).then_some(note),
        }))
        .expect("a RuleFidelity")
    }

    #[test]
    fn a_table_row_per_rule_default_first() {
        let rows = [
            row(None, Fidelity::Exact, "(allow default)", ""),
            row(
                Some(0),
                Fidelity::Unsupported,
                "(deny file-write*)",
                "cannot subtract",
            ),
        ];
        let table = fidelity_table("agent", &rows, ProfileFidelity::Blocked, Some("why"));
        assert_eq!(
            table,
            "profile agent: blocked (why)\n  \
             default    exact        (allow default)\n  \
             x.kdl:3:5  unsupported  (deny file-write*)  — cannot subtract\n"
        );
        assert_eq!(
            ProfileFidelity::of(&rows, false),
            ProfileFidelity::Approximate
        );
        assert_eq!(
            ProfileFidelity::of(&rows[..1], false),
            ProfileFidelity::Exact
        );
    }

    #[test]
    fn a_carve_out_is_rewritten_as_an_allow_list() {
        let ir = ProfileIr::new(
            Action::Allow,
            vec![Rule {
                action: Action::Deny,
                operations: vec!["file-write*".into()],
                filters: vec![Filter::Subpath("{scratch}/.ssh".into())],
                modifiers: Default::default(),
                origin: Origin::default(),
            }],
        );
        let rows = [row(
            Some(0),
            Fidelity::Unsupported,
            "(deny file-write* (subpath \"{scratch}/.ssh\"))",
            "denies subpath {scratch}/.ssh while the default allows everything: Landlock cannot subtract",
        )];
        let advice = rewrite_advice(&ir, &rows).unwrap();
        assert!(
            advice.contains("`default allow` + `deny file-write*` (here: {scratch}/.ssh)"),
            "{advice}"
        );
        assert!(advice.contains("`default deny`"), "{advice}");
        assert!(
            advice.contains("allow file-write* { subpath \"{scratch}\" }"),
            "{advice}"
        );
        // Nothing to say about an exact profile.
        assert_eq!(
            rewrite_advice(&ir, &[row(Some(0), Fidelity::Exact, "r", "")]),
            None
        );
    }
}
