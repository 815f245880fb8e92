//! The command line every downloader shares (the README's "The command line every program
//! shares"), and what it decides: where the sites come from (the local stand-in, `--url` or
//! `--real`) and how many connections the open-file limit has room for.
//!
//! Python's article hard-codes its two sites and its pool sizes; here they are flags, so a
//! learner can turn the knobs the article talks about without editing code.

mod limits;
mod local;

pub use limits::raise_open_file_limit;
pub use local::LocalStandIn;

use std::io;
use std::num::NonZeroUsize;
use std::time::Duration;

use clap::Args;
use contract::cli::seconds_in;
use stand_in::Config;

/// The article's two sites, for `--real`.
pub const REAL_URLS: [&str; 2] = [
    "https://www.jython.org",
    "http://olympus.realpython.org/dice",
];

/// The most `--repeat`: the list of sites is held in memory, and 200,000 downloads are plenty.
pub const MAX_REPEAT: u32 = 100_000;
/// The most `--workers` of a downloader: each is an OS thread or a process, and the sweep's
/// largest, 500, already waits more on the server than on itself.
pub const MAX_WORKERS: usize = 1_000;
/// The most `--limit`: each request in flight holds a connection, a file descriptor, and no
/// open-file limit holds many more.
pub const MAX_LIMIT: usize = 100_000;
/// `--timeout`, in seconds: at least the timers' 1 ms resolution, at most an hour.
pub const TIMEOUT_RANGE: (f64, f64) = (0.001, 3600.0);
/// The most the stand-in waits before an answer, in milliseconds, `--slow-ms` aside: a minute.
pub const MAX_LATENCY_MS: u64 = 60_000;
/// The most `--slow-ms`: ten minutes, longer than any `--timeout` worth trying against it.
pub const MAX_SLOW_MS: u64 = 600_000;

/// The flags every downloader shares. Each program flattens them into its own `Args`, beside the
/// flags that only it has (`--workers`, `--limit`).
#[derive(Args, Debug, Clone)]
pub struct DownloadArgs {
    /// Download URL instead of the two default sites (repeatable).
    #[arg(long = "url", value_name = "URL", value_parser = parse_url, conflicts_with = "real")]
    pub urls: Vec<String>,

    /// How many times the site list is repeated, as the article's `* 80` (1 to 100000).
    #[arg(long, value_name = "N", default_value_t = 80, value_parser = clap::value_parser!(u32).range(1..=MAX_REPEAT as i64))]
    pub repeat: u32,

    /// Download the article's real sites (needs the internet).
    #[arg(long)]
    pub real: bool,

    /// Give up on one request after this many seconds (0.001 to 3600).
    #[arg(long, value_name = "S", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,

    #[command(flatten)]
    pub stand_in: StandInArgs,
}

/// How the built-in stand-in behaves. The same flags drive `cargo xtask serve` and `compare`.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Local stand-in")]
pub struct StandInArgs {
    /// Delay before every answer of the local stand-in, in milliseconds (0 to 60000).
    #[arg(long, value_name = "MS", default_value_t = 50, value_parser = clap::value_parser!(u64).range(..=MAX_LATENCY_MS))]
    pub latency_ms: u64,

    /// Up to this many milliseconds more, drawn per request (0 to 60000).
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(..=MAX_LATENCY_MS))]
    pub jitter_ms: u64,

    /// Share of requests the stand-in answers with HTTP 500 (0 to 1).
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = parse_rate)]
    pub error_rate: f64,

    /// Share of requests the stand-in answers only after --slow-ms (0 to 1).
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = parse_rate)]
    pub slow_rate: f64,

    /// The delay of a slow answer, in milliseconds (0 to 600000).
    #[arg(long, value_name = "MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(..=MAX_SLOW_MS))]
    pub slow_ms: u64,

    /// Share of requests whose connection the stand-in closes without answering (0 to 1).
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = parse_rate)]
    pub drop_rate: f64,

    /// Seed for the stand-in's random choices, so a faulty run can be repeated.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
}

impl StandInArgs {
    /// The rates are shares of the same requests, so together they can be at most 1.
    pub fn check(&self) -> Result<(), String> {
        let total = self.error_rate + self.slow_rate + self.drop_rate;
        if total > 1.0 {
            return Err(format!(
                "--error-rate, --slow-rate and --drop-rate are shares of the same requests: \
                 they add up to {total}, more than 1"
            ));
        }
        Ok(())
    }

    pub fn config(&self) -> Config {
        Config {
            latency: Duration::from_millis(self.latency_ms),
            jitter: Duration::from_millis(self.jitter_ms),
            error_rate: self.error_rate,
            slow_rate: self.slow_rate,
            slow: Duration::from_millis(self.slow_ms),
            drop_rate: self.drop_rate,
            seed: self.seed,
        }
    }

    /// The faults asked for, as flags, or "" when there are none: for the one line that says
    /// how the stand-in behaves.
    fn describe_faults(&self) -> String {
        let mut faults = Vec::new();
        for (name, rate) in [
            ("errors", self.error_rate),
            ("slow", self.slow_rate),
            ("dropped", self.drop_rate),
        ] {
            if rate > 0.0 {
                faults.push(format!("{:.0}% {name}", rate * 100.0));
            }
        }
        if faults.is_empty() {
            String::new()
        } else {
            format!(", {} (seed {})", faults.join(", "), self.seed)
        }
    }
}

impl DownloadArgs {
    /// With neither `--url` nor `--real`, starts the local stand-in on a free loopback port, in
    /// a process of its own (`local.rs` says why), and says so in one line on stderr; it serves
    /// until the returned [`LocalStandIn`] is dropped. `None` when the sites are elsewhere.
    ///
    /// In that process, this call serves and never returns: every downloader calls it first.
    ///
    /// Fault rates that add up past 1 are bad usage clap cannot see: they exit with status 2,
    /// in clap's words, as its own errors do.
    pub fn start_stand_in(&self) -> io::Result<Option<LocalStandIn>> {
        if let Err(e) = self.stand_in.check() {
            contract::cli::usage_error(clap::Command::new("downloader"), e);
        }
        if !self.uses_stand_in() {
            return Ok(None);
        }
        let stand_in = LocalStandIn::start(self.stand_in.config())?;
        eprintln!(
            // One line that fits 80 columns: "Serving the two sites locally at
            // http://127.0.0.1:40393, 50 ms each (or --real)".
            "Serving the two sites locally at {}, {} ms each{} (or --real)",
            stand_in.base_url(),
            self.stand_in.latency_ms,
            self.stand_in.describe_faults(),
        );
        Ok(Some(stand_in))
    }

    /// The list of sites to download, `--repeat` times over: the stand-in's two pages, the
    /// `--url`s, or with `--real` the article's own.
    pub fn sites(&self, stand_in: Option<&LocalStandIn>) -> Vec<String> {
        let base = match stand_in {
            Some(stand_in) => stand_in.urls().to_vec(),
            None if self.real => REAL_URLS.map(String::from).to_vec(),
            None => self.urls.clone(),
        };
        // The article's `[...] * 80`.
        (0..self.repeat)
            .flat_map(|_| base.iter().cloned())
            .collect()
    }

    /// Whether the sites come from the built-in stand-in.
    fn uses_stand_in(&self) -> bool {
        !self.real && self.urls.is_empty()
    }

    /// Makes room for `connections` open at once, and says so in one line if there is none.
    ///
    /// Every open connection is a file descriptor. As Go's `os` package does at start-up, this
    /// raises the soft open-file limit as far as the kernel allows (to the hard limit; on macOS
    /// to `kern.maxfilesperproc` if that is lower: [`raise_open_file_limit`]); if that
    /// is still too low, the downloads beyond it fail with "Too many open files", each one
    /// reported, and this line tells the learner why before they do.
    pub fn make_room_for(&self, connections: usize) {
        match room_for_connections() {
            Some(room) if room.connections < connections => eprintln!(
                "note: the open-file limit ({}) leaves room for about {} connections, not {connections}; \
                 downloads beyond it will fail (raise it with `ulimit -n`, or lower --workers)",
                room.open_file_limit, room.connections
            ),
            _ => {}
        }
    }

    /// How many requests an async downloader lets wait at once, said with its reason in one
    /// line on stderr.
    ///
    /// The article's `aiohttp.ClientSession()` has a cap the Python code does not show: its
    /// connector opens at most 100 connections (`TCPConnector(limit=100)`), and a request
    /// beyond them waits for one to come free. Without a cap, ten thousand tasks open ten
    /// thousand connections at once: each holds a file descriptor and memory, and a server's
    /// accept queue may drop what does not fit. So:
    /// - `--limit N` is taken as given, with a warning if the open-file limit cannot hold it;
    /// - against any other server (`--url`, `--real`) the default is aiohttp's 100, because
    ///   we cannot know what it accepts;
    /// - against the built-in stand-in, whose accept queue is ours, the default is 1,000: 160
    ///   sites still wait all at once (one latency, not two as under aiohttp's cap), and 10,000
    ///   go in ten waves of 1,000 connections that are opened once and then reused;
    /// - and never more than the open-file limit has room for, so a default run loses nothing.
    pub fn in_flight_cap(&self, limit: Option<NonZeroUsize>) -> NonZeroUsize {
        let server = if self.uses_stand_in() {
            Server::StandIn
        } else {
            Server::Other
        };
        let default = default_in_flight_cap(server);
        let (cap, why) = choose_in_flight_cap(limit, default, room_for_connections());
        // `cargo xtask sweep` reads the cap back from this line (`contract::Line::InFlightCap`).
        eprintln!(
            "{}",
            contract::InFlightCap {
                cap: cap.get(),
                why: &why
            }
        );
        cap
    }
}

/// Which server an async downloader's sites are on, as far as its default cap goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// The built-in stand-in, whose accept queue is ours.
    StandIn,
    /// Any other (`--url`, `--real`): we cannot know what it accepts.
    Other,
}

/// The cap an async downloader takes when it is given no `--limit`, and whose default that is
/// (see [`DownloadArgs::in_flight_cap`] for why): 1,000, "the stand-in's default", with the
/// built-in stand-in; aiohttp's 100 against any other server. The one place this is decided:
/// `cargo xtask compare` and `sweep`, which serve the sites themselves, ask it to run each
/// program as it runs on its own, and say so.
pub fn default_in_flight_cap(server: Server) -> (usize, &'static str) {
    match server {
        Server::StandIn => (STAND_IN_LIMIT, "the stand-in's default"),
        Server::Other => (AIOHTTP_LIMIT, "aiohttp's default"),
    }
}

/// Raises the open-file limit as far as it goes, and says how many connections fit in it.
fn room_for_connections() -> Option<Room> {
    // Every connection is a file descriptor in this process (the built-in stand-in's end is in
    // its own); stdio, the runtime's own descriptors and a few spare come first.
    const RESERVED: u64 = 32;
    match limits::raise_open_file_limit() {
        Ok(open_file_limit) => Some(Room {
            open_file_limit,
            connections: usize::try_from(open_file_limit.saturating_sub(RESERVED))
                .unwrap_or(usize::MAX)
                .max(1),
        }),
        Err(e) => {
            eprintln!("note: cannot read the open-file limit: {e:#}");
            None
        }
    }
}

/// The cap, and why: `--limit` if given, else the default, lowered to what the open-file limit
/// has room for. Only a default says how to change it.
fn choose_in_flight_cap(
    limit: Option<NonZeroUsize>,
    (default, whose): (usize, &str),
    room: Option<Room>,
) -> (NonZeroUsize, String) {
    const TO_CHANGE: &str = "(--limit N to change)";
    let (cap, why) = match (limit, room) {
        (Some(limit), Some(room)) if room.connections < limit.get() => (
            limit.get(),
            format!(
                "set by --limit, but the open-file limit ({}) has room for about {}: \
                 downloads beyond it will fail",
                room.open_file_limit, room.connections
            ),
        ),
        (Some(limit), _) => (limit.get(), "set by --limit".to_owned()),
        (None, Some(room)) if room.connections < default => (
            room.connections,
            format!(
                "all the open-file limit ({}) has room for {TO_CHANGE}",
                room.open_file_limit
            ),
        ),
        (None, _) => (default, format!("{whose} {TO_CHANGE}")),
    };
    (NonZeroUsize::new(cap).unwrap_or(NonZeroUsize::MIN), why)
}

/// aiohttp's default: `ClientSession()`'s `TCPConnector(limit=100)`.
const AIOHTTP_LIMIT: usize = 100;

/// The async downloaders' default cap with the built-in stand-in.
const STAND_IN_LIMIT: usize = 1000;

/// The open-file limit, and how many connections it has room for.
#[derive(Clone, Copy, Debug)]
struct Room {
    open_file_limit: u64,
    connections: usize,
}

/// Accepts an absolute http or https URL with a host.
pub fn parse_url(text: &str) -> Result<String, String> {
    let uri: hyper::Uri = text.parse().map_err(|e| format!("not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => return Err(format!("scheme {other:?} is not http or https")),
        None => return Err("no scheme: write http://HOST/...".into()),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("no host".into());
    }
    Ok(text.to_owned())
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let (min, max) = TIMEOUT_RANGE;
    seconds_in(text, min, max)
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err("must be between 0 and 1".into())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// A downloader's command line, as io_threads and the io_async programs flatten it.
    #[derive(Parser, Debug)]
    struct Downloader {
        #[command(flatten)]
        common: DownloadArgs,
        #[arg(long, value_parser = contract::cli::count_up_to(MAX_WORKERS))]
        workers: Option<NonZeroUsize>,
        #[arg(long, value_parser = contract::cli::count_up_to(MAX_LIMIT))]
        limit: Option<NonZeroUsize>,
    }

    fn parse(args: &[&str]) -> Result<DownloadArgs, clap::Error> {
        let args = std::iter::once("downloader").chain(args.iter().copied());
        Downloader::try_parse_from(args).map(|d| d.common)
    }

    #[test]
    fn defaults_follow_the_contract() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.repeat, 80);
        assert!(args.urls.is_empty() && !args.real);
        assert!(args.uses_stand_in());
        assert_eq!(args.stand_in.latency_ms, 50);
        assert_eq!(args.timeout, Duration::from_secs(10));
    }

    #[test]
    fn urls_replace_the_sites_and_repeat() {
        let args = parse(&[
            "--url",
            "http://a.test/x",
            "--url",
            "https://b.test",
            "--repeat",
            "2",
        ])
        .unwrap();
        assert!(args.start_stand_in().unwrap().is_none());
        assert_eq!(
            args.sites(None),
            [
                "http://a.test/x",
                "https://b.test",
                "http://a.test/x",
                "https://b.test"
            ]
        );
    }

    #[test]
    fn real_gives_the_articles_urls() {
        let args = parse(&["--real", "--repeat", "1"]).unwrap();
        assert!(args.start_stand_in().unwrap().is_none());
        assert_eq!(args.sites(None), REAL_URLS);
    }

    #[test]
    fn the_in_flight_cap_is_the_limit_or_the_default_within_the_open_file_limit() {
        let room = |connections| {
            Some(Room {
                open_file_limit: 256,
                connections,
            })
        };
        let limit = NonZeroUsize::new;
        let cap = |limit, room| {
            let default = default_in_flight_cap(Server::StandIn);
            let (cap, why) = choose_in_flight_cap(limit, default, room);
            (cap.get(), why)
        };
        // The default, where there is room for it, or when the limit cannot be read; a default
        // says how to change it.
        let stand_ins = "the stand-in's default (--limit N to change)";
        assert_eq!(cap(None, room(5000)), (1000, stand_ins.into()));
        assert_eq!(cap(None, None), (1000, stand_ins.into()));
        // Lowered to the room there is, and said why.
        assert_eq!(
            cap(None, room(112)),
            (
                112,
                "all the open-file limit (256) has room for (--limit N to change)".into()
            )
        );
        // `--limit` as given, named once, with a warning when it cannot fit.
        assert_eq!(cap(limit(5), room(112)), (5, "set by --limit".into()));
        let (cap, why) = cap(limit(500), room(112));
        assert_eq!(cap, 500);
        assert!(why.contains("has room for about 112"), "{why}");
        assert_eq!(why.matches("--limit").count(), 1, "{why}");
        // Against any other server, aiohttp's.
        assert_eq!(
            default_in_flight_cap(Server::Other),
            (100, "aiohttp's default")
        );
    }

    #[test]
    fn every_range_includes_its_ends_and_the_defaults() {
        let args = parse(&[
            "--repeat",
            "100000",
            "--workers",
            "1000",
            "--limit",
            "100000",
            "--timeout",
            "3600",
            "--latency-ms",
            "60000",
            "--jitter-ms",
            "60000",
            "--slow-ms",
            "600000",
        ])
        .unwrap();
        assert_eq!(args.timeout, Duration::from_secs(3600));
        let args = parse(&["--timeout", "0.001", "--workers", "1", "--limit", "1"]).unwrap();
        assert_eq!(args.timeout, Duration::from_millis(1));
    }

    #[test]
    fn bad_usage_is_refused() {
        for bad in [
            &["--workers", "0"][..],
            &["--repeat", "-1"],
            &["--repeat", "0"],
            &["--limit", "abc"],
            &["--url", "not a url"],
            &["--url", "ftp://example.com/"],
            &["--url", "example.com"],
            &["--timeout", "0"],
            &["--timeout", "1e300"],
            &["--timeout", "1e-12"],
            &["--timeout", "NaN"],
            &["--timeout", "inf"],
            &["--limit", "2305843009213693952"],
            &["--limit", "100001"],
            &["--workers", "5000"],
            &["--repeat", "4294967295"],
            &["--latency-ms", "18446744073709551615"],
            &["--jitter-ms", "60001"],
            &["--slow-ms", "600001"],
            &["--error-rate", "NaN"],
            &["--error-rate", "1.5"],
            &["--real", "--url", "http://a.test/"],
            &["--frobnicate"],
        ] {
            let err = parse(bad).expect_err(&format!("{bad:?} should be refused"));
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }
}
