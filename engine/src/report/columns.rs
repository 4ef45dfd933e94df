//! Aligned columns without borders, laid out by `comfy-table` within a width: the tables of
//! `xpr diff` and `xpr list`. Long cells wrap inside their column; without a width (a pipe, a
//! file) every row stays on one line.

use comfy_table::{ContentArrangement, Table, presets};

/// `rows` under `headers` (none when empty), each line indented by `indent` spaces, two spaces
/// between columns, trailing spaces trimmed.
pub(crate) fn columns(
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
    width: Option<usize>,
    indent: usize,
) -> String {
    let mut table = Table::new();
    table.load_style(presets::NOTHING).force_no_tty();
    if !headers.is_empty() {
        table.set_header(headers.to_vec());
    }
    for row in rows {
        table.add_row(row);
    }
    if let Some(w) = width {
        table
            .set_width(u16::try_from(w.saturating_sub(indent)).unwrap_or(u16::MAX))
            .set_content_arrangement(ContentArrangement::Dynamic);
    }
    let count = table.column_count();
    for (k, column) in table.column_iter_mut().enumerate() {
        column.set_padding((0, if k + 1 == count { 0 } else { 2 }));
    }
    let pad = " ".repeat(indent);
    table
        .lines()
        .map(|l| format!("{pad}{}\n", l.trim_end()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_fits() {
        let rows = vec![
            vec!["a".to_string(), "one".to_string()],
            vec!["longer".to_string(), "two words".repeat(12)],
        ];
        let wide = columns(&["k", "v"], rows.clone(), None, 2);
        assert_eq!(wide.lines().next(), Some("  k       v"));
        assert!(wide.lines().nth(1).unwrap().starts_with("  a       one"));
        let narrow = columns(&["k", "v"], rows, Some(40), 2);
        assert!(narrow.lines().all(|l| l.chars().count() <= 40), "{narrow}");
        assert!(narrow.lines().count() > 3);
    }
}
