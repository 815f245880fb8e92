//! # I/O-bound, async on smol: the tokio program on another runtime
//!
//! Ports Real Python's
//! [`io_asyncio.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_asyncio.py)
//! on smol: hyper's client over smol's `TcpStream` (`io_async/src/lib.rs`).
//!
//!     cargo run --release -p io_async --bin io_async_smol
//!     diff io_async/src/bin/io_async_smol.rs io_async/src/bin/io_async_std.rs
//!
//! What to watch for: tokio's times, for tokio's reason (a task yields at each `.await` that must
//! wait). The diff shows the runtime: how tasks start, what a dropped handle does. More in
//! `docs/io.md`.
//!
//! ```text
//! Read 10966 bytes from http://127.0.0.1:40393/www.jython.org
//! ...
//! Downloaded 160 sites in 0.076351219 seconds
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
use smol::Timer;
use smol::future::FutureExt;
use smol::lock::Semaphore;
use smol::net::TcpStream;

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

/// What the shared session needs from smol: its socket and its way to start a task.
struct Smol;

impl Runtime for Smol {
    type TcpStream = TcpStream;

    async fn connect(host: &str, port: u16) -> io::Result<TcpStream> {
        TcpStream::connect((host, port)).await
    }

    fn spawn(task: impl Future<Output = ()> + Send + 'static) {
        smol::spawn(task).detach(); // Dropping smol's handle would cancel the task.
    }
}

/// Downloads one site and says how big it was. A 4xx or 5xx answer is an error.
async fn download_site(url: &str, session: &Session<Smol>, timeout: Duration) -> Result<(), Error> {
    // smol's timer races the download: the first to finish wins, the other is dropped.
    let expired = async {
        Timer::after(timeout).await;
        Err(Error::TimedOut(timeout))
    };
    let body = session.get(url).or(expired).await?;
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
    // behind a mutex), as `smol::spawn` demands of whatever a task holds.
    let session = Arc::new(Session::<Smol>::new()?);
    // The cap: a task holds one of `limit` permits while its request is in flight.
    let limit = Arc::new(Semaphore::new(limit.get()));
    let mut tasks = Vec::with_capacity(sites.len());
    for url in sites {
        // A spawned task must own what it uses (`'static`): it may outlive this loop, so it
        // cannot borrow from here. Each gets its own clones, moved in by `async move`: a handle
        // to the one session, one to the one semaphore, and its own copy of the URL.
        let (session, limit, url) = (Arc::clone(&session), Arc::clone(&limit), url.clone());
        tasks.push(smol::spawn(async move {
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
    smol::block_on(async {
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
