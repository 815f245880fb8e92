//! # I/O-bound, sequential: one request after another
//!
//! Ports Real Python's
//! [`io_non_concurrent.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_non_concurrent.py),
//! the baseline of every downloader:
//!
//!     cargo run --release -p io_sequential
//!
//! What to watch for: 160 requests at 50 ms each take 160 x 50 ms = 8 s, because each waits for the
//! one before it, and the CPU idles nearly all that time. More in `docs/io.md`.
//!
//! ```text
//! Read 10966 bytes from http://127.0.0.1:40393/www.jython.org
//! ...
//! Downloaded 160 sites in 8.1 seconds
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use sites::{DownloadArgs, Summary};

// region: new_session
/// A blocking HTTP client, as `requests.Session`: it keeps connections open between requests.
fn new_session(timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .build();
    config.into()
}
// endregion: new_session

/// Downloads one site and says how big it was. A 4xx or 5xx answer is an error.
fn download_site(url: &str, session: &ureq::Agent) -> Result<(), ureq::Error> {
    // `call()` blocks this thread until the answer arrives, just as `session.get()` does.
    let body = session.get(url).call()?.body_mut().read_to_vec()?;
    println!("Read {} bytes from {url}", body.len());
    Ok(())
}

/// Downloads every site in turn; returns how many failed.
fn download_all_sites(sites: &[String], timeout: Duration) -> usize {
    // One session for the whole run, as the article's `with requests.Session() as session`.
    let session = new_session(timeout);
    let mut failed = 0;
    for url in sites {
        if let Err(e) = download_site(url, &session) {
            println!("Failed {url}: {e}");
            failed += 1;
        }
    }
    failed
}

fn main() -> anyhow::Result<ExitCode> {
    let args = DownloadArgs::parse_args();
    let sites = args.sites().context("cannot start the local stand-in")?;
    // One connection at a time: the open-file limit is never in the way here.
    sites.make_room_for(1);
    let start_time = Instant::now();
    let failed = download_all_sites(&sites, args.timeout);
    let summary = Summary {
        total: sites.len(),
        failed,
        elapsed: start_time.elapsed(),
    };
    println!("{summary}");
    Ok(summary.exit_code())
}
