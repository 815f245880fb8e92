//! `cargo xtask compare --against OLD.json`: this run beside an earlier one (before and after a
//! change, one machine and another), program by program, with the ratios.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use crate::report::table::{Column, Table, mib, or_dash, seconds};

/// The figures of one program that are set side by side: its own time (wall time where it
/// prints none) and the peak memory of its process tree.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Side {
    seconds: Option<f64>,
    kib: Option<u64>,
}

/// A row of a `compare.json`; a failed row has no figures to compare.
fn side(row: &Value) -> Side {
    let figures = &row["figures"];
    if row["verified"] != true || figures.is_null() {
        return Side::default();
    }
    Side {
        seconds: figures["own_seconds"]
            .as_f64()
            .or(figures["wall_seconds"].as_f64()),
        kib: figures["sampled"]["all_processes_kib"].as_u64(),
    }
}

/// The table of `rows` (this run) beside the rows of the report `old` with the same programs.
fn table(old: &Value, rows: &[Value]) -> Table {
    let mut table = Table::of(&[
        Column("program", false, true),
        Column("before", true, true),
        Column("now", true, true),
        Column("now/before", true, true),
        Column("peak mem before", true, true),
        Column("now", true, true),
    ]);
    let old_rows = old["rows"].as_array().map_or(&[][..], Vec::as_slice);
    for row in rows {
        let program = row["program"].as_str().unwrap_or_default();
        let before = old_rows
            .iter()
            .find(|r| r["program"] == program)
            .map(side)
            .unwrap_or_default();
        let now = side(row);
        let ratio = match (before.seconds, now.seconds) {
            (Some(before), Some(now)) if before > 0.0 => Some(now / before),
            _ => None,
        };
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
pub fn load(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let old: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a compare.json", path.display()))?;
    match old["rows"].is_array() {
        true => Ok(old),
        false => anyhow::bail!("{} has no rows: not a compare.json", path.display()),
    }
}

/// This run's `rows` (compare's rows, read as they are written to `compare.json`) beside the
/// earlier report `old`, read from `path`: what the terminal shows after the table.
pub fn text(path: &Path, old: &Value, rows: &[impl Serialize]) -> anyhow::Result<String> {
    let rows: Vec<Value> = rows
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    Ok(format!(
        "\nAgainst {}: own times (wall where a program prints none);\n\
         now/before under 1 is faster now.\n\n{}",
        path.display(),
        table(old, &rows).to_text()
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_are_matched_by_program_with_their_ratios() {
        let row = |program: &str, own: f64, kib: u64| {
            json!({"program": program, "verified": true,
                   "figures": {"own_seconds": own, "wall_seconds": own + 0.1,
                               "sampled": {"all_processes_kib": kib}}})
        };
        let old = json!({"rows": [row("io_threads", 2.0, 4096), row("io_async", 0.1, 8192)]});
        let failed = json!({"program": "io_async", "verified": false, "figures": null});
        let now = [
            row("io_threads", 1.0, 2048),
            failed,
            row("cpu_rayon", 0.03, 1024),
        ];
        let text = table(&old, &now).to_markdown();
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
