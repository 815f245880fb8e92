//! # I/O-bound, async on smol: the tokio program on another runtime
//!
//! Ports Real Python's `io_asyncio.py` (realpython-concurrency-ko.md) as `io_async` does, on
//! smol instead of tokio: one task per site, all started at once and awaited together, one
//! session shared by all, `--limit N` as a semaphore. reqwest runs only on tokio, so the session
//! is hyper's HTTP/1.1 client over smol's own `TcpStream` (`io_async::Session`, src/lib.rs).
//! (About 110 lines, not 90: the `Runtime` impl tells that session how to use smol.)
//!
//!     cargo run --release -p io_async --bin io_async_smol
//!     cargo run --release -p io_async --bin io_async_smol -- --limit 5
//!
//! What to watch for: the same times as tokio's, about one latency for all 160 sites, for the
//! same reason: tasks yield at `.await`. What differs is the runtime. smol's tasks run on its
//! global executor, one background thread by default (`SMOL_THREADS`), while `main` waits in
//! `block_on`; a task's handle cancels it when dropped, so a connection's driver is detached;
//! there is no client with a timeout, so smol's timer races each download.
//! `diff src/bin/io_async_smol.rs src/bin/io_async_std.rs` shows the runtime and nothing else.
//!
//! ```text
//! Serving the article's two sites from a local stand-in at http://127.0.0.1:40393 (50 ms per request); --real for the real ones
//! Read 10966 bytes from http://127.0.0.1:40393/www.jython.org
//! Read 276 bytes from http://127.0.0.1:40393/olympus.realpython.org/dice
//! ...
//! Downloaded 160 sites in 0.076 seconds
//! ```

use std::io;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use io_async::{Error, Runtime, Session};
use sites::{DownloadArgs, Summary};
use smol::Timer;
use smol::future::FutureExt;
use smol::lock::Semaphore;
use smol::net::TcpStream;

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

fn main() -> anyhow::Result<ExitCode> {
    smol::block_on(async {
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
