//! What a lab command hands to the steps every command shares: its plan. `compare` and `sweep`
//! each make one (`compare/plan.rs`, `sweep/plan.rs`): which programs to build, which stand-in
//! to start, what to run with which arguments, how often and in what order. `run/` then builds,
//! starts and runs it, every run measured and checked (`verify.rs`), and gives back each job's
//! median run, which the command makes into its rows and hands to `report/`.
//!
//! A new kind of run is a new plan, not a copy of the steps. A [`Job`] is a program that runs
//! to its end; a server is not, so the servers family (`servers/`) is no plan: it starts each
//! server and runs its loads itself, measuring them with `run/measure.rs`'s sampler and CPU
//! time and keeping `run`'s median, and hands its rows to `report/`.

use std::path::PathBuf;
use std::time::Duration;

use download_cli::StandInArgs;
use stand_in::Config;

use crate::verify::Expect;

/// Everything a command runs, in order.
pub struct Plan {
    /// The Rust binaries to build in release, by name (`cargo build --bin`).
    pub build: Vec<&'static str>,
    /// The stand-in the downloaders download from, started in this process; `None`: no
    /// stand-in (`--real`).
    pub stand_in: Option<Config>,
    /// A run that takes longer is stopped, and fails.
    pub run_limit: Duration,
    /// One entry per row of the report, run in this order.
    pub entries: Vec<Entry>,
    /// The entries that run together in rounds rather than each in a block of its own.
    pub rounds: Option<Rounds>,
}

/// One row's runs: its program's, then those of what is measured beside it (its Python
/// original), each job's runs back to back.
pub struct Entry {
    /// What the progress bar calls it.
    pub name: String,
    /// Its program first. `Err`: why a job cannot run, kept for the report to say. An entry
    /// with no jobs, or whose program cannot run, is not run at all.
    pub jobs: Vec<Result<Job, String>>,
}

/// One program to run, and what it must print.
pub struct Job {
    pub binary: Binary,
    pub args: Vec<Arg>,
    pub expect: Expect,
    /// How many times it runs; the report keeps the median run.
    pub runs: u32,
    /// A first run at least this long is its only one: a run of seconds varies from the next
    /// by a small share of its time. `None`: it runs its `runs` whatever they take.
    pub long_run: Option<Duration>,
    /// What the progress bar calls a job beside the entry's own program ("Python").
    pub beside: Option<&'static str>,
}

/// Where a job's program comes from.
#[derive(Clone)]
pub enum Binary {
    /// Built by `run/` in release: its name, and the package that builds it.
    Built {
        name: &'static str,
        package: &'static str,
    },
    /// There already: an interpreter, its script among the arguments.
    At(PathBuf),
}

/// One argument, or the stand-in's addresses, which are known only once it is started.
pub enum Arg {
    Text(String),
    /// `--url` for each of the stand-in's two pages.
    StandInPages,
    /// `--server` and the stand-in's flags directory.
    StandInFlags,
}

/// The entries that run in rounds: one run of each in turn per round, where the first of them
/// stands in the plan (`run/rounds.rs` says why).
pub struct Rounds {
    /// Indexes into [`Plan::entries`].
    pub entries: Vec<usize>,
    /// What the progress bar calls them together.
    pub name: &'static str,
    /// Untimed rounds first, for at least this long.
    pub warm_up: Duration,
    /// At the end of each round, the machine's ceiling (`run/ceiling.rs`).
    pub ceiling: Option<Ceiling>,
}

/// `copies` copies of one entry's program at once, one per core.
pub struct Ceiling {
    pub entry: usize,
    pub copies: usize,
}

impl Arg {
    /// `--name value`.
    pub fn flag(name: &str, value: impl ToString) -> [Arg; 2] {
        [Arg::Text(name.to_owned()), Arg::Text(value.to_string())]
    }
}

/// A downloader's sites and what its output must then show: the stand-in's two pages, or the
/// article's real sites (`--real`), `repeat` times over, every one downloaded unless the
/// stand-in injects faults.
pub fn downloads(real: bool, repeat: u32, stand_in: &StandInArgs) -> (Vec<Arg>, Expect) {
    let mut args = vec![match real {
        true => Arg::Text("--real".into()),
        false => Arg::StandInPages,
    }];
    args.extend(Arg::flag("--repeat", repeat));
    let expect = Expect::Downloads {
        total: 2 * repeat as usize,
        faults: !real && injects_faults(stand_in),
        retries_drops: false,
    };
    (args, expect)
}

/// Whether the stand-in injects failures (`--error-rate`, `--drop-rate`), or slow answers
/// (`--slow-rate`) that a program may give up on.
pub fn injects_faults(stand_in: &StandInArgs) -> bool {
    stand_in.error_rate + stand_in.drop_rate + stand_in.slow_rate > 0.0
}
