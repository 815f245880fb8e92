//! # Flags2 on a thread pool, results taken as they complete
//!
//! Ports Fluent Python's
//! [`flags2_threadpool.py`](https://github.com/fluentpython/example-code-2e/blob/43f1bf23b3ba020597b455e740fe553f1923fca9/20-executors/getflags/flags2_threadpool.py):
//! flags2_sequential's `download_one` on a pool of `-m` threads (30), `as_completed`.
//!
//!     cargo run --release -p flags --bin flags2_threadpool -- -e --error-rate 0.25
//!
//! What to watch for: all 676 codes in about 23 latencies (676 / 30); errors and 404s
//! counted apart. More in `docs/flags.md`.
//!
//! ```text
//! 149 flags downloaded.
//! 360 not found.
//! 167 errors.
//! Elapsed time: 1.23s
//! ```

use std::process::ExitCode;
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::Duration;

use flags::flags2_common::{
    self, Counter, DownloadStatus, http_error_msg, progress_bar, save_flag,
};
use indicatif::ProgressIterator;

const DEFAULT_CONCUR_REQ: usize = 30;
const MAX_CONCUR_REQ: usize = 1000;

// region: flags2_download_one
/// A blocking client, as `httpx.get` with `timeout=3.1`; one for the whole run, kept alive.
fn new_client() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs_f64(3.1)))
        .build();
    config.into()
}

fn get_flag(client: &ureq::Agent, base_url: &str, cc: &str) -> Result<Vec<u8>, ureq::Error> {
    let url = format!("{base_url}/{cc}/{cc}.gif").to_lowercase();
    // A 4xx or 5xx answer comes back as `Err(StatusCode(n))`: `raise_for_status()`.
    client.get(&url).call()?.body_mut().read_to_vec()
}

/// Downloads and saves one flag. A 404 is an answer, `NotFound`; any other failure is
/// returned for `download_many` to count, as the original re-raises it.
fn download_one(
    client: &ureq::Agent,
    cc: &str,
    base_url: &str,
    verbose: bool,
) -> Result<DownloadStatus, ureq::Error> {
    let (status, msg) = match get_flag(client, base_url, cc) {
        Err(ureq::Error::StatusCode(404)) => {
            let url = format!("{base_url}/{cc}/{cc}.gif").to_lowercase();
            (DownloadStatus::NotFound, format!("not found: {url}"))
        }
        Err(e) => return Err(e),
        Ok(image) => {
            save_flag(&image, &format!("{cc}.gif"))?;
            (DownloadStatus::Ok, "OK".to_owned())
        }
    };
    if verbose {
        println!("{cc} {msg}");
    }
    Ok(status)
}

/// What `-v` prints for a failed flag: the status as the originals print it, or the reason.
fn error_msg(error: &ureq::Error) -> String {
    match error {
        ureq::Error::StatusCode(code) => {
            let reason = ureq::http::StatusCode::from_u16(*code).ok();
            http_error_msg(*code, reason.and_then(|s| s.canonical_reason()))
        }
        other => other.to_string(),
    }
}
// endregion: flags2_download_one

fn download_many(
    cc_list: &[String],
    base_url: &str,
    verbose: bool,
    concur_req: usize,
) -> anyhow::Result<Counter> {
    let client = new_client();
    let mut counter = Counter::default();
    let mut sorted = cc_list.to_vec();
    sorted.sort();
    // `ThreadPoolExecutor(max_workers=concur_req)`: `concur_req` threads take the codes from
    // one queue; each sends the code and its result down a channel as it finishes. Reading
    // the channel is `as_completed`: results in the order they are done, not submitted.
    let to_do = Mutex::new(sorted.into_iter());
    let (done, done_iter) = mpsc::channel();
    thread::scope(|executor| {
        for _ in 0..concur_req {
            let (to_do, client, done) = (&to_do, &client, done.clone());
            executor.spawn(move || {
                // The lock is held to take one code, never during a download: the guard dies
                // inside `next`, where in `while let Some(cc) = to_do.lock()...` it would live
                // through the loop's body and run the downloads one at a time.
                let next = || to_do.lock().unwrap().next();
                while let Some(cc) = next() {
                    let result = download_one(client, &cc, base_url, verbose);
                    if done.send((cc, result)).is_err() {
                        break;
                    }
                }
            });
        }
        // The channel ends when the last worker drops its sender.
        drop(done);
        for (cc, result) in done_iter
            .iter()
            .progress_with(progress_bar(cc_list.len(), verbose))
        {
            let status = match result {
                Ok(status) => status,
                Err(error) => {
                    // The code came with the result: Python keeps a future-to-code dict.
                    if verbose {
                        println!("{cc} error: {}", error_msg(&error));
                    }
                    DownloadStatus::Error
                }
            };
            counter[status] += 1;
        }
    });
    Ok(counter)
}

fn main() -> ExitCode {
    flags2_common::main(download_many, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ)
}
