//! compare's columns: each one's header and its cell for a row. The terminal's table,
//! compare.md and every region of the docs (`docs.rs`) take their columns from here.

use crate::report::table::{Column, Figure, Table, or_dash, seconds, verdict};
use crate::run::Figures;

use super::rows::Row;
use super::settings::ASYNC_SCALE;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Program,
    Technique,
    Runtime,
    Workers,
    /// A figure every measured run has (`report/table.rs`).
    Figure(Figure),
    /// The family's sequential program's own time over this one's.
    Speedup,
    /// The article's Python figure, with its speedup.
    PythonArticle,
    /// Its Python original's own time here, or why it has none.
    PythonHere,
    /// Its Python original's own time over this one's.
    VsPython,
    Runs,
    /// Verified or not, and its Python original's failure or faults.
    Status,
    /// The Python table's: the script, the times and speedups of both, the cores each used.
    PythonOriginal,
    RustOwn,
    PythonOwn,
    RustVsPython,
    RustSpeedup,
    PythonSpeedup,
    RustCoresUsed,
    PythonCoresUsed,
    /// The async basics' own time in the article's seconds (`--scale`).
    Units,
}

impl Col {
    pub fn column(self) -> Column {
        let header = match self {
            Col::Program => return Column::text("program"),
            Col::Technique => return Column::text("technique"),
            Col::Runtime => return Column::text("runtime"),
            Col::Status => return Column::text("status"),
            Col::PythonOriginal => return Column::text("Python original"),
            Col::Figure(figure) => return figure.column(true),
            Col::Workers => "workers",
            Col::Speedup => "speedup",
            Col::PythonArticle => "Python (article)",
            Col::PythonHere => "Python (here)",
            Col::VsPython => "vs Python",
            Col::Runs => "runs",
            Col::RustOwn => "Rust own",
            Col::PythonOwn => "Python own",
            Col::RustVsPython => "Rust vs Python",
            Col::RustSpeedup => "Rust speedup",
            Col::PythonSpeedup => "Python speedup",
            Col::RustCoresUsed => "Rust cores used",
            Col::PythonCoresUsed => "Python cores used",
            Col::Units => "units",
        };
        Column::number(header)
    }

    pub fn cell(self, row: &Row) -> String {
        let times = |x: Option<f64>| or_dash(x, |x| format!("{x:.1}x"));
        let python = row.python_here.as_ref();
        match self {
            Col::Program => row.program.into(),
            Col::Technique => row.technique.into(),
            Col::Runtime => row.runtime.into(),
            Col::Workers => row.workers.clone(),
            Col::Figure(figure) => figure.cell(row.figures.as_ref()),
            Col::Speedup | Col::RustSpeedup => times(row.speedup),
            Col::PythonArticle => or_dash(row.python_seconds, |p| match row.python_speedup {
                Some(s) => format!("{p} s ({s:.1}x)"),
                None => format!("{p} s"),
            }),
            // Not run here: `-`; its word (too long for the column) is in the sentence below it.
            Col::PythonHere => or_dash(python, |p| match (&p.unavailable, p.seconds()) {
                (Some(_), _) => "-".into(),
                (None, Some(s)) => seconds(s),
                (None, None) => "FAILED".into(),
            }),
            Col::VsPython | Col::RustVsPython => times(row.vs_python),
            Col::Runs => row.runs.to_string(),
            // Verified or not, and its Python original's failure or faults.
            Col::Status => {
                let status = verdict(row.failure.as_deref(), row.faults.as_ref());
                let failed = python.and_then(|p| p.failure.as_ref());
                match (failed, python.and_then(|p| p.faults)) {
                    (Some(why), _) => format!("{status}; Python FAILED: {why}"),
                    (None, Some(faults)) => format!("{status}; Python: {faults}"),
                    (None, None) => status,
                }
            }
            Col::PythonOriginal => format!("`{}`", python.map_or("", |p| p.script)),
            Col::RustOwn => own_or_wall(row.figures.as_ref()),
            Col::PythonOwn => own_or_wall(python_figures(row)),
            Col::PythonSpeedup => times(python.and_then(|p| p.speedup)),
            Col::RustCoresUsed => Figure::CoresUsed.cell(row.figures.as_ref()),
            Col::PythonCoresUsed => {
                let cores = python_figures(row).and_then(|f| f.cores_used);
                or_dash(cores, |c| format!("{c:.2}"))
            }
            Col::Units => {
                let own = row.figures.as_ref().and_then(|f| f.own_seconds);
                or_dash(own, |s| format!("{:.1}", s / ASYNC_SCALE))
            }
        }
    }
}

/// The table of `rows` in `columns`, the terminal showing those `on_terminal` holds.
pub fn table<'a>(
    columns: &[Col],
    on_terminal: impl Fn(Col) -> bool,
    rows: impl IntoIterator<Item = &'a Row>,
) -> Table {
    let mut table = Table::of(columns.iter().map(|&col| match on_terminal(col) {
        true => col.column(),
        false => col.column().markdown_only(),
    }));
    for row in rows {
        table.push(columns.iter().map(|col| col.cell(row)).collect());
    }
    table
}

/// Its own time, or for a spinner, which prints none, its wall time, saying so.
fn own_or_wall(figures: Option<&Figures>) -> String {
    or_dash(figures, |f| {
        let wall = f.own_seconds.map_or(" (wall)", |_| "");
        format!("{}{wall}", seconds(f.own_or_wall()))
    })
}

/// The figures of a row's Python original, when it ran and was verified.
fn python_figures(row: &Row) -> Option<&Figures> {
    let python = row.python_here.as_ref().filter(|p| p.verified)?;
    python.figures.as_ref()
}
