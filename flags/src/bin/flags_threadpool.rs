//! # Flags on a thread pool: 20 downloads at once
//!
//! Ports Fluent Python's
//! [`flags_threadpool.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/20-executors/getflags/flags_threadpool.py):
//! `executor.map(download_one, sorted(cc_list))`, here on 20 threads, one per code, as in the
//! 1st edition (the 2nd's `ThreadPoolExecutor()` has `min(32, cpu_count + 4)`: `docs/flags.md`).
//!
//!     cargo run --release -p flags --bin flags_threadpool
//!
//! What to watch for: the codes come out of order, as each thread finishes; the time is about
//! one request's, not 20. More in `docs/flags.md`.
//!
//! ```text
//! BD DE ET IN FR ID BR CD CN EG JP MX NG PH PK RU TR US VN IR
//! 20 downloads in 0.09s
//! ```

use std::io::Write;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use anyhow::Context;
use flags::{base_url, save_flag};

// region: flags_get_flag
/// A blocking client, as `httpx.get` with `timeout=6.1`. One for the whole run: ureq keeps the
/// connection open between requests, where `httpx.get` opens one per call.
fn new_client() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs_f64(6.1)))
        .build();
    config.into()
}

/// Downloads one flag. A 404 or any other error status is an error (`raise_for_status()`).
fn get_flag(client: &ureq::Agent, cc: &str) -> Result<Vec<u8>, ureq::Error> {
    let url = format!("{}/{cc}/{cc}.gif", base_url()).to_lowercase();
    // `call()` blocks this thread until the whole answer is in.
    client.get(&url).call()?.body_mut().read_to_vec()
}
// endregion: flags_get_flag

/// The body of flags.py's loop, made a function so that each thread can run one.
fn download_one(client: &ureq::Agent, cc: &str) -> anyhow::Result<String> {
    let image = get_flag(client, cc).with_context(|| format!("cannot download {cc}"))?;
    save_flag(&image, &format!("{cc}.gif")).with_context(|| format!("cannot save {cc}"))?;
    print!("{cc} ");
    std::io::stdout().flush()?;
    Ok(cc.to_owned())
}

fn download_many(cc_list: &[&str]) -> anyhow::Result<usize> {
    // One agent shared by every thread: `ureq::Agent` is `Send + Sync` (a handle to one
    // connection pool), so the compiler lets the threads borrow it.
    let client = new_client();
    let mut sorted = cc_list.to_vec();
    sorted.sort();
    // The 2nd edition's `ThreadPoolExecutor()` takes its default size, `min(32, os.cpu_count()
    // + 4)` threads: 6 on 2 cores, so 20 flags take four rounds of requests. The 1st edition's
    // was `min(MAX_WORKERS, len(cc_list))`, 20. This follows the 1st, one thread per code, so
    // the time is one request's on any machine. A scope lets the threads borrow `client` and
    // the codes, and waits for them all, as the `with` block.
    thread::scope(|scope| {
        let futures: Vec<_> = sorted
            .iter()
            .map(|cc| scope.spawn(|| download_one(&client, cc)))
            .collect();
        // `executor.map` yields the results in the order submitted, and raises the first error.
        let res: Vec<String> = futures
            .into_iter()
            .map(|future| {
                future
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(res.len())
    })
}

fn main() -> ExitCode {
    flags::main(download_many)
}
