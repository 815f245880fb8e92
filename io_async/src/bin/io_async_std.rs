//! # I/O-bound, async on async-std: the tokio program on another runtime
//!
//! Ports Real Python's
//! [`io_asyncio.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_asyncio.py)
//! on async-std, discontinued in 2025 in favour of smol but still under much code.
//!
//!     cargo run --release -p io_async --bin io_async_std
//!     diff io_async/src/bin/io_async_smol.rs io_async/src/bin/io_async_std.rs
//!
//! What to watch for: smol's times. Tasks run on one thread per core here, yet the waits overlap
//! because a task yields at each `.await` that must wait, not because of the threads. More in
//! `docs/io.md`.
//!
//! ```text
//! Read 10966 bytes from http://127.0.0.1:40393/www.jython.org
//! ...
//! Downloaded 160 sites in 0.099575522 seconds
//! ```

use std::io;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use contract::Summary;
use download_cli::DownloadArgs;
use io_async::{Error, Runtime, Session};
// async-std has no semaphore of its own; async-lock's works on any runtime (smol re-exports it).
use async_lock::Semaphore;
use async_std::future;
use async_std::net::TcpStream;
use async_std::task;

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

/// What the shared session needs from async-std: its socket and its way to start a task.
struct AsyncStd;

impl Runtime for AsyncStd {
    type TcpStream = TcpStream;

    async fn connect(host: &str, port: u16) -> io::Result<TcpStream> {
        TcpStream::connect((host, port)).await
    }

    fn spawn(task: impl Future<Output = ()> + Send + 'static) {
        task::spawn(task); // Dropping async-std's handle lets the task run on.
    }
}

/// Downloads one site and says how big it was. A 4xx or 5xx answer is an error.
async fn download_site(
    url: &str,
    session: &Session<AsyncStd>,
    timeout: Duration,
) -> Result<(), Error> {
    // async-std's timer races the download: the first to finish wins, the other is dropped.
    let expired = |_| Error::TimedOut(timeout);
    let body = future::timeout(timeout, session.get(url))
        .await
        .map_err(expired)??;
    println!("Read {} bytes from {url}", body.len());
    Ok(())
}

/// Starts one task per site and waits for them all; returns how many failed.
async fn download_all_sites(
    sites: &[String],
    limit: NonZeroUsize,
    timeout: Duration,
) -> anyhow::Result<usize> {
    // One session shared by every task, in an `Arc`: `Session` is `Send + Sync` (its pool sits
    // behind a mutex), as `task::spawn` demands of whatever a task holds.
    let session = Arc::new(Session::<AsyncStd>::new()?);
    // The cap: a task holds one of `limit` permits while its request is in flight.
    let limit = Arc::new(Semaphore::new(limit.get()));
    let mut tasks = Vec::with_capacity(sites.len());
    for url in sites {
        // A spawned task must own what it uses (`'static`): it may outlive this loop, so it
        // cannot borrow from here. Each gets its own clones, moved in by `async move`: a handle
        // to the one session, one to the one semaphore, and its own copy of the URL.
        let (session, limit, url) = (Arc::clone(&session), Arc::clone(&limit), url.clone());
        tasks.push(task::spawn(async move {
            let _permit = limit.acquire().await;
            let Err(e) = download_site(&url, &session, timeout).await else {
                return false;
            };
            println!("Failed {url}: {:#}", anyhow::Error::from(e));
            true
        }));
    }
    let mut failed = 0;
    for task in tasks {
        failed += usize::from(task.await);
    }
    Ok(failed)
}

fn main() -> contract::Result<ExitCode> {
    task::block_on(async {
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
    })
}
