//! # Flags2, sequential: error handling, counts and a progress bar
//!
//! Ports Fluent Python's `flags2_sequential.py`
//! ([at this commit](https://github.com/fluentpython/example-code-2e/blob/43f1bf23b3ba020597b455e740fe553f1923fca9/20-executors/getflags/flags2_sequential.py)),
//! on the command line of
//! [`flags2_common.py`](https://github.com/fluentpython/example-code-2e/blob/5d6b15604782c715c85236d6de30b90add3f8d32/20-executors/getflags/flags2_common.py).
//!
//!     cargo run --release -p flags --bin flags2_sequential -- b
//!
//! What to watch for: a 404 is counted as "not found", not as an error; a progress bar on a
//! terminal (none in a pipe, none with `-v`). More in `docs/flags.md`.
//!
//! ```text
//!  17 flags downloaded.
//!   9 not found.
//! Elapsed time: 1.31s
//! ```

use std::process::ExitCode;
use std::time::Duration;

use flags::flags2_common::{
    self, Counter, DownloadStatus, http_error_msg, progress_bar, save_flag,
};
use indicatif::ProgressIterator;

const DEFAULT_CONCUR_REQ: usize = 1;
const MAX_CONCUR_REQ: usize = 1;

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
    _unused_concur_req: usize,
) -> anyhow::Result<Counter> {
    let client = new_client();
    let mut counter = Counter::default();
    let mut cc_iter = cc_list.to_vec();
    cc_iter.sort();
    // `tqdm.tqdm(cc_iter)`: the bar moves on as the loop takes each code.
    for cc in cc_iter
        .iter()
        .progress_with(progress_bar(cc_list.len(), verbose))
    {
        let status = match download_one(&client, cc, base_url, verbose) {
            Ok(status) => status,
            // Every other failure is counted and the loop goes on.
            Err(error) => {
                if verbose {
                    println!("{cc} error: {}", error_msg(&error));
                }
                DownloadStatus::Error
            }
        };
        counter[status] += 1;
    }
    Ok(counter)
}

fn main() -> ExitCode {
    flags2_common::main(download_many, DEFAULT_CONCUR_REQ, MAX_CONCUR_REQ)
}
