//! `cargo xtask sweep`: the worker table of a post that ran the article's threaded downloader
//! with `max_workers` from 1 to 500 (see `docs/io.md`), measured. One downloader, run with each
//! worker count (`--workers` for threads, `--limit` for async), for each amount of work, to show
//! where more workers stop helping and what each one costs. `--program io_threading.py` sweeps
//! the article's own Python downloader (`python/`) the same way.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use download_cli::StandInArgs;
use serde::Serialize;
use stand_in::StandIn;

use crate::programs::{Family, PYTHON, Program, Workers};
use crate::python::{self, Python};
use crate::report::{self, Column, Progress, Table, mib, not_measured, or_dash, seconds};
use crate::runs::{self, Figures};
use crate::verify::Expect;
use crate::verify::Faults;
use crate::{cargo, plot};

/// The article's table: `max_workers` and the seconds its threaded Python downloader took
/// (200 downloads of the real sites).
const ARTICLE: [(usize, f64); 7] = [
    (1, 13.254),
    (5, 3.034),
    (10, 1.712),
    (20, 1.140),
    (30, 0.956),
    (100, 0.589),
    (500, 0.684),
];

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The downloader to sweep: io_threads or io_multiprocess (--workers), io_async* (--limit),
    /// or the article's Python io_threading.py or io_mp.py (--workers).
    #[arg(long, value_name = "NAME", default_value = "io_threads", value_parser = parse_program)]
    program: Swept,

    /// The worker counts (or async limits) to try, comma-separated [default: 1,5,10,20,30,100,500;
    /// for the async programs also 1000]. The async programs also run once with no --limit: the
    /// cap they choose themselves.
    #[arg(long, value_name = "N,N,..", value_delimiter = ',')]
    workers: Option<Vec<NonZeroUsize>>,

    /// The numbers of downloads to try, comma-separated; even, as the sites come in pairs.
    #[arg(long, value_name = "N,N,..", value_delimiter = ',', default_value = "160,1000,10000", value_parser = parse_sites)]
    sites: Vec<usize>,

    /// Runs of each combination; the median is reported.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,

    /// Skip a combination that cannot take less than this many seconds (downloads / workers x
    /// latency): 10,000 downloads one at a time would take over 8 minutes.
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    max_seconds: f64,

    /// Where to write the report (default: target/compare).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,

    /// Kill a run that takes longer than this many seconds.
    #[arg(long, value_name = "S", default_value_t = 300)]
    run_limit: u64,

    #[command(flatten)]
    stand_in: StandInArgs,
}

/// The downloader swept: a Rust program, or the Python original of one (`python`: its file).
#[derive(Clone, Copy, Debug)]
struct Swept {
    program: &'static Program,
    python: Option<&'static str>,
}

impl Swept {
    fn name(&self) -> &'static str {
        self.python.unwrap_or(self.program.name)
    }
}

fn parse_program(name: &str) -> Result<Swept, String> {
    // A Python downloader with workers: its Rust sibling says how it is driven.
    let python = PYTHON
        .iter()
        .find(|&&(_, script)| script == name)
        .and_then(|&(rust, script)| Some((Program::find(rust)?, script)));
    match (Program::find(name), python) {
        (Some(p), _) if p.family == Family::Io && p.workers != Workers::One => Ok(Swept {
            program: p,
            python: None,
        }),
        (_, Some((p, script)))
            if p.family == Family::Io && matches!(p.workers, Workers::Fixed(_) | Workers::Cpus) =>
        {
            Ok(Swept {
                program: p,
                python: Some(script),
            })
        }
        _ => Err(
            "must be a downloader with workers: io_threads, io_multiprocess, io_async, \
                  io_async_smol or io_async_std, or the Python io_threading.py or io_mp.py"
                .into(),
        ),
    }
}

fn parse_sites(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 && n % 2 == 0 => Ok(n),
        _ => Err(format!("{text:?} is not a positive even number")),
    }
}

/// One combination's line of the report.
#[derive(Debug, Serialize)]
pub struct SweepRow {
    /// `--workers` or `--limit`.
    pub flag: &'static str,
    /// The flag's value; `None`: the flag left out, the program's own default.
    pub value: Option<usize>,
    /// With the flag left out, the cap the program said it chose ("At most N requests ...").
    pub default_cap: Option<usize>,
    pub sites: usize,
    pub verified: bool,
    pub failure: Option<String>,
    /// With faults on: the failures by kind, beside what the stand-in injected.
    pub faults: Option<Faults>,
    /// Why it was not run.
    pub skipped: Option<String>,
    pub figures: Option<Figures>,
}

#[derive(Serialize)]
struct Report<'a> {
    program: &'static str,
    latency_ms: u64,
    runs: u32,
    rows: &'a [SweepRow],
    /// The article's `(max_workers, seconds)`, for io_threads.
    article: Option<&'a [(usize, f64)]>,
}

impl SweepArgs {
    pub fn stand_in(&self) -> &StandInArgs {
        &self.stand_in
    }
}

pub fn sweep(args: &SweepArgs) -> anyhow::Result<ExitCode> {
    let swept = args.program;
    let program = swept.program;
    let name = swept.name();
    let flag = if program.workers == Workers::PerSite {
        "--limit"
    } else {
        "--workers"
    };
    let out_dir = match &args.out_dir {
        Some(dir) => dir.clone(),
        None => cargo::target_dir()?.join("compare"),
    };
    // The program to run, and the arguments before the sweep's: a Python program is its
    // interpreter and its script.
    let (binary, script): (PathBuf, Option<String>) = match swept.python {
        None => {
            let binaries = cargo::build_release(&[program.name])?;
            let binary = binaries.get(program.name).with_context(|| {
                format!(
                    "{} was not built (not written yet, or it does not compile)",
                    program.name
                )
            })?;
            (binary.clone(), None)
        }
        Some(script) => {
            let python = Python::set_up(&cargo::target_dir()?);
            let interpreter = python
                .interpreter(script)
                .map_err(|why| anyhow::anyhow!("cannot run {script}: {why}"))?;
            let path = python::script(script).display().to_string();
            (interpreter.to_path_buf(), Some(path))
        }
    };
    let stand_in = StandIn::start(args.stand_in.config()).context("cannot start the stand-in")?;
    let latency = Duration::from_millis(args.stand_in.latency_ms);
    let faults = args.stand_in.error_rate > 0.0 || args.stand_in.drop_rate > 0.0;

    let mut rows = Vec::new();
    let settings = settings(args);
    let total = args.sites.len() * settings.len();
    let progress = Progress::new((total as u32 * args.runs).into());
    for &sites in &args.sites {
        for &value in &settings {
            let mut row = SweepRow {
                flag,
                value,
                default_cap: None,
                sites,
                verified: false,
                failure: None,
                faults: None,
                skipped: None,
                figures: None,
            };
            // The least time it can take: every request one latency, `value` at a time.
            let least = value.map_or(Duration::ZERO, |v| latency * sites.div_ceil(v) as u32);
            if least.as_secs_f64() > args.max_seconds {
                row.skipped = Some(format!(
                    "would take at least {}",
                    seconds(least.as_secs_f64())
                ));
                rows.push(row);
                (0..args.runs).for_each(|_| progress.done());
                continue;
            }
            let mut arguments: Vec<String> = script.iter().cloned().collect();
            arguments.extend(
                stand_in
                    .urls()
                    .iter()
                    .flat_map(|u| ["--url".into(), u.clone()]),
            );
            if let Some(value) = value {
                arguments.extend([flag.into(), value.to_string()]);
            }
            arguments.extend(["--repeat".into(), (sites / 2).to_string()]);
            let expected = Expect::Downloads {
                total: sites,
                faults,
                retries_drops: false,
            };
            let step = format!("{name} {}, {sites} sites", row.setting());
            progress.program(rows.len() + 1, total, &step);
            let runs = (1..=args.runs)
                .map(|run| {
                    progress.run(format!("run {run} of {}", args.runs));
                    let limit = Duration::from_secs(args.run_limit);
                    let run = runs::run_once(&binary, &arguments, expected, Some(&stand_in), limit);
                    progress.done();
                    run
                })
                .collect::<Vec<_>>();
            row.default_cap = runs
                .iter()
                .flatten()
                .find_map(|run| said_cap(&run.measurement.stderr));
            let measured = runs::summarize(runs);
            row.verified = measured.verified();
            row.failure = measured.failure;
            row.faults = measured.faults;
            row.figures = measured.figures;
            rows.push(row);
        }
    }
    progress.clear();

    // The article's table is of its threaded Python downloader: beside io_threads, and beside
    // that very program run here.
    let article = (program.name == "io_threads").then_some(&ARTICLE[..]);
    let (matrix, detail) = (matrix(args, &rows, article), detail(&rows));
    print!("{}\n{}", matrix.to_text(), detail.to_text());
    let title = format!(
        "{name}: wall time against {flag} ({} ms per request)",
        args.stand_in.latency_ms
    );
    let chart = plot::line_chart(
        &title,
        &format!("{flag} (log scale)"),
        "wall seconds (log scale)",
        &series(args, &rows, article),
    )?;
    let chart_name = format!("sweep-{name}.svg");
    let markdown = format!(
        "# cargo xtask sweep --program {name}\n\n\
         Each cell is the wall time of {name} with that many {flag}, downloading that many \
         sites from the local stand-in at {latency} ms per request (median of {runs} run(s)).{python}\n\n\
         {}\n![{name} sweep]({chart_name})\n\n## Every run\n\n{}",
        matrix.to_markdown(),
        detail.to_markdown(),
        latency = args.stand_in.latency_ms,
        runs = args.runs,
        python = match article {
            Some(_) =>
                " The article's column is its threaded Python downloader on the real internet, 200 downloads.",
            None => "",
        },
    );
    let report = Report {
        program: name,
        latency_ms: args.stand_in.latency_ms,
        runs: args.runs,
        rows: &rows,
        article,
    };
    let json = serde_json::to_string_pretty(&report)?;
    println!();
    for (name, contents) in [
        (chart_name.as_str(), chart.as_str()),
        (&format!("sweep-{name}.md"), &markdown),
        (&format!("sweep-{name}.json"), &json),
    ] {
        println!(
            "Wrote {}",
            report::write(&out_dir, name, contents)?.display()
        );
    }
    let failed = rows.iter().filter(|r| r.failure.is_some()).count();
    if failed > 0 {
        println!(
            "{failed} of {} runs failed verification: see the status column.",
            rows.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The values of the flag to try: `--workers`'s list, or the program's; for the async programs
/// also none at all, the program's own default, first.
fn settings(args: &SweepArgs) -> Vec<Option<usize>> {
    let asynchronous = args.program.program.workers == Workers::PerSite;
    let values: Vec<usize> = match &args.workers {
        Some(values) => values.iter().map(|v| v.get()).collect(),
        None if asynchronous => vec![1, 5, 10, 20, 30, 100, 500, 1000],
        None => vec![1, 5, 10, 20, 30, 100, 500],
    };
    let default = asynchronous.then_some(None);
    default
        .into_iter()
        .chain(values.into_iter().map(Some))
        .collect()
}

/// The cap an async downloader says it chose: "At most 1000 requests at once, ...", or "At
/// most 1 request at once, ...".
fn said_cap(stderr: &str) -> Option<usize> {
    stderr
        .lines()
        .find_map(|line| line.strip_prefix("At most "))
        .and_then(|rest| rest.split_once(" request"))
        .and_then(|(n, _)| n.parse().ok())
}

impl SweepRow {
    /// "--limit 5", or "no --limit (1000)" for the program's own default.
    fn setting(&self) -> String {
        match (self.value, self.default_cap) {
            (Some(value), _) => format!("{} {value}", self.flag),
            (None, Some(cap)) => format!("no {} ({cap})", self.flag),
            (None, None) => format!("no {}", self.flag),
        }
    }

    /// The row's first cell: the flag's value, or "default (N)".
    fn label(&self) -> String {
        match (self.value, self.default_cap) {
            (Some(value), _) => value.to_string(),
            (None, Some(cap)) => format!("default ({cap})"),
            (None, None) => "default".into(),
        }
    }
}

/// Workers down, sites across: the shape of the article's table.
fn matrix(args: &SweepArgs, rows: &[SweepRow], article: Option<&[(usize, f64)]>) -> Table {
    let flag = rows.first().map_or("--workers", |r| r.flag);
    let mut headers = vec![flag.to_owned()];
    headers.extend(args.sites.iter().map(|s| format!("{s} sites")));
    if article.is_some() {
        headers.push("Python (article)".into());
    }
    let mut table = Table::new(headers.into_iter().map(|h| (h, true, true)));
    for value in settings(args) {
        let label = rows
            .iter()
            .find(|r| r.value == value)
            .map_or_else(|| "default".into(), SweepRow::label);
        let mut cells = vec![label];
        for &sites in &args.sites {
            let row = rows.iter().find(|r| r.value == value && r.sites == sites);
            cells.push(match row {
                Some(SweepRow {
                    skipped: Some(_), ..
                }) => "skipped".into(),
                Some(SweepRow {
                    failure: Some(_), ..
                })
                | None => "FAILED".into(),
                Some(SweepRow { figures, .. }) => {
                    or_dash(figures.as_ref(), |f| seconds(f.wall_seconds))
                }
            });
        }
        if let Some(article) = article {
            let python = article.iter().find(|(w, _)| Some(*w) == value);
            cells.push(or_dash(python, |(_, s)| seconds(*s)));
        }
        table.push(cells);
    }
    table
}

/// Every combination with every figure.
fn detail(rows: &[SweepRow]) -> Table {
    let flag = rows.first().map_or("--workers", |r| r.flag);
    // (header, a number?, on the terminal?): the terminal shows what fits in 80 columns.
    let mut table = Table::of(&[
        Column(flag, true, true),
        Column("sites", true, true),
        Column("wall", true, true),
        Column("own", true, false),
        Column("CPU", true, false),
        Column("CPU/wall", true, false),
        Column("peak mem", true, true),
        Column("threads", true, true),
        Column("procs", true, false),
        Column("status", false, true),
    ]);
    for row in rows {
        let f = row.figures.as_ref();
        let sampled = f.and_then(|f| f.sampled);
        let status = match (&row.skipped, &row.failure, &row.faults) {
            (Some(why), ..) => format!("skipped: {why}"),
            (None, Some(why), _) => format!("FAILED: {why}"),
            (None, None, Some(faults)) => format!("verified: {faults}"),
            (None, None, None) => "verified".into(),
        };
        table.push(vec![
            row.label(),
            row.sites.to_string(),
            or_dash(f, |f| seconds(f.wall_seconds)),
            or_dash(f.and_then(|f| f.own_seconds), seconds),
            not_measured(f, |f| f.cpu_seconds.map(seconds)),
            not_measured(f, |f| f.cores_used.map(|c| format!("{c:.2}"))),
            or_dash(sampled, |s| mib(s.all_processes_kib)),
            not_measured(sampled, |s| s.threads.map(|t| t.to_string())),
            or_dash(sampled, |s| s.processes.to_string()),
            status,
        ]);
    }
    table
}

/// One line per number of sites, and the article's, dashed.
fn series(
    args: &SweepArgs,
    rows: &[SweepRow],
    article: Option<&[(usize, f64)]>,
) -> Vec<plot::Series> {
    let mut series: Vec<plot::Series> = args
        .sites
        .iter()
        .map(|&sites| plot::Series {
            name: format!("{sites} sites"),
            points: rows
                .iter()
                .filter(|r| r.sites == sites && r.verified)
                .filter_map(|r| Some((r.value? as f64, r.figures.as_ref()?.wall_seconds)))
                .collect(),
            dashed: false,
        })
        .collect();
    if let Some(article) = article {
        series.push(plot::Series {
            name: "Python, the article's run".into(),
            points: article.iter().map(|&(w, s)| (w as f64, s)).collect(),
            dashed: true,
        });
    }
    series
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_a_program_chose_is_read_from_its_line() {
        let stderr = "Serving the two sites locally at http://127.0.0.1:40393, 50 ms each (or --real)\n\
                      At most 1000 requests at once, the stand-in's default (--limit N to change)\n";
        assert_eq!(said_cap(stderr), Some(1000));
        let one = "At most 1 request at once, all the open-file limit (33) has room for";
        assert_eq!(said_cap(one), Some(1));
        assert_eq!(said_cap("At most a few requests in flight"), None);
        assert_eq!(said_cap(""), None);
    }

    #[test]
    fn async_programs_are_swept_with_their_own_default_first() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            sweep: SweepArgs,
        }
        let parse = |args: &[&str]| Cli::parse_from(["sweep"].iter().chain(args)).sweep;
        let async_default = settings(&parse(&["--program", "io_async"]));
        assert_eq!(async_default.first(), Some(&None));
        assert!(async_default.contains(&Some(1000)));
        let threads = settings(&parse(&["--program", "io_threads"]));
        assert!(!threads.contains(&None));
        let given = settings(&parse(&["--program", "io_async_smol", "--workers", "5,50"]));
        assert_eq!(given, [None, Some(5), Some(50)]);
        let python = settings(&parse(&["--program", "io_threading.py"]));
        assert_eq!(python, threads, "the Python program's table is io_threads'");
    }

    #[test]
    fn python_downloaders_with_workers_can_be_swept() {
        let python = parse_program("io_threading.py").unwrap();
        assert_eq!(
            (python.name(), python.program.name),
            ("io_threading.py", "io_threads")
        );
        assert_eq!(
            parse_program("io_mp.py").unwrap().program.name,
            "io_multiprocess"
        );
        // aiohttp's program has no --limit; the sequential ones have no workers.
        for refused in [
            "io_asyncio.py",
            "io_non_concurrent.py",
            "io_sequential",
            "cpu_mp.py",
        ] {
            assert!(parse_program(refused).is_err(), "{refused}");
        }
    }
}
