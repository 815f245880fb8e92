//! What every program of the workspace promises, in one small crate that every example can
//! link without an HTTP stack or an async runtime: the lines the programs print ([`Summary`],
//! [`Line`], [`Transcript`], [`expected_sum`], and the character finder's in [`charfinder`]),
//! how they end ([`exits`]: a closed stdout, a thread the OS refuses; [`Report`]: an error, on
//! one line), how they read their flags ([`cli`]) and how a process program starts its workers
//! ([`worker`]). The checks their tests share are in the `testkit` crate, a dev-dependency only.
//!
//! Fluent Python keeps the same kind of thing in `flags.py`, imported by each `flags_*.py`.
//! The examples depend on this crate; they never depend on each other.
//!
//! The lines the programs print (the README's shared contract) are written and read in one
//! place: the downloaders print a [`Summary`]; tests and `cargo xtask` read every line with
//! [`Line::parse`].

pub mod charfinder;
pub mod cli;
pub mod exits;
pub mod worker;

pub use cli::parse_args;
pub use worker::{worker_command, worker_role};

use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

/// The most redirects a downloader follows for one site: ureq's and reqwest's default, and
/// aiohttp's `max_redirects=10` (requests allows 30). One more fails the download, so a redirect
/// loop fails instead of running for ever.
pub const MAX_REDIRECTS: u32 = 10;

/// The largest body a downloader reads, 10 MiB: ureq's default limit. A longer body fails that
/// download (and only that one) instead of filling the memory; the article's pages are 11 kB.
pub const MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;

/// What `main` returns: `fn main() -> contract::Result<ExitCode>`, with `?` on any error.
pub type Result<T, E = Report> = std::result::Result<T, E>;

/// An error returned from `main`, which Rust prints as `Error: {self:?}` and exit status 1.
/// anyhow's `Debug` is a paragraph ("Caused by:" and a list); this is the workspace's one error
/// style instead, `{:#}`, the error and its causes on one line:
/// `Error: cannot start the local stand-in: Too many open files (os error 24)`.
pub struct Report(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Report {
    fn from(error: E) -> Report {
        Report(error.into())
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

/// A downloader's last line, and its exit status.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub total: usize,
    pub failed: usize,
    pub elapsed: Duration,
}

impl Summary {
    /// 0 when every site was downloaded, 1 when any failed.
    pub fn exit_code(&self) -> ExitCode {
        if self.failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (total, failed, secs) = (self.total, self.failed, self.elapsed.as_secs_f64());
        if failed == 0 {
            write!(f, "Downloaded {total} sites in {secs} seconds")
        } else {
            let ok = total - failed;
            write!(
                f,
                "Downloaded {ok} of {total} sites in {secs} seconds ({failed} failed)"
            )
        }
    }
}

/// An async downloader's line on stderr, before its first request: how many requests it keeps in
/// flight at once, and why that many (`--limit N`, the server's default, the open-file limit).
#[derive(Clone, Debug, PartialEq)]
pub struct InFlightCap<'a> {
    pub cap: usize,
    pub why: &'a str,
}

impl fmt::Display for InFlightCap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let requests = if self.cap == 1 { "request" } else { "requests" };
        write!(f, "At most {} {requests} at once, {}", self.cap, self.why)
    }
}

/// One line of any program's output, as a checker sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Line<'a> {
    /// `[{worker}:]Read {bytes} bytes from {url}`
    Read {
        worker: Option<&'a str>,
        bytes: usize,
        url: &'a str,
    },
    /// `[{worker}:]Failed {url}: {reason}`
    Failed {
        worker: Option<&'a str>,
        url: &'a str,
        reason: &'a str,
    },
    /// `Downloaded {n} sites in {secs} seconds`, or `Downloaded {ok} of {n} sites in {secs}
    /// seconds ({failed} failed)`.
    Downloaded {
        ok: usize,
        total: usize,
        seconds: f64,
        failed: usize,
    },
    /// `Sum of results: {exact decimal}`
    Sum(u128),
    /// `Duration {secs} seconds`
    Duration(f64),
    /// `Answer: {n}`
    Answer(i64),
    /// `At most {n} requests at once, {why}` ([`InFlightCap`]).
    InFlightCap(InFlightCap<'a>),
    /// `Counter: {n}`: the race-condition programs' count.
    Counter(u64),
    /// `time taken: {secs} seconds ({units} units)`: the async basics' last line.
    TimeTaken {
        seconds: f64,
        units: f64,
    },
    Other(&'a str),
}

impl<'a> Line<'a> {
    pub fn parse(line: &'a str) -> Line<'a> {
        Self::try_parse(line.trim_end()).unwrap_or(Line::Other(line))
    }

    fn try_parse(line: &'a str) -> Option<Line<'a>> {
        if let Some(rest) = line.strip_prefix("Downloaded ") {
            let (counts, rest) = rest.split_once(" sites in ")?;
            let (seconds, rest) = rest.split_once(" seconds")?;
            let seconds = seconds.parse().ok()?;
            let total_of = |counts: &str| -> Option<(usize, usize)> {
                match counts.split_once(" of ") {
                    Some((ok, total)) => Some((ok.parse().ok()?, total.parse().ok()?)),
                    None => {
                        let n = counts.parse().ok()?;
                        Some((n, n))
                    }
                }
            };
            let (ok, total) = total_of(counts)?;
            let failed = match rest {
                "" => 0,
                _ => rest
                    .strip_prefix(" (")?
                    .strip_suffix(" failed)")?
                    .parse()
                    .ok()?,
            };
            return (ok + failed == total).then_some(Line::Downloaded {
                ok,
                total,
                seconds,
                failed,
            });
        }
        if let Some(sum) = line.strip_prefix("Sum of results: ") {
            return sum.parse().ok().map(Line::Sum);
        }
        if let Some(rest) = line.strip_prefix("Duration ") {
            return rest
                .strip_suffix(" seconds")?
                .parse()
                .ok()
                .map(Line::Duration);
        }
        if let Some(answer) = line.strip_prefix("Answer: ") {
            return answer.parse().ok().map(Line::Answer);
        }
        if let Some(counter) = line.strip_prefix("Counter: ") {
            return counter.parse().ok().map(Line::Counter);
        }
        if let Some(rest) = line.strip_prefix("time taken: ") {
            let (seconds, rest) = rest.split_once(" seconds (")?;
            let units = rest.strip_suffix(" units)")?;
            let (seconds, units) = (seconds.parse().ok()?, units.parse().ok()?);
            return Some(Line::TimeTaken { seconds, units });
        }
        if let Some(rest) = line.strip_prefix("At most ") {
            let (cap, rest) = rest.split_once(' ')?;
            let why = rest
                .strip_prefix("requests at once, ")
                .or_else(|| rest.strip_prefix("request at once, "))?;
            let cap = cap.parse().ok()?;
            return Some(Line::InFlightCap(InFlightCap { cap, why }));
        }
        // The downloaders' per-site lines may carry a `{worker}:` prefix.
        let (worker, rest) = match line.find([':', ' ']) {
            Some(i) if line[i..].starts_with(':') && !line[..i].is_empty() => {
                let (worker, rest) = line.split_at(i);
                (Some(worker), &rest[1..])
            }
            _ => (None, line),
        };
        if let Some(rest) = rest.strip_prefix("Read ") {
            let (bytes, url) = rest.split_once(" bytes from ")?;
            let bytes = bytes.parse().ok()?;
            return Some(Line::Read { worker, bytes, url });
        }
        if let Some(rest) = rest.strip_prefix("Failed ") {
            // URLs hold no spaces, so the first ": " after the first space-free run ends it.
            let (url, reason) = rest.split_once(": ")?;
            return Some(Line::Failed {
                worker,
                url,
                reason,
            });
        }
        None
    }
}

/// A downloader's whole output, read line by line: what tests and `cargo xtask` check.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transcript {
    /// `(worker, bytes, url)` of every `Read` line.
    pub reads: Vec<(Option<String>, usize, String)>,
    /// `(url, reason)` of every `Failed` line.
    pub failures: Vec<(String, String)>,
    /// The `Downloaded` line, if it was the last line.
    pub summary: Option<Downloaded>,
}

/// What a downloader's last line says: `Downloaded {ok} of {total} sites in {seconds} seconds
/// ({failed} failed)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Downloaded {
    pub ok: usize,
    pub total: usize,
    pub failed: usize,
    pub seconds: f64,
}

impl Transcript {
    pub fn parse(stdout: &str) -> Transcript {
        let mut transcript = Transcript::default();
        for line in stdout.lines() {
            transcript.summary = None;
            match Line::parse(line) {
                Line::Read { worker, bytes, url } => {
                    transcript
                        .reads
                        .push((worker.map(String::from), bytes, url.into()));
                }
                Line::Failed { url, reason, .. } => {
                    transcript.failures.push((url.into(), reason.into()));
                }
                Line::Downloaded {
                    ok,
                    total,
                    seconds,
                    failed,
                } => {
                    transcript.summary = Some(Downloaded {
                        ok,
                        total,
                        failed,
                        seconds,
                    });
                }
                _ => {}
            }
        }
        transcript
    }

    /// Whether the output adds up: one line per site, and a last line that counts them right.
    pub fn is_consistent(&self) -> bool {
        self.summary.is_some_and(|s| {
            s.ok == self.reads.len()
                && s.failed == self.failures.len()
                && s.ok + s.failed == s.total
        })
    }
}

/// What every CPU program must print for `--start START --count COUNT`: the exact
/// `sum(i * i for i in range(n))` summed over `n` in `START..START + COUNT`, by the closed form
/// `n (n - 1) (2n - 1) / 6`.
pub fn expected_sum(start: u64, count: u64) -> u128 {
    (start..start + count)
        .map(|n| {
            let n = u128::from(n);
            n * n.saturating_sub(1) * (2 * n).saturating_sub(1) / 6
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_prints_the_contracts_last_line() {
        let elapsed = Duration::from_millis(1500);
        let all = Summary {
            total: 160,
            failed: 0,
            elapsed,
        };
        assert_eq!(all.to_string(), "Downloaded 160 sites in 1.5 seconds");
        assert_eq!(all.exit_code(), ExitCode::SUCCESS);
        let some = Summary {
            total: 160,
            failed: 40,
            elapsed,
        };
        assert_eq!(
            some.to_string(),
            "Downloaded 120 of 160 sites in 1.5 seconds (40 failed)"
        );
        assert_eq!(some.exit_code(), ExitCode::FAILURE);
    }

    #[test]
    fn summary_round_trips_through_the_parser() {
        let line = Summary {
            total: 160,
            failed: 3,
            elapsed: Duration::from_millis(2250),
        }
        .to_string();
        assert_eq!(
            Line::parse(&line),
            Line::Downloaded {
                ok: 157,
                total: 160,
                seconds: 2.25,
                failed: 3
            }
        );
    }

    #[test]
    fn reads_the_counter_and_the_time_taken() {
        assert_eq!(Line::parse("Counter: 2000000"), Line::Counter(2_000_000));
        assert_eq!(
            Line::parse("time taken: 0.0903 seconds (9.03 units)"),
            Line::TimeTaken {
                seconds: 0.0903,
                units: 9.03
            }
        );
        assert_eq!(
            Line::parse("time taken: 9 seconds"),
            Line::Other("time taken: 9 seconds")
        );
    }

    #[test]
    fn the_in_flight_cap_round_trips_through_the_parser() {
        for (cap, line) in [
            (
                1000,
                "At most 1000 requests at once, the stand-in's default",
            ),
            (
                1,
                "At most 1 request at once, all the open-file limit (33) has room for",
            ),
        ] {
            let why = line.split_once(", ").unwrap().1;
            assert_eq!(InFlightCap { cap, why }.to_string(), line);
            assert_eq!(
                Line::parse(line),
                Line::InFlightCap(InFlightCap { cap, why })
            );
        }
        assert_eq!(
            Line::parse("At most a few requests in flight"),
            Line::Other("At most a few requests in flight")
        );
    }

    #[test]
    fn parses_every_kind_of_line() {
        assert_eq!(
            Line::parse("Read 276 bytes from http://127.0.0.1:1/dice"),
            Line::Read {
                worker: None,
                bytes: 276,
                url: "http://127.0.0.1:1/dice"
            }
        );
        assert_eq!(
            Line::parse("worker-2:Read 10966 bytes from https://www.jython.org"),
            Line::Read {
                worker: Some("worker-2"),
                bytes: 10966,
                url: "https://www.jython.org"
            }
        );
        // io_multiprocess's worker lines, as the README's contract allows them.
        assert_eq!(
            Line::parse("SpawnPoolWorker-2:Failed http://127.0.0.1:9/x: http status: 404"),
            Line::Failed {
                worker: Some("SpawnPoolWorker-2"),
                url: "http://127.0.0.1:9/x",
                reason: "http status: 404"
            }
        );
        assert_eq!(
            Line::parse("Failed http://127.0.0.1:9/x: connection refused"),
            Line::Failed {
                worker: None,
                url: "http://127.0.0.1:9/x",
                reason: "connection refused"
            }
        );
        assert_eq!(
            Line::parse("Sum of results: 833337833344750010830"),
            Line::Sum(833337833344750010830)
        );
        assert_eq!(Line::parse("Duration 0.25 seconds"), Line::Duration(0.25));
        assert_eq!(Line::parse("Answer: 42"), Line::Answer(42));
        assert_eq!(
            Line::parse("Downloaded 160 sites in 1.5 seconds"),
            Line::Downloaded {
                ok: 160,
                total: 160,
                seconds: 1.5,
                failed: 0
            }
        );
        assert_eq!(
            Line::parse("Read lots from there"),
            Line::Other("Read lots from there")
        );
        // The counts must add up.
        assert_eq!(
            Line::parse("Downloaded 1 of 160 sites in 1 seconds (3 failed)"),
            Line::Other("Downloaded 1 of 160 sites in 1 seconds (3 failed)")
        );
    }

    #[test]
    fn a_transcript_adds_up_or_says_it_does_not() {
        let good = "Read 1 bytes from a\nFailed b: no\nDownloaded 1 of 2 sites in 0.1 seconds (1 failed)\n";
        let transcript = Transcript::parse(good);
        assert_eq!(transcript.reads, [(None, 1, "a".to_string())]);
        assert_eq!(transcript.failures, [("b".to_string(), "no".to_string())]);
        assert!(transcript.is_consistent());
        // A site that was neither read nor reported failed is lost: not consistent.
        let lossy = "Read 1 bytes from a\nDownloaded 1 of 2 sites in 0.1 seconds (1 failed)\n";
        assert!(!Transcript::parse(lossy).is_consistent());
        // The summary must be the last line.
        let late = "Downloaded 1 sites in 0.1 seconds\nRead 1 bytes from a\n";
        assert!(!Transcript::parse(late).is_consistent());
    }

    #[test]
    fn the_closed_form_matches_the_loop() {
        assert_eq!(expected_sum(5_000_000, 20), 833_337_833_344_750_010_830);
        assert_eq!(expected_sum(5_000_000, 1), 41_666_654_166_667_500_000);
        let by_loop = |start: u64, count: u64| -> u128 {
            (start..start + count)
                .map(|n| (0..n).map(|i| u128::from(i * i)).sum::<u128>())
                .sum()
        };
        assert_eq!(expected_sum(0, 50), by_loop(0, 50));
        assert_eq!(expected_sum(1000, 4), by_loop(1000, 4));
    }
}
