//! # Flags, sequential: one flag after another
//!
//! Ports Fluent Python's
//! [`flags.py`](https://github.com/fluentpython/example-code-2e/blob/e3ee75adbb119384ab1678ffab8f29f642e20909/20-executors/getflags/flags.py):
//! the flags of the 20 most populous countries, each downloaded and saved before the next.
//!
//!     cargo run --release -p flags
//!
//! What to watch for: the codes appear one by one, in order; 20 x 50 ms of the stand-in's
//! latency is the floor of the time. The baseline of `flags_threadpool` and `flags_asyncio`;
//! more in `docs/flags.md`.
//!
//! ```text
//! BD BR CD CN DE EG ET FR ID IN IR JP MX NG PH PK RU TR US VN
//! 20 downloads in 1.05s
//! ```

use std::io::Write;
use std::process::ExitCode;
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

fn download_many(cc_list: &[&str]) -> anyhow::Result<usize> {
    let client = new_client();
    let mut sorted = cc_list.to_vec();
    sorted.sort();
    for cc in sorted {
        let image = get_flag(&client, cc).with_context(|| format!("cannot download {cc}"))?;
        save_flag(&image, &format!("{cc}.gif")).with_context(|| format!("cannot save {cc}"))?;
        // `print(cc, end=' ', flush=True)`: without the flush, the codes would wait in the buffer.
        print!("{cc} ");
        std::io::stdout().flush()?;
    }
    Ok(cc_list.len())
}

fn main() -> ExitCode {
    flags::main(download_many)
}
