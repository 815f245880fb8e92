//! A flags program's run: its report (`stand_in::counts`) against the 20 flags it was asked for
//! and the stand-in's log of the run.

use std::process::ExitStatus;

use stand_in::counts::{Counts, parse_downloads};
use stand_in::server::LoggedRequest;

/// A flags program's run: its report against the `total` and the stand-in's log. flags2 and
/// flags3 report counts; flags.py and its two concurrent versions say `20 downloads in
/// 0.35s`, or stop at the first error as the originals do.
pub fn check(
    total: usize,
    faults: bool,
    log: Option<&[LoggedRequest]>,
    stdout: &str,
    status: ExitStatus,
    exited: Option<String>,
) -> (Result<(), String>, Option<f64>) {
    let logged = log.map(Counts::from_log);
    let downloads = || parse_downloads(stdout).map(|(ok, seconds)| (all_ok(ok), seconds));
    let report = Counts::parse(stdout).or_else(downloads);
    let stopped_at_an_error = faults && exited.is_some() && logged.is_some_and(|c| c.errors > 0);
    match report {
        Some((counts, seconds)) => {
            let result = check_flags(counts, total, logged, faults, status);
            (result, Some(seconds))
        }
        None if stopped_at_an_error => (Ok(()), None),
        None => {
            let why = exited.unwrap_or_else(|| "no report of the flags downloaded".into());
            (Err(why), None)
        }
    }
}

/// `ok` flags downloaded, and nothing else.
fn all_ok(ok: usize) -> Counts {
    Counts {
        ok,
        ..Counts::default()
    }
}

/// A flags program's counts against what it must have reported: `total` in all, all OK
/// without faults, the stand-in's log's own count with them, and exit status 1 for errors.
fn check_flags(
    counts: Counts,
    total: usize,
    logged: Option<Counts>,
    faults: bool,
    status: ExitStatus,
) -> Result<(), String> {
    if counts.ok + counts.not_found + counts.errors != total {
        Err(format!("reported {counts:?}, not {total} flags"))
    } else if !faults && counts != all_ok(total) {
        Err(format!("reported {counts:?}, not {total} flags downloaded"))
    } else if let Some(logged) = logged.filter(|&logged| logged != counts) {
        Err(format!(
            "reported {counts:?}; the stand-in's log says {logged:?}"
        ))
    } else if status.success() != (counts.errors == 0) {
        Err(format!("{status} with {} errors", counts.errors))
    } else {
        Ok(())
    }
}
