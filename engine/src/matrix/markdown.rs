//! `matrix.md`: the worlds, then one table row per expectation; a cell that differs from the
//! first world's is in bold, a mismatch is marked.

use super::document::{Cell, CellStatus, Change, Matrix, WorldStatus};

pub(crate) fn render(m: &Matrix) -> String {
    let mut out = format!("# {} across {} worlds\n\n", m.experiment, m.worlds.len());
    out.push_str(if m.passed {
        "Every world's expectations hold (or are known).\n\n"
    } else {
        "**Not every world's expectations hold.**\n\n"
    });
    out.push_str(
        "| world | kernel | Landlock ABI | held | known | mismatched | unexpected | status |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for w in &m.worlds {
        let status = match (w.status, &w.fault) {
            (WorldStatus::Fault, Some(f)) => format!("fault: {}", escape(f)),
            (WorldStatus::Fault, None) => "fault".into(),
            (WorldStatus::Holds, _) => "holds".into(),
            (WorldStatus::Mismatches, _) => "**mismatches**".into(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {status} |\n",
            w.name,
            w.kernel.as_deref().unwrap_or("-"),
            w.landlock_abi.map_or("-".into(), |a| a.to_string()),
            w.counts.held,
            w.counts.known,
            w.counts.mismatched,
            w.counts.unexpected,
        ));
    }
    let changed = m.rows.iter().filter(|r| r.change != Change::Same).count();
    out.push_str(&format!(
        "\n{} expectations, {changed} differ between worlds ({} declared by scoped expectations, {} findings).\n\n",
        m.rows.len(),
        m.rows.iter().filter(|r| r.change == Change::Declared).count(),
        m.rows.iter().filter(|r| r.change == Change::Finding).count(),
    ));
    out.push_str("| expectation |");
    for w in &m.worlds {
        out.push_str(&format!(" {} |", w.name));
    }
    out.push_str(" change |\n|---|");
    for _ in &m.worlds {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for r in &m.rows {
        out.push_str(&format!("| `{}` |", r.id));
        for c in &r.cells {
            out.push_str(&format!(" {} |", cell_text(c)));
        }
        out.push_str(&format!(
            " {} |\n",
            match r.change {
                Change::Same => "",
                Change::Declared => "declared",
                Change::Finding => "**finding**",
            }
        ));
    }
    out.push_str("\nCells: verdict [errno] · expectation status. Bold: differs from the first world. `xpr explain <bundle> <expectation>` explains a cell.\n");
    out
}

/// `deny EACCES · held`, `**blocked** · held`, `allow · MISMATCH`, `-`.
pub(crate) fn cell_text(c: &Cell) -> String {
    let Some(v) = c.verdict else {
        return "-".into();
    };
    let mut shown = v.as_str().to_string();
    if let Some(e) = &c.errno {
        shown.push(' ');
        shown.push_str(e);
    }
    if c.differs {
        shown = format!("**{shown}**");
    }
    let status = match c.status {
        CellStatus::Mismatch => "MISMATCH",
        other => other.as_str(),
    };
    format!("{shown} · {status}")
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
