//! compare's rows: each program's median run beside its Python original's, and what is
//! compared with what (speedups, the ratio to Python, the machine's ceiling).

use std::collections::HashMap;

use serde::Serialize;

use crate::programs::{Family, Program};
use crate::run::{Done, Figures, Measured, Ran, Run};
use crate::verify::Faults;

use super::settings::Settings;

/// One program's line of the report.
#[derive(Debug, Serialize)]
pub struct Row {
    pub program: &'static str,
    pub package: &'static str,
    pub family: Family,
    pub technique: &'static str,
    pub runtime: &'static str,
    pub workers: String,
    pub verified: bool,
    /// Why it is not verified.
    pub failure: Option<String>,
    pub runs: usize,
    pub figures: Option<Figures>,
    /// The family's sequential own time over this one's (see [`add_speedups`]).
    pub speedup: Option<f64>,
    pub python_seconds: Option<f64>,
    pub python_speedup: Option<f64>,
    pub faults: Option<Faults>,
    /// The timeline picture's file name, for downloaders run against the stand-in.
    pub timeline: Option<String>,
    /// Its Python original, run here: `None` when it has none, or with `--no-python`.
    pub python_here: Option<PythonRow>,
    /// The Python original's own time over this program's: how many times faster Rust is.
    pub vs_python: Option<f64>,
    /// The median run, for its timeline.
    #[serde(skip)]
    pub median: Option<Run>,
}

/// A Python original's runs, beside its Rust program's row.
#[derive(Debug, Serialize)]
pub struct PythonRow {
    pub script: &'static str,
    /// Why it did not run, in one word: `no-python3`, `no-venv`, `offline`, `pip-failed`.
    pub unavailable: Option<String>,
    pub verified: bool,
    pub failure: Option<String>,
    pub runs: usize,
    pub figures: Option<Figures>,
    pub faults: Option<Faults>,
    /// Its family's sequential original's time here over its own, where the Rust program has a
    /// speedup.
    pub speedup: Option<f64>,
}

impl PythonRow {
    /// Its own time (what it printed), or its wall time, when verified.
    pub fn seconds(&self) -> Option<f64> {
        let figures = self.figures.as_ref().filter(|_| self.verified)?;
        Some(figures.own_or_wall())
    }
}

/// What the runs came to: the rows, and how many cores' work the machine gave all its cores at
/// once during the CPU rounds, if it was measured.
pub fn rows(
    selected: &[&'static Program],
    settings: &Settings,
    ran: Ran,
) -> (Vec<Row>, Option<f64>) {
    let mut rows: Vec<Row> = (selected.iter().zip(ran.entries))
        .map(|(program, jobs)| {
            let mut jobs = jobs.into_iter();
            let measured = match jobs.next() {
                Some(Done::Measured(measured)) => *measured,
                Some(Done::NotRun(why)) => Measured::failed(why),
                None => Measured::failed("not run"),
            };
            let mut row = row(program, settings, measured);
            row.python_here = jobs.next().zip(program.python_script()).map(python_row);
            row
        })
        .collect();
    add_speedups(&mut rows, settings.quick);
    (rows, ran.ceiling.cores_worth(settings.cpus))
}

fn row(program: &Program, settings: &Settings, measured: Measured) -> Row {
    Row {
        program: program.name,
        package: program.package,
        family: program.family,
        technique: program.technique,
        runtime: program.runtime,
        workers: program.workers_text(settings.sites, settings.async_cap()),
        verified: measured.verified(),
        failure: measured.failure,
        runs: measured.runs,
        figures: measured.figures,
        speedup: None,
        python_seconds: program.python_seconds,
        python_speedup: None,
        faults: measured.faults,
        timeline: None,
        python_here: None,
        vs_python: None,
        median: measured.median,
    }
}

/// The Python original's runs, or the one word that says why it could not run.
fn python_row((job, script): (Done, &'static str)) -> PythonRow {
    let (unavailable, measured) = match job {
        Done::Measured(measured) => (None, *measured),
        Done::NotRun(word) => (Some(word), Measured::default()),
    };
    PythonRow {
        script,
        unavailable,
        verified: measured.verified(),
        failure: measured.failure,
        runs: measured.runs,
        figures: measured.figures,
        faults: measured.faults,
        speedup: None,
    }
}

/// Each verified row's speedup against its family's sequential version, and the article's.
///
/// Both are taken from the programs' own times, the lines they print (`Duration ...`,
/// `Downloaded ... in ...`), as the article's are: the time of the work, not of starting a
/// program. A CPU program's run is a few hundredths of a second, of which starting the binary
/// is a share that shows; wall times, in their own column, keep it in. With `quick`, the CPU
/// programs' work is too small to time: they get no speedup and no ratio to Python.
fn add_speedups(rows: &mut [Row], quick: bool) {
    // Each program's own time (verified), the article's Python figure, its original's here.
    let times: HashMap<&str, [Option<f64>; 3]> = (rows.iter())
        .map(|r| {
            let own = r.figures.as_ref().filter(|_| r.verified);
            let own = own.map(Figures::own_or_wall);
            let here = r.python_here.as_ref().and_then(PythonRow::seconds);
            (r.program, [own, r.python_seconds, here])
        })
        .collect();
    for row in rows.iter_mut() {
        let timed = !(quick && row.family == Family::Cpu);
        // Against its Python original: own time over own time, where both print one (a
        // spinner's time is its sleep, and its wall time mostly the interpreter's start-up).
        let rust = row.figures.as_ref().filter(|_| row.verified);
        let rust = rust.and_then(|f| f.own_seconds);
        let python = row.python_here.as_ref().filter(|p| p.verified);
        let python = python.and_then(|p| p.figures.as_ref()?.own_seconds);
        row.vs_python = python.zip(rust).filter(|_| timed).map(|(p, r)| p / r);
        let baseline = row.family.baseline().and_then(|b| times.get(b));
        let Some(&[own, python, here]) = baseline else {
            continue;
        };
        row.python_speedup = python.zip(row.python_seconds).map(|(b, s)| b / s);
        let mine = times[row.program][0];
        row.speedup = own.zip(mine).filter(|_| timed).map(|(b, s)| b / s);
        if let Some(python) = row.python_here.as_mut().filter(|_| row.speedup.is_some()) {
            python.speedup = here.zip(python.seconds()).map(|(b, s)| b / s);
        }
    }
}
