//! Tables (comfy-table): the key columns on the terminal, every column in the Markdown; the
//! columns of the figures every measured run has; and how a figure reads in a cell.

use std::borrow::Cow;

use comfy_table::presets::ASCII_MARKDOWN;
use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, TableStyle};
use comfy_table::{ContentLineStyle, LineStyle, Width};
use console::Term;

use crate::run::Figures;
use crate::verify::Faults;

/// The width of what the commands print where stdout is not a terminal (a pipe, a file): what
/// the smallest usual terminal shows.
pub const PIPED_WIDTH: u16 = 80;

/// One column: its header, whether it holds numbers (right-aligned), and whether the terminal
/// shows it (the Markdown and JSON reports have every column).
#[derive(Clone, Debug)]
pub struct Column {
    header: Cow<'static, str>,
    number: bool,
    on_terminal: bool,
}

impl Column {
    /// Words, left-aligned, on the terminal.
    pub const fn text(header: &'static str) -> Column {
        Column {
            header: Cow::Borrowed(header),
            number: false,
            on_terminal: true,
        }
    }

    /// Figures, right-aligned, on the terminal.
    pub const fn number(header: &'static str) -> Column {
        let mut column = Column::text(header);
        column.number = true;
        column
    }

    /// Figures under a header made for them.
    pub fn number_under(header: String) -> Column {
        let mut column = Column::number("");
        column.header = Cow::Owned(header);
        column
    }

    /// The same column, in the Markdown alone.
    pub const fn markdown_only(mut self) -> Column {
        self.on_terminal = false;
        self
    }
}

/// A column and its cell for a row of type `R`.
pub type Cells<R> = (Column, fn(&R) -> String);

/// A table printed on the terminal (its key columns, fitted to the terminal's width) and
/// written as Markdown (every column).
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
}

/// `program  own  speedup`, a rule under the headers: what a terminal shows.
const TERMINAL: TableStyle = TableStyle::new()
    .header_separator(LineStyle::none().fill('-').junction(' '))
    .header_lines(ContentLineStyle::none().junction(' '))
    .content_lines(ContentLineStyle::none().junction(' '));

impl Table {
    pub fn of(columns: impl IntoIterator<Item = Column>) -> Table {
        let (columns, rows) = (columns.into_iter().collect(), Vec::new());
        Table { columns, rows }
    }

    /// The table of `rows`, a cell of each in each column.
    pub fn of_rows<'a, R: 'a>(
        columns: &[Cells<R>],
        rows: impl IntoIterator<Item = &'a R>,
    ) -> Table {
        let mut table = Table::of(columns.iter().map(|(column, _)| column.clone()));
        for row in rows {
            table.push(columns.iter().map(|(_, cell)| cell(row)).collect());
        }
        table
    }

    pub fn push(&mut self, row: Vec<String>) {
        assert_eq!(row.len(), self.columns.len(), "one cell per column");
        self.rows.push(row);
    }

    /// Every column in `style`, a `|` in a cell written as `pipe`.
    fn build(&self, style: TableStyle, pipe: &str) -> comfy_table::Table {
        let mut table = comfy_table::Table::new();
        table.load_style(style);
        let cell = |c: &String| c.replace('|', pipe);
        table.set_header(self.columns.iter().map(|c| &*c.header));
        table.add_rows(self.rows.iter().map(|r| r.iter().map(cell)));
        for (i, column) in table.column_iter_mut().enumerate() {
            if self.columns[i].number {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        table
    }

    /// The key columns, wrapped to fit the terminal's width, or [`PIPED_WIDTH`] where stdout is
    /// not a terminal.
    pub fn to_text(&self) -> String {
        self.to_text_within(width())
    }

    fn to_text_within(&self, width: u16) -> String {
        let mut table = self.build(TERMINAL, "|");
        for (i, column) in table.column_iter_mut().enumerate() {
            column.set_padding((0, 0));
            if !self.columns[i].on_terminal {
                column.set_constraint(ColumnConstraint::Hidden);
            }
        }
        table.set_width(width);
        table.set_content_arrangement(ContentArrangement::Dynamic);
        // The first column names the row: unbroken where it fits in two fifths of the width,
        // the headers of the narrow number columns wrapping first.
        // The other text columns keep their longest word whole, up to a quarter of the width.
        let cells = |i: usize| self.rows.iter().map(move |r| r[i].as_str());
        let width = usize::from(width);
        for (i, column) in table.column_iter_mut().enumerate() {
            let (least, most) = match i {
                0 => (cells(0).map(|c| c.chars().count()).max(), width * 2 / 5),
                _ if self.columns[i].number || !self.columns[i].on_terminal => continue,
                _ => {
                    let words = cells(i).flat_map(|cell| cell.split(' '));
                    (words.map(|word| word.chars().count()).max(), width / 4)
                }
            };
            let least = least.unwrap_or(0).min(most) as u16;
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(least)));
        }
        let lines: Vec<String> = table.lines().map(|l| l.trim_end().to_owned()).collect();
        lines.join("\n") + "\n"
    }

    /// Every column, as a Markdown table.
    pub fn to_markdown(&self) -> String {
        self.build(ASCII_MARKDOWN, "\\|").to_string() + "\n"
    }
}

/// The width to print within: the terminal's, less one column, or [`PIPED_WIDTH`].
pub fn width() -> u16 {
    match Term::stdout().size_checked() {
        Some((_, width)) => width.saturating_sub(1),
        None => PIPED_WIDTH,
    }
}

/// `text` with its lines broken between words to fit [`width`], each line ended.
pub fn wrap(text: &str) -> String {
    wrap_within(text, usize::from(width()))
}

fn wrap_within(text: &str, width: usize) -> String {
    let mut wrapped = String::new();
    for line in text.lines() {
        let mut length = 0;
        for word in line.split(' ') {
            let long = word.chars().count();
            if length > 0 && length + 1 + long > width {
                wrapped.push('\n');
                length = 0;
            } else if length > 0 {
                wrapped.push(' ');
                length += 1;
            }
            wrapped.push_str(word);
            length += long;
        }
        wrapped.push('\n');
    }
    wrapped
}

/// The figures every measured run has, one column each, in the order the tables show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    Wall,
    Own,
    Cpu,
    CoresUsed,
    LargestProcess,
    PeakMemory,
    Threads,
    Processes,
}

impl Figure {
    pub const ALL: [Figure; 8] = [
        Figure::Wall,
        Figure::Own,
        Figure::Cpu,
        Figure::CoresUsed,
        Figure::LargestProcess,
        Figure::PeakMemory,
        Figure::Threads,
        Figure::Processes,
    ];

    /// Its column: its header, a number, on the terminal or not.
    pub fn column(self, on_terminal: bool) -> Column {
        let header = match self {
            Figure::Wall => "wall",
            Figure::Own => "own",
            Figure::Cpu => "CPU",
            Figure::CoresUsed => "CPU/wall",
            Figure::LargestProcess => "largest process",
            Figure::PeakMemory => "peak mem",
            Figure::Threads => "threads",
            Figure::Processes => "procs",
        };
        match on_terminal {
            true => Column::number(header),
            false => Column::number(header).markdown_only(),
        }
    }

    /// Its cell for a run's figures `f` (`None`: not measured).
    pub fn cell(self, f: Option<&Figures>) -> String {
        let sampled = f.and_then(|f| f.sampled);
        match self {
            Figure::Wall => or_dash(f, |f| seconds(f.wall_seconds)),
            Figure::Own => or_dash(f.and_then(|f| f.own_seconds), seconds),
            Figure::Cpu => not_measured(f, |f| f.cpu_seconds.map(seconds)),
            Figure::CoresUsed => not_measured(f, |f| f.cores_used.map(|c| format!("{c:.2}"))),
            Figure::LargestProcess => or_dash(sampled, |s| mib(s.largest_process_kib)),
            Figure::PeakMemory => or_dash(sampled, |s| mib(s.all_processes_kib)),
            Figure::Threads => not_measured(sampled, |s| s.threads.map(|t| t.to_string())),
            Figure::Processes => or_dash(sampled, |s| s.processes.to_string()),
        }
    }
}

/// The status cell of a measured row: why it failed, or that it was verified, with the
/// failures the stand-in injected.
pub fn verdict(failure: Option<&str>, faults: Option<&Faults>) -> String {
    match (failure, faults) {
        (Some(why), _) => format!("FAILED: {why}"),
        (None, Some(faults)) => format!("verified: {faults}"),
        (None, None) => "verified".into(),
    }
}

/// `1.63 s`, `0.062 s`: three significant digits or so.
pub fn seconds(s: f64) -> String {
    match s {
        10.0.. => format!("{s:.1} s"),
        1.0.. => format!("{s:.2} s"),
        _ => format!("{s:.3} s"),
    }
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// `value` with `places` decimals, `-` for a missing figure.
pub fn fixed(value: Option<f64>, places: usize) -> String {
    or_dash(value, |v| format!("{v:.places$}"))
}

/// `-` for a missing figure.
pub fn or_dash<T>(value: Option<T>, show: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| "-".into(), show)
}

/// `-` for a missing figure, `n/a` for one this system does not give (see `run/measure.rs`).
pub fn not_measured<T>(value: Option<T>, show: impl FnOnce(T) -> Option<String>) -> String {
    value.map_or_else(|| "-".into(), |v| show(v).unwrap_or_else(|| "n/a".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut table = Table::of([
            Column::text("program"),
            Column::number("CPU").markdown_only(),
            Column::number("wall"),
        ]);
        table.push(vec!["io_sequential".into(), "-".into(), seconds(8.123)]);
        table.push(vec!["io_async|x".into(), "-".into(), seconds(0.0625)]);
        table
    }

    #[test]
    fn text_tables_show_the_key_columns_lined_up() {
        assert_eq!(
            table().to_text_within(PIPED_WIDTH),
            "program          wall\n\
             ------------- -------\n\
             io_sequential  8.12 s\n\
             io_async|x    0.062 s\n"
        );
    }

    #[test]
    fn text_tables_fit_the_width_they_are_given() {
        let mut table = Table::of([Column::text("program"), Column::text("status")]);
        let long = "verified: 3 failed (2 HTTP 500, 1 other); the stand-in injected 2 errors";
        table.push(vec!["io_threads".into(), long.into()]);
        let text = table.to_text_within(40);
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        assert!(text.contains("io_threads"), "{text}");
    }

    #[test]
    fn prose_is_wrapped_between_words() {
        let wrapped = wrap_within(&"word ".repeat(40), 30);
        assert!(wrapped.lines().count() > 1, "{wrapped}");
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 30),
            "{wrapped}"
        );
        assert_eq!(wrap_within("a b\nc", 30), "a b\nc\n");
    }

    #[test]
    fn markdown_tables_have_every_column_and_escape_pipes() {
        let markdown = table().to_markdown();
        assert!(markdown.starts_with("| program "), "{markdown}");
        assert!(markdown.contains("| CPU |"), "{markdown}");
        assert!(markdown.contains("| io_async\\|x "), "{markdown}");
    }

    #[test]
    fn figures_read_well() {
        assert_eq!(seconds(14.26), "14.3 s");
        assert_eq!(mib(2048), "2.0 MiB");
        assert_eq!(or_dash(None::<f64>, seconds), "-");
    }
}
