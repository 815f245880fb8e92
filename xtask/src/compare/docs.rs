//! `compare --write-docs`: the tables README.md and docs/*.md quote, each a region named for
//! what it holds (`figures.rs` marks, hashes and rewrites them), all from this one run, each
//! headed by the run's date, the machine and the ceiling the machine gave.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sysinfo::{CpuRefreshKind, System};

use crate::figures;
use crate::programs::Family;
use crate::report::table::{Figure, Table, or_dash};

use super::columns::{self, Col};
use super::rows::Row;
use super::settings::Settings;

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
        let markdown = table(name, rows).to_markdown();
        written.insert(name.to_owned(), format!("{caption}\n{markdown}"));
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
         verified,\non {cpus} CPUs: {machine}.\nCeiling: {ceiling} cores' worth of work.\n\
         Medians of {runs}, the CPU programs' of {cpu_runs} rounds.*\n",
        cpus = settings.cpus,
        machine = machine(),
        total = rows.len(),
        runs = settings.runs_text(),
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
    let arch = Some(std::env::consts::ARCH.into());
    let parts = [System::long_os_version(), kernel, arch, brand];
    let parts = parts.map(Option::unwrap_or_default);
    let parts: Vec<String> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    parts.join(", ")
}

/// The table a region holds: what was measured of each program of a family, with its speedup
/// and Python's where the family has them; or a table of its own.
fn table(name: &str, rows: &[Row]) -> Table {
    let family = |family: Family| rows.iter().filter(move |r| r.family == family);
    let compared = [MEASURED.as_slice(), &COMPARED].concat();
    let with_python = rows.iter().filter(|r| r.python_here.is_some());
    let (columns, rows): (&[Col], Vec<&Row>) = match name {
        "downloaders" => (&compared, family(Family::Io).collect()),
        "cpu" => (&compared, family(Family::Cpu).collect()),
        "spinners" => (&MEASURED, family(Family::Spinner).collect()),
        "python" => (&PYTHON, with_python.collect()),
        "async-basics" => (&BASICS, family(Family::Async).collect()),
        "race-condition" => (&MEASURED, family(Family::Race).collect()),
        "flags" => (&FLAGS, family(Family::Flags).collect()),
        _ => unreachable!("every name of NAMES has a table"),
    };
    columns::table(columns, |_| true, rows)
}

const MEASURED: [Col; 7] = [
    Col::Program,
    Col::Figure(Figure::Wall),
    Col::Figure(Figure::Own),
    Col::Figure(Figure::CoresUsed),
    Col::Figure(Figure::PeakMemory),
    Col::Figure(Figure::Threads),
    Col::Figure(Figure::Processes),
];

/// With them, where the family has them, its speedup and Python's.
const COMPARED: [Col; 4] = [
    Col::Speedup,
    Col::PythonArticle,
    Col::PythonHere,
    Col::VsPython,
];

/// Each program with a Python original beside it: own times, speedups, cores used.
const PYTHON: [Col; 9] = [
    Col::Program,
    Col::PythonOriginal,
    Col::RustOwn,
    Col::PythonOwn,
    Col::RustVsPython,
    Col::RustSpeedup,
    Col::PythonSpeedup,
    Col::RustCoresUsed,
    Col::PythonCoresUsed,
];

/// The async basics: their own time, in units (the article's seconds at `--scale`).
const BASICS: [Col; 4] = [
    Col::Program,
    Col::Figure(Figure::Own),
    Col::Units,
    Col::PythonArticle,
];

/// The flags programs: technique, workers, times, threads, speedup.
const FLAGS: [Col; 7] = [
    Col::Program,
    Col::Technique,
    Col::Workers,
    Col::Figure(Figure::Wall),
    Col::Figure(Figure::Own),
    Col::Figure(Figure::Threads),
    Col::Speedup,
];

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
