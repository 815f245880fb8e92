//! What Fluent Python's `flags.py` holds for `flags_threadpool.py` and `flags_asyncio.py`
//! (the 20 codes, where the flags are, saving one, timing the run), and in [`flags2_common`]
//! what `flags2_common.py` holds for the flags2 and flags3 programs. The binaries in `src/bin/`
//! import from here and never from each other; what two of them share on purpose is copied
//! between `// region:` marks, kept identical by `cargo test -p xtask`.
//!
//! Rust has no `httpx` that is both blocking and async, so the blocking programs use ureq and
//! the async ones reqwest on tokio; both are built where the originals call `httpx`.

use std::fmt::Display;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser, ValueEnum};
use download_cli::{LocalStandIn, StandInArgs};
use futures_rustls::rustls::{self, ClientConfig, RootCertStore};

pub mod flags2_common;

/// The 20 most populous countries, as `flags.py`'s `POP20_CC`.
pub const POP20_CC: [&str; 20] = [
    "CN", "IN", "US", "ID", "BR", "PK", "NG", "BD", "RU", "JP", "MX", "PH", "VN", "ET", "EG", "DE",
    "IR", "TR", "CD", "FR",
];

/// Fluent Python's own copy of the flags (`-s REMOTE`; needs the internet).
pub const REMOTE_URL: &str = "https://www.fluentpython.com/data/flags";

// `flags.py` keeps `BASE_URL` and `DEST_DIR` as module globals, read by `get_flag` and
// `save_flag`. Here they come from the command line, so they are set once at start-up and
// read-only after: a `OnceLock` is a global that can be written once and then shared by every
// thread without a lock. The functions keep the original's signatures.
static BASE_URL: OnceLock<String> = OnceLock::new();
static DEST_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Where the flags are: `{BASE_URL}/{cc}/{cc}.gif`. Set by [`main`] (or [`flags2_common::main`]).
pub fn base_url() -> &'static str {
    BASE_URL.get().expect("main sets BASE_URL first")
}

/// Saves one flag into the destination directory, as `flags.py`'s `save_flag`: a blocking
/// write, which async code must not call on its event loop (see flags2_asyncio).
pub fn save_flag(img: &[u8], filename: &str) -> io::Result<()> {
    let dir = DEST_DIR.get().expect("main sets DEST_DIR first");
    std::fs::write(dir.join(filename), img)
}

/// TLS for `-s REMOTE` in the async programs: rustls with the ring provider and compiled-in
/// roots (reqwest's default provider, aws-lc-rs, needs cmake to build). ureq brings its own.
pub fn tls_config() -> Result<ClientConfig, rustls::Error> {
    let roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The command line of flags.py's ports, which have none in Python: where the flags come from
/// and where they go.
#[derive(Parser, Debug)]
#[command(
    about = "Downloads the flags of the 20 most populous countries and says how long it took."
)]
pub struct FlagsArgs {
    #[command(flatten)]
    pub site: SiteArgs,
}

/// Where the flags come from and where they are saved: shared by every program of the crate.
#[derive(clap::Args, Debug, Clone)]
pub struct SiteArgs {
    /// Server to hit: LOCAL, DELAY or ERROR (the local stand-in, as Fluent Python's three test
    /// servers), REMOTE (fluentpython.com), or the URL of a folder of flags.
    #[arg(short, long, value_name = "LABEL|URL", default_value = "LOCAL", value_parser = parse_server)]
    pub server: Server,

    /// Where to save the flags (default: target/downloaded/PROGRAM, beside the binary).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    #[command(flatten)]
    pub stand_in: StandInArgs,
}

/// The servers of `flags2_common.py`'s `SERVERS`, by label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum Label {
    /// The local stand-in, as its flags say (`--latency-ms`, `--error-rate`, ...).
    Local,
    /// The stand-in, every answer 0.5 to 5 s late, as the book's `slow_server.py`.
    Delay,
    /// The same, and a quarter of the answers errors (the book's server answers 418; ours 500).
    Error,
    /// fluentpython.com.
    Remote,
}

/// `-s`: a label, or any URL.
#[derive(Clone, Debug, PartialEq)]
pub enum Server {
    Label(Label),
    Url(String),
}

fn parse_server(text: &str) -> Result<Server, String> {
    if text.starts_with("http://") || text.starts_with("https://") {
        let url = download_cli::parse_url(text)?;
        return Ok(Server::Url(url.trim_end_matches('/').to_owned()));
    }
    Label::from_str(text, true)
        .map(Server::Label)
        .map_err(|_| "must be one of DELAY, ERROR, LOCAL, REMOTE, or an http(s) URL".into())
}

/// The server a run talks to, with the local stand-in if it started one. Dropping it stops the
/// stand-in; if it was told to misbehave, it first says what it did, on stderr.
pub struct Site {
    pub label: String,
    pub base_url: String,
    stand_in: Option<LocalStandIn>,
    /// Whether the stand-in was told to misbehave.
    faulty: bool,
}

impl SiteArgs {
    /// Starts the local stand-in unless the server is REMOTE or a URL, and says so in one line
    /// on stderr, as the downloaders of this workspace do.
    pub fn start(&self) -> io::Result<Site> {
        let label = match &self.server {
            Server::Url(url) => {
                return Ok(Site {
                    label: "URL".into(),
                    base_url: url.clone(),
                    stand_in: None,
                    faulty: false,
                });
            }
            Server::Label(Label::Remote) => {
                return Ok(Site {
                    label: "REMOTE".into(),
                    base_url: REMOTE_URL.into(),
                    stand_in: None,
                    faulty: false,
                });
            }
            Server::Label(label) => *label,
        };
        let args = &self.stand_in;
        let mut config = args.config();
        // DELAY and ERROR as the book's `slow_server.py`: `uniform(0.5, 5.0)` seconds before
        // each answer, and for ERROR a 25% error rate. The stand-in's own flags, where given
        // (not at their defaults), win.
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            stand_in: StandInArgs,
        }
        let defaults = Defaults::parse_from(["stand-in"]).stand_in;
        if label != Label::Local && (args.latency_ms, args.jitter_ms) == (defaults.latency_ms, 0) {
            (config.latency, config.jitter) =
                (Duration::from_millis(500), Duration::from_millis(4500));
        }
        if label == Label::Error && args.error_rate == 0.0 {
            config.error_rate = 0.25;
        }
        // In a process of its own, as every downloader's (download_cli/src/local.rs).
        let c = config.clone();
        let stand_in = LocalStandIn::start(config)?;
        let base_url = format!("{}{}", stand_in.base_url(), stand_in::flags::PREFIX);
        let mut faults = format!("{} ms each", c.latency.as_millis());
        if !c.jitter.is_zero() {
            faults += &format!(" + up to {} ms", c.jitter.as_millis());
        }
        for (name, rate) in [
            ("errors", c.error_rate),
            ("slow", c.slow_rate),
            ("dropped", c.drop_rate),
        ] {
            if rate > 0.0 {
                faults += &format!(", {:.0}% {name}", rate * 100.0);
            }
        }
        eprintln!("Serving flags locally at {base_url}, {faults} (or -s REMOTE)");
        Ok(Site {
            label: format!("{label:?}").to_uppercase(),
            base_url,
            stand_in: Some(stand_in),
            faulty: c.error_rate > 0.0 || c.drop_rate > 0.0 || c.slow_rate > 0.0,
        })
    }

    /// `--dir`, or `target/downloaded/PROGRAM` when the binary is in cargo's `target/PROFILE/`,
    /// or `downloaded` as in Python.
    pub fn dest_dir(&self) -> PathBuf {
        if let Some(dir) = &self.dir {
            return dir.clone();
        }
        let exe = std::env::current_exe().ok();
        let name = exe.as_deref().and_then(Path::file_stem);
        let target = exe.as_deref().and_then(Path::parent).and_then(Path::parent);
        match (target, name) {
            (Some(target), Some(name)) if target.file_name().is_some_and(|n| n == "target") => {
                target.join("downloaded").join(name)
            }
            _ => PathBuf::from("downloaded"),
        }
    }

    /// Sets `BASE_URL` and `DEST_DIR`, creating the directory.
    pub fn set_globals(&self, site: &Site) -> io::Result<PathBuf> {
        let dir = self.dest_dir();
        std::fs::create_dir_all(&dir)?;
        let _ = BASE_URL.set(site.base_url.clone());
        let _ = DEST_DIR.set(dir.clone());
        Ok(dir)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(stand_in) = self.stand_in.take()
            && self.faulty
        {
            stand_in.print_tally();
        }
    }
}

/// `flags.py`'s `main(downloader)`: makes the directory, times `download_many` on the 20 codes,
/// prints `\n{count} downloads in {elapsed:.2f}s`. The originals stop at the first error with
/// a traceback; here it is one `Error:` line and exit status 1 (flags2 counts errors instead).
pub fn main<E: Display>(download_many: impl FnOnce(&[&str]) -> Result<usize, E>) -> ExitCode {
    let args: FlagsArgs = contract::parse_args();
    if let Err(e) = args.site.stand_in.check() {
        contract::cli::usage_error(FlagsArgs::command(), e);
    }
    let site = match args.site.start() {
        Ok(site) => site,
        Err(e) => return fail(format!("cannot start the local stand-in: {e}")),
    };
    if let Err(e) = args.site.set_globals(&site) {
        return fail(format!(
            "cannot create {}: {e}",
            args.site.dest_dir().display()
        ));
    }
    let t0 = Instant::now();
    let count = match download_many(&POP20_CC) {
        Ok(count) => count,
        Err(e) => {
            println!();
            return fail(format!("{e:#}"));
        }
    };
    let elapsed = t0.elapsed().as_secs_f64();
    println!("\n{count} downloads in {elapsed:.2}s");
    ExitCode::SUCCESS
}

/// Prints `Error: {why}` on stderr, as every program of the workspace prints what ends it
/// (clap's usage errors alone start `error:`); exit status 1.
pub fn fail(why: impl Display) -> ExitCode {
    let _ = io::stdout().flush();
    eprintln!("Error: {why}");
    ExitCode::FAILURE
}
