//! # I/O-bound, async on tokio: one task per site, all on one thread
//!
//! Ports Real Python's
//! [`io_asyncio.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_asyncio.py):
//! one task per site, awaited together, one shared session.
//!
//!     cargo run --release -p io_async
//!     cargo run --release -p io_async -- --limit 5
//!
//! What to watch for: one thread, every request waiting at once: about one latency, not 160. With
//! `--limit 5` (a semaphore) 160 / 5 latencies, the threads' time, on one thread. At 10,000 sites
//! (`--repeat 5000`) it caps itself at 1,000 in flight (ten waves), as aiohttp caps itself at 100.
//! How that compares with aiohttp's client: `docs/measurements.md`. More in `docs/io.md`.
//!
//! ```text
//! Read 10966 bytes from http://127.0.0.1:40393/www.jython.org
//! ...
//! Downloaded 160 sites in 0.075477703 seconds
//! ```

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use contract::{MAX_BODY_BYTES, MAX_REDIRECTS, Summary};
use download_cli::DownloadArgs;
use reqwest::Error;
use reqwest::redirect::Policy;
use tokio::sync::Semaphore;

// region: async_args
/// Downloads the article's two sites, 80 times each, and says how long it took.
#[derive(Parser)]
struct Args {
    /// Most requests in flight at once (default: 1000 with the local stand-in, 100 as aiohttp's
    /// session against other servers, fewer if the open-file limit has no room for them).
    /// (1 to 100000: each request in flight holds an open file.)
    #[arg(long, value_name = "N", value_parser = contract::cli::count_up_to(download_cli::MAX_LIMIT))]
    limit: Option<NonZeroUsize>,
    #[command(flatten)]
    common: DownloadArgs,
}
// endregion: async_args

/// An async HTTP client, as aiohttp's `ClientSession`: it keeps connections open between requests.
fn new_session(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    // TLS: rustls with the ring provider and compiled-in roots, the settings of io_async_smol
    // and io_async_std too (`io_async::tls_config`). reqwest would otherwise pick aws-lc-rs,
    // which needs cmake to build, and read the system's certificates at every start.
    let session = reqwest::Client::builder()
        .tls_backend_preconfigured(io_async::tls_config()?)
        .timeout(timeout)
        // At most 10 redirects, as aiohttp's `max_redirects=10`: a redirect loop fails.
        .redirect(Policy::limited(MAX_REDIRECTS as usize))
        .build()?;
    Ok(session)
}

/// Downloads one site and says how big it was. An answer that is not 2xx is an error, and so
/// is a body past `MAX_BODY_BYTES`.
async fn download_site(url: &str, session: &reqwest::Client) -> anyhow::Result<()> {
    // Each `.await` is a point where this task may pause while the thread runs the others.
    // (The URL is in every `Failed` line already: `without_url` keeps it out of the reason.)
    let mut response = session.get(url).send().await.map_err(Error::without_url)?;
    let status = response.status();
    anyhow::ensure!(status.is_success(), "HTTP status {status}");
    // `response.bytes()` would read a body of any size; chunk by chunk, the read stops at the cap.
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Error::without_url)? {
        let size = (body.len() + chunk.len()) as u64;
        anyhow::ensure!(
            size <= MAX_BODY_BYTES,
            "the body is larger than {MAX_BODY_BYTES} bytes"
        );
        body.extend_from_slice(&chunk);
    }
    println!("Read {} bytes from {url}", body.len());
    Ok(())
}

/// Starts one task per site and waits for them all; returns how many failed.
async fn download_all_sites(
    sites: &[String],
    limit: NonZeroUsize,
    timeout: Duration,
) -> anyhow::Result<usize> {
    // One session shared by every task. The article can share aiohttp's because its tasks run
    // on one thread. Rust checks instead of trusting: `tokio::spawn` accepts only `Send` tasks,
    // and `reqwest::Client` is `Send + Sync`, an `Arc` around one connection pool, so a clone is
    // a cheap handle to the same pool, with no session per thread or per task.
    let session = new_session(timeout)?;
    // The cap: a task holds one of `limit` permits while its request is in flight, and the
    // others wait for one at `acquire().await`, as aiohttp's requests wait for one of its
    // connector's 100 connections. reqwest's pool has no such cap of its own.
    let limit = Arc::new(Semaphore::new(limit.get()));
    let mut tasks = Vec::with_capacity(sites.len());
    for url in sites {
        // A spawned task must own what it uses (`'static`): it may outlive this loop, so it
        // cannot borrow from here. Each gets its own clones, moved in by `async move`: a handle
        // to the one session, one to the one semaphore, and its own copy of the URL.
        let (session, limit, url) = (session.clone(), Arc::clone(&limit), url.clone());
        // The article's `ensure_future`: the task is scheduled now, and first runs when this
        // task waits at an `.await` that is not ready (`Pending`): the first `task.await` below.
        tasks.push(tokio::spawn(async move {
            let _permit = limit
                .acquire()
                .await
                .expect("the semaphore is never closed");
            let Err(e) = download_site(&url, &session).await else {
                return false;
            };
            // The reason with its causes, "error sending request: ...: Connection refused".
            println!("Failed {url}: {e:#}");
            true
        }));
    }
    // `gather(*tasks, return_exceptions=True)`: wait for all; a failure is counted, not raised.
    // `task.await` wraps the task's `bool` in a `Result`: its error, a `JoinError`, would say the
    // task panicked or was cancelled. Neither happens short of a bug, so `?` ends the program.
    let mut failed = 0;
    for task in tasks {
        failed += usize::from(task.await?);
    }
    Ok(failed)
}

// A runtime on this one thread, as asyncio's event loop: no task ever runs in parallel.
#[tokio::main(flavor = "current_thread")]
async fn main() -> contract::Result<ExitCode> {
    let args: Args = contract::parse_args();
    let stand_in = args
        .common
        .start_stand_in()
        .context("cannot start the local stand-in")?;
    let sites = args.common.sites(stand_in.as_ref());
    // The most requests waiting at once, and why, in one line: aiohttp's session has such a
    // cap too (100 connections), and so must a program that opens one connection per request.
    let limit = args.common.in_flight_cap(args.limit);
    let start_time = Instant::now();
    let failed = download_all_sites(&sites, limit, args.common.timeout).await?;
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
