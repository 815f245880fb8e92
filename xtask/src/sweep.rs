//! `cargo xtask sweep`: the worker table of a post that ran the article's threaded downloader
//! with `max_workers` from 1 to 500 (see `docs/io.md`), measured. One downloader, run with each
//! worker count (`--workers` for threads, `--limit` for async), for each amount of work, to show
//! where more workers stop helping and what each one costs.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use sites::{StandIn, StandInArgs};

use crate::programs::{Family, Program, Workers};
use crate::report::{self, Align, Progress, Table, mib, or_dash, seconds};
use crate::runs::{self, Expected, Figures};
use crate::verify::Faults;
use crate::{cargo, svg};

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
    /// The downloader to sweep: io_threads or io_multiprocess (--workers), io_async* (--limit).
    #[arg(long, value_name = "NAME", default_value = "io_threads", value_parser = parse_program)]
    program: &'static Program,

    /// The worker counts (or async limits) to try, comma-separated.
    #[arg(
        long,
        value_name = "N,N,..",
        value_delimiter = ',',
        default_value = "1,5,10,20,30,100,500"
    )]
    workers: Vec<NonZeroUsize>,

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

fn parse_program(name: &str) -> Result<&'static Program, String> {
    match Program::find(name) {
        Some(p) if p.family == Family::Io && p.workers != Workers::One => Ok(p),
        _ => Err("must be a downloader with workers: io_threads, io_multiprocess, io_async, io_async_smol or io_async_std".into()),
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
    pub value: usize,
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
    let program = args.program;
    let flag = if program.workers == Workers::PerSite {
        "--limit"
    } else {
        "--workers"
    };
    let out_dir = match &args.out_dir {
        Some(dir) => dir.clone(),
        None => cargo::target_dir()?.join("compare"),
    };
    let binaries = cargo::build_release(&[program.package])?;
    let binary = binaries.get(program.name).with_context(|| {
        format!(
            "{} was not built (not written yet, or it does not compile)",
            program.name
        )
    })?;
    let stand_in = StandIn::start(args.stand_in.config()).context("cannot start the stand-in")?;
    let latency = Duration::from_millis(args.stand_in.latency_ms);
    let faults = args.stand_in.error_rate > 0.0 || args.stand_in.drop_rate > 0.0;

    let progress = Progress::new();
    let mut rows = Vec::new();
    let total = args.sites.len() * args.workers.len();
    for &sites in &args.sites {
        for &value in &args.workers {
            let value = value.get();
            let mut row = SweepRow {
                flag,
                value,
                sites,
                verified: false,
                failure: None,
                faults: None,
                skipped: None,
                figures: None,
            };
            let least = latency * sites.div_ceil(value) as u32;
            if least.as_secs_f64() > args.max_seconds {
                row.skipped = Some(format!(
                    "would take at least {}",
                    seconds(least.as_secs_f64())
                ));
                rows.push(row);
                continue;
            }
            let mut arguments: Vec<String> = stand_in
                .urls()
                .iter()
                .flat_map(|u| ["--url".into(), u.clone()])
                .collect();
            arguments.extend([
                flag.into(),
                value.to_string(),
                "--repeat".into(),
                (sites / 2).to_string(),
            ]);
            let expected = Expected::Downloads {
                total: sites,
                faults,
            };
            let runs = (1..=args.runs)
                .map(|run| {
                    progress.show(&format!(
                        "[{}/{total}] {} {flag} {value}, {sites} sites: run {run} of {}",
                        rows.len() + 1,
                        program.name,
                        args.runs
                    ));
                    let limit = Duration::from_secs(args.run_limit);
                    runs::run_once(binary, &arguments, expected, Some(&stand_in), limit)
                })
                .collect();
            let summary = runs::summarize(runs);
            row.verified = summary.verified();
            row.failure = summary.failure;
            row.faults = summary.faults;
            row.figures = summary.figures;
            rows.push(row);
        }
    }
    progress.clear();

    let article = (program.name == "io_threads").then_some(&ARTICLE[..]);
    let (matrix, detail) = (matrix(args, &rows, article), detail(&rows));
    print!("{}\n{}", matrix.to_text(), detail.to_text());
    let title = format!(
        "{}: wall time against {flag} ({} ms per request)",
        program.name, args.stand_in.latency_ms
    );
    let chart = svg::line_chart(
        &title,
        &format!("{flag} (log scale)"),
        "wall seconds (log scale)",
        &series(args, &rows, article),
    );
    let chart_name = format!("sweep-{}.svg", program.name);
    let markdown = format!(
        "# cargo xtask sweep --program {name}\n\n\
         Each cell is the wall time of {name} with that many {flag}, downloading that many \
         sites from the local stand-in at {latency} ms per request (median of {runs} run(s)).{python}\n\n\
         {}\n![{name} sweep]({chart_name})\n\n## Every run\n\n{}",
        matrix.to_markdown(),
        detail.to_markdown(),
        name = program.name,
        latency = args.stand_in.latency_ms,
        runs = args.runs,
        python = match article {
            Some(_) =>
                " The article's column is its threaded Python downloader on the real internet, 200 downloads.",
            None => "",
        },
    );
    let report = Report {
        program: program.name,
        latency_ms: args.stand_in.latency_ms,
        runs: args.runs,
        rows: &rows,
        article,
    };
    let json = serde_json::to_string_pretty(&report)?;
    println!();
    for (name, contents) in [
        (chart_name.as_str(), chart.as_str()),
        (&format!("sweep-{}.md", program.name), &markdown),
        (&format!("sweep-{}.json", program.name), &json),
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

/// Workers down, sites across: the shape of the article's table.
fn matrix(args: &SweepArgs, rows: &[SweepRow], article: Option<&[(usize, f64)]>) -> Table {
    let flag = rows.first().map_or("--workers", |r| r.flag);
    let mut headers = vec![flag.to_owned()];
    headers.extend(args.sites.iter().map(|s| format!("{s} sites")));
    if article.is_some() {
        headers.push("Python (article)".into());
    }
    let columns: Vec<(&str, Align)> = headers.iter().map(|h| (h.as_str(), Align::Right)).collect();
    let mut table = Table::new(&columns);
    for value in args.workers.iter().map(|v| v.get()) {
        let mut cells = vec![value.to_string()];
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
            let python = article.iter().find(|(w, _)| *w == value);
            cells.push(or_dash(python, |(_, s)| seconds(*s)));
        }
        table.push(cells);
    }
    table
}

/// Every combination with every figure.
fn detail(rows: &[SweepRow]) -> Table {
    use Align::{Left, Right};
    let flag = rows.first().map_or("--workers", |r| r.flag);
    let mut table = Table::new(&[
        (flag, Right),
        ("sites", Right),
        ("wall", Right),
        ("own", Right),
        ("CPU", Right),
        ("CPU/wall", Right),
        ("peak mem (all)", Right),
        ("threads", Right),
        ("procs", Right),
        ("status", Left),
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
            row.value.to_string(),
            row.sites.to_string(),
            or_dash(f, |f| seconds(f.wall_seconds)),
            or_dash(f.and_then(|f| f.own_seconds), seconds),
            or_dash(f, |f| seconds(f.cpu_seconds)),
            or_dash(f, |f| format!("{:.2}", f.cores_used)),
            or_dash(sampled, |s| mib(s.all_processes_kib)),
            or_dash(sampled, |s| s.threads.to_string()),
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
) -> Vec<svg::Series> {
    let mut series: Vec<svg::Series> = args
        .sites
        .iter()
        .map(|&sites| svg::Series {
            name: format!("{sites} sites"),
            points: rows
                .iter()
                .filter(|r| r.sites == sites && r.verified)
                .filter_map(|r| Some((r.value as f64, r.figures.as_ref()?.wall_seconds)))
                .collect(),
            dashed: false,
        })
        .collect();
    if let Some(article) = article {
        series.push(svg::Series {
            name: "Python, the article's run".into(),
            points: article.iter().map(|&(w, s)| (w as f64, s)).collect(),
            dashed: true,
        });
    }
    series
}
