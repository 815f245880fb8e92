//! # I/O-bound, processes: a pool of worker processes, one per CPU
//!
//! Ports Real Python's
//! [`io_mp.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_mp.py):
//! `multiprocessing.Pool(initializer=set_global_session)`.
//!
//!     cargo run --release -p io_multiprocess
//!
//! What to watch for: each line names the worker process that read it. A process costs far more
//! than a thread and buys nothing for waiting: 2 CPUs, 2 workers, 160 / 2 x 50 ms = 4 s. Kill a
//! `--worker` process and only its site is lost (Python's `Pool` would wait forever). The pool: `docs/io.md`.
//!
//! ```text
//! SpawnPoolWorker-2:Read 276 bytes from http://127.0.0.1:40393/olympus.realpython.org/dice
//! ...
//! Downloaded 160 sites in 4.174704146 seconds
//! ```

mod pool;

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use contract::{MAX_BODY_BYTES, MAX_REDIRECTS, Summary};
use download_cli::DownloadArgs;

/// Downloads the article's two sites, 80 times each, and says how long it took.
#[derive(Parser)]
struct Args {
    /// Worker processes (1 to 1000: each one is a process) [default: one per CPU, as
    /// `multiprocessing.Pool()`]
    #[arg(long, value_name = "N", value_parser = contract::cli::count_up_to(download_cli::MAX_WORKERS))]
    workers: Option<NonZeroUsize>,
    #[command(flatten)]
    common: DownloadArgs,
}

// region: new_session
/// A blocking HTTP client, as `requests.Session`: it keeps connections open between requests.
fn new_session(timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(MAX_REDIRECTS)
        .build();
    config.into()
}
// endregion: new_session

/// Downloads one site in this worker process and says how big it was, and who read it.
fn download_site(url: &str, session: &ureq::Agent) -> Result<(), ureq::Error> {
    // `call()` blocks this process only; the other workers go on with their own requests.
    let mut response = session.get(url).call()?;
    // ureq fails a 4xx or 5xx itself and follows a 3xx; anything else but a 2xx (a status
    // past 599) is no page either.
    if !response.status().is_success() {
        return Err(ureq::Error::StatusCode(response.status().as_u16()));
    }
    let body = response.body_mut().with_config().limit(MAX_BODY_BYTES);
    let body = body.read_to_vec()?;
    let name = pool::current_process_name();
    // This goes up a pipe to the parent, which prints it: the worker's stdout is not the
    // terminal.
    println!("{name}:Read {} bytes from {url}", body.len());
    Ok(())
}

/// What each worker process runs: the pool's initializer once, then `download_site` per URL.
fn worker_main(worker: pool::Worker) -> contract::Result<ExitCode> {
    // The article's `initializer=set_global_session`: one session per process, made once.
    // Python can hand the initializer's result to `download_site` only through a global; here
    // the worker keeps it in a local and lends it to every call.
    let session = new_session(worker.timeout);
    worker.serve(|url| {
        if let Err(e) = download_site(url, &session) {
            println!("{}:Failed {url}: {e:#}", pool::current_process_name());
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Downloads every site on a pool of `workers` processes; returns how many failed.
fn download_all_sites(
    sites: &[String],
    workers: usize,
    timeout: Duration,
) -> anyhow::Result<usize> {
    // `with multiprocessing.Pool(...) as pool: pool.map(download_site, sites)`. The pool is
    // dropped at the end of this function, which closes the workers' pipes, so they exit.
    let mut pool = pool::Pool::start(workers, timeout).context("cannot start a worker process")?;
    Ok(pool.map(sites))
}

fn main() -> contract::Result<ExitCode> {
    // A worker is this same binary, started by the pool with the hidden `--worker`.
    if let Some(worker) = pool::Worker::from_args() {
        return worker_main(worker);
    }
    let args: Args = contract::parse_args();
    // `multiprocessing.Pool()` starts `os.cpu_count()` processes.
    let cpus = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let workers = args.workers.map_or(cpus, NonZeroUsize::get);
    let stand_in = args
        .common
        .start_stand_in()
        .context("cannot start the local stand-in")?;
    let sites = args.common.sites(stand_in.as_ref());
    // Every worker holds a connection, and every connection a file descriptor.
    args.common.make_room_for(workers);
    let start_time = Instant::now();
    let failed = download_all_sites(&sites, workers, args.common.timeout)?;
    let summary = Summary {
        total: sites.len(),
        failed,
        elapsed: start_time.elapsed(),
    };
    println!("{summary}");
    // What the local stand-in served, to set beside the line above.
    if let Some(stand_in) = stand_in {
        stand_in.print_tally();
    }
    Ok(summary.exit_code())
}
