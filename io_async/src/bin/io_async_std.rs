//! # I/O-bound, async on async-std: the tokio program on another runtime
//!
//! Ports Real Python's `io_asyncio.py` (realpython-concurrency-ko.md) as `io_async` does, on
//! async-std instead of tokio: one task per site, all started at once and awaited together, one
//! session shared by all, `--limit N` as a semaphore. reqwest runs only on tokio, so the session
//! is hyper's HTTP/1.1 client over async-std's own `TcpStream` (`io_async::Session`, lib.rs).
//! (About 110 lines, not 90: the `Runtime` impl tells that session how to use async-std.)
//!
//! async-std was discontinued by its maintainers in 2025, who point its users to smol. It stays
//! here because for years it was the other big runtime and much code still runs on it; for new
//! code read io_async_smol.rs, of which this file is a copy with the runtime swapped.
//!
//!     cargo run --release -p io_async --bin io_async_std
//!     cargo run --release -p io_async --bin io_async_std -- --limit 5
//!
//! What to watch for: the same times as tokio's, about one latency for all 160 sites, for the
//! same reason: tasks yield at `.await`. What differs is the runtime. async-std's tasks run on a
//! global pool of one thread per core (`ASYNC_STD_THREAD_COUNT`), so unlike asyncio's two tasks
//! may run at the same moment, though the waits overlap because tasks yield, not because of the
//! threads; a dropped task handle lets its task run on; the timer wraps a future in a timeout.
//! `diff src/bin/io_async_smol.rs src/bin/io_async_std.rs` shows the runtime and nothing else.
//!
//! ```text
//! Serving the article's two sites from a local stand-in at http://127.0.0.1:40393 (50 ms per request); --real for the real ones
//! Read 10966 bytes from http://127.0.0.1:40393/www.jython.org
//! Read 276 bytes from http://127.0.0.1:40393/olympus.realpython.org/dice
//! ...
//! Downloaded 160 sites in 0.068 seconds
//! ```

use std::io;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use io_async::{Error, Runtime, Session};
use sites::{DownloadArgs, Summary};
// async-std has no semaphore of its own; async-lock's works on any runtime (smol re-exports it).
use async_lock::Semaphore;
use async_std::future;
use async_std::net::TcpStream;
use async_std::task;

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

fn main() -> anyhow::Result<ExitCode> {
    task::block_on(async {
        let args = DownloadArgs::parse_args();
        let sites = args.sites().context("cannot start the local stand-in")?;
        // The most requests waiting at once, and why, in one line: aiohttp's session has such a
        // cap too (100 connections), and so must a program that opens one connection per request.
        let limit = sites.in_flight_cap(args.limit);
        let start_time = Instant::now();
        let failed = download_all_sites(&sites, limit, args.timeout).await?;
        let summary = Summary {
            total: sites.len(),
            failed,
            elapsed: start_time.elapsed(),
        };
        println!("{summary}");
        Ok(summary.exit_code())
    })
}
