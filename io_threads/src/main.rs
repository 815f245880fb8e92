//! # I/O-bound, threads: five blocking requests at a time
//!
//! Ports Real Python's
//! [`io_threading.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_threading.py):
//! `ThreadPoolExecutor(max_workers=5)`, a session per thread.
//!
//!     cargo run --release -p io_threads
//!
//! What to watch for: five waits overlap, so 160 / 5 x 50 ms = 1.6 s instead of 8 s; the OS
//! switches threads whenever one blocks; try `--workers 20`. Why Rust needs no doubt about sharing
//! a session, and how many threads to use: `docs/io.md`.
//!
//! ```text
//! Read 10966 bytes from http://127.0.0.1:40393/www.jython.org
//! ...
//! Downloaded 160 sites in 1.659446862 seconds
//! ```

use std::cell::OnceCell;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use contract::{MAX_BODY_BYTES, MAX_REDIRECTS, Summary};
use download_cli::DownloadArgs;

/// Downloads the article's two sites, 80 times each, and says how long it took.
#[derive(Parser)]
struct Args {
    /// Worker threads, as the article's `max_workers=5` (1 to 1000: each one is an OS thread).
    #[arg(long, value_name = "N", default_value = "5", value_parser = contract::cli::count_up_to(download_cli::MAX_WORKERS))]
    workers: NonZeroUsize,
    #[command(flatten)]
    common: DownloadArgs,
}

thread_local! {
    // The article's `thread_local = threading.local()`: each thread sees its own cell.
    //
    // The article is unsure whether one `requests.Session` may be shared between threads.
    // In Rust the type answers: `ureq::Agent` is `Send + Sync` (its connection pool sits
    // behind a lock), so sharing one would compile and be correct. Had it not been `Sync`,
    // sharing it would not compile at all: the data race the article worries about is refused
    // before the program runs. One agent per thread is kept here to stay faithful, and because
    // then no two threads ever wait on the same pool's lock.
    static SESSION: OnceCell<ureq::Agent> = const { OnceCell::new() };
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

/// This thread's session, made the first time the thread asks (the article's `get_session`).
fn get_session(timeout: Duration) -> ureq::Agent {
    // Cloning an agent clones a handle (an `Arc`), not the connection pool behind it.
    SESSION.with(|session| session.get_or_init(|| new_session(timeout)).clone())
}

/// Downloads one site and says how big it was. An answer that is not 2xx is an error, and so
/// is a body past `MAX_BODY_BYTES`.
fn download_site(url: &str, timeout: Duration) -> Result<(), ureq::Error> {
    let session = get_session(timeout);
    // `call()` blocks only this thread; the other workers go on with their own requests.
    let mut response = session.get(url).call()?;
    // ureq fails a 4xx or 5xx itself and follows a 3xx; anything else but a 2xx (a status
    // past 599) is no page either.
    if !response.status().is_success() {
        return Err(ureq::Error::StatusCode(response.status().as_u16()));
    }
    let body = response.body_mut().with_config().limit(MAX_BODY_BYTES);
    let body = body.read_to_vec()?;
    println!("Read {} bytes from {url}", body.len());
    Ok(())
}

/// Downloads every site on `workers` threads; returns how many failed.
fn download_all_sites(sites: &[String], workers: usize, timeout: Duration) -> usize {
    // The executor's work queue: the index of the next site nobody has taken yet.
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    // Scoped threads, like `with ThreadPoolExecutor(...)`: the scope ends only when every
    // worker has, so the workers may borrow `sites`, `next` and `failed` without an `Arc`.
    // (A thread the OS refuses is an `Error:` line and exit status 1: `contract::exits`.)
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(url) = sites.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Err(e) = download_site(url, timeout) {
                        println!("Failed {url}: {e:#}");
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    failed.into_inner()
}

fn main() -> contract::Result<ExitCode> {
    let args: Args = contract::parse_args();
    let stand_in = args
        .common
        .start_stand_in()
        .context("cannot start the local stand-in")?;
    let sites = args.common.sites(stand_in.as_ref());
    // Every worker holds a connection, and every connection a file descriptor.
    args.common.make_room_for(args.workers.get());
    let start_time = Instant::now();
    let failed = download_all_sites(&sites, args.workers.get(), args.common.timeout);
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
