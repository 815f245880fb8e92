//! The family: its servers, its queries, how hard its loads are, how each server is started,
//! and what the loads came to. `mod.rs` runs the loads, `report.rs` and `sweep/` read these.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use contract::charfinder::found_in;

use super::load::{Protocol, Query, Tally};
use crate::python::{self, Python};
use crate::run::measure::Sampled;

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

/// One server under one load: what the clients saw and what the server cost, or why it could
/// not run.
pub struct Outcome {
    pub server: &'static Server,
    pub load: &'static str,
    pub result: Result<Loaded, String>,
}

#[derive(Default)]
pub struct Loaded {
    pub tally: Tally,
    /// The highest resident memory and thread count sampled during the load.
    pub peak: Option<Sampled>,
    /// From its start to its first `Serving on` line.
    pub ready: Duration,
    /// The processor time the server spent per right answer (busy and http loads), to the
    /// nanosecond (`measure::cpu_total`), and of it the kernel's, where the clock ticks of its
    /// split resolve it (`measure::resolved`); and what the load's clients (this process)
    /// spent, to the nanosecond.
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

/// How to start each server: the binaries cargo built, Python's venv, where their logs go, and
/// the queries with what each index finds for them (Python's asked of `charindex.py` once, when
/// a Python server is first started).
pub struct Starters<'a> {
    built: HashMap<String, PathBuf>,
    python: Option<&'a Python>,
    pub logs: PathBuf,
    pub rust: Arc<[Query]>,
    pub python_queries: Option<Result<Arc<[Query]>, String>>,
}

/// A program and the arguments before `--host` and `--port`.
#[derive(Clone)]
pub struct Start {
    pub server: &'static Server,
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// The Rust binaries `servers` need built: the Rust servers', and the `charfinder` command, whose
/// counts are set beside Python's even when only Python's servers run.
pub fn binaries(servers: &[&Server]) -> Vec<&'static str> {
    let rust = (servers.iter().filter(|s| !s.python)).map(|s| s.name);
    let finder = (!servers.is_empty()).then_some(FINDER);
    rust.chain(finder).collect()
}

/// The command of the `charfinder` package: `charfinder cat face` prints what the index finds.
const FINDER: &str = "charfinder";

impl<'a> Starters<'a> {
    /// Builds the Rust binaries `servers` need, and makes the folder of their logs in `out_dir`.
    pub fn new(
        servers: &[&Server],
        python: Option<&'a Python>,
        out_dir: &Path,
    ) -> anyhow::Result<Starters<'a>> {
        let built = crate::cargo::build_release(&binaries(servers))?;
        let logs = out_dir.join("server-logs");
        std::fs::create_dir_all(&logs)
            .with_context(|| format!("cannot create {}", logs.display()))?;
        let rust = rust_queries(built.get(FINDER).context("charfinder was not built")?)?;
        Ok(Starters {
            built,
            python,
            logs,
            rust,
            python_queries: None,
        })
    }

    /// How to start `server`: its binary, or the venv's interpreter, [`LINE_BUFFERED`] and the
    /// script; and its queries.
    pub fn start(&mut self, server: &'static Server) -> Result<(Start, Arc<[Query]>), String> {
        let (program, args, queries) = match server.python {
            false => {
                let program = self.built.get(server.name).cloned();
                let program = program.ok_or_else(|| format!("{} was not built", server.name))?;
                (program, vec![], self.rust.clone())
            }
            true => {
                let venv = self.venv()?;
                let queries = (self.python_queries.get_or_insert_with(|| {
                    python_queries(venv, &python::script("")).map_err(|e| format!("{e:#}"))
                }))
                .clone()?;
                let script = python::script(server.name).display().to_string();
                let args = vec!["-c".into(), LINE_BUFFERED.into(), script];
                (venv.clone(), args, queries)
            }
        };
        let start = Start {
            server,
            program,
            args,
        };
        Ok((start, queries))
    }

    /// The venv's interpreter (uvicorn and FastAPI are in it), or why there is none.
    pub fn venv(&self) -> Result<&'a PathBuf, String> {
        let python = self.python.ok_or("--no-python")?;
        python.venv.as_ref().map_err(|why| why.to_string())
    }
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

/// A server's resident memory, in MiB.
pub fn mib(sampled: Sampled) -> f64 {
    sampled.largest_process_kib as f64 / 1024.0
}

/// How much a server's resident memory grew from one sample to another, in bytes, for each
/// of the `count` connections it took meanwhile.
pub fn bytes_each(before: Option<Sampled>, after: Option<Sampled>, count: usize) -> Option<f64> {
    let (before, after) = (before?.largest_process_kib, after?.largest_process_kib);
    (count > 0).then(|| (after as f64 - before as f64) * 1024.0 / count as f64)
}

/// The queries with what Rust's index finds for each: the count on the status line of each
/// answer of `finder`, the `charfinder` command, which searches the index the servers search.
fn rust_queries(finder: &Path) -> anyhow::Result<Arc<[Query]>> {
    let query = |text| {
        let output = (std::process::Command::new(finder).arg(text).output())
            .with_context(|| format!("cannot run {}", finder.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let count = stdout.lines().last().and_then(found_in);
        match count {
            Some(expected) if output.status.success() => Ok(Query { text, expected }),
            _ => bail!("charfinder {text:?} said no count ({})", output.status),
        }
    };
    QUERIES.into_iter().map(query).collect()
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
    let stdout = String::from_utf8_lossy(&output.stdout);
    let counts: Result<Vec<usize>, _> = stdout.lines().map(|l| l.trim().parse()).collect();
    let counts = counts.context("charindex.py's counts")?;
    let (got, asked) = (counts.len(), QUERIES.len());
    if !output.status.success() || got != asked {
        bail!("charindex.py gave {got} counts for {asked} queries");
    }
    let query = |(text, expected)| Query { text, expected };
    Ok(QUERIES.into_iter().zip(counts).map(query).collect())
}
