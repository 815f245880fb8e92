//! The command line every downloader shares (the README's "The command line every program
//! shares").
//!
//! Python's article hard-codes its two sites and its pool sizes; here they are flags, so a
//! learner can turn the knobs the article talks about without editing code.

use std::io::{self, Write};
use std::num::NonZeroUsize;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, CommandFactory, Parser};

use crate::server::{Config, StandIn};

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
/// The most `--limit`: each request in flight holds a connection, a file descriptor twice over
/// with the built-in stand-in, and no open-file limit holds many more.
pub const MAX_LIMIT: usize = 100_000;
/// The most `--workers` of a CPU program: more than cores only take turns, and rayon's idle
/// threads spin a while before they sleep, so a pool of 1,000 took 9 s to start here.
pub const MAX_CPU_WORKERS: usize = 256;
/// `--timeout`, in seconds: at least the timers' 1 ms resolution, at most an hour.
pub const TIMEOUT_RANGE: (f64, f64) = (0.001, 3600.0);
/// The most the stand-in waits before an answer, in milliseconds, `--slow-ms` aside: a minute.
pub const MAX_LATENCY_MS: u64 = 60_000;
/// The most `--slow-ms`: ten minutes, longer than any `--timeout` worth trying against it.
pub const MAX_SLOW_MS: u64 = 600_000;

/// Flags shared by every downloader.
#[derive(Parser, Debug, Clone)]
#[command(about = "Downloads the article's two sites, 80 times each, and says how long it took.")]
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

    /// Worker threads or processes: io_threads (default 5), io_multiprocess (default: one per CPU).
    /// The other downloaders have no workers and ignore it. (1 to 1000: each one is an OS thread
    /// or a process.)
    #[arg(long, value_name = "N", value_parser = count_up_to(MAX_WORKERS))]
    pub workers: Option<NonZeroUsize>,

    /// Most requests in flight at once, for the io_async programs (default: 1000 with the local
    /// stand-in, 100 as aiohttp's session against other servers, fewer if the open-file limit
    /// has no room for them). The blocking downloaders are capped by their workers and ignore it.
    /// (1 to 100000: each request in flight holds an open file.)
    #[arg(long, value_name = "N", value_parser = count_up_to(MAX_LIMIT))]
    pub limit: Option<NonZeroUsize>,

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
    /// Parses the command line; on bad usage prints the error and the usage, and exits with 2.
    pub fn parse_args() -> DownloadArgs {
        let args: DownloadArgs = parse_or_exit();
        if let Err(e) = args.stand_in.check() {
            exit_with_usage::<DownloadArgs>(&e);
        }
        args
    }

    /// The list of sites to download, `--repeat` times over. With neither `--url` nor `--real`
    /// it starts the local stand-in, says so in one line on stderr, and keeps it running for as
    /// long as the returned [`Sites`] lives.
    pub fn sites(&self) -> io::Result<Sites> {
        let (base, stand_in): (Vec<String>, _) = if self.real {
            (REAL_URLS.map(String::from).to_vec(), None)
        } else if !self.urls.is_empty() {
            (self.urls.clone(), None)
        } else {
            let stand_in = StandIn::start(self.stand_in.config())?;
            eprintln!(
                "Serving the article's two sites from a local stand-in at {} ({} ms per request{}); --real for the real ones",
                stand_in.base_url(),
                self.stand_in.latency_ms,
                self.stand_in.describe_faults(),
            );
            (stand_in.urls().to_vec(), Some(stand_in))
        };
        // The article's `[...] * 80`.
        let urls = (0..self.repeat)
            .flat_map(|_| base.iter().cloned())
            .collect();
        Ok(Sites { urls, stand_in })
    }
}

/// The URLs to download; derefs to `[String]`. Holds the local stand-in, if one was started.
pub struct Sites {
    urls: Vec<String>,
    stand_in: Option<StandIn>,
}

impl Sites {
    pub fn stand_in(&self) -> Option<&StandIn> {
        self.stand_in.as_ref()
    }

    /// Makes room for `connections` open at once, and says so in one line if there is none.
    ///
    /// Every open connection is a file descriptor, twice over when the stand-in runs in this
    /// process. Like Go's runtime, this raises the soft open-file limit to the hard one; if that
    /// is still too low, the downloads beyond it fail with "Too many open files", each one
    /// reported, and this line tells the learner why before they do.
    pub fn make_room_for(&self, connections: usize) {
        match self.room_for_connections() {
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
    /// thousand connections at once: each holds a file descriptor (two with the stand-in in this
    /// process) and memory, and a server's accept queue may drop what does not fit. So:
    /// - `--limit N` is taken as given, with a warning if the open-file limit cannot hold it;
    /// - against any other server (`--url`, `--real`) the default is aiohttp's 100, because
    ///   we cannot know what it accepts;
    /// - against the built-in stand-in, whose accept queue is ours, the default is 1,000: 160
    ///   sites still wait all at once (one latency, not two as under aiohttp's cap), and 10,000
    ///   go in ten waves of 1,000 connections that are opened once and then reused;
    /// - and never more than the open-file limit has room for, so a default run loses nothing.
    pub fn in_flight_cap(&self, limit: Option<NonZeroUsize>) -> NonZeroUsize {
        let default = if self.stand_in.is_some() {
            (STAND_IN_LIMIT, "the default with the local stand-in")
        } else {
            (AIOHTTP_LIMIT, "aiohttp's default connector limit")
        };
        let (cap, why) = choose_in_flight_cap(limit, default, self.room_for_connections());
        eprintln!("At most {cap} requests in flight at once: {why} (--limit N to change)");
        cap
    }

    /// Raises the open-file limit as far as it goes, and says how many connections fit in it.
    fn room_for_connections(&self) -> Option<Room> {
        // Every connection is a file descriptor in this process, two when the stand-in is here
        // too; stdio, the runtime's own descriptors and a few spare come first.
        const RESERVED: u64 = 32;
        let per_connection = if self.stand_in.is_some() { 2 } else { 1 };
        match crate::limits::raise_open_file_limit() {
            Ok(open_file_limit) => Some(Room {
                open_file_limit,
                connections: usize::try_from(
                    open_file_limit.saturating_sub(RESERVED) / per_connection,
                )
                .unwrap_or(usize::MAX)
                .max(1),
            }),
            Err(e) => {
                eprintln!("note: cannot read the open-file limit: {e}");
                None
            }
        }
    }
}

/// The cap, and why: `--limit` if given, else the default, lowered to what the open-file limit
/// has room for.
fn choose_in_flight_cap(
    limit: Option<NonZeroUsize>,
    (default, whose): (usize, &str),
    room: Option<Room>,
) -> (NonZeroUsize, String) {
    let (cap, why) = match (limit, room) {
        (Some(limit), Some(room)) if room.connections < limit.get() => (
            limit.get(),
            format!(
                "--limit {limit}, but the open-file limit ({}) has room for about {}: \
                 downloads beyond it will fail",
                room.open_file_limit, room.connections
            ),
        ),
        (Some(limit), _) => (limit.get(), format!("--limit {limit}")),
        (None, Some(room)) if room.connections < default => (
            room.connections,
            format!(
                "all the open-file limit ({}) has room for",
                room.open_file_limit
            ),
        ),
        (None, _) => (default, whose.to_owned()),
    };
    (NonZeroUsize::new(cap).unwrap_or(NonZeroUsize::MIN), why)
}

/// aiohttp's default: `ClientSession()`'s `TCPConnector(limit=100)`.
pub const AIOHTTP_LIMIT: usize = 100;

/// The async downloaders' default cap with the built-in stand-in (see [`Sites::in_flight_cap`]).
pub const STAND_IN_LIMIT: usize = 1000;

/// The open-file limit, and how many connections it has room for.
#[derive(Clone, Copy, Debug)]
struct Room {
    open_file_limit: u64,
    connections: usize,
}

impl Drop for Sites {
    /// When the built-in stand-in was told to misbehave, it says what it did, on stderr after
    /// the program's last line, so its count of injected failures can be set beside the
    /// program's own.
    fn drop(&mut self) {
        if let Some(stand_in) = &self.stand_in {
            let c = stand_in.config();
            if c.error_rate > 0.0 || c.drop_rate > 0.0 || c.slow_rate > 0.0 {
                // Every request that arrived, those the program gave up on included: the
                // stand-in's thread sees a closed connection a moment after the program.
                let log = stand_in.log();
                log.settle(Duration::from_secs(1));
                eprintln!("Local stand-in: {}", log.tally());
            }
        }
    }
}

impl Deref for Sites {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.urls
    }
}

/// Parses the command line into any clap parser. Bad usage gets a one-line error, then the
/// usage, and exit status 2; `--help` and `--version` print and exit 0, as clap does.
///
/// Every program of the workspace starts here, so this is also where two of std's panics are
/// made clean exits ([`crate::exits::install`]).
pub fn parse_or_exit<P: Parser>() -> P {
    crate::exits::install();
    let mut command = P::command();
    // Parsing through `&mut command` lets clap name the program as it was run (`io_threads`)
    // in the usage printed below.
    let parsed = command
        .try_get_matches_from_mut(std::env::args_os())
        .and_then(|matches| P::from_arg_matches(&matches));
    parsed.unwrap_or_else(|error| {
        if !error.use_stderr() {
            error.exit(); // --help or --version: not an error.
        }
        let rendered = error.render().to_string();
        let first_line = rendered.lines().next().unwrap_or("error: bad usage");
        // The usage of the subcommand that was wrong, where clap knows it.
        let usage = match error.get(clap::error::ContextKind::Usage) {
            Some(clap::error::ContextValue::StyledStr(usage)) => usage.clone(),
            _ => {
                let subcommand = std::env::args()
                    .skip(1)
                    .find(|arg| command.find_subcommand(arg).is_some());
                match subcommand.and_then(|name| command.find_subcommand_mut(name)) {
                    Some(subcommand) => subcommand.render_usage(),
                    None => command.render_usage(),
                }
            }
        };
        exit_with(first_line, &usage)
    })
}

/// Exits with status 2 after a mistake clap cannot see (flags that disagree), laid out as
/// [`parse_or_exit`] lays out clap's own: one error line, the usage.
pub fn exit_with_usage<P: CommandFactory>(message: &str) -> ! {
    let mut command = P::command();
    if command.get_bin_name().is_none() {
        let program = std::env::args_os().next().map(PathBuf::from);
        if let Some(name) = program.as_deref().and_then(Path::file_name) {
            command = command.bin_name(name.to_string_lossy().into_owned());
        }
    }
    exit_with(&format!("error: {message}"), &command.render_usage())
}

/// The contract's bad usage: the error line, the usage, a pointer to `--help`, exit status 2.
fn exit_with(error_line: &str, usage: &impl std::fmt::Display) -> ! {
    // A stderr whose reader has gone (`2>&1 | head -1`) changes nothing: the status is still 2.
    let text = format!("{error_line}\n\n{usage}\n\nFor more information, try '--help'.");
    let _ = writeln!(io::stderr(), "{text}");
    std::process::exit(2);
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

/// Parses a number of seconds from `min` to `max`, both included (NaN and infinities are not
/// in any range): for every flag in seconds, so none can overflow a `Duration` or round to 0.
pub fn seconds_in(text: &str, min: f64, max: f64) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (min..=max).contains(&seconds) {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!("{text} is not in {min}..={max} seconds"))
    }
}

/// The spinners' `--seconds`, 0 to an hour (long enough to watch one turn); `cargo xtask
/// compare` checks its `--spinner-seconds` with it before it passes them on.
pub fn parse_spinner_seconds(text: &str) -> Result<Duration, String> {
    seconds_in(text, 0.0, 3600.0)
}

/// A clap value parser for a count from 1 to `max`, as clap's own ranges for integers.
pub fn count_up_to(
    max: usize,
) -> impl Fn(&str) -> Result<NonZeroUsize, String> + Clone + Send + Sync + 'static {
    move |text| {
        let n: usize = text
            .parse()
            .map_err(|_| format!("{text:?} is not a whole number"))?;
        NonZeroUsize::new(n)
            .filter(|n| n.get() <= max)
            .ok_or_else(|| format!("{n} is not in 1..={max}"))
    }
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
    use super::*;

    fn parse(args: &[&str]) -> Result<DownloadArgs, clap::Error> {
        DownloadArgs::try_parse_from(std::iter::once("downloader").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_follow_the_contract() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.repeat, 80);
        assert!(args.urls.is_empty() && !args.real);
        assert_eq!(args.stand_in.latency_ms, 50);
        assert_eq!(args.workers, None);
        assert_eq!(args.limit, None);
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
        let sites = args.sites().unwrap();
        assert!(sites.stand_in().is_none());
        assert_eq!(
            &*sites,
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
        let sites = parse(&["--real", "--repeat", "1"])
            .unwrap()
            .sites()
            .unwrap();
        assert_eq!(&*sites, REAL_URLS);
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
            let (cap, why) = choose_in_flight_cap(limit, (STAND_IN_LIMIT, "the default"), room);
            (cap.get(), why)
        };
        // The default, where there is room for it, or when the limit cannot be read.
        assert_eq!(cap(None, room(5000)), (1000, "the default".into()));
        assert_eq!(cap(None, None), (1000, "the default".into()));
        // Lowered to the room there is, and said why.
        assert_eq!(
            cap(None, room(112)),
            (112, "all the open-file limit (256) has room for".into())
        );
        // `--limit` as given, with a warning when it cannot fit.
        assert_eq!(cap(limit(5), room(112)), (5, "--limit 5".into()));
        let (cap, why) = cap(limit(500), room(112));
        assert_eq!(cap, 500);
        assert!(why.contains("has room for about 112"), "{why}");
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
        assert_eq!(parse(&[]).unwrap().timeout, Duration::from_secs(10));
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
