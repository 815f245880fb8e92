//! `compare --write-docs`: the tables README.md and docs/*.md quote, each a region named for
//! what it holds (`figures.rs` marks, hashes and rewrites them), all from this one run, each
//! headed by the run's date, the machine and the ceiling the machine gave.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sysinfo::{CpuRefreshKind, System};

use crate::figures;
use crate::programs::Family;
use crate::report::table::{Column, Figure, Table, or_dash, seconds};
use crate::run::Figures;

use super::rows::Row;
use super::settings::{ASYNC_SCALE, Settings};

/// The region names this run writes, each the table of one family or comparison; a new family
/// (a servers table, say) is one more entry.
pub const NAMES: [&str; 7] = [
    "downloaders",
    "cpu",
    "python",
    "spinners",
    "async-basics",
    "race-condition",
    "flags",
];

/// What one run measured, for the docs: the programs' rows, the machine's ceiling, the servers'
/// table in Markdown if they ran, and how many rows failed their check.
pub struct Measured<'a> {
    pub rows: &'a [Row],
    pub cores_worth: Option<f64>,
    pub servers: Option<&'a str>,
    pub failures: usize,
}

/// Writes every region of README.md and docs/*.md under `root` from `rows`; the pages written.
pub fn write(
    root: &Path,
    settings: &Settings,
    measured: &Measured,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let (rows, cores_worth) = (measured.rows, measured.cores_worth);
    let run = run_id(SystemTime::now());
    let caption = caption(&run, settings, rows, cores_worth);
    let mut written = BTreeMap::new();
    for name in NAMES {
        let table = table(name, rows);
        written.insert(
            name.to_owned(),
            format!("{caption}\n{}", table.to_markdown()),
        );
    }
    // The servers family's table, made by `servers/report.rs`, when it ran.
    if let Some(servers) = measured.servers {
        written.insert("servers".to_owned(), format!("{caption}\n{servers}"));
    }
    figures::write_pages(root, &run, &written)
}

/// The run's id: the moment it wrote, `2026-12-05T14:02:11Z`.
fn run_id(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, <https://howardhinnant.github.io/date_algorithms.html#civil_from_days>).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The line over every table: which run, on what machine, the ceiling, how much was verified.
fn caption(run: &str, settings: &Settings, rows: &[Row], cores_worth: Option<f64>) -> String {
    let verified = rows.iter().filter(|r| r.verified).count();
    let ceiling = or_dash(cores_worth, |c| format!("{c:.2}"));
    format!(
        "*Run {run} (`cargo xtask compare --write-docs`), {verified} of {total} programs \
         verified,\non {cpus} CPUs: {machine}.\nCeiling: {ceiling} cores' worth of work. \
         Medians of {runs} runs, the CPU programs' of {cpu_runs} rounds.*\n",
        cpus = settings.cpus,
        machine = machine(),
        total = rows.len(),
        runs = settings.runs,
        cpu_runs = settings.cpu_runs,
    )
}

/// `Linux (Debian GNU/Linux 12), kernel 6.1, x86_64, AMD EPYC 7B13`: what sysinfo can tell.
fn machine() -> String {
    let mut system = System::new();
    system.refresh_cpu_list(CpuRefreshKind::nothing());
    let brand = (system.cpus().first()).map(|c| c.brand().trim().to_owned());
    let kernel = System::kernel_version().map(|k| {
        let short: Vec<&str> = k.split(['.', '-']).take(2).collect();
        format!("kernel {}", short.join("."))
    });
    [
        System::long_os_version(),
        kernel,
        Some(std::env::consts::ARCH.into()),
        brand,
    ]
    .into_iter()
    .flatten()
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

/// The table a region holds.
fn table(name: &str, rows: &[Row]) -> Table {
    let family = |family: Family| rows.iter().filter(move |r| r.family == family);
    match name {
        "downloaders" => measured(family(Family::Io), true),
        "cpu" => measured(family(Family::Cpu), true),
        "spinners" => measured(family(Family::Spinner), false),
        "python" => python(rows),
        "async-basics" => basics(family(Family::Async)),
        "race-condition" => measured(family(Family::Race), false),
        "flags" => flags(family(Family::Flags)),
        _ => unreachable!("every name of NAMES has a table"),
    }
}

fn figures(row: &Row, figures: &[Figure]) -> Vec<String> {
    figures
        .iter()
        .map(|f| f.cell(row.figures.as_ref()))
        .collect()
}

const MEASURED: [Figure; 6] = [
    Figure::Wall,
    Figure::Own,
    Figure::CoresUsed,
    Figure::PeakMemory,
    Figure::Threads,
    Figure::Processes,
];

/// What was measured of each program, with its speedup and Python's where the family has them.
fn measured<'a>(rows: impl Iterator<Item = &'a Row>, compared: bool) -> Table {
    let mut columns = vec![Column("program", false, true)];
    columns.extend(MEASURED.map(|f| f.column(true)));
    if compared {
        columns.extend([
            Column("speedup", true, true),
            Column("Python (article)", true, true),
            Column("Python (here)", true, true),
            Column("vs Python", true, true),
        ]);
    }
    let mut table = Table::of(&columns);
    for row in rows {
        let mut cells = vec![row.program.to_owned()];
        cells.extend(figures(row, &MEASURED));
        if compared {
            let python = row.python_here.as_ref().and_then(|p| p.seconds());
            cells.extend([
                or_dash(row.speedup, |s| format!("{s:.1}x")),
                or_dash(row.python_seconds, |p| match row.python_speedup {
                    Some(s) => format!("{p} s ({s:.1}x)"),
                    None => format!("{p} s"),
                }),
                or_dash(python, seconds),
                or_dash(row.vs_python, |r| format!("{r:.1}x")),
            ]);
        }
        table.push(cells);
    }
    table
}

/// Each program with a Python original beside it: own times, speedups, cores used.
fn python(rows: &[Row]) -> Table {
    let mut table = Table::of(&[
        Column("program", false, true),
        Column("Python original", false, true),
        Column("Rust own", true, true),
        Column("Python own", true, true),
        Column("Rust vs Python", true, true),
        Column("Rust speedup", true, true),
        Column("Python speedup", true, true),
        Column("Rust cores used", true, true),
        Column("Python cores used", true, true),
    ]);
    let python_own = |row: &Row| row.python_here.as_ref().and_then(|p| p.seconds());
    let baseline = |row: &Row| {
        let name = row.family.baseline()?;
        python_own(rows.iter().find(|r| r.program == name)?)
    };
    for row in rows.iter().filter(|r| r.python_here.is_some()) {
        let python_cores = python_figures(row).and_then(|f| f.cores_used);
        let python_speedup = baseline(row).zip(python_own(row)).map(|(b, p)| b / p);
        table.push(vec![
            row.program.to_owned(),
            format!("`{}`", row.python_here.as_ref().map_or("", |p| p.script)),
            own_or_wall(row.figures.as_ref()),
            own_or_wall(python_figures(row)),
            or_dash(row.vs_python, |r| format!("{r:.1}x")),
            or_dash(row.speedup, |s| format!("{s:.1}x")),
            or_dash(python_speedup.filter(|_| row.speedup.is_some()), |s| {
                format!("{s:.1}x")
            }),
            Figure::CoresUsed.cell(row.figures.as_ref()),
            or_dash(python_cores, |c| format!("{c:.2}")),
        ]);
    }
    table
}

/// Its own time, or for a spinner, which prints none, its wall time, saying so.
fn own_or_wall(figures: Option<&Figures>) -> String {
    or_dash(figures, |f| {
        let wall = if f.own_seconds.is_none() {
            " (wall)"
        } else {
            ""
        };
        format!("{}{wall}", seconds(f.own_or_wall()))
    })
}

/// The figures of a row's Python original, when it ran and was verified.
fn python_figures(row: &Row) -> Option<&Figures> {
    let python = row.python_here.as_ref().filter(|p| p.verified)?;
    python.figures.as_ref()
}

/// The async basics: their own time, in units (the article's seconds at `--scale`).
fn basics<'a>(rows: impl Iterator<Item = &'a Row>) -> Table {
    let mut table = Table::of(&[
        Column("program", false, true),
        Column("own", true, true),
        Column("units", true, true),
        Column("Python (article)", true, true),
    ]);
    for row in rows {
        let own = row.figures.as_ref().and_then(|f| f.own_seconds);
        table.push(vec![
            row.program.to_owned(),
            or_dash(own, seconds),
            or_dash(own, |s| format!("{:.1}", s / ASYNC_SCALE)),
            or_dash(row.python_seconds, |p| format!("{p} s")),
        ]);
    }
    table
}

/// The flags programs: technique, workers, times, threads, speedup.
fn flags<'a>(rows: impl Iterator<Item = &'a Row>) -> Table {
    let shown = [Figure::Wall, Figure::Own, Figure::Threads];
    let mut columns = vec![
        Column("program", false, true),
        Column("technique", false, true),
        Column("workers", false, true),
    ];
    columns.extend(shown.map(|f| f.column(true)));
    columns.push(Column("speedup", true, true));
    let mut table = Table::of(&columns);
    for row in rows {
        let mut cells = vec![
            row.program.into(),
            row.technique.into(),
            row.workers.clone(),
        ];
        cells.extend(figures(row, &shown));
        cells.push(or_dash(row.speedup, |s| format!("{s:.1}x")));
        table.push(cells);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_utc_dates() {
        let at = |secs| run_id(UNIX_EPOCH + std::time::Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_796_479_331), "2026-12-05T14:02:11Z");
    }

    #[test]
    fn every_name_has_a_table() {
        for name in NAMES {
            assert!(table(name, &[]).to_markdown().starts_with('|'), "{name}");
        }
    }
}
