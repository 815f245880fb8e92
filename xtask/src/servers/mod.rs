//! The servers family: each character finder (`charfinder`'s four servers, and the Fluent
//! Python originals in `python/`) started on a free loopback port, loaded by clients that check
//! every answer (`load.rs`), and measured from outside (`process.rs`). `compare` runs it after
//! the programs that run to their end; `report.rs` makes its rows into a table of their own.
//!
//! Three loads, the same for every server, Rust's and Python's alike:
//! - *busy*: [`Scale::busy_clients`] TCP clients connect at once, each sends the [`QUERIES`]
//!   in turn and reads every answer to its status line; the load runs [`Scale::runs`] times on
//!   the same server, and the run with the median rate is reported;
//! - *idle*: [`Scale::idle_clients`] connections read their prompt and say nothing, while
//!   [`ACTIVE_CLIENTS`] others query, [`Scale::runs`] times: what the idle ones cost each, and
//!   how long the active ones wait behind them. The sequential server cannot serve anyone
//!   behind an idle client: its row shows it, as its lesson;
//! - *http*: [`Scale::busy_clients`] keep-alive clients ask `/search` for the same queries, as
//!   often as *busy*.
//!
//! Every answer must find as many characters as that server's own index does for the query
//! (Rust's `unicode_names2` and Python's `unicodedata` carry different Unicode versions).

mod load;
mod process;
pub mod report;
pub mod sweep;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use load::{Protocol, Query, Tally};
use process::Running;

use crate::python::{self, Python};
use crate::run::measure::{self, Sampled};
use crate::run::median_index;

/// The queries every client sends, in this order: answers from four characters to three hundred.
pub const QUERIES: [&str; 10] = [
    "cat face",
    "chess black",
    "moon",
    "heart",
    "music",
    "check mark",
    "smiling face",
    "hand",
    "sun",
    "box drawings light",
];
/// The clients that query while the idle ones are held.
pub const ACTIVE_CLIENTS: usize = 10;
/// How long an idle connection waits for its prompt, and an active client behind the idle ones
/// for its answers, before the server counts as not serving it.
const IDLE_PATIENCE: Duration = Duration::from_secs(2);

/// How hard the loads are.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub busy_clients: usize,
    pub idle_clients: usize,
    /// How long a busy load lasts at most: queries not answered by then go unserved.
    pub patience: Duration,
    /// Runs of each load on the same server (set from [`Runs`]).
    pub runs: u32,
}

/// The loads as issue and README give them.
pub const FULL: Scale = Scale {
    busy_clients: 1_000,
    idle_clients: 10_000,
    patience: Duration::from_secs(3),
    runs: 1,
};

/// `compare --quick`'s: enough to check every server, quickly.
pub const QUICK: Scale = Scale {
    busy_clients: 50,
    idle_clients: 200,
    patience: Duration::from_secs(2),
    runs: 1,
};

/// One server of the family.
pub struct Server {
    pub name: &'static str,
    pub protocol: Protocol,
    /// A Rust binary of the `charfinder` package, or a script in `python/`.
    pub python: bool,
    /// Serves one client at a time: no one is served behind an idle client.
    pub one_at_a_time: bool,
}

const fn server(name: &'static str, protocol: Protocol, python: bool, one: bool) -> Server {
    Server {
        name,
        protocol,
        python,
        one_at_a_time: one,
    }
}

/// Every server, in the report's order: each technique, then the original it ports.
pub const SERVERS: [Server; 6] = [
    server("tcp_charfinder", Protocol::Tcp, false, false),
    server("tcp_charfinder_threads", Protocol::Tcp, false, false),
    server("tcp_charfinder_sequential", Protocol::Tcp, false, true),
    server("tcp_mojifinder.py", Protocol::Tcp, true, false),
    server("http_charfinder", Protocol::Http, false, false),
    server("web_mojifinder.py", Protocol::Http, true, false),
];

/// The servers whose name contains `only` (all without it).
pub fn selected(only: Option<&str>) -> Vec<&'static Server> {
    (SERVERS.iter())
        .filter(|s| only.is_none_or(|only| s.name.contains(only)))
        .collect()
}

/// The Rust binaries `servers` need built.
pub fn binaries(servers: &[&Server]) -> Vec<&'static str> {
    (servers.iter())
        .filter(|s| !s.python)
        .map(|s| s.name)
        .collect()
}

/// One server under one load: what the clients saw and what the server cost, or why it could
/// not run.
pub struct Outcome {
    pub server: &'static Server,
    pub load: &'static str,
    pub result: Result<Loaded, String>,
}

pub struct Loaded {
    pub tally: Tally,
    /// The highest resident memory and thread count sampled during the load.
    pub peak: Option<Sampled>,
    /// From its start to its first `Serving on` line.
    pub ready: Duration,
    /// The processor time the server spent per right answer (busy and http loads), and of it
    /// the kernel's, each where its clock resolves it (`measure::resolved`); and what the load's
    /// clients (this process) spent, to the nanosecond.
    pub cpu_each: Option<Duration>,
    pub kernel_each: Option<Duration>,
    pub clients_cpu_each: Option<Duration>,
    /// The idle load's: connections held, what each cost, and why holding more stopped.
    pub idle: Option<IdleCost>,
}

pub struct IdleCost {
    pub count: usize,
    pub bytes_each: Option<f64>,
    pub stopped: Option<String>,
}

/// How often each load runs: on the Rust servers, and on the Python ones (whose runs take
/// seconds where the Rust ones take fractions, as compare's `--python-runs` says).
#[derive(Clone, Copy, Debug)]
pub struct Runs {
    pub rust: u32,
    pub python: u32,
}

/// The family's part of compare's output, its loads run on the `servers` selected, `quick` or
/// at full scale, as often as `runs` says, their logs written under `out_dir`; and its table
/// for the docs (`report::docs`).
pub fn compare(
    servers: &[&'static Server],
    quick: bool,
    runs: Runs,
    python: Option<&Python>,
    out_dir: &Path,
) -> anyhow::Result<(crate::report::Output, String)> {
    let built = crate::cargo::build_release(&binaries(servers))?;
    let scale = if quick { QUICK } else { FULL };
    let logs = out_dir.join("server-logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let starters = Starters {
        built: &built,
        python,
        logs: logs.clone(),
    };
    let started = std::time::Instant::now();
    let ran = run(servers, scale, runs, &starters);
    let elapsed = started.elapsed().as_secs_f64();
    let rows = report::rows(&ran);
    let json = serde_json::to_string_pretty(&rows)?;
    let markdown = report::table(&rows).to_markdown();
    let output = crate::report::Output {
        text: report::text(&ran, &rows)
            + &format!(
                "Ran the servers' loads in {elapsed:.1} s.\nWrote {}: the servers' logs\n",
                logs.join("*.log").display()
            ),
        files: vec![
            ("servers.md".into(), markdown),
            ("servers.json".into(), json),
            (
                "servers.svg".into(),
                report::picture(&rows, scale.busy_clients)?,
            ),
        ],
        failures: report::failures(&rows),
    };
    Ok((output, report::docs(&ran, &rows)))
}

/// How to start each server: the binaries cargo built, Python's venv, and where their logs go.
pub struct Starters<'a> {
    pub built: &'a std::collections::HashMap<String, PathBuf>,
    pub python: Option<&'a Python>,
    pub logs: PathBuf,
}

/// What the family's runs came to.
pub struct Ran {
    pub outcomes: Vec<Outcome>,
    /// What each index finds for each query: Rust's, and Python's if it ran.
    pub rust: Arc<[Query]>,
    pub python: Option<Arc<[Query]>>,
    /// Why the Python servers did not run, if they did not.
    pub python_missing: Option<String>,
    pub scale: Scale,
    pub runs: Runs,
}

/// Runs every load on each of `servers`, a freshly started server for each load.
pub fn run(servers: &[&'static Server], scale: Scale, runs: Runs, starters: &Starters) -> Ran {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let rust: Arc<[Query]> = rust_queries().into();
    let mut python: Option<Result<Arc<[Query]>, String>> = None;
    let mut python_missing = None;
    let mut outcomes = Vec::new();
    for &server in servers {
        if server.python
            && let Err(why) = python_venv(starters)
        {
            python_missing = Some(why);
            continue;
        }
        let start = match server.python {
            false => rust_start(server, starters).map(|s| (s, rust.clone())),
            true => python_start(server, starters, &mut python),
        };
        let loads: &[&'static str] = match server.protocol {
            Protocol::Tcp => &["busy", "idle"],
            Protocol::Http => &["http"],
        };
        // A server that serves one client at a time is held by its first idle client: the
        // idle load holds one, and shows that no one is served behind it. Its loads run once:
        // each waits out its patience, and the lesson is the same every time.
        let scale = match (server.one_at_a_time, server.python) {
            (true, _) => Scale {
                idle_clients: 1,
                runs: 1,
                ..scale
            },
            (false, python) => Scale {
                runs: if python { runs.python } else { runs.rust },
                ..scale
            },
        };
        for &load in loads {
            let log = starters.logs.join(format!("{}-{load}.log", server.name));
            let result = (start.clone()).and_then(|(start, queries)| {
                run_load(&runtime, load, &start, &log, queries, scale)
            });
            outcomes.push(Outcome {
                server,
                load,
                result,
            });
        }
    }
    Ran {
        outcomes,
        rust,
        python: python.and_then(Result::ok),
        python_missing,
        scale,
        runs,
    }
}

/// A program and the arguments before `--host` and `--port`.
#[derive(Clone)]
struct Start {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    protocol: Protocol,
}

fn rust_start(server: &'static Server, starters: &Starters) -> Result<Start, String> {
    let program = starters.built.get(server.name).cloned();
    Ok(Start {
        name: server.name,
        program: program.ok_or_else(|| format!("{} was not built", server.name))?,
        args: vec![],
        protocol: server.protocol,
    })
}

/// How compare runs a Python server: its standard output line-buffered, as Rust's is. Written to
/// a file, Python's is block-buffered, and the `Serving on` line would not arrive; `-u` (or
/// `PYTHONUNBUFFERED`, which `process.rs` removes) would make it unbuffered instead, two `write`
/// calls per `print` (the text, then the newline: seen with strace), where Rust's `println!`
/// and a line-buffered Python make one. So the script is run as `python3 script.py`
/// runs it (its folder first on `sys.path`, `__main__`), after one `reconfigure`
/// (<https://docs.python.org/3/library/io.html#io.TextIOWrapper.reconfigure>).
const LINE_BUFFERED: &str = "import os, runpy, sys; \
    sys.stdout.reconfigure(line_buffering=True); \
    sys.argv = sys.argv[1:]; \
    sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0]))); \
    runpy.run_path(sys.argv[0], run_name='__main__')";

/// The interpreter, [`LINE_BUFFERED`] and the script; the queries' counts from `charindex.py`,
/// asked once.
fn python_start(
    server: &'static Server,
    starters: &Starters,
    queries: &mut Option<Result<Arc<[Query]>, String>>,
) -> Result<(Start, Arc<[Query]>), String> {
    let venv = python_venv(starters)?;
    let queries = queries
        .get_or_insert_with(|| {
            python_queries(venv, &python::script("")).map_err(|e| format!("{e:#}"))
        })
        .clone()?;
    let script = python::script(server.name).display().to_string();
    let start = Start {
        name: server.name,
        program: venv.clone(),
        args: vec!["-c".into(), LINE_BUFFERED.into(), script],
        protocol: server.protocol,
    };
    Ok((start, queries))
}

/// The venv's interpreter (uvicorn and FastAPI are in it), or why there is none.
fn python_venv<'a>(starters: &Starters<'a>) -> Result<&'a PathBuf, String> {
    let python = starters.python.ok_or("--no-python")?;
    python.venv.as_ref().map_err(|why| why.to_string())
}

/// One load on a freshly started server.
fn run_load(
    runtime: &tokio::runtime::Runtime,
    load: &str,
    start: &Start,
    log: &Path,
    queries: Arc<[Query]>,
    scale: Scale,
) -> Result<Loaded, String> {
    let running = Running::start(start.name, &start.program, &start.args, log);
    let running = running.map_err(|e| format!("{e:#}"))?;
    Ok(match load {
        "idle" => idle(runtime, &running, queries, scale),
        _ => busy(runtime, &running, start.protocol, queries, scale),
    })
}

/// The busy load, over TCP or HTTP as the server speaks, `scale.runs` times: the run with the
/// median rate, and every wrong answer of every run.
fn busy(
    runtime: &tokio::runtime::Runtime,
    running: &Running,
    protocol: Protocol,
    queries: Arc<[Query]>,
    scale: Scale,
) -> Loaded {
    let sampling = running.sampling();
    let (addr, clients) = (running.addr, scale.busy_clients);
    let runs = (0..scale.runs.max(1)).map(|_| {
        let crowd = runtime.block_on(load::crowd(protocol, addr, clients));
        // The processor times are read over the window the rate is timed over, from the first
        // query to the last answer: what the connections cost is not in the answers' figures.
        let before = (running.cpu_time(), measure::own_cpu_time());
        let tally = runtime.block_on(crowd.query(queries.clone(), scale.patience));
        let after = (running.cpu_time(), measure::own_cpu_time());
        let server = after
            .0
            .zip(before.0)
            .map(|(after, before)| after.since(before));
        let clients = after.1.zip(before.1).map(|(after, before)| after - before);
        (tally, (server, clients))
    });
    let (tally, (server, clients)) = median_run(runs.collect());
    let answers = u32::try_from(tally.latencies.len().max(1)).unwrap_or(u32::MAX);
    Loaded {
        cpu_each: (server.map(|cpu| cpu.total()))
            .filter(|&total| measure::resolved(total))
            .map(|total| total / answers),
        kernel_each: server
            .filter(|cpu| measure::resolved(cpu.user) && measure::resolved(cpu.system))
            .map(|cpu| cpu.system / answers),
        clients_cpu_each: clients.map(|cpu| cpu / answers),
        tally,
        peak: sampling.stop(),
        ready: running.ready,
        idle: None,
    }
}

/// The idle load: hold the idle connections, measure what they cost, then time the active
/// clients querying behind them.
fn idle(
    runtime: &tokio::runtime::Runtime,
    running: &Running,
    queries: Arc<[Query]>,
    scale: Scale,
) -> Loaded {
    let addr = running.addr;
    // A first session warms the server up (its first task or thread, its allocator's pools),
    // so that what grows afterwards is what the idle connections cost.
    let warm_up = load::sessions(Protocol::Tcp, addr, 1, queries.clone(), IDLE_PATIENCE);
    runtime.block_on(warm_up);
    let before = running.sample();
    let held = runtime.block_on(load::connect(addr, scale.idle_clients, IDLE_PATIENCE, true));
    let during = running.sample();
    let sampling = running.sampling();
    // The active clients' rounds, one after another behind the same idle clients: their
    // latencies pooled, for a 99th percentile of more than a hundred answers.
    let mut tally = Tally::default();
    for _ in 0..scale.runs.max(1) {
        let active = load::sessions(
            Protocol::Tcp,
            addr,
            ACTIVE_CLIENTS,
            queries.clone(),
            IDLE_PATIENCE,
        );
        tally.merge(runtime.block_on(active));
    }
    let count = held.streams.len();
    let bytes_each = match (before, during) {
        (Some(before), Some(during)) if count > 0 => {
            Some(grown_bytes(before, during) / count as f64)
        }
        _ => None,
    };
    Loaded {
        tally,
        peak: Sampled::highest(sampling.stop(), during),
        ready: running.ready,
        cpu_each: None,
        kernel_each: None,
        clients_cpu_each: None,
        idle: Some(IdleCost {
            count,
            bytes_each,
            stopped: held.stopped,
        }),
    }
}

/// How much a server's resident memory grew from one sample to another, in bytes.
pub fn grown_bytes(before: Sampled, after: Sampled) -> f64 {
    (after.largest_process_kib as f64 - before.largest_process_kib as f64) * 1024.0
}

/// Of a load's runs, each with the processor time the server used, the one with the median
/// rate, with every other run's wrong answers added: a wrong answer in any run fails the row.
fn median_run<T>(mut runs: Vec<(Tally, T)>) -> (Tally, T) {
    let median = median_index(&runs, |(tally, _)| tally.per_second());
    let mut median = runs.swap_remove(median.expect("a load runs at least once"));
    for (run, _) in runs {
        median.0.wrong.extend(run.wrong);
    }
    median
}

/// The queries with what the Rust index finds for each.
fn rust_queries() -> Vec<Query> {
    let index = charfinder::InvertedIndex::new();
    let query = |text: &&str| Query {
        text: text.to_string(),
        expected: index.search(text).len(),
    };
    QUERIES.iter().map(query).collect()
}

/// The queries with what Python's index (`python/charindex.py`, on the interpreter's own
/// Unicode version) finds for each, asked of `python` once, in `dir`.
fn python_queries(python: &Path, dir: &Path) -> anyhow::Result<Arc<[Query]>> {
    let script = "import sys\nfrom charindex import InvertedIndex\nindex = InvertedIndex()\n\
                  for q in sys.argv[1:]: print(len(index.search(q)))";
    let output = std::process::Command::new(python)
        .current_dir(dir)
        .args(["-c", script])
        .args(QUERIES)
        .output()
        .context("cannot run charindex.py")?;
    let counts: Vec<usize> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.trim().parse())
        .collect::<Result<_, _>>()
        .context("charindex.py's counts")?;
    if !output.status.success() || counts.len() != QUERIES.len() {
        bail!(
            "charindex.py gave {} counts for {} queries",
            counts.len(),
            QUERIES.len()
        );
    }
    let query = |(text, expected): (&&str, usize)| Query {
        text: text.to_string(),
        expected,
    };
    Ok(QUERIES.iter().zip(counts).map(query).collect())
}
