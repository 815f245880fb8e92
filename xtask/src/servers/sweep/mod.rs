//! `cargo xtask sweep-servers`: how many idle clients each server holds, and what stops it.
//!
//! Each server is started once and made to hold more and more idle connections, in steps
//! (1,000, 2,000, 5,000, ... up to `--up-to`), each connection greeted (the TCP servers'
//! prompt, one HTTP answer) and then silent. At each step the sweep reads the server's memory
//! and threads, and times one more client's checked session of the ten queries: is a server
//! that holds that many still answering, and how fast? It stops at the first step a connection
//! fails, and names the limit that failed it (`limits.rs`): this process's or the server's
//! open files, threads, memory, ports, or the server's death. Each server's open-file limit
//! is lowered below the sweep's once it has started, so that the server meets its own first.

mod args;
mod limits;
mod report;
mod rows;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::family::{self, Server, Starters, mib};
use super::hold::{self, Failure, Greeting, Held, Sources};
use super::load::{self, Protocol, Query};
use super::process::Running;
use crate::python::Python;
use crate::run::measure::Sampled;
use crate::usage::UsageError;
use crate::{cargo, report as step};

pub use args::SweepServersArgs;
use limits::{Limit, Stop};
use rows::{End, Setting, Step, Swept};

/// How long a connection may take to be accepted and greeted, and the active client to be
/// answered at the step where holding stopped.
const CONNECT_PATIENCE: Duration = Duration::from_secs(5);
/// How long the active client's ten queries may take at a step that held every connection.
const ACTIVE_PATIENCE: Duration = Duration::from_secs(10);
/// Descriptors the sweep keeps for itself under its open-file limit: its runtime's, the pipes
/// from the server, the active client's socket, and a file of `/proc` to read. It holds at most
/// its limit less these, and stops there: at EMFILE itself it could neither read the server's
/// memory nor connect the active client, and the step's row would be blank.
const RESERVE: u64 = 64;

pub fn sweep_servers(args: &SweepServersArgs) -> anyhow::Result<ExitCode> {
    // The servers `--only` and `--no-python` leave.
    let servers: Vec<&'static Server> = (family::selected(args.only.as_deref()).into_iter())
        .filter(|s| !(args.no_python && s.python))
        .collect();
    if servers.is_empty() {
        let pattern = args.only.as_deref().unwrap_or_default();
        return Err(UsageError(format!("no server's name contains {pattern:?}")).into());
    }
    let out_dir = step::out_dir(args.out_dir.as_ref())?;
    let swept_here: Vec<&'static Server> = (servers.iter().copied())
        .filter(|s| not_swept(s).is_none())
        .collect();
    let python = match swept_here.iter().any(|s| s.python) {
        true => Some(Python::set_up(&cargo::target_dir()?)),
        false => None,
    };
    let starters = Starters::new(&swept_here, python.as_ref(), &out_dir)?;
    // Set after cargo and pip have run, which need files of their own, and before the servers
    // start, which inherit it.
    let setting = setting(args);
    let started = Instant::now();
    let logs = starters.logs.join("*-sweep.log");
    let swept = sweep(&servers, starters, &setting);
    let mut output = report::output(&setting, &swept, started.elapsed())?;
    output.text += &format!("Wrote {}: the servers' logs\n", logs.display());
    step::finish(&out_dir, output)
}

/// Why a server is not swept: what holding its connections would show is not a limit.
fn not_swept(server: &Server) -> Option<&'static str> {
    if server.one_at_a_time {
        return Some(
            "it serves one client at a time: behind one idle client no other gets a prompt, \
             so it holds one connection whatever its limits (compare's idle load shows it)",
        );
    }
    if server.python && server.protocol == Protocol::Http {
        return Some(
            "uvicorn closes a keep-alive connection 5 s after its last answer (its \
             timeout_keep_alive), so it keeps no idle client long enough to count; one that \
             never asks stays open, but nothing then shows that the server took it",
        );
    }
    None
}

/// The command line's open-file limit applied, and what the sweep then runs with.
fn setting(args: &SweepServersArgs) -> Setting {
    let nr_open = limits::proc_number("/proc/sys/fs/nr_open");
    let refused = args.open_files.and_then(|n| {
        let e = limits::set_open_files(n).err()?;
        let why = format!("{e} ({})", limits::why_not_raised(n, nr_open));
        Some(format!("cannot set the open-file limit to {n}: {why}"))
    });
    let open_files = limits::open_files().ok().flatten();
    if let Some(why) = &refused {
        let have = open_files.map(|o| format!("; going on with soft {}, hard {}", o.soft, o.hard));
        eprintln!("note: {why}{}", have.unwrap_or_default());
    }
    let most = open_files.map_or(usize::MAX, |o| {
        usize::try_from(o.soft.saturating_sub(RESERVE)).unwrap_or(usize::MAX)
    });
    let (asked, soft) = (args.server_open_files, open_files.map(|o| o.soft));
    let servers = args::server_open_files(asked, soft, most, limits::SERVER_OPEN_FILES_SETTABLE);
    if let Err(why) = &servers {
        eprintln!("note: {why}");
    }
    let up_to = args.up_to as usize;
    let sources = Sources::here();
    Setting {
        up_to,
        steps: args::steps(up_to),
        open_files,
        open_files_refused: refused,
        most,
        server_open_files: servers.as_ref().ok().copied(),
        server_open_files_not_set: servers.err(),
        sources: sources.describe(up_to.min(most)),
        max_map_count: limits::proc_number("/proc/sys/vm/max_map_count"),
        threads_max: limits::proc_number("/proc/sys/kernel/threads-max"),
        pid_max: limits::proc_number("/proc/sys/kernel/pid_max"),
        nr_open,
        sources_used: sources,
    }
}

/// Sweeps each server in turn, on a runtime of its own.
fn sweep(servers: &[&'static Server], mut starters: Starters, setting: &Setting) -> Vec<Swept> {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let mut swept = Vec::new();
    for &server in servers {
        let mut one = Swept {
            server: server.name,
            ..Swept::default()
        };
        if let Err(end) = sweep_one(&runtime, (server, &mut starters), (setting, &mut one)) {
            one.end = end;
        }
        swept.push(one);
    }
    swept
}

/// One server, started with its output and errors to its log, its open-file limit lowered (and
/// read back from `/proc`), climbed, and killed when it is dropped at the end; or why it was
/// not swept, or could not start.
fn sweep_one(
    runtime: &tokio::runtime::Runtime,
    (server, starters): (&'static Server, &mut Starters),
    (setting, swept): (&Setting, &mut Swept),
) -> Result<(), End> {
    if let Some(why) = not_swept(server) {
        return Err(End::NotSwept { why: why.into() });
    }
    let (start, queries) = starters.start(server).map_err(|why| match server.python {
        true => End::NotSwept {
            why: format!("Python: {why}"),
        },
        false => End::Failed { why },
    })?;
    let name = server.name;
    eprintln!("sweep-servers: {name}");
    let log = starters.logs.join(format!("{name}-sweep.log"));
    let started = Running::start(&start, &log).map_err(|e| format!("{e:#}"));
    let mut running = started.map_err(|why| End::Failed { why })?;
    let pid = running.pid();
    if let Some(n) = setting.server_open_files
        && let Err(e) = limits::set_server_open_files(pid, n)
    {
        eprintln!("note: cannot lower {name}'s open-file limit to {n}: {e}");
    }
    swept.open_files = server_open_files(pid);
    let climbing = climb(&mut running, server.protocol, queries, (setting, swept));
    runtime.block_on(climbing);
    Ok(())
}

/// One server's climb: warmed up by a session, then held to each step in turn until a step
/// fails. The connections are dropped at the end, on the runtime they were opened on.
async fn climb(
    running: &mut Running,
    protocol: Protocol,
    queries: Arc<[Query]>,
    (setting, swept): (&Setting, &mut Swept),
) {
    let (addr, pid) = (running.addr, running.pid());
    // A first session warms the server up (its first task or thread, its allocator's pools),
    // so that what grows afterwards is what the idle connections cost.
    load::sessions(protocol, addr, 1, queries.clone(), ACTIVE_PATIENCE).await;
    let warm = running.sample();
    swept.warm_mib = warm.map(mib);
    // Held once greeted: by the prompt, or by one HTTP answer (unasked, it shows nothing).
    let greeting = match protocol {
        Protocol::Tcp => Greeting::Prompt,
        Protocol::Http => Greeting::Answer,
    };
    let mut held = Held::default();
    for &step in &setting.steps {
        let target = step.min(setting.most);
        let started = Instant::now();
        let sources = setting.sources_used;
        let holding = hold::hold(&mut held, target, addr, greeting, sources, CONNECT_PATIENCE);
        let failure = holding.await;
        // A connection the server has not greeted waits in its queue: closed, not counted.
        held.queued.clear();
        let seconds = started.elapsed().as_secs_f64();
        let sample = running.sample();
        // The server as the failure found it, before the active client: it may die after.
        let maps = failure.as_ref().and_then(|_| limits::mappings(pid));
        let stopping = failure.is_some() || target < step;
        let patience = match stopping {
            true => CONNECT_PATIENCE,
            false => ACTIVE_PATIENCE,
        };
        // What the server spends while at the limit, the active client's wait: a server that
        // retries a failed `accept` at once spins here.
        let cpu = failure.as_ref().and_then(|_| running.cpu_time());
        let since = Instant::now();
        let active = load::sessions(protocol, addr, 1, queries.clone(), patience).await;
        let at_limit = (cpu.zip(running.cpu_time()))
            .map(|(before, after)| (after.since(before).total(), since.elapsed()));
        let mut row = Step::new(step, held.streams.len(), seconds, (warm, sample), &active);
        if stopping {
            row = row.refused_at_the_limit();
        }
        let (answered, asked) = (row.answered, row.asked);
        eprintln!("  {step}: held {}, {answered}/{asked} answered", row.held);
        swept.steps.push(row);
        let stop = match &failure {
            Some(failure) => stop_for((running, setting), failure, (sample, maps), at_limit).await,
            None if target < step => own_limit(setting, pid),
            None => continue,
        };
        let held = held.streams.len();
        return swept.end = End::Stopped { held, step, stop };
    }
}

/// What stopped a server whose connection failed, with the figures that show it: its sample
/// and memory mappings when the connection failed, the processor time it used in the time
/// after (`at_limit`), and the machine's limits on threads the sweep read as it started.
async fn stop_for(
    (running, setting): (&mut Running, &Setting),
    failure: &Failure,
    (sample, maps): (Option<Sampled>, Option<u64>),
    at_limit: Option<(Duration, Duration)>,
) -> Stop {
    // How the server ended, if it has or is ending. A process with thousands of threads takes a
    // while to die, and meanwhile `/proc` no longer shows its memory: while it does not (or
    // where there is no `/proc`), its exit is waited for, up to `CONNECT_PATIENCE`.
    let deadline = Instant::now() + CONNECT_PATIENCE;
    let exit = loop {
        if let Some(status) = running.exited() {
            break Some(limits::exit_text(status));
        }
        if running.sample().is_some() || Instant::now() > deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stop = limits::classify(failure, exit, &running.log());
    let more = match stop.limit {
        Limit::Threads => limits::thread_limit(
            (maps, setting.max_map_count),
            sample.and_then(|s| s.threads).map(|n| n as u64),
            &[
                ("kernel.threads-max", setting.threads_max),
                ("kernel.pid_max", setting.pid_max),
            ],
        ),
        Limit::ServerOpenFiles => {
            let limit =
                server_open_files(running.pid()).map(|n| format!("its open-file limit is {n}"));
            let cpu = at_limit.map(|(cpu, over)| (cpu.as_secs_f64(), over.as_secs_f64()));
            let cpu = cpu.map(|(cpu, over)| {
                format!("at it, it used {cpu:.2} s of processor time in {over:.1} s")
            });
            let said: Vec<String> = limit.into_iter().chain(cpu).collect();
            (!said.is_empty()).then(|| said.join("; "))
        }
        _ => None,
    };
    if let Some(more) = more {
        stop.why = format!("{}; {more}", stop.why);
    }
    stop
}

/// The stop at this process's own open-file limit, reached before any connection failed.
fn own_limit(setting: &Setting, server: u32) -> Stop {
    let soft = setting.open_files.map_or(0, |o| o.soft);
    let theirs = server_open_files(server).map(|n| format!("; the server's is {n}"));
    Stop {
        limit: Limit::SweepOpenFiles,
        why: format!(
            "this process may open {soft} files and keeps {RESERVE} for itself: it holds a \
             descriptor per connection, as the server does{}",
            theirs.unwrap_or_default()
        ),
    }
}

/// The server's soft open-file limit, from `/proc/{pid}/limits` (Linux).
fn server_open_files(pid: u32) -> Option<u64> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    max_open_files(&limits)
}

/// The soft limit on the `Max open files` line of a `/proc/PID/limits`.
fn max_open_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    soft.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_file_limit_is_read_from_proc_limits() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max processes             95912                95912                processes\n\
                      Max open files            20000                250000               files\n";
        assert_eq!(max_open_files(limits), Some(20_000));
        assert_eq!(max_open_files("Max processes 5 5 processes\n"), None);
    }

    #[test]
    fn the_sequential_server_and_uvicorn_are_not_swept_and_say_why() {
        let unswept: Vec<&str> = (family::SERVERS.iter())
            .filter(|s| not_swept(s).is_some())
            .map(|s| s.name)
            .collect();
        assert_eq!(unswept, ["tcp_charfinder_sequential", "web_mojifinder.py"]);
    }
}
