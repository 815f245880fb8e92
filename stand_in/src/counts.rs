//! A flags program's report and what it must say: its counts read back ([`Counts::parse`],
//! [`parse_downloads`]), and the counts the stand-in's log of the same run implies
//! ([`Counts::from_log`]). `cargo xtask compare` and the flags tests set the two side by side.

use std::collections::BTreeMap;

use crate::flags::code_of;
use crate::server::{LoggedRequest, Outcome};

/// How many flags a downloader got, found missing, or failed on: its report's three counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub ok: usize,
    pub not_found: usize,
    pub errors: usize,
}

impl Counts {
    /// What a downloader's report must say for the requests the stand-in logged: a country is
    /// an error if any of its requests failed (a 500, a dropped connection, a timeout), else not found if
    /// any was a 404, else OK. One request per country for the flags2 programs, two for
    /// flags3_asyncio (the flag, then its metadata).
    pub fn from_log(log: &[LoggedRequest]) -> Counts {
        let mut worst = BTreeMap::new();
        for request in log {
            let Some(cc) = code_of(&request.path) else {
                continue;
            };
            let rank = match request.outcome {
                Outcome::Ok | Outcome::Slow => 0,
                Outcome::NotFound => 1,
                // A request the client gave up on (its timeout) is an error on its side too.
                Outcome::Error | Outcome::Dropped | Outcome::Abandoned => 2,
            };
            let entry = worst.entry(cc).or_insert(0);
            *entry = rank.max(*entry);
        }
        let mut counts = Counts::default();
        for rank in worst.into_values() {
            match rank {
                0 => counts.ok += 1,
                1 => counts.not_found += 1,
                _ => counts.errors += 1,
            }
        }
        counts
    }

    /// Reads a flags2 report (`" 17 flags downloaded."`, `"  9 not found."`, `"  1 error."`,
    /// `"Elapsed time: 1.23s"`): the counts and the seconds, if it has its first and last line.
    pub fn parse(stdout: &str) -> Option<(Counts, f64)> {
        let (mut counts, mut ok, mut seconds) = (Counts::default(), None, None);
        for line in stdout.lines().map(str::trim) {
            let number = |rest: &str| line.strip_suffix(rest)?.trim().parse::<usize>().ok();
            if let Some(n) = number(" flags downloaded.").or_else(|| number(" flag downloaded.")) {
                ok = Some(n);
            } else if let Some(n) = number(" not found.") {
                counts.not_found = n;
            } else if let Some(n) = number(" errors.").or_else(|| number(" error.")) {
                counts.errors = n;
            } else if let Some(s) = line.strip_prefix("Elapsed time: ") {
                seconds = s.strip_suffix('s').and_then(|s| s.parse().ok());
            }
        }
        counts.ok = ok?;
        Some((counts, seconds?))
    }
}

/// Reads the last line of flags.py and its concurrent versions, `"20 downloads in 0.35s"`:
/// the count and the seconds.
pub fn parse_downloads(stdout: &str) -> Option<(usize, f64)> {
    stdout.lines().rev().find_map(|line| {
        let (count, seconds) = line.trim().split_once(" downloads in ")?;
        Some((
            count.parse().ok()?,
            seconds.strip_suffix('s')?.parse().ok()?,
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn counts_follow_the_worst_outcome_of_each_country() {
        let request = |path: &str, outcome| LoggedRequest {
            connection: 0,
            path: path.into(),
            start: Duration::ZERO,
            end: Duration::ZERO,
            outcome,
        };
        let log = [
            request("/flags/br/br.gif", Outcome::Ok),
            request("/flags/br/metadata.json", Outcome::Ok),
            request("/flags/cn/cn.gif", Outcome::Slow),
            request("/flags/cn/metadata.json", Outcome::Error),
            request("/flags/zz/zz.gif", Outcome::NotFound),
            request("/flags/us/us.gif", Outcome::Dropped),
            request("/www.jython.org", Outcome::Ok),
        ];
        let counts = Counts::from_log(&log);
        assert_eq!(
            counts,
            Counts {
                ok: 1,
                not_found: 1,
                errors: 2
            }
        );
    }

    #[test]
    fn reads_both_reports() {
        let report = "LOCAL site: http://127.0.0.1:1/flags\n--------------------\n\
                       17 flags downloaded.\n  9 not found.\n  1 error.\nElapsed time: 13.36s\n";
        let (counts, seconds) = Counts::parse(report).unwrap();
        assert_eq!(
            (counts, seconds),
            (
                Counts {
                    ok: 17,
                    not_found: 9,
                    errors: 1
                },
                13.36
            )
        );
        assert_eq!(Counts::parse("  1 flag downloaded.\n").map(|c| c.0), None);
        let v1 =
            "BD BR CD CN DE EG ET FR ID IN IR JP MX NG PH PK RU TR US VN \n20 downloads in 0.35s\n";
        assert_eq!(parse_downloads(v1), Some((20, 0.35)));
        assert_eq!(parse_downloads("20 downloads\n"), None);
    }
}
