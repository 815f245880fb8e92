//! # Flags3 on tokio: two requests per country, no callbacks
//!
//! Ports Fluent Python's
//! [`flags3_asyncio.py`](https://github.com/fluentpython/example-code-2e/blob/80f7f84274a47579e59c29a4657691525152c9d5/20-executors/getflags/flags3_asyncio.py):
//! flags2_asyncio, but each task also fetches `{cc}/metadata.json` and names the file after
//! the country.
//!
//!     cargo run --release -p flags --bin flags3_asyncio -- -v
//!
//! What to watch for: `download_one` reads top to bottom, flag then country, one error path;
//! files such as `United_States.gif`; 40 requests, 5 at a time: 8 latencies. More in
//! `docs/flags.md`.
//!
//! ```text
//!  20 flags downloaded.
//! Elapsed time: 0.42s
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use flags::flags2_common::{
    self, Counter, DownloadStatus, http_error_msg, progress_bar, save_flag,
};
use reqwest::StatusCode;
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const DEFAULT_CONCUR_REQ: usize = 5;
const MAX_CONCUR_REQ: usize = 1000;

// region: flags2_asyncio_get_flag
/// An async client, as `httpx.AsyncClient()`, with the originals' `timeout=3.1`.
fn new_client() -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(flags::tls_config()?)
        .timeout(Duration::from_secs_f64(3.1))
        .build()?;
    Ok(client)
}

async fn get_flag(client: &reqwest::Client, base_url: &str, cc: &str) -> reqwest::Result<Bytes> {
    let url = format!("{base_url}/{cc}/{cc}.gif").to_lowercase();
    let resp = client.get(url).send().await?.error_for_status()?;
    resp.bytes().await
}
// endregion: flags2_asyncio_get_flag

/// The part of `metadata.json` this program reads.
#[derive(Deserialize)]
struct Metadata {
    country: String,
}

async fn get_country(
    client: &reqwest::Client,
    base_url: &str,
    cc: &str,
) -> reqwest::Result<String> {
    let url = format!("{base_url}/{cc}/metadata.json").to_lowercase();
    let resp = client.get(url).send().await?.error_for_status()?;
    // `resp.json()`, into a type: a missing "country" is an error here, not a KeyError later.
    let metadata: Metadata = resp.json().await?;
    Ok(metadata.country)
}

async fn download_one(
    client: reqwest::Client,
    cc: String,
    base_url: String,
    semaphore: Arc<Semaphore>,
    verbose: bool,
) -> anyhow::Result<DownloadStatus> {
    // Two requests, one after the other, written as plain sequential code: no callback for
    // "flag done", no state carried between callbacks, and one `match` below for a failure of
    // either step, as the original's one `try`.
    let steps = async {
        let image = {
            let _permit = semaphore.acquire().await.expect("never closed");
            get_flag(&client, &base_url, &cc).await?
        };
        let country = {
            // A permit per request, not per country: the flag's is back before this one.
            let _permit = semaphore.acquire().await.expect("never closed");
            get_country(&client, &base_url, &cc).await?
        };
        Ok::<_, reqwest::Error>((image, country))
    };
    let (status, msg) = match steps.await {
        Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => {
            let url = e.url().map_or_else(String::new, |u| u.to_string());
            (DownloadStatus::NotFound, format!("not found: {url}"))
        }
        Err(e) => return Err(e.into()),
        Ok((image, country)) => {
            let filename = format!("{}.gif", country.replace(' ', "_"));
            tokio::task::spawn_blocking(move || save_flag(&image, &filename)).await??;
            (DownloadStatus::Ok, "OK".to_owned())
        }
    };
    if verbose {
        println!("{cc} {msg}");
    }
    Ok(status)
}

// region: flags2_asyncio_supervisor
async fn supervisor(
    cc_list: &[String],
    base_url: &str,
    verbose: bool,
    concur_req: usize,
) -> anyhow::Result<Counter> {
    let mut counter = Counter::default();
    // At most `concur_req` requests in flight: every task is started at once, and waits for a
    // permit before each request (`async with semaphore`).
    let semaphore = Arc::new(Semaphore::new(concur_req));
    let client = new_client()?;
    let mut sorted = cc_list.to_vec();
    sorted.sort();
    let mut to_do = JoinSet::new();
    for cc in sorted {
        let task = download_one(
            client.clone(),
            cc.clone(),
            base_url.to_owned(),
            Arc::clone(&semaphore),
            verbose,
        );
        // The task hands back its code with its result: the original reads it back out of the
        // failed request's URL.
        to_do.spawn(async move { (cc, task.await) });
    }
    // `asyncio.as_completed(to_do)`: `join_next` yields each task as it finishes, whatever
    // the order they were started in, so the bar and the counts move as answers arrive.
    let bar = progress_bar(cc_list.len(), verbose);
    while let Some(done) = to_do.join_next().await {
        let (cc, result) = done?;
        let status = match result {
            Ok(status) => status,
            Err(error) => {
                if verbose {
                    println!("{cc} error: {}", error_msg(&error));
                }
                DownloadStatus::Error
            }
        };
        counter[status] += 1;
        bar.inc(1);
    }
    bar.finish();
    Ok(counter)
}

/// What `-v` prints for a failed flag: an HTTP status as the originals print it, or the reason
/// with its causes.
fn error_msg(error: &anyhow::Error) -> String {
    match error
        .downcast_ref::<reqwest::Error>()
        .and_then(|e| e.status())
    {
        Some(status) => http_error_msg(status.as_u16(), status.canonical_reason()),
        None => format!("{error:#}"),
    }
}

fn download_many(
    cc_list: &[String],
    base_url: &str,
    verbose: bool,
    concur_req: usize,
) -> anyhow::Result<Counter> {
    // `asyncio.run(supervisor(...))`: an event loop on this one thread, run until done.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(supervisor(cc_list, base_url, verbose, concur_req))
}
// endregion: flags2_asyncio_supervisor

fn main() -> ExitCode {
    flags2_common::main(download_many, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ)
}
