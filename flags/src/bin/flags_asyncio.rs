//! # Flags on tokio: 20 tasks on one thread
//!
//! Ports Fluent Python's
//! [`flags_asyncio.py`](https://github.com/fluentpython/example-code-2e/blob/80f7f84274a47579e59c29a4657691525152c9d5/20-executors/getflags/flags_asyncio.py):
//! one task per flag on one thread, awaited together as `asyncio.gather`.
//!
//!     cargo run --release -p flags --bin flags_asyncio -- --jitter-ms 50
//!
//! What to watch for: the threads' time with no threads. Without `--jitter-ms` every answer
//! takes the same 50 ms and the tasks end in the order they began; with it, in any order.
//! Saving still blocks the loop (flags2_asyncio moves it off). More in `docs/flags.md`.
//!
//! ```text
//! EG IR PK CN FR TR DE VN JP ID US NG RU IN BD ET CD MX PH BR
//! 20 downloads in 0.11s
//! ```

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use flags::{base_url, save_flag};

/// An async client, as `httpx.AsyncClient()`, with the originals' `timeout=6.1`.
fn new_client() -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(flags::tls_config()?)
        .timeout(Duration::from_secs_f64(6.1))
        .build()?;
    Ok(client)
}

async fn download_one(client: reqwest::Client, cc: String) -> anyhow::Result<String> {
    let image = get_flag(&client, &cc)
        .await
        .with_context(|| format!("cannot download {cc}"))?;
    // A blocking write on the loop's one thread, as the original's: short for a small file,
    // but every other task waits meanwhile. flags2_asyncio hands it to another thread.
    save_flag(&image, &format!("{cc}.gif")).with_context(|| format!("cannot save {cc}"))?;
    print!("{cc} ");
    std::io::stdout().flush()?;
    Ok(cc)
}

/// Downloads one flag. The original returns whatever body came back, even an error page; this
/// one checks the status, as flags.py's `raise_for_status()` does.
async fn get_flag(client: &reqwest::Client, cc: &str) -> reqwest::Result<Bytes> {
    let url = format!("{}/{cc}/{cc}.gif", base_url()).to_lowercase();
    // Each `.await` is where this task may pause while the thread runs the others.
    let resp = client.get(url).send().await?.error_for_status()?;
    resp.bytes().await
}

fn download_many(cc_list: &[&str]) -> anyhow::Result<usize> {
    // `asyncio.run(supervisor(cc_list))`: an event loop on this one thread, run until done.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(supervisor(cc_list))
}

async fn supervisor(cc_list: &[&str]) -> anyhow::Result<usize> {
    let client = new_client()?;
    let mut sorted = cc_list.to_vec();
    sorted.sort();
    // Every task is started now; they all wait for their answers at once. A clone of the
    // client is a handle to the same connection pool.
    let to_do: Vec<_> = sorted
        .into_iter()
        .map(|cc| tokio::spawn(download_one(client.clone(), cc.to_owned())))
        .collect();
    // `await asyncio.gather(*to_do)`: the results in order; the first error is raised.
    let mut res = Vec::new();
    for task in to_do {
        res.push(task.await??);
    }
    Ok(res.len())
}

fn main() -> ExitCode {
    flags::main(download_many)
}
