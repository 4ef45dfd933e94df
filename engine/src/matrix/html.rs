//! `matrix.html`: one self-contained page (inline style, no script, no network, no external
//! asset). Rows are expectations, columns worlds; a cell that differs from the first world's
//! is highlighted, a mismatch is red; every cell links to its explanation further down the
//! page (the bundle's `xpr explain` text) and to the bundle's `summary.md`.

use std::collections::BTreeMap;

use super::document::{Cell, CellStatus, Change, Matrix, WorldStatus};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.25em .5em;\
text-align:left;vertical-align:top}th{background:#eee}td.cell a{color:inherit;text-decoration:none}\
.held{background:#e6f4e6}.known{background:#fff6d6}.mismatch{background:#f8d0d0;font-weight:bold}\
.unexpected{background:#eef}.absent{color:#999}.differs{outline:3px solid #d08000;outline-offset:-3px}\
tr.finding th{color:#b00000}tr.declared th{color:#805000}code,pre{font-family:ui-monospace,monospace}\
pre{background:#f6f6f6;padding:.5em;overflow-x:auto}.legend span{padding:0 .5em;margin-right:.5em}";

/// `explanations[world index][expectation id]`: the text each cell links to.
pub(crate) fn render(m: &Matrix, explanations: &[BTreeMap<String, String>]) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str(&format!(
        "<title>{} across {} worlds</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&m.experiment),
        m.worlds.len()
    ));
    out.push_str(&format!(
        "<h1 id=\"title\">{} across {} worlds</h1>\n<p id=\"verdict\">{}</p>\n",
        esc(&m.experiment),
        m.worlds.len(),
        if m.passed {
            "Every world's expectations hold (or are known)."
        } else {
            "Not every world's expectations hold."
        }
    ));
    out.push_str("<table id=\"worlds\">\n<tr><th>world</th><th>kernel</th><th>Landlock ABI</th><th>held</th><th>known</th><th>mismatched</th><th>unexpected</th><th>status</th><th>bundle</th></tr>\n");
    for w in &m.worlds {
        let status = match w.status {
            WorldStatus::Holds => "holds".to_string(),
            WorldStatus::Mismatches => "mismatches".to_string(),
            WorldStatus::Fault => format!("fault: {}", w.fault.as_deref().unwrap_or("")),
        };
        let class = match w.status {
            WorldStatus::Holds => "held",
            _ => "mismatch",
        };
        out.push_str(&format!(
            "<tr class=\"world\" data-world=\"{0}\"><th>{0}</th><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td><td>{6}</td><td class=\"{class}\">{7}</td><td>{8}</td></tr>\n",
            esc(&w.name),
            esc(w.kernel.as_deref().unwrap_or("-")),
            w.landlock_abi.map_or("-".into(), |a| a.to_string()),
            w.counts.held,
            w.counts.known,
            w.counts.mismatched,
            w.counts.unexpected,
            esc(&status),
            w.bundle.as_deref().map_or("-".into(), |b| format!(
                "<a href=\"{0}/summary.md\"><code>{1}</code></a>",
                esc_attr(b),
                esc(b)
            )),
        ));
    }
    out.push_str("</table>\n");
    out.push_str("<p class=\"legend\"><span class=\"held\">held</span><span class=\"known\">known</span><span class=\"mismatch\">mismatch</span><span class=\"unexpected\">no expectation</span><span class=\"differs\">differs from the first world</span></p>\n");
    out.push_str("<table id=\"matrix\">\n<tr><th>expectation</th>");
    for w in &m.worlds {
        out.push_str(&format!("<th class=\"world-head\">{}</th>", esc(&w.name)));
    }
    out.push_str("<th>change</th></tr>\n");
    for r in &m.rows {
        let change = match r.change {
            Change::Same => "same",
            Change::Declared => "declared",
            Change::Finding => "finding",
        };
        out.push_str(&format!(
            "<tr class=\"row {change}\" data-id=\"{0}\"><th><code>{1}</code></th>",
            esc_attr(&r.id),
            esc(&r.id)
        ));
        for (i, c) in r.cells.iter().enumerate() {
            out.push_str(&cell(c, &anchor(&m.worlds[i].name, &r.id)));
        }
        out.push_str(&format!(
            "<td>{}</td></tr>\n",
            if r.change == Change::Same { "" } else { change }
        ));
    }
    out.push_str("</table>\n<h2>Explanations</h2>\n");
    for (i, w) in m.worlds.iter().enumerate() {
        out.push_str(&format!("<h3>{}</h3>\n", esc(&w.name)));
        let Some(texts) = explanations.get(i) else {
            continue;
        };
        for r in &m.rows {
            if let Some(text) = texts.get(&r.id) {
                out.push_str(&format!(
                    "<section id=\"{}\"><h4><code>{}</code> in {}</h4><pre>{}</pre></section>\n",
                    anchor(&w.name, &r.id),
                    esc(&r.id),
                    esc(&w.name),
                    esc(text.trim_end())
                ));
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn cell(c: &Cell, anchor: &str) -> String {
    let mut class = vec!["cell", c.status.as_str()];
    if c.differs {
        class.push("differs");
    }
    let Some(v) = c.verdict else {
        return format!("<td class=\"{}\">-</td>", class.join(" "));
    };
    let mut shown = v.as_str().to_string();
    if let Some(e) = &c.errno {
        shown.push(' ');
        shown.push_str(e);
    }
    let title = match (&c.expected, c.status) {
        (Some(e), CellStatus::Known) => format!(
            "expected {} — known: {}",
            e.as_str(),
            c.known.as_deref().unwrap_or("")
        ),
        (Some(e), s) => format!("expected {} — {}", e.as_str(), s.as_str()),
        (None, _) => "no expectation in this world".into(),
    };
    format!(
        "<td class=\"{}\" title=\"{}\"><a href=\"#{anchor}\">{}</a></td>",
        class.join(" "),
        esc_attr(&title),
        esc(&shown)
    )
}

/// `x-<world>-<profile>--<probe>`, with anything but letters, digits, `-` and `_` as `_`.
fn anchor(world: &str, id: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("x-{}-{}", clean(world), clean(&id.replace('/', "--")))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn esc_attr(s: &str) -> String {
    esc(s).replace('"', "&quot;").replace('\'', "&#39;")
}
