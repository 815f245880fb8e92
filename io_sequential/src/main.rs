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
//! Downloaded 160 sites in 8.42255054 seconds
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use contract::{MAX_BODY_BYTES, MAX_REDIRECTS, Summary};
use download_cli::DownloadArgs;

/// Downloads the article's two sites, 80 times each, and says how long it took.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    common: DownloadArgs,
}

// region: new_session
/// A blocking HTTP client, as `requests.Session`: it keeps connections open between requests.
fn new_session(timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(MAX_REDIRECTS)
        .build();
    config.into()
}
// endregion: new_session

/// Downloads one site and says how big it was. An answer that is not 2xx is an error, and so
/// is a body past `MAX_BODY_BYTES`.
fn download_site(url: &str, session: &ureq::Agent) -> Result<(), ureq::Error> {
    // `call()` blocks this thread until the answer arrives, just as `session.get()` does.
    let mut response = session.get(url).call()?;
    // ureq fails a 4xx or 5xx itself and follows a 3xx; anything else but a 2xx (a status
    // past 599) is no page either.
    if !response.status().is_success() {
        return Err(ureq::Error::StatusCode(response.status().as_u16()));
    }
    let body = response.body_mut().with_config().limit(MAX_BODY_BYTES);
    let body = body.read_to_vec()?;
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
            println!("Failed {url}: {e:#}");
            failed += 1;
        }
    }
    failed
}

fn main() -> contract::Result<ExitCode> {
    let args: Args = contract::parse_args();
    let stand_in = args
        .common
        .start_stand_in()
        .context("cannot start the local stand-in")?;
    let sites = args.common.sites(stand_in.as_ref());
    // One connection at a time: the open-file limit is never in the way here.
    args.common.make_room_for(1);
    let start_time = Instant::now();
    let failed = download_all_sites(&sites, args.common.timeout);
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
}
