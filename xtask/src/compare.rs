//! `cargo xtask compare`: every program, built in release, run against the local stand-in,
//! each run checked, measured from outside, and reported beside the article's Python figures
//! and beside the article's Python programs (`python/`), run here in the same rounds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use contract::expected_sum;
use download_cli::MAX_REPEAT;
use download_cli::StandInArgs;
use serde::Serialize;
use stand_in::StandIn;

use crate::programs::{self, Family, PROGRAMS, Program, Workers};
use crate::python::{self, Python};
use crate::report::{self, Column, Progress, Table, mib, not_measured, or_dash, seconds};
use crate::runs::{self, Measured, Run};
use crate::verify::Expect;
use crate::verify::Faults;
use crate::{UsageError, against, cargo, ceiling, plot};

/// The most runs of any program: a thousand medians' worth.
const MAX_RUNS: i64 = 1000;

/// How long the CPU programs run untimed before they are measured.
const WARM_UP: Duration = Duration::from_millis(500);

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Runs of each program (CPU programs and spinners: see below); the median is reported
    /// (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=MAX_RUNS))]
    runs: u32,

    /// Runs of each CPU program. A run lasts a few hundredths of a second, where a VM's noise
    /// is a large share, so they run more often: the median of many is steady (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=MAX_RUNS))]
    cpu_runs: u32,

    /// Runs of each spinner. A spinner's time is its slow call's sleep, so one run tells all
    /// (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=MAX_RUNS))]
    spinner_runs: u32,

    /// The spinners' slow call, in seconds (their own default is the article's 3; 0 to 3600,
    /// as the spinners take it).
    #[arg(long, value_name = "S", default_value = "1", value_parser = contract::cli::parse_spinner_seconds)]
    spinner_seconds: Duration,

    /// Downloads per downloader: the article's two sites, this many times each (1 to 100000,
    /// as the downloaders take it).
    #[arg(long, value_name = "N", default_value_t = 80, value_parser = clap::value_parser!(u32).range(1..=MAX_REPEAT as i64))]
    repeat: u32,

    /// Run only the programs whose name contains PATTERN.
    #[arg(long, value_name = "PATTERN")]
    only: Option<String>,

    /// Small and fast, for tests: 5 ms latency, --repeat 5, one run, small CPU work, 0.2 s spinners.
    #[arg(long, conflicts_with_all = ["runs", "repeat", "latency_ms", "spinner_seconds"])]
    quick: bool,

    /// Download the article's real sites instead of the stand-in's (needs the internet).
    #[arg(long)]
    real: bool,

    /// Leave out the article's Python programs (python/), which otherwise run beside the Rust
    /// ones, in a venv under target/ made on first use.
    #[arg(long)]
    no_python: bool,

    /// Runs of each Python downloader, right after the Rust program's, against the same stand-in.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    python_runs: u32,

    /// Runs of each Python CPU program, one in each of the first N rounds of the Rust ones. A
    /// Python run takes seconds where a Rust one takes hundredths, and its noise is small.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    python_cpu_runs: u32,

    /// Where to write the report (default: target/compare).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,

    /// Kill a run that takes longer than this many seconds (1 to 86400).
    #[arg(long, value_name = "S", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    run_limit: u64,

    /// An earlier run's compare.json: print this run beside it, with the ratios.
    #[arg(long, value_name = "OLD.json")]
    against: Option<PathBuf>,

    #[command(flatten)]
    stand_in: StandInArgs,
}

/// The work every program is given, once `--quick` has had its say.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub runs: u32,
    pub spinner_runs: u32,
    pub cpu_runs: u32,
    pub spinner_seconds: f64,
    pub repeat: u32,
    pub sites: usize,
    pub latency_ms: u64,
    pub cpu_start: u64,
    pub cpu_count: u64,
    pub real: bool,
    /// Whether the stand-in injects failures (`--error-rate`, `--drop-rate`), or slow answers
    /// (`--slow-rate`) that a program may give up on.
    pub faults: bool,
    pub cpus: usize,
    /// Runs of each Python downloader and spinner; of each Python CPU program. `None` with
    /// `--no-python`.
    pub python_runs: Option<u32>,
    pub python_cpu_runs: Option<u32>,
    /// Which interpreter ran the Python programs, or why it could not.
    pub python: Option<String>,
    #[serde(skip)]
    pub stand_in: StandInArgs,
    #[serde(skip)]
    pub run_limit: Duration,
}

impl CompareArgs {
    pub fn stand_in(&self) -> &StandInArgs {
        &self.stand_in
    }

    fn settings(&self) -> Settings {
        let mut stand_in = self.stand_in.clone();
        let (runs, repeat, spinner_seconds, cpu_start, cpu_count) = if self.quick {
            stand_in.latency_ms = 5;
            (1, 5, 0.2, 100_000, 4)
        } else {
            let spinner_seconds = self.spinner_seconds.as_secs_f64();
            (self.runs, self.repeat, spinner_seconds, 5_000_000, 20)
        };
        Settings {
            runs,
            spinner_runs: if self.quick { 1 } else { self.spinner_runs },
            cpu_runs: if self.quick { 1 } else { self.cpu_runs },
            spinner_seconds,
            repeat,
            sites: 2 * repeat as usize,
            latency_ms: stand_in.latency_ms,
            cpu_start,
            cpu_count,
            real: self.real,
            faults: !self.real
                && (stand_in.error_rate + stand_in.drop_rate + stand_in.slow_rate > 0.0),
            cpus: programs::cpus(),
            python_runs: (!self.no_python).then_some(self.python_runs),
            python_cpu_runs: (!self.no_python).then_some(if self.quick {
                1
            } else {
                self.python_cpu_runs
            }),
            python: None,
            stand_in,
            run_limit: Duration::from_secs(self.run_limit),
        }
    }
}

impl Settings {
    /// The command-line arguments for `program`, and what its output must show.
    fn arguments(&self, program: &Program, urls: &[String]) -> (Vec<String>, Expect) {
        let mut args: Vec<String> = Vec::new();
        let flag = |args: &mut Vec<String>, name: &str, value: String| {
            args.extend([name.to_owned(), value]);
        };
        if let Some(workers) = program.workers_flag() {
            flag(&mut args, "--workers", workers.to_string());
        }
        let expected = match program.family {
            Family::Io => {
                if self.real {
                    args.push("--real".into());
                } else {
                    for url in urls {
                        flag(&mut args, "--url", url.clone());
                    }
                }
                flag(&mut args, "--repeat", self.repeat.to_string());
                Expect::Downloads {
                    total: self.sites,
                    faults: self.faults,
                    retries_drops: false,
                }
            }
            Family::Cpu => {
                flag(&mut args, "--start", self.cpu_start.to_string());
                flag(&mut args, "--count", self.cpu_count.to_string());
                Expect::Sum(expected_sum(self.cpu_start, self.cpu_count))
            }
            Family::Spinner => {
                flag(&mut args, "--seconds", self.spinner_seconds.to_string());
                Expect::Answer
            }
            Family::Async => {
                args.extend(program.args.iter().map(|a| a.to_string()));
                flag(&mut args, "--scale", ASYNC_SCALE.to_string());
                Expect::Units(program.units.expect("every async basics row has its units"))
            }
            Family::Race => Expect::Counter(500_000),
            Family::Flags => {
                // The stand-in's flags live under its base URL, which its pages' URLs share.
                let base = urls
                    .first()
                    .and_then(|url| url.strip_suffix(stand_in::pages::PATHS[0]));
                match base {
                    Some(base) => flag(
                        &mut args,
                        "--server",
                        format!("{base}{}", stand_in::flags::PREFIX),
                    ),
                    None => flag(&mut args, "--server", "REMOTE".into()),
                }
                // The 20 codes of flags.py's `POP20_CC`, every program's default.
                Expect::Flags {
                    total: 20,
                    faults: self.faults,
                }
            }
        };
        (args, expected)
    }

    /// The Rust program's arguments: its Python original's, and for the async downloaders
    /// `--limit`, which the Python program does not take.
    fn rust_arguments(&self, program: &Program, urls: &[String]) -> (Vec<String>, Expect) {
        let (mut args, expect) = self.arguments(program, urls);
        if program.workers == Workers::PerSite {
            args.extend(["--limit".into(), self.async_cap().to_string()]);
        }
        (args, expect)
    }

    /// The Rust async downloaders' cap, given as `--limit`: what each takes by default when it
    /// starts a stand-in of its own (1,000), so that compare's row is `cargo run -p io_async`'s
    /// run; with `--real`, what it takes against any other server (aiohttp's 100). Passing
    /// compare's stand-in as `--url` would otherwise give it aiohttp's cap. The Python original
    /// is not given one: the article's `ClientSession()` keeps aiohttp's 100, which the README's
    /// Python paragraph counts in the ratio (two waves of 100 against one of 160).
    fn async_cap(&self) -> usize {
        if self.real {
            download_cli::AIOHTTP_LIMIT
        } else {
            download_cli::STAND_IN_LIMIT
        }
    }

    fn runs_of(&self, program: &Program) -> u32 {
        match program.family {
            Family::Spinner => self.spinner_runs,
            Family::Cpu => self.cpu_runs,
            _ => self.runs,
        }
    }

    /// How `program`'s Python original runs: its interpreter, the script and the same
    /// arguments as the Rust program's; or, when it cannot run, the one word that says why.
    fn python_job<'a>(
        &self,
        program: &Program,
        python: &'a Python,
        urls: &[String],
    ) -> Option<Result<Job<'a>, &'static str>> {
        let script = program.python_script()?;
        let interpreter = match python.interpreter(script) {
            Ok(path) => path,
            Err(why) => return Some(Err(why.word)),
        };
        let (args, mut expect) = self.arguments(program, urls);
        // aiohttp sends a GET once more when the server closes the connection without an
        // answer (the stand-in's --drop-rate): the log then holds one request more per drop
        // that did not end in a failure, which the check allows for this program alone.
        if let Expect::Downloads { retries_drops, .. } = &mut expect {
            *retries_drops = script == "io_asyncio.py";
        }
        let mut arguments = vec![python::script(script).display().to_string()];
        arguments.extend(args);
        let count = match program.family {
            Family::Cpu => self.python_cpu_runs,
            Family::Spinner => Some(self.spinner_runs),
            _ => self.python_runs,
        };
        Some(Ok(Job {
            binary: interpreter,
            arguments,
            expect,
            count: count.unwrap_or(0),
        }))
    }
}

/// The async basics' `--scale`: one of the article's seconds is 50 ms, long beside a busy
/// machine's late timer wake-ups (a millisecond or two), which the 10% check must absorb.
const ASYNC_SCALE: f64 = 0.05;

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
    pub figures: Option<runs::Figures>,
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
}

/// A Python original's runs, beside its Rust program's row.
#[derive(Debug, Serialize)]
pub struct PythonRow {
    pub script: &'static str,
    /// Why it did not run, in one word: `no-python3`, `no-venv`, `offline`, `pip-failed`.
    pub unavailable: Option<&'static str>,
    pub verified: bool,
    pub failure: Option<String>,
    pub runs: usize,
    pub figures: Option<runs::Figures>,
    pub faults: Option<Faults>,
}

impl PythonRow {
    /// Its own time (what it printed), or its wall time, when verified.
    fn seconds(&self) -> Option<f64> {
        let figures = self.figures.as_ref().filter(|_| self.verified)?;
        Some(figures.own_seconds.unwrap_or(figures.wall_seconds))
    }
}

/// One program ready to run: its binary, its arguments and what it must print.
struct Job<'a> {
    binary: &'a Path,
    arguments: Vec<String>,
    expect: Expect,
    count: u32,
}

#[derive(Serialize)]
struct Report<'a> {
    settings: &'a Settings,
    rows: &'a [Row],
    /// How many cores' work the machine gave `cpus` copies of cpu_sequential at once: the
    /// ceiling of the CPU programs' speedups during these rounds (see `ceiling.rs`).
    cores_worth: Option<f64>,
}

/// The line under the table that says what the machine gave all its cores at once.
fn ceiling_sentence(cores: f64, cpus: usize) -> String {
    format!(
        "The machine itself: {cpus} copies of cpu_sequential at once, in the same rounds,\n\
         did {cores:.2} cores' worth of work, the most a CPU program's speedup could be here."
    )
}

pub fn compare(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let settings = args.settings();
    let cpus = settings.cpus;
    let selected: Vec<&Program> = PROGRAMS
        .iter()
        .filter(|p| {
            args.only
                .as_ref()
                .is_none_or(|only| p.name.contains(only.as_str()))
        })
        .collect();
    if selected.is_empty() {
        let pattern = args.only.as_deref().unwrap_or_default();
        return Err(UsageError(format!("no program's name contains {pattern:?}")).into());
    }
    let against = match &args.against {
        Some(path) => Some((path, against::load(path)?)),
        None => None,
    };
    let out_dir = match &args.out_dir {
        Some(dir) => dir.clone(),
        None => cargo::target_dir()?.join("compare"),
    };
    let mut names: Vec<&str> = selected.iter().map(|p| p.binary).collect();
    names.dedup();
    let binaries = cargo::build_release(&names)?;

    let stand_in = if settings.real {
        None
    } else {
        Some(StandIn::start(settings.stand_in.config()).context("cannot start the stand-in")?)
    };
    let urls: Vec<String> = stand_in
        .as_ref()
        .map(|s| s.urls().to_vec())
        .unwrap_or_default();

    let running = Instant::now();
    let mut settings = settings;
    let python = match settings.python_runs {
        Some(_) => Some(Python::set_up(&cargo::target_dir()?)),
        None => None,
    };
    settings.python = python.as_ref().map(|p| match (p.unavailable(), &p.venv) {
        (None, Ok(venv)) => format!("python3 in the venv {}", venv.display()),
        (Some(why), _) => why.to_string(),
        (None, Err(why)) => why.to_string(),
    });
    let settings = settings;
    // What each program is run with, or why it cannot be.
    let jobs: Vec<Result<Job, String>> = selected
        .iter()
        .map(|program| {
            let binary = binaries.get(program.binary).ok_or_else(|| {
                format!(
                    "no binary {} built by package {} (not written yet, or it does not compile)",
                    program.binary, program.package
                )
            })?;
            let (arguments, expect) = settings.rust_arguments(program, &urls);
            Ok(Job {
                binary: binary.as_path(),
                arguments,
                expect,
                count: settings.runs_of(program),
            })
        })
        .collect();
    let python_jobs: Vec<Option<Result<Job, &str>>> = selected
        .iter()
        .map(|program| settings.python_job(program, python.as_ref()?, &urls))
        .collect();
    let rounds = Rounds {
        selected: &selected,
        jobs: &jobs,
        python_jobs: &python_jobs,
        settings: &settings,
        stand_in: stand_in.as_ref(),
    };
    let Runs {
        rust: runs,
        python: python_runs,
        together,
        baseline,
    } = rounds.run_all();
    let measured: Vec<Measured> = jobs
        .into_iter()
        .zip(runs)
        .map(|(job, runs)| match job {
            Ok(_) => runs::summarize(runs),
            Err(why) => Measured::failed(why),
        })
        .collect();
    let mut rows: Vec<Row> = selected
        .iter()
        .zip(&measured)
        .map(|(program, measured)| row(program, &settings, measured))
        .collect();
    for ((row, job), runs) in rows.iter_mut().zip(&python_jobs).zip(python_runs) {
        let (Some(job), Some(script)) = (
            job,
            Program::find(row.program).and_then(|p| p.python_script()),
        ) else {
            continue;
        };
        row.python_here = Some(match job {
            Err(word) => PythonRow {
                script,
                unavailable: Some(word),
                verified: false,
                failure: None,
                runs: 0,
                figures: None,
                faults: None,
            },
            Ok(_) => {
                let measured = runs::summarize(runs);
                PythonRow {
                    script,
                    unavailable: None,
                    verified: measured.verified(),
                    failure: measured.failure,
                    runs: measured.runs,
                    figures: measured.figures,
                    faults: measured.faults,
                }
            }
        });
    }
    add_speedups(&mut rows);
    let alone = baseline.and_then(|i| rows[i].figures.as_ref()?.own_seconds);
    let together = report::median_index(&together, |&t| t).map(|i| together[i]);
    let cores_worth = match (alone, together) {
        (Some(alone), Some(together)) => Some(ceiling::cores_worth(alone, together, cpus)),
        _ => None,
    };

    let files = write_report(&out_dir, &settings, &mut rows, &measured, cores_worth)?;
    print!("{}", table(&rows).to_text());
    if let Some(cores) = cores_worth {
        println!("\n{}", ceiling_sentence(cores, cpus));
    }
    if let Some(why) = python.as_ref().and_then(|p| p.unavailable()) {
        println!("\n{}", python_missing_sentence(why));
    }
    if let Some((path, old)) = &against {
        against::print(path, old, &rows)?;
    }
    println!(
        "\nRan {} programs in {:.1} s.",
        rows.len(),
        running.elapsed().as_secs_f64()
    );
    for file in files {
        println!("Wrote {}", file.display());
    }
    let python_failed = rows
        .iter()
        .filter_map(|r| r.python_here.as_ref())
        .filter(|p| p.unavailable.is_none() && !p.verified)
        .count();
    if python_failed > 0 {
        println!("{python_failed} Python programs failed verification: see the last column.");
    }
    let failed = rows.iter().filter(|r| !r.verified).count() + python_failed;
    if failed > 0 {
        println!(
            "{failed} of {} programs failed verification: see the last column.",
            rows.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Every run the report is made of, in the order of the selected programs.
struct Runs {
    /// Each program's runs, or why a run could not be made.
    rust: Vec<Vec<Result<Run, String>>>,
    /// Its Python original's, where it has one.
    python: Vec<Vec<Result<Run, String>>>,
    /// In each CPU round, the slowest of as many copies of cpu_sequential at once as there are
    /// cores: what the machine gives them all together, the ceiling of every speedup
    /// (ceiling.rs).
    together: Vec<f64>,
    /// Which program is cpu_sequential, whose copies those were.
    baseline: Option<usize>,
}

/// What the runs need: the programs, how each runs, and the stand-in they download from.
struct Rounds<'a> {
    selected: &'a [&'a Program],
    jobs: &'a [Result<Job<'a>, String>],
    python_jobs: &'a [Option<Result<Job<'a>, &'a str>>],
    settings: &'a Settings,
    stand_in: Option<&'a StandIn>,
}

impl Rounds<'_> {
    fn run(&self, job: &Job) -> Result<Run, String> {
        let limit = self.settings.run_limit;
        runs::run_once(job.binary, &job.arguments, job.expect, self.stand_in, limit)
    }

    /// Runs every program in turn, each of its runs back to back and its Python original's
    /// right after them, against the same stand-in; the CPU programs all together, in rounds
    /// ([`Rounds::cpu_rounds`]), where the first of them comes.
    fn run_all(&self) -> Runs {
        let count = self.selected.len();
        let mut runs = Runs {
            rust: (0..count).map(|_| Vec::new()).collect(),
            python: (0..count).map(|_| Vec::new()).collect(),
            together: Vec::new(),
            baseline: None,
        };
        let progress = Progress::new(self.total_runs());
        let cpu: Vec<usize> = (0..count)
            .filter(|&i| self.selected[i].family == Family::Cpu && self.jobs[i].is_ok())
            .collect();
        for (i, program) in self.selected.iter().enumerate() {
            let Ok(job) = &self.jobs[i] else { continue };
            if program.family == Family::Cpu {
                if cpu.first() == Some(&i) {
                    progress.program(i + 1, count, "the CPU programs, in turn");
                    self.cpu_rounds(&cpu, &progress, &mut runs);
                }
                continue;
            }
            progress.program(i + 1, count, program.name);
            for n in 1..=job.count {
                progress.run(format!("run {n} of {}", job.count));
                runs.rust[i].push(self.run(job));
                progress.done();
            }
            if let Some(Ok(python)) = &self.python_jobs[i] {
                for n in 1..=python.count {
                    progress.run(format!("Python, run {n} of {}", python.count));
                    runs.python[i].push(self.run(python));
                    progress.done();
                }
            }
        }
        progress.clear();
        runs
    }

    /// The CPU programs take turns, one run of each per round, where the others run one
    /// program at a time: a CPU run lasts hundredths of a second, and a shared machine's
    /// second core comes and goes over seconds, so runs in blocks would compare one moment's
    /// machine with another's. Taking turns, each CPU program meets the same moments; their
    /// speedups are "in the same run". Each Python original runs in the first of the rounds,
    /// in the same turns, and each round ends with the machine's ceiling.
    fn cpu_rounds(&self, cpu: &[usize], progress: &Progress, runs: &mut Runs) {
        let job = |i: usize| self.jobs[i].as_ref().expect("only programs with a binary");
        // Untimed rounds first, for at least half a second, as `hyperfine --warmup`: a CPU
        // program's run is short enough for a machine coming out of idleness to show in it.
        // Seen here: cpu_threads took 0.053 s cold and 0.030 s warm. Every run still pays a
        // little: after even 5 ms of idleness this VM's kernel first queues a new thread on
        // the busy core, for 1.8 to 2.9 ms (README, "Measured here").
        progress.run("warm-up".into());
        let warming = Instant::now();
        while warming.elapsed() < WARM_UP {
            for &c in cpu {
                let _ = self.run(job(c));
            }
        }
        runs.baseline =
            (cpu.iter().copied()).find(|&i| Family::Cpu.baseline() == Some(self.selected[i].name));
        let rounds = self.settings.cpu_runs;
        for round in 1..=rounds {
            progress.run(format!("round {round} of {rounds}"));
            for &c in cpu {
                runs.rust[c].push(self.run(job(c)));
                progress.done();
            }
            for &c in cpu {
                if let Some(Ok(python)) = &self.python_jobs[c]
                    && round <= python.count
                {
                    let name = self.selected[c].name;
                    progress.run(format!("round {round} of {rounds}, Python {name}"));
                    runs.python[c].push(self.run(python));
                    progress.done();
                }
            }
            if let Some(baseline) = runs.baseline.map(job) {
                let (binary, arguments) = (baseline.binary, &baseline.arguments);
                let slowest = ceiling::slowest_of_copies(binary, arguments, self.settings.cpus);
                runs.together.extend(slowest.ok());
            }
        }
    }

    /// Every run the bar counts: the Rust programs', and their Python originals' (a Python
    /// CPU program runs in the first of the CPU rounds only).
    fn total_runs(&self) -> u64 {
        let rust: u64 = self
            .jobs
            .iter()
            .flatten()
            .map(|job| u64::from(job.count))
            .sum();
        let python = (self.python_jobs.iter().zip(self.selected))
            .filter_map(|(job, program)| {
                let job = job.as_ref()?.as_ref().ok()?;
                Some(match program.family {
                    Family::Cpu => u64::from(job.count.min(self.settings.cpu_runs)),
                    _ => u64::from(job.count),
                })
            })
            .sum::<u64>();
        rust + python
    }
}

fn row(program: &Program, settings: &Settings, measured: &Measured) -> Row {
    Row {
        program: program.name,
        package: program.package,
        family: program.family,
        technique: program.technique,
        runtime: program.runtime,
        workers: program.workers_text(settings.sites, settings.async_cap()),
        verified: measured.verified(),
        failure: measured.failure.clone(),
        runs: measured.runs,
        figures: measured.figures.clone(),
        speedup: None,
        python_seconds: program.python_seconds,
        python_speedup: None,
        faults: measured.faults,
        timeline: None,
        python_here: None,
        vs_python: None,
    }
}

/// Why the Python column is empty, or partly empty.
fn python_missing_sentence(why: &python::Unavailable) -> String {
    format!(
        "Python: {}; the rows that need it say `{}` in the Python column.",
        why.detail, why.word
    )
}

/// Each verified row's speedup against its family's sequential version, and the article's.
///
/// Both are taken from the programs' own times, the lines they print (`Duration ...`,
/// `Downloaded ... in ...`), as the article's are: the time of the work, not of starting a
/// program. A CPU program's run is a few hundredths of a second, of which starting the binary
/// takes 2 to 4 ms; wall times, in their own column, keep that in.
fn add_speedups(rows: &mut [Row]) {
    let own: HashMap<&str, f64> = rows
        .iter()
        .filter(|r| r.verified)
        .filter_map(|r| {
            let figures = r.figures.as_ref()?;
            Some((
                r.program,
                figures.own_seconds.unwrap_or(figures.wall_seconds),
            ))
        })
        .collect();
    let python: HashMap<&str, f64> = rows
        .iter()
        .filter_map(|r| Some((r.program, r.python_seconds?)))
        .collect();
    for row in rows.iter_mut() {
        let Some(baseline) = row.family.baseline() else {
            continue;
        };
        if row.verified {
            row.speedup = own.get(baseline).map(|base| base / own[row.program]);
        }
        if let (Some(base), Some(seconds)) = (python.get(baseline), row.python_seconds) {
            row.python_speedup = Some(base / seconds);
        }
    }
    // Against its Python original: own time over own time, where both print one (a spinner's
    // time is its sleep, and its wall time mostly the interpreter's start-up).
    for row in rows.iter_mut() {
        let rust = row.figures.as_ref().filter(|_| row.verified);
        let rust = rust.and_then(|f| f.own_seconds);
        let python = row.python_here.as_ref().filter(|p| p.verified);
        let python = python.and_then(|p| p.figures.as_ref()?.own_seconds);
        if let (Some(python), Some(rust)) = (python, rust) {
            row.vs_python = Some(python / rust);
        }
    }
}

fn table(rows: &[Row]) -> Table {
    // (header, a number?, on the terminal?): the terminal shows what fits in 80 columns, the
    // longest program name unbroken; the article's figure, the same on every run, is left to
    // the Markdown, beside the Python original measured here.
    let mut table = Table::of(&[
        Column("program", false, true),
        Column("technique", false, false),
        Column("runtime", false, false),
        Column("workers", true, false),
        Column("wall", true, false),
        Column("own", true, true),
        Column("CPU", true, false),
        Column("CPU/wall", true, false),
        Column("largest process", true, false),
        Column("peak mem", true, true),
        Column("threads", true, false),
        Column("procs", true, false),
        Column("speedup", true, true),
        Column("Python (article)", true, false),
        Column("Python (here)", true, true),
        Column("vs Python", true, true),
        Column("status", false, true),
    ]);
    for row in rows {
        let f = row.figures.as_ref();
        let sampled = f.and_then(|f| f.sampled);
        let mut status = match (&row.failure, &row.faults) {
            (Some(why), _) => format!("FAILED: {why}"),
            (None, Some(faults)) => format!("verified: {faults}"),
            (None, None) if row.runs > 1 => format!("verified ({} runs)", row.runs),
            (None, None) => "verified".into(),
        };
        let python = row.python_here.as_ref();
        match python {
            Some(PythonRow {
                failure: Some(why), ..
            }) => status += &format!("; Python FAILED: {why}"),
            Some(PythonRow {
                faults: Some(faults),
                ..
            }) => status += &format!("; Python: {faults}"),
            _ => {}
        }
        table.push(vec![
            row.program.into(),
            row.technique.into(),
            row.runtime.into(),
            row.workers.clone(),
            or_dash(f, |f| seconds(f.wall_seconds)),
            or_dash(f.and_then(|f| f.own_seconds), seconds),
            not_measured(f, |f| f.cpu_seconds.map(seconds)),
            not_measured(f, |f| f.cores_used.map(|c| format!("{c:.2}"))),
            or_dash(sampled, |s| mib(s.largest_process_kib)),
            or_dash(sampled, |s| mib(s.all_processes_kib)),
            not_measured(sampled, |s| s.threads.map(|t| t.to_string())),
            or_dash(sampled, |s| s.processes.to_string()),
            or_dash(row.speedup, |s| format!("{s:.1}x")),
            or_dash(row.python_seconds, |p| match row.python_speedup {
                Some(s) => format!("{p} s ({s:.1}x)"),
                None => format!("{p} s"),
            }),
            or_dash(python, |p| match (p.unavailable, p.seconds()) {
                (Some(word), _) => word.into(),
                (None, Some(s)) => seconds(s),
                (None, None) => "FAILED".into(),
            }),
            or_dash(row.vs_python, |r| format!("{r:.1}x")),
            status,
        ]);
    }
    table
}

/// Writes the timelines, the bar chart, the Markdown and the JSON; returns their paths.
fn write_report(
    dir: &Path,
    settings: &Settings,
    rows: &mut [Row],
    measured: &[Measured],
    cores_worth: Option<f64>,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for (row, measured) in rows.iter_mut().zip(measured) {
        let Some(run) = measured
            .median
            .as_ref()
            .filter(|_| row.family == Family::Io && !settings.real)
        else {
            continue;
        };
        let name = format!("timeline-{}.svg", row.program);
        let title = format!(
            "{}: {} with {} (workers: {}), median run",
            row.program, row.technique, row.runtime, row.workers
        );
        files.push(report::write(
            dir,
            &name,
            &plot::timeline(&title, &run.log, run.window.0, run.window.1)?,
        )?);
        row.timeline = Some(name);
    }
    let bars: Vec<plot::Bar> = rows
        .iter()
        .map(|r| plot::Bar {
            label: r.program.into(),
            seconds: r
                .figures
                .as_ref()
                .filter(|_| r.verified)
                .map(|f| f.wall_seconds),
            python: r.python_seconds,
            python_here: r.python_here.as_ref().and_then(|p| {
                let figures = p.figures.as_ref().filter(|_| p.verified)?;
                Some(figures.wall_seconds)
            }),
        })
        .collect();
    let title = "Wall time, median run".to_owned();
    files.push(report::write(
        dir,
        "wall-times.svg",
        &plot::bar_chart(&title, &bars)?,
    )?);
    let markdown = markdown(settings, rows, cores_worth);
    files.push(report::write(dir, "compare.md", &markdown)?);
    let json = serde_json::to_string_pretty(&Report {
        settings,
        rows,
        cores_worth,
    })?;
    files.push(report::write(dir, "compare.json", &json)?);
    Ok(files)
}

/// What the Python columns hold and how they were measured.
fn python_paragraph(settings: &Settings) -> String {
    let (Some(runs), Some(cpu_runs), Some(python)) = (
        settings.python_runs,
        settings.python_cpu_runs,
        settings.python.as_deref(),
    ) else {
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

fn markdown(settings: &Settings, rows: &[Row], cores_worth: Option<f64>) -> String {
    let source = if settings.real {
        "the article's real sites".to_owned()
    } else {
        format!(
            "the local stand-in at {} ms per request",
            settings.latency_ms
        )
    };
    let mut text = format!(
        "# cargo xtask compare\n\n\
         Downloaders: {sites} downloads ({repeat} x the article's two sites) from {source}. \
         CPU programs: `--start {start} --count {count}`, {cpu_runs} round(s) in which each \
         runs once in turn, after half a second of untimed rounds. Spinners: `--seconds {spin}`, {spinner_runs} run(s) \
         each (a spinner's time is its sleep). The async basics: `--scale {scale}`, their times \
         in units (the article's seconds) checked within 10% of the article's. Every other program ran {runs} time(s). The \
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
        runs = settings.runs,
        cpus = settings.cpus,
    );
    text += &python_paragraph(settings);
    text += &table(rows).to_markdown();
    if let Some(cores) = cores_worth {
        text += &format!("\n{}\n", ceiling_sentence(cores, settings.cpus));
    }
    text += "\n![Wall times](wall-times.svg)\n";
    let timelines: Vec<&Row> = rows.iter().filter(|r| r.timeline.is_some()).collect();
    if !timelines.is_empty() {
        text += "\n## Timelines\n\nEach downloader's median run as the stand-in saw it: one lane \
                 per connection, one bar per request.\n";
        for row in timelines {
            let file = row.timeline.as_deref().unwrap_or_default();
            text += &format!(
                "\n### {}\n\n![{} timeline]({file})\n",
                row.program, row.program
            );
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        compare: CompareArgs,
    }

    fn settings(args: &[&str]) -> Settings {
        let args = std::iter::once("compare").chain(args.iter().copied());
        Cli::parse_from(args).compare.settings()
    }

    fn limit(args: &[String]) -> Option<&str> {
        let at = args.iter().position(|a| a == "--limit")?;
        args.get(at + 1).map(String::as_str)
    }

    #[test]
    fn the_async_downloaders_get_their_own_default_cap_and_python_keeps_aiohttps() {
        let urls = ["http://127.0.0.1:1/a".to_owned()];
        let io_async = Program::find("io_async").unwrap();
        let (rust, _) = settings(&[]).rust_arguments(io_async, &urls);
        assert_eq!(limit(&rust), Some("1000"), "{rust:?}");
        // Python's io_asyncio.py has no --limit: aiohttp's session keeps its 100.
        let (python, _) = settings(&[]).arguments(io_async, &urls);
        assert_eq!(limit(&python), None, "{python:?}");
        // With --real, io_async's own default there: aiohttp's 100.
        let (real, _) = settings(&["--real"]).rust_arguments(io_async, &urls);
        assert_eq!(limit(&real), Some("100"), "{real:?}");
        let io_threads = Program::find("io_threads").unwrap();
        let (threads, _) = settings(&[]).rust_arguments(io_threads, &urls);
        assert_eq!(limit(&threads), None, "{threads:?}");
    }
}
