//! A downloader's run: its `Read`, `Failed` and `Downloaded` lines (`contract::Transcript`)
//! against what it was given and the stand-in's log of the run; with faults on, its failures
//! against those the stand-in injected.

use std::fmt;
use std::process::ExitStatus;

use contract::Transcript;
use serde::Serialize;
use stand_in::server::{LoggedRequest, Outcome};

/// The failures of a run with faults on, as the program printed them and as the stand-in logged
/// what it injected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Faults {
    pub failed: usize,
    /// `Failed` lines whose reason names status 500.
    pub http_500: usize,
    /// Every other `Failed` line: closed connections, timeouts.
    pub other: usize,
    /// Answers the stand-in turned into 500s.
    pub injected_errors: usize,
    /// Connections the stand-in closed without answering.
    pub injected_drops: usize,
    /// Requests sent again after a drop (a client that retries: aiohttp).
    pub retried: usize,
    /// Requests the program gave up on before their (slow) answer: its timeouts, as the
    /// stand-in saw them.
    pub abandoned: usize,
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed ({} HTTP 500, {} other); the stand-in injected {} errors, {} drops, and \
             saw {} requests abandoned",
            self.failed,
            self.http_500,
            self.other,
            self.injected_errors,
            self.injected_drops,
            self.abandoned
        )?;
        match self.retried {
            0 => Ok(()),
            n => write!(f, "; {n} requests retried after a drop"),
        }
    }
}

/// A downloader's run: its `Read`, `Failed` and `Downloaded` lines against the `total` it was
/// given and the stand-in's log; with `faults`, its failures against those injected.
pub fn check(
    total: usize,
    faults: bool,
    retries_drops: bool,
    log: Option<&[LoggedRequest]>,
    stdout: &str,
    status: ExitStatus,
    exited: Option<String>,
) -> (Result<(), String>, Option<f64>, Option<Faults>) {
    let transcript = Transcript::parse(stdout);
    let own_seconds = transcript.summary.map(|s| s.seconds);
    let (result, faults) = match (faults, exited) {
        (true, _) => {
            let retries = retries_drops.then_some(total);
            let (result, counts) = check_faults(total, log, &transcript, status, retries);
            (result, Some(counts))
        }
        (false, Some(why)) if transcript.summary.is_none() => (Err(why), None),
        (false, _) => (check_downloads(total, log, &transcript, status), None),
    };
    (result, own_seconds, faults)
}

fn check_downloads(
    total: usize,
    log: Option<&[LoggedRequest]>,
    transcript: &Transcript,
    status: ExitStatus,
) -> Result<(), String> {
    let Some(summary) = transcript.summary else {
        return Err("no `Downloaded` line at the end".into());
    };
    let (ok, said_total, failed) = (summary.ok, summary.total, summary.failed);
    let (failures, reads) = (transcript.failures.len(), transcript.reads.len());
    if let Some((url, reason)) = transcript.failures.first() {
        return Err(format!(
            "{failures} of {total} failed, first {url}: {reason}"
        ));
    }
    if said_total != total || ok != total || failed != 0 {
        return Err(format!(
            "said it downloaded {ok} of {said_total}, not {total} of {total}"
        ));
    }
    if reads != total {
        return Err(format!("{reads} `Read` lines for {total} sites"));
    }
    if !status.success() {
        return Err(format!("{status} after downloading everything"));
    }
    if let Some(log) = log {
        let served = log.iter().filter(|r| r.outcome.is_success()).count();
        if served != total {
            return Err(format!("the stand-in served {served} pages, not {total}"));
        }
    }
    Ok(())
}

/// `retries`: `Some(total)` when the client sends a dropped request once more: every request
/// the log holds beyond one per site is such a retry.
fn check_faults(
    total: usize,
    log: Option<&[LoggedRequest]>,
    transcript: &Transcript,
    status: ExitStatus,
    retries: Option<usize>,
) -> (Result<(), String>, Faults) {
    let injected =
        |outcome| log.map_or(0, |log| log.iter().filter(|r| r.outcome == outcome).count());
    let failures = &transcript.failures;
    let http_500 = failures.iter().filter(|(_, w)| w.contains("500")).count();
    let faults = Faults {
        failed: failures.len(),
        http_500,
        other: failures.len() - http_500,
        injected_errors: injected(Outcome::Error),
        injected_drops: injected(Outcome::Dropped),
        retried: (retries.zip(log)).map_or(0, |(total, log)| log.len().saturating_sub(total)),
        abandoned: injected(Outcome::Abandoned),
    };
    let (tried, failed) = (transcript.reads.len() + faults.failed, faults.failed);
    // Every failure the stand-in injected, and no other.
    let agree = faults.http_500 == faults.injected_errors
        && faults.other + faults.retried == faults.injected_drops + faults.abandoned;
    let result = if !transcript.is_consistent() {
        Err("its lines do not add up to its `Downloaded` line".into())
    } else if transcript.summary.is_some_and(|s| s.total != total) {
        Err(format!("tried {tried} sites, not {total}"))
    } else if status.success() != (failed == 0) {
        Err(format!("{status} with {failed} failed"))
    } else if log.is_some() && !agree {
        Err(format!("counts disagree: {faults}"))
    } else {
        Ok(())
    };
    (result, faults)
}
