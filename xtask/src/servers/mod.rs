//! The servers family: each character finder (`charfinder`'s four servers, and the Fluent
//! Python originals in `python/`) started on a free loopback port, loaded by clients that check
//! every answer (`load.rs`), and measured from outside (`process.rs`). `compare` runs it after
//! the programs that run to their end; `report.rs` makes its rows into a table of their own.
//!
//! Three loads, the same for every server, Rust's and Python's alike:
//! - *busy*: [`Scale::busy_clients`] TCP clients connect a [`hold::WAVE`] at a time (each
//!   wave reading its prompts before the next connects), then all at once send the [`QUERIES`]
//!   in turn and read every answer to its status line; the load runs [`Scale::runs`] times on
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
//!
//! It is no plan (`plan.rs` says why). `family.rs` holds the servers and their loads' scale;
//! this file runs the loads.

mod family;
mod hold;
mod load;
mod process;
pub mod report;
pub mod sweep;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hold::{Greeting, Held, Sources};
use load::{Protocol, Query, Tally};
use process::Running;

use crate::python::Python;
use crate::run::measure::{self, Sampled};
use crate::run::median_index;
#[cfg(doc)]
use family::QUERIES;
use family::{FULL, IdleCost, Loaded, Outcome, QUICK, Ran, Scale, Starters, bytes_each};
pub use family::{Runs, Server, binaries, selected};

/// The clients that query while the idle ones are held.
pub const ACTIVE_CLIENTS: usize = 10;
/// How long an idle connection waits for its prompt, and an active client behind the idle ones
/// for its answers, before the server counts as not serving it.
const IDLE_PATIENCE: Duration = Duration::from_secs(2);

/// The family's part of compare's output, its loads at full scale or `quick`'s, their logs
/// written under `out_dir`; and its table for the docs (`report::docs`).
pub fn compare(
    servers: &[&'static Server],
    quick: bool,
    runs: Runs,
    python: Option<&Python>,
    out_dir: &Path,
) -> anyhow::Result<(crate::report::Output, String)> {
    let scale = if quick { QUICK } else { FULL };
    let starters = Starters::new(servers, python, out_dir)?;
    let started = std::time::Instant::now();
    let logs = starters.logs.join("*.log");
    let ran = run(servers, scale, runs, starters);
    let elapsed = started.elapsed().as_secs_f64();
    let rows: Vec<_> = ran.outcomes.iter().map(report::row).collect();
    let mut text = report::text(&ran, &rows);
    text += &format!("Ran the servers' loads in {elapsed:.1} s.\n");
    text += &format!("Wrote {}: the servers' logs\n", logs.display());
    let picture = report::picture(&rows, scale.busy_clients)?;
    let output = crate::report::Output {
        text,
        files: vec![
            ("servers.md".into(), report::table(&rows).to_markdown()),
            ("servers.json".into(), serde_json::to_string_pretty(&rows)?),
            ("servers.svg".into(), picture),
        ],
        failures: report::failures(&rows),
    };
    Ok((output, report::docs(&ran, &rows)))
}

/// Runs every load on each of `servers`, a freshly started server for each load.
pub fn run(servers: &[&'static Server], scale: Scale, runs: Runs, mut starters: Starters) -> Ran {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let mut python_missing = None;
    let mut outcomes = Vec::new();
    for &server in servers {
        if server.python
            && let Err(why) = starters.venv()
        {
            python_missing = Some(why);
            continue;
        }
        let start = starters.start(server);
        let loads: &[&'static str] = match server.protocol {
            Protocol::Tcp => &["busy", "idle"],
            Protocol::Http => &["http"],
        };
        // A server that serves one client at a time is held by its first idle client: the
        // idle load holds one, and shows that no one is served behind it. Its loads run once:
        // each waits out its patience, and the lesson is the same every time.
        let mut scale = scale;
        scale.runs = if server.python {
            runs.python
        } else {
            runs.rust
        };
        if server.one_at_a_time {
            (scale.idle_clients, scale.runs) = (1, 1);
        }
        for &load in loads {
            let log = starters.logs.join(format!("{}-{load}.log", server.name));
            // A freshly started server for each load.
            let result = (start.clone()).and_then(|(start, queries)| {
                let running = Running::start(&start, &log).map_err(|e| format!("{e:#}"))?;
                Ok(match load {
                    "idle" => idle(&runtime, &running, queries, scale),
                    _ => busy(&runtime, &running, server.protocol, queries, scale),
                })
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
        rust: starters.rust,
        python: starters.python_queries.and_then(Result::ok),
        python_missing,
        scale,
        runs,
    }
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
        let server_clock = || measure::cpu_total(running.pid());
        let read = || (running.cpu_time(), server_clock(), measure::own_cpu_time());
        let before = read();
        let tally = runtime.block_on(crowd.query(queries.clone(), scale.patience));
        let after = read();
        let server = after.0.zip(before.0).map(|(a, b)| a.since(b));
        let total = after.1.zip(before.1).map(|(a, b)| a - b);
        let clients = after.2.zip(before.2).map(|(a, b)| a - b);
        (tally, (server, total, clients))
    });
    // The run with the median rate, with every other run's wrong answers added: a wrong answer
    // in any run fails the row.
    let mut runs: Vec<_> = runs.collect();
    let median = median_index(&runs, |(tally, _)| tally.per_second());
    let (mut tally, (server, total, clients)) = runs.swap_remove(median.expect("a load runs"));
    (tally.wrong).extend(runs.into_iter().flat_map(|(run, _)| run.wrong));
    let answers = u32::try_from(tally.latencies.len().max(1)).unwrap_or(u32::MAX);
    Loaded {
        cpu_each: total.map(|total| total / answers),
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
    let (addr, tcp, patience) = (running.addr, Protocol::Tcp, IDLE_PATIENCE);
    // A first session warms the server up, as the sweep's does (`sweep/mod.rs`).
    runtime.block_on(load::sessions(tcp, addr, 1, queries.clone(), patience));
    let before = running.sample();
    let mut held = Held::default();
    let (idle, prompt) = (scale.idle_clients, Greeting::Prompt);
    let holding = hold::hold(&mut held, idle, addr, prompt, Sources::ANY, patience);
    let stopped = runtime.block_on(holding).map(|failure| failure.to_string());
    let during = running.sample();
    let sampling = running.sampling();
    // The active clients' rounds, one after another behind the same idle clients: their
    // latencies pooled, for a 99th percentile of more than a hundred answers.
    let mut tally = Tally::default();
    for _ in 0..scale.runs.max(1) {
        let active = load::sessions(tcp, addr, ACTIVE_CLIENTS, queries.clone(), patience);
        tally.merge(runtime.block_on(active));
    }
    let count = held.streams.len();
    Loaded {
        tally,
        peak: Sampled::highest(sampling.stop(), during),
        ready: running.ready,
        idle: Some(IdleCost {
            count,
            bytes_each: bytes_each(before, during, count),
            stopped,
        }),
        ..Loaded::default()
    }
}
