//! `cargo xtask compare --against OLD.json`: this run beside an earlier one (before and after a
//! change, one machine and another), program by program, with the ratios.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::rows::Row;
use crate::report::table::{Column, Table, mib, or_dash, seconds};
use crate::run::Figures;

/// An earlier run's `compare.json`, as far as `--against` reads it.
#[derive(Debug, Deserialize)]
pub struct Earlier {
    rows: Vec<EarlierRow>,
}

/// A row of it: the fields of compare's [`Row`] that are set side by side, of the same types.
#[derive(Debug, Deserialize)]
struct EarlierRow {
    program: String,
    verified: bool,
    figures: Option<Figures>,
}

/// The figures of one program that are set side by side: its own time (wall time where it
/// prints none) and the peak memory of its process tree.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Side {
    seconds: Option<f64>,
    kib: Option<u64>,
}

impl Side {
    /// A row's side; a failed row has no figures to compare.
    fn of(verified: bool, figures: Option<&Figures>) -> Side {
        let Some(figures) = figures.filter(|_| verified) else {
            return Side::default();
        };
        Side {
            seconds: Some(figures.own_or_wall()),
            kib: figures.sampled.map(|s| s.all_processes_kib),
        }
    }
}

/// The table of this run's programs and sides, beside the rows of the report `old` with the
/// same programs.
fn table<'a>(old: &Earlier, now: impl Iterator<Item = (&'a str, Side)>) -> Table {
    let mut table = Table::of([
        Column::text("program"),
        Column::number("before"),
        Column::number("now"),
        Column::number("now/before"),
        Column::number("peak mem before"),
        Column::number("now"),
    ]);
    for (program, now) in now {
        let before = old.rows.iter().find(|r| r.program == program);
        let before = before.map_or(Side::default(), |r| {
            Side::of(r.verified, r.figures.as_ref())
        });
        let both = before.seconds.filter(|&s| s > 0.0).zip(now.seconds);
        let ratio = both.map(|(before, now)| now / before);
        table.push(vec![
            program.to_owned(),
            or_dash(before.seconds, seconds),
            or_dash(now.seconds, seconds),
            or_dash(ratio, |r| format!("{r:.2}x")),
            or_dash(before.kib, mib),
            or_dash(now.kib, mib),
        ]);
    }
    table
}

/// Reads an earlier run's `compare.json`, before this run starts.
pub fn load(path: &Path) -> anyhow::Result<Earlier> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a compare.json", path.display()))
}

/// This run's `rows` beside the earlier report `old`, read from `path`: what the terminal shows
/// after the table.
pub fn text(path: &Path, old: &Earlier, rows: &[Row]) -> String {
    let now = (rows.iter()).map(|r| (r.program, Side::of(r.verified, r.figures.as_ref())));
    let (path, shown) = (path.display(), table(old, now).to_text());
    format!(
        "\nAgainst {path}: own times (wall where a program prints none);\n\
         now/before under 1 is faster now.\n\n{shown}"
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_are_matched_by_program_with_their_ratios() {
        let row = |program: &str, own: f64, kib: u64| {
            json!({"program": program, "verified": true,
                   "figures": {"wall_seconds": own + 0.1, "own_seconds": own,
                               "cpu_seconds": null, "user_seconds": null,
                               "system_seconds": null, "cores_used": null,
                               "every_wall_seconds": [],
                               "sampled": {"largest_process_kib": kib,
                                           "all_processes_kib": kib, "threads": null,
                                           "processes": 1}}})
        };
        let read = |value: serde_json::Value| -> Earlier { serde_json::from_value(value).unwrap() };
        let old = read(json!({"rows": [row("io_threads", 2.0, 4096), row("io_async", 0.1, 8192)]}));
        let failed = json!({"program": "io_async", "verified": false, "figures": null});
        let now = read(json!({"rows": [
            row("io_threads", 1.0, 2048),
            failed,
            row("cpu_rayon", 0.03, 1024),
        ]}));
        let now = (now.rows.iter())
            .map(|r| (r.program.as_str(), Side::of(r.verified, r.figures.as_ref())));
        let text = table(&old, now).to_markdown();
        let lines: Vec<&str> = text.lines().collect();
        let cells = |line: &str| -> Vec<String> {
            line.split('|')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect()
        };
        assert_eq!(
            cells(lines[2]),
            [
                "io_threads",
                "2.00 s",
                "1.00 s",
                "0.50x",
                "4.0 MiB",
                "2.0 MiB"
            ]
        );
        assert_eq!(
            cells(lines[3]),
            ["io_async", "0.100 s", "-", "-", "8.0 MiB", "-"]
        );
        assert_eq!(
            cells(lines[4]),
            ["cpu_rayon", "-", "0.030 s", "-", "-", "1.0 MiB"]
        );
    }
}
