//! Tables (comfy-table), the progress bar (indicatif), small formatting helpers, and writing
//! the report files under `target/compare/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use comfy_table::presets::ASCII_MARKDOWN;
use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, TableStyle};
use comfy_table::{ContentLineStyle, LineStyle, Width};
use console::Term;
use indicatif::{ProgressBar, ProgressStyle};

/// One column: its header, whether it holds numbers (right-aligned), and whether the terminal
/// shows it (the Markdown and JSON reports have every column).
pub struct Column(pub &'static str, pub bool, pub bool);

/// A table printed on the terminal (its key columns, fitted to the terminal's width) and
/// written as Markdown (every column).
pub struct Table {
    headers: Vec<String>,
    numbers: Vec<bool>,
    on_terminal: Vec<bool>,
    rows: Vec<Vec<String>>,
}

/// `program  own  speedup`, a rule under the headers: what a terminal shows.
const TERMINAL: TableStyle = TableStyle::new()
    .header_separator(LineStyle::none().fill('-').junction(' '))
    .header_lines(ContentLineStyle::none().junction(' '))
    .content_lines(ContentLineStyle::none().junction(' '));

impl Table {
    pub fn new(columns: impl IntoIterator<Item = (String, bool, bool)>) -> Table {
        let mut table = Table {
            headers: Vec::new(),
            numbers: Vec::new(),
            on_terminal: Vec::new(),
            rows: Vec::new(),
        };
        for (header, number, on_terminal) in columns {
            table.headers.push(header);
            table.numbers.push(number);
            table.on_terminal.push(on_terminal);
        }
        table
    }

    pub fn of(columns: &[Column]) -> Table {
        Table::new(columns.iter().map(|c| (c.0.to_owned(), c.1, c.2)))
    }

    pub fn push(&mut self, row: Vec<String>) {
        assert_eq!(row.len(), self.headers.len(), "one cell per column");
        self.rows.push(row);
    }

    fn build(&self, style: TableStyle, escape: bool) -> comfy_table::Table {
        let mut table = comfy_table::Table::new();
        table.load_style(style);
        let cell = |c: &String| {
            if escape {
                c.replace('|', "\\|")
            } else {
                c.clone()
            }
        };
        table.set_header(&self.headers);
        table.add_rows(
            self.rows
                .iter()
                .map(|r| r.iter().map(cell).collect::<Vec<_>>()),
        );
        for (i, column) in table.column_iter_mut().enumerate() {
            if self.numbers[i] {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        table
    }

    /// The key columns, wrapped to fit a terminal's width (none when stdout is not one).
    pub fn to_text(&self) -> String {
        let mut table = self.build(TERMINAL, false);
        for (i, column) in table.column_iter_mut().enumerate() {
            column.set_padding((0, 0));
            if !self.on_terminal[i] {
                column.set_constraint(ColumnConstraint::Hidden);
            }
        }
        if let Some((_, width)) = Term::stdout().size_checked() {
            table.set_width(width.saturating_sub(1));
            table.set_content_arrangement(ContentArrangement::Dynamic);
            // The first column names the row: unbroken where it fits in a third of the width,
            // the headers of the narrow number columns wrapping first.
            let longest = self.rows.iter().map(|r| r[0].chars().count()).max();
            let first = longest.unwrap_or(0).min(usize::from(width) / 3) as u16;
            if let Some(column) = table.column_mut(0) {
                column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(first)));
            }
        }
        let lines: Vec<String> = table.lines().map(|l| l.trim_end().to_owned()).collect();
        lines.join("\n") + "\n"
    }

    /// Every column, as a Markdown table.
    pub fn to_markdown(&self) -> String {
        self.build(ASCII_MARKDOWN, true).to_string() + "\n"
    }
}

/// The bar a terminal shows while programs run: how many runs are done, which one is running,
/// and when all will be. Where stderr is not a terminal (a pipe, a CI log), indicatif draws
/// nothing, and each program gets one plain line instead.
pub struct Progress(ProgressBar);

impl Progress {
    pub fn new(runs: u64) -> Progress {
        let template = "{bar:16} {pos}/{len} runs, ETA {eta} {prefix}: {wide_msg}";
        let style = ProgressStyle::with_template(template).expect("a valid template");
        let bar = ProgressBar::new(runs).with_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(bar)
    }

    /// `[i/n] NAME` starts: on the bar, or as a line of its own.
    pub fn program(&self, i: usize, n: usize, name: &str) {
        if self.0.is_hidden() {
            eprintln!("[{i}/{n}] {name}");
        }
        self.0.set_prefix(name.to_owned());
    }

    /// Which run of the program is running ("run 2 of 3").
    pub fn run(&self, what: String) {
        self.0.set_message(what);
    }

    /// One run is done.
    pub fn done(&self) {
        self.0.inc(1);
    }

    pub fn clear(&self) {
        self.0.finish_and_clear();
    }
}

/// `1.63 s`, `0.062 s`: three significant digits or so.
pub fn seconds(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.3} s")
    }
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// `-` for a missing figure.
pub fn or_dash<T>(value: Option<T>, show: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| "-".into(), show)
}

/// `-` for a missing figure, `n/a` for one this system does not give (see `measure.rs`).
pub fn not_measured<T>(value: Option<T>, show: impl FnOnce(T) -> Option<String>) -> String {
    value.map_or_else(|| "-".into(), |v| show(v).unwrap_or_else(|| "n/a".into()))
}

/// The middle one of `values` once sorted: the true median for an odd count, the lower of the
/// two middle ones for an even count, so it is always a value that was measured.
pub fn median_index<T>(values: &[T], key: impl Fn(&T) -> f64) -> Option<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| key(&values[a]).total_cmp(&key(&values[b])));
    order.get(values.len().saturating_sub(1) / 2).copied()
}

/// Writes `contents` to `dir/name` and says where it went.
pub fn write(dir: &Path, name: &str, contents: &str) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(name);
    fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut table = Table::of(&[
            Column("program", false, true),
            Column("CPU", true, false),
            Column("wall", true, true),
        ]);
        table.push(vec!["io_sequential".into(), "-".into(), seconds(8.123)]);
        table.push(vec!["io_async|x".into(), "-".into(), seconds(0.0625)]);
        table
    }

    #[test]
    fn text_tables_show_the_key_columns_lined_up() {
        assert_eq!(
            table().to_text(),
            "program          wall\n\
             ------------- -------\n\
             io_sequential  8.12 s\n\
             io_async|x    0.062 s\n"
        );
    }

    #[test]
    fn markdown_tables_have_every_column_and_escape_pipes() {
        let markdown = table().to_markdown();
        assert!(markdown.starts_with("| program "), "{markdown}");
        assert!(markdown.contains("| CPU |"), "{markdown}");
        assert!(markdown.contains("| io_async\\|x "), "{markdown}");
    }

    #[test]
    fn the_median_is_a_measured_value() {
        let runs = [3.0, 1.0, 2.0];
        assert_eq!(median_index(&runs, |&x| x), Some(2));
        assert_eq!(median_index(&[5.0, 1.0, 4.0, 2.0], |&x| x), Some(3));
        assert_eq!(median_index(&[7.0], |&x| x), Some(0));
        assert_eq!(median_index::<f64>(&[], |&x| x), None);
    }

    #[test]
    fn figures_read_well() {
        assert_eq!(seconds(14.26), "14.3 s");
        assert_eq!(mib(2048), "2.0 MiB");
        assert_eq!(or_dash(None::<f64>, seconds), "-");
    }
}
