//! What `cargo xtask compare` is asked (`CompareArgs`, its command line) and the work every
//! program is given once `--quick` has had its say (`Settings`).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use download_cli::{MAX_REPEAT, StandInArgs};
use serde::Serialize;

use crate::plan;
use crate::programs::{self, Family, Program};

/// The most runs of any program: a thousand medians' worth.
const MAX_RUNS: i64 = 1000;

/// Without `--runs`, a program whose first run takes this long runs only once. Such a run is
/// mostly the stand-in's waits (io_sequential's 160 of them), which vary from run to run by a
/// small share of their seconds, where a run of hundredths varies by tens of percent: compare's
/// `runs` column and compare.json's `every_wall_seconds` show both.
pub const LONG_RUN: Duration = Duration::from_secs(5);

/// How long the CPU programs run untimed before they are measured.
pub const WARM_UP: Duration = Duration::from_millis(500);

/// The async basics' `--scale`: one of the article's seconds is 50 ms, long beside a busy
/// machine's late timer wake-ups (milliseconds), which the check, allowing under one unit
/// more than the article's seconds, must absorb.
pub const ASYNC_SCALE: f64 = 0.05;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Runs of each program (CPU programs and spinners: see below); the median is reported
    /// (1 to 1000) [default: 3, but 1 for a program whose first run takes 5 s or more]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_RUNS))]
    runs: Option<u32>,

    /// Runs of each CPU program. A run lasts a few hundredths of a second, where a VM's noise
    /// is a large share, so they run more often: the median of many is steady (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=MAX_RUNS))]
    cpu_runs: u32,

    /// Runs of each spinner. A spinner's time is its slow call's sleep, so one run tells all
    /// (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=MAX_RUNS))]
    spinner_runs: u32,

    /// Runs of each server's busy and http loads, one after another on the same server; the run
    /// with the median rate is reported. The idle load's active clients query as many rounds
    /// (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=MAX_RUNS))]
    server_runs: u32,

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
    pub only: Option<String>,

    /// Small and fast, for tests: 5 ms latency, --repeat 5, one run, small CPU work, 0.2 s spinners.
    #[arg(long, conflicts_with_all = ["runs", "server_runs", "repeat", "latency_ms", "spinner_seconds"])]
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
    pub out_dir: Option<PathBuf>,

    /// Kill a run that takes longer than this many seconds (1 to 86400).
    #[arg(long, value_name = "S", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    run_limit: u64,

    /// An earlier run's compare.json: print this run beside it, with the ratios.
    #[arg(long, value_name = "OLD.json")]
    pub against: Option<PathBuf>,

    /// Rewrite the measured tables of README.md and docs/*.md (their `<!-- figures:NAME ... -->`
    /// regions) from this run, once every program is verified.
    #[arg(long, conflicts_with_all = ["quick", "only", "real"])]
    pub write_docs: bool,

    #[command(flatten)]
    pub stand_in: StandInArgs,
}

/// The work every program is given, once `--quick` has had its say.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub runs: u32,
    /// A first run at least this long is its program's only one (without `--runs`), for the
    /// programs that `--runs` counts ([`Settings::runs_of`]).
    #[serde(skip)]
    pub long_run: Option<Duration>,
    pub spinner_runs: u32,
    pub cpu_runs: u32,
    pub server_runs: u32,
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
    /// `--quick`: the CPU programs' work is too small to time, so their speedups and Python
    /// ratios are left out.
    pub quick: bool,
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
    pub fn settings(&self) -> Settings {
        let mut stand_in = self.stand_in.clone();
        let quick = |runs: u32| if self.quick { 1 } else { runs };
        let (repeat, spinner_seconds, cpu_start, cpu_count) = if self.quick {
            stand_in.latency_ms = 5;
            (5, 0.2, 100_000, 4)
        } else {
            let spinner_seconds = self.spinner_seconds.as_secs_f64();
            (self.repeat, spinner_seconds, 5_000_000, 20)
        };
        let python = |runs: u32| (!self.no_python).then_some(runs);
        Settings {
            runs: quick(self.runs.unwrap_or(3)),
            long_run: (self.runs.is_none() && !self.quick).then_some(LONG_RUN),
            spinner_runs: quick(self.spinner_runs),
            cpu_runs: quick(self.cpu_runs),
            server_runs: quick(self.server_runs),
            spinner_seconds,
            repeat,
            sites: 2 * repeat as usize,
            latency_ms: stand_in.latency_ms,
            cpu_start,
            cpu_count,
            real: self.real,
            faults: !self.real && plan::injects_faults(&stand_in),
            cpus: programs::cpus(),
            quick: self.quick,
            python_runs: python(self.python_runs),
            python_cpu_runs: python(quick(self.python_cpu_runs)),
            python: None,
            stand_in,
            run_limit: Duration::from_secs(self.run_limit),
        }
    }
}

impl Settings {
    /// How many runs the programs outside the rounds had: "3 runs (one where the first took 5 s
    /// or more)" ([`LONG_RUN`]), or with `--runs 3`, "3 run(s)".
    pub fn runs_text(&self) -> String {
        match self.long_run {
            Some(long) => format!(
                "{} runs (one where the first took {} s or more)",
                self.runs,
                long.as_secs_f64()
            ),
            None => format!("{} run(s)", self.runs),
        }
    }

    /// How many times `program` runs, and the first run's length that makes it the only one:
    /// [`LONG_RUN`] for the programs that `--runs` counts, when it is not given.
    pub fn runs_of(&self, program: &Program) -> (u32, Option<Duration>) {
        match program.family {
            Family::Spinner => (self.spinner_runs, None),
            Family::Cpu => (self.cpu_runs, None),
            _ => (self.runs, self.long_run),
        }
    }

    /// How many times `program`'s Python original runs, where it has one: a Python CPU program
    /// in the first of the CPU rounds only.
    pub fn python_runs_of(&self, program: &Program) -> u32 {
        let runs = match program.family {
            Family::Cpu => self.python_cpu_runs.map(|runs| runs.min(self.cpu_runs)),
            Family::Spinner => Some(self.spinner_runs),
            _ => self.python_runs,
        };
        runs.unwrap_or(0)
    }

    /// The Rust async downloaders' cap, given as `--limit`, and whose default it is: what each
    /// takes when it starts a stand-in of its own, so that compare's row is `cargo run -p
    /// io_async`'s run; with `--real`, what it takes against any other server. Passing
    /// compare's stand-in as `--url` would otherwise give it the other server's. The Python
    /// original is not given one: the article's `ClientSession()` keeps aiohttp's 100, which the
    /// Python paragraph of docs/measurements.md counts in the ratio (two waves of 100 against one of 160).
    pub fn async_cap(&self) -> (usize, &'static str) {
        download_cli::default_in_flight_cap(match self.real {
            true => download_cli::Server::Other,
            false => download_cli::Server::StandIn,
        })
    }
}
