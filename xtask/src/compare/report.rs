//! compare's report: its table (the key columns and a legend on the terminal, every column in
//! compare.md and compare.json), the timelines of the downloaders' median runs and the bar
//! chart of every wall time.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::programs::Family;
use crate::python::Unavailable;
use crate::report::table::{Figure, Table, wrap};
use crate::report::{Output, plot};

use super::against;
use super::columns::{self, Col};
use super::rows::Row;
use super::settings::{ASYNC_SCALE, Settings};

/// What a run came to besides its rows.
pub struct Findings<'a> {
    /// How many cores' work the machine gave `cpus` copies of cpu_sequential at once: the
    /// ceiling of the CPU programs' speedups during these rounds (`run/ceiling.rs`).
    pub cores_worth: Option<f64>,
    /// Why some Python programs could not run.
    pub python_missing: Option<&'a Unavailable>,
    /// `--against`: the earlier report's path, and the report.
    pub against: Option<(&'a Path, &'a against::Earlier)>,
    /// How long the runs took.
    pub elapsed: Duration,
}

#[derive(Serialize)]
struct Report<'a> {
    settings: &'a Settings,
    rows: &'a [Row],
    /// See [`Findings::cores_worth`].
    cores_worth: Option<f64>,
}

/// Under the terminal's table: what each of its columns is, against what, and what `-` means.
const LEGEND: &str = "\
own            the time the program printed for its work, in its median run
peak mem       the most memory its whole process tree held, sampled every few ms
speedup        its family's sequential program's own time over this one's
Python (here)  the article's own Python program, run here the same way
vs Python      Python (here)'s own time over this one's: how many times faster
-              no figure: not measured (a failed run, or one too short to
               sample), or nothing to compare it with
Every column, the runs of each and how each is measured: compare.md.
";

/// With `--quick`, why the CPU rows show no speedup and no ratio.
const QUICK: &str = "--quick: the CPU programs' work is too small to time, so their rows show no \
                     speedup and no ratio to Python, and the machine's ceiling is left out.";

/// The columns the terminal shows; compare.md and compare.json have them all.
const ON_TERMINAL: [Col; 7] = [
    Col::Program,
    Col::Figure(Figure::Own),
    Col::Figure(Figure::PeakMemory),
    Col::Speedup,
    Col::PythonHere,
    Col::VsPython,
    Col::Status,
];

pub fn output(
    settings: &Settings,
    rows: &mut [Row],
    findings: &Findings,
) -> anyhow::Result<Output> {
    let mut files = timelines(settings, rows)?;
    files.push(("wall-times.svg".into(), bar_chart(rows)?));
    files.push(("compare.md".into(), markdown(settings, rows, findings)));
    let json = serde_json::to_string_pretty(&Report {
        settings,
        rows,
        cores_worth: findings.cores_worth,
    })?;
    files.push(("compare.json".into(), json));
    Ok(Output {
        text: text(settings, rows, findings),
        files,
        failures: failures(rows),
    })
}

/// The terminal's table, its legend, and the sentences under it.
fn text(settings: &Settings, rows: &[Row], findings: &Findings) -> String {
    let mut text = table(rows).to_text() + "\n" + LEGEND;
    if settings.quick {
        text += &format!("\n{}", wrap(QUICK));
    } else if let Some(cores) = findings.cores_worth {
        text += &format!("\n{}\n", ceiling_sentence(cores, settings.cpus));
    }
    if let Some(Unavailable { detail, word }) = findings.python_missing {
        let sentence = format!("Python (here): {detail} (`{word}`), so its column shows `-`.");
        text += &format!("\n{}", wrap(&sentence));
    }
    if let Some((path, old)) = findings.against {
        text += &against::text(path, old, rows);
    }
    let elapsed = findings.elapsed.as_secs_f64();
    text += &format!("\nRan {} programs in {elapsed:.1} s.\n", rows.len());
    text
}

/// What failed, after the files: a line for the Python programs, one for all.
fn failures(rows: &[Row]) -> Vec<String> {
    let pythons = rows.iter().filter_map(|r| r.python_here.as_ref());
    let python_failed = pythons.filter(|p| p.unavailable.is_none() && !p.verified);
    let python_failed = python_failed.count();
    let failed = rows.iter().filter(|r| !r.verified).count() + python_failed;
    let (total, see) = (rows.len(), "failed verification: see the last column.");
    let python = (python_failed > 0).then(|| format!("{python_failed} Python programs {see}"));
    let all = (failed > 0).then(|| format!("{failed} of {total} programs {see}"));
    python.into_iter().chain(all).collect()
}

/// The line under the table that says what the machine gave all its cores at once.
fn ceiling_sentence(cores: f64, cpus: usize) -> String {
    format!(
        "The machine itself: {cpus} copies of cpu_sequential at once, in the same rounds,\n\
         did {cores:.2} cores' worth of work, the most a CPU program's speedup could be here."
    )
}

/// Every column of compare.md; the terminal shows the key columns, the longest program name
/// unbroken where it can be. The article's figure, the same on every run, is left to the
/// Markdown, beside the Python original measured here.
fn table(rows: &[Row]) -> Table {
    let mut columns = vec![Col::Program, Col::Technique, Col::Runtime, Col::Workers];
    columns.extend(Figure::ALL.map(Col::Figure));
    columns.extend([
        Col::Speedup,
        Col::PythonArticle,
        Col::PythonHere,
        Col::VsPython,
        Col::Runs,
        Col::Status,
    ]);
    columns::table(&columns, |col| ON_TERMINAL.contains(&col), rows)
}

/// Each downloader's median run as the stand-in saw it, named in its row.
fn timelines(settings: &Settings, rows: &mut [Row]) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for row in rows
        .iter_mut()
        .filter(|r| r.family == Family::Io && !settings.real)
    {
        let Some(run) = &row.median else { continue };
        let name = format!("timeline-{}.svg", row.program);
        let title = format!(
            "{}: {} with {} (workers: {}), median run",
            row.program, row.technique, row.runtime, row.workers
        );
        let (start, end) = run.window;
        files.push((name.clone(), plot::timeline(&title, &run.log, start, end)?));
        row.timeline = Some(name);
    }
    Ok(files)
}

/// Every program's wall time, beside its Python original's here and the article's.
fn bar_chart(rows: &[Row]) -> anyhow::Result<String> {
    // A wall time that was verified.
    let wall = |verified, figures: &Option<crate::run::Figures>| {
        Some(figures.as_ref().filter(|_| verified)?.wall_seconds)
    };
    let bars: Vec<plot::Bar> = (rows.iter())
        .map(|r| plot::Bar {
            label: r.program.into(),
            seconds: wall(r.verified, &r.figures),
            python: r.python_seconds,
            python_here: (r.python_here.as_ref()).and_then(|p| wall(p.verified, &p.figures)),
        })
        .collect();
    plot::bar_chart("Wall time, median run", &bars)
}

fn markdown(settings: &Settings, rows: &[Row], findings: &Findings) -> String {
    let mut text = settings_paragraph(settings) + &python_paragraph(settings);
    if settings.quick {
        text += &format!("{QUICK}\n\n");
    }
    text += &table(rows).to_markdown();
    if let Some(cores) = findings.cores_worth.filter(|_| !settings.quick) {
        text += &format!("\n{}\n", ceiling_sentence(cores, settings.cpus));
    }
    text += "\n![Wall times](wall-times.svg)\n";
    let timelines: Vec<&Row> = rows.iter().filter(|r| r.timeline.is_some()).collect();
    if !timelines.is_empty() {
        text += "\n## Timelines\n\nEach downloader's median run as the stand-in saw it: one lane \
                 per connection, one bar per request.\n";
        for row in timelines {
            let (program, file) = (row.program, row.timeline.as_deref().unwrap_or_default());
            text += &format!("\n### {program}\n\n![{program} timeline]({file})\n");
        }
    }
    text
}

/// What every program was given, and what each column is.
fn settings_paragraph(settings: &Settings) -> String {
    let latency = settings.latency_ms;
    let source = match settings.real {
        true => "the article's real sites".to_owned(),
        false => format!("the local stand-in at {latency} ms per request"),
    };
    format!(
        "# cargo xtask compare\n\n\
         Downloaders: {sites} downloads ({repeat} x the article's two sites) from {source}. \
         CPU programs: `--start {start} --count {count}`, {cpu_runs} round(s) in which each \
         runs once in turn, after half a second of untimed rounds. Spinners: `--seconds {spin}`, {spinner_runs} run(s) \
         each (a spinner's time is its sleep). The async basics: `--scale {scale}`, their times \
         in units (the article's seconds) checked to be at least the article's and under one more. Every other program: {runs}. The \
         figures are the median run's. {cpus} CPUs.\n\n\
         *wall* and *CPU* (user + system, including every worker process) are measured from \
         outside; *own* is what the program printed, and *speedup* is the family's sequential \
         program's own time over this one's, as the article's. *peak mem* (the whole process tree) and \
         *largest process* are the most resident memory seen by sampling every few ms; n/a: this \
         system does not give the figure. \
         The Python figures are the article's: a 2019 laptop on the real internet, so compare \
         the speedups, not the seconds.\n\n",
        sites = settings.sites,
        repeat = settings.repeat,
        start = settings.cpu_start,
        count = settings.cpu_count,
        spin = settings.spinner_seconds,
        scale = ASYNC_SCALE,
        spinner_runs = settings.spinner_runs,
        cpu_runs = settings.cpu_runs,
        runs = settings.runs_text(),
        cpus = settings.cpus,
    )
}

/// What the Python columns hold and how they were measured.
fn python_paragraph(settings: &Settings) -> String {
    let (runs, cpu_runs) = (settings.python_runs, settings.python_cpu_runs);
    let (Some(runs), Some(cpu_runs), Some(python)) = (runs, cpu_runs, settings.python.as_deref())
    else {
        return "The article's Python programs were left out (`--no-python`).\n\n".into();
    };
    format!(
        "*Python (here)* is the article's own program (`python/`) run on this machine, with \
         the same arguments, checked the same way (the stand-in's log, the exact sum, \
         `Answer: 42`), its own time as it printed it: each downloader {runs} time(s) right \
         after its Rust program, against the same stand-in; each CPU program {cpu_runs} \
         time(s), in the first of the Rust programs' rounds, in the same turns (a Python CPU \
         run takes seconds, not hundredths, so fewer runs tell as much); each spinner as often \
         as the Rust ones. *vs Python* is its own time over the Rust program's: how many times \
         faster the Rust program is. Interpreter: {python}.\n\n"
    )
}
