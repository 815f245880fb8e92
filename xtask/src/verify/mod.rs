//! Checking a run's output before its time is trusted, as rayon-demo's `sieve` checks the primes
//! it found before it prints a speedup. Every line is read with `contract::Line`.

mod downloads;
mod flags;

use std::process::ExitStatus;

use contract::Line;
use stand_in::server::LoggedRequest;

pub use downloads::Faults;

/// What a run must have printed.
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    /// Every one of `total` downloads, each served by the stand-in (when there is one); with
    /// `faults` on, the failures must be the ones the stand-in injected.
    /// `retries_drops`: the client sends a request once more when the stand-in drops its
    /// connection (aiohttp does, RFC 9112 allows it), so a drop is a failure only when the
    /// second try is dropped too, and the log holds one request more per drop that was not.
    Downloads {
        total: usize,
        faults: bool,
        retries_drops: bool,
    },
    /// `Sum of results: {sum}`.
    Sum(u128),
    /// `Answer: 42`.
    Answer,
    /// `time taken: {secs} seconds ({units} units)`, the units at least these, and under one
    /// more.
    Units(f64),
    /// `Counter: {n}` and `Duration {secs} seconds`.
    Counter(u64),
    /// The flags programs: `total` flags, reported as the stand-in's log says they went; all
    /// of them OK unless `faults` are on.
    Flags { total: usize, faults: bool },
}

/// The verdict on one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// `Err(why)` when the run cannot be trusted.
    pub result: Result<(), String>,
    /// The time the program reported itself (its `Downloaded` or `Duration` line).
    pub own_seconds: Option<f64>,
    /// With faults on: how many downloads failed, and of what kind.
    pub faults: Option<Faults>,
}

/// What a failed program said went wrong, whole: its first `error:` line (clap's, or `Error:` from
/// `main`), or a panic's message, or else its last line. (The last line of a usage error is only
/// "For more information, try '--help'.")
fn first_error(stderr: &str) -> Option<String> {
    let lines = stderr.lines().map(str::trim);
    let lines: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    if let Some(error) = lines.iter().find(|l| l.to_lowercase().starts_with("error")) {
        return Some(error.to_string());
    }
    if let Some(i) = lines.iter().position(|l| l.contains("panicked at")) {
        return Some(lines[i..lines.len().min(i + 2)].join(" "));
    }
    lines.last().map(|l| l.to_string())
}

/// Checks a run's exit status and output against what it must have printed, and a
/// downloader's against the stand-in's `log` of the run (none with `--real`).
pub fn check(
    expect: Expect,
    log: Option<&[LoggedRequest]>,
    status: Option<ExitStatus>,
    stdout: &str,
    stderr: &str,
) -> Check {
    let Some(status) = status else {
        return Check {
            result: Err("killed: ran past the time limit".into()),
            own_seconds: None,
            faults: None,
        };
    };
    // How it failed, in its own words, when it exited with an error.
    let exited = (!status.success()).then(|| match first_error(stderr) {
        Some(said) => format!("{status}: {said}"),
        None => status.to_string(),
    });
    // The other programs' own words come first, when they exited with an error.
    let own_words = |(result, own_seconds)| (exited.clone().map_or(result, Err), own_seconds, None);
    let (result, own_seconds, faults) = match expect {
        Expect::Downloads {
            total,
            faults,
            retries_drops,
        } => downloads::check(total, faults, retries_drops, log, stdout, status, exited),
        Expect::Flags { total, faults } => {
            let (result, own_seconds) = flags::check(total, faults, log, stdout, status, exited);
            (result, own_seconds, None)
        }
        Expect::Sum(expected) => own_words(check_sum(expected, stdout)),
        Expect::Answer => own_words((check_answer(stdout), None)),
        Expect::Units(expected) => own_words(check_units(expected, stdout)),
        Expect::Counter(expected) => own_words(check_counter(expected, stdout)),
    };
    Check {
        result,
        own_seconds,
        faults,
    }
}

/// Every line of `stdout`, as a terminal shows it, parsed: a spinner redraws its line with `\r`,
/// so only the text after the last `\r` is left on screen.
fn lines(stdout: &str) -> impl Iterator<Item = Line<'_>> {
    stdout.lines().map(|line| {
        let shown = line.rsplit('\r').find(|part| !part.trim().is_empty());
        Line::parse(shown.unwrap_or(""))
    })
}

/// `Sum of results: {sum}` and `Duration`: the result, and the time.
fn check_sum(expected: u128, stdout: &str) -> (Result<(), String>, Option<f64>) {
    let (mut sum, mut own_seconds) = (None, None);
    for line in lines(stdout) {
        match line {
            Line::Sum(s) => sum = Some(s),
            Line::Duration(d) => own_seconds = Some(d),
            _ => {}
        }
    }
    let result = match sum {
        None => Err("no `Sum of results` line".into()),
        Some(sum) if sum != expected => Err(format!("wrong sum {sum}, not {expected}")),
        Some(_) if own_seconds.is_none() => Err("no `Duration` line".into()),
        Some(_) => Ok(()),
    };
    (result, own_seconds)
}

/// `Answer: 42`.
fn check_answer(stdout: &str) -> Result<(), String> {
    match lines(stdout).find(|line| matches!(line, Line::Answer(_))) {
        Some(Line::Answer(42)) => Ok(()),
        Some(Line::Answer(n)) => Err(format!("answered {n}, not 42")),
        _ => Err("no `Answer: 42` line".into()),
    }
}

/// `time taken: {secs} seconds ({units} units)`, at least `expected` (the article's whole
/// seconds) and under one unit more. The check tells which schedule a program followed, and the
/// schedules the posts set side by side differ by whole seconds (a pool's batches against a
/// semaphore's window: 6 against 4). A sleep never ends early, so a right schedule is never
/// under its seconds, and a wrong one is a whole unit off at least; a timer's late wake-ups on
/// a busy machine add milliseconds, at `--scale 0.05` tenths of a unit (1.15 units for
/// gevent_pool's 1, in CI, beside other tests), which the unit above leaves room for.
fn check_units(expected: f64, stdout: &str) -> (Result<(), String>, Option<f64>) {
    // The async basics' last line (`Line::TimeTaken`): (secs, units).
    let taken = stdout.lines().find_map(|line| match Line::parse(line) {
        Line::TimeTaken { seconds, units } => Some((seconds, units)),
        _ => None,
    });
    let result = match taken {
        None => Err("no `time taken: ... seconds (... units)` line".into()),
        Some((_, units)) if !(expected - 0.01..expected + 1.0).contains(&units) => Err(format!(
            "took {units} units, not {expected} (or up to one unit more, for late timers)"
        )),
        Some(_) => Ok(()),
    };
    (result, taken.map(|(seconds, _)| seconds))
}

/// `Counter: {n}`, exactly, and `Duration`.
fn check_counter(expected: u64, stdout: &str) -> (Result<(), String>, Option<f64>) {
    let (mut counter, mut own_seconds) = (None, None);
    for line in stdout.lines() {
        match Line::parse(line) {
            Line::Duration(d) => own_seconds = Some(d),
            Line::Counter(n) => counter = counter.or(Some(n)),
            _ => {}
        }
    }
    let result = match counter {
        None => Err("no `Counter` line".into()),
        Some(n) if n != expected => Err(format!("counted {n}, not {expected}")),
        Some(_) if own_seconds.is_none() => Err("no `Duration` line".into()),
        Some(_) => Ok(()),
    };
    (result, own_seconds)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use stand_in::server::Outcome;

    use super::*;

    #[cfg(unix)]
    fn exited(code: i32) -> Option<ExitStatus> {
        Some(std::os::unix::process::ExitStatusExt::from_raw(code << 8))
    }

    #[cfg(windows)]
    fn exited(code: u32) -> Option<ExitStatus> {
        Some(std::os::windows::process::ExitStatusExt::from_raw(code))
    }

    fn served(outcomes: &[Outcome]) -> Vec<LoggedRequest> {
        outcomes
            .iter()
            .map(|&outcome| LoggedRequest {
                connection: 0,
                path: "/dice".into(),
                start: Duration::ZERO,
                end: Duration::from_millis(5),
                outcome,
            })
            .collect()
    }

    #[test]
    fn a_spinners_last_redraw_is_what_counts() {
        let stdout = "\\ thinking!\r| thinking!\r           \rAnswer: 42\n";
        assert_eq!(
            check(Expect::Answer, None, exited(0), stdout, "").result,
            Ok(())
        );
        let wrong = check(Expect::Answer, None, exited(0), "Answer: 41\n", "");
        assert_eq!(wrong.result, Err("answered 41, not 42".into()));
    }

    #[test]
    fn a_placeholder_fails_with_its_reason() {
        let check = check(
            Expect::Answer,
            None,
            exited(1),
            "",
            "spinner: not translated yet\n",
        );
        let why = check.result.unwrap_err();
        assert!(
            why.contains("not translated yet") && why.contains('1'),
            "{why}"
        );
    }

    #[test]
    fn async_basics_must_take_the_articles_seconds_and_under_one_unit_more() {
        let run = "[ 0.00] coroutine 1 start\ntime taken: 0.2600 seconds (5.20 units)\n";
        let verdict = check(Expect::Units(5.0), None, exited(0), run, "");
        assert_eq!((verdict.result, verdict.own_seconds), (Ok(()), Some(0.26)));
        assert!(
            check(Expect::Units(9.0), None, exited(0), run, "")
                .result
                .is_err()
        );
        // Late by a tenth of a unit, or by most of one, is the right schedule; a unit off, or
        // anything under the article's seconds, is another one.
        for late in ["(1.15 units)", "(1.70 units)"] {
            let late = format!("time taken: 0.06 seconds {late}\n");
            assert_eq!(
                check(Expect::Units(1.0), None, exited(0), &late, "").result,
                Ok(())
            );
        }
        let other = "time taken: 0.2500 seconds (5.00 units)\n";
        let why = check(Expect::Units(4.0), None, exited(0), other, "").result;
        assert_eq!(
            why.unwrap_err(),
            "took 5 units, not 4 (or up to one unit more, for late timers)"
        );
        assert!(
            check(Expect::Units(6.0), None, exited(0), other, "")
                .result
                .is_err()
        );
        assert!(
            check(Expect::Units(5.0), None, exited(1), run, "")
                .result
                .is_err()
        );
        assert!(
            check(Expect::Units(5.0), None, exited(0), "time taken: 5\n", "")
                .result
                .is_err()
        );
    }

    #[test]
    fn a_counter_must_be_exact_and_timed() {
        let good = "Counter: 500000\nDuration 0.25 seconds\n";
        let verdict = check(Expect::Counter(500_000), None, exited(0), good, "");
        assert_eq!((verdict.result, verdict.own_seconds), (Ok(()), Some(0.25)));
        let lost = "Counter: 499873\nDuration 0.25 seconds\n";
        assert!(
            check(Expect::Counter(500_000), None, exited(0), lost, "")
                .result
                .is_err()
        );
        let untimed = "Counter: 500000\n";
        assert!(
            check(Expect::Counter(500_000), None, exited(0), untimed, "")
                .result
                .is_err()
        );
    }

    #[test]
    fn a_usage_error_shows_its_whole_error_line() {
        let stderr = "error: invalid value 'nan' for '--seconds <SECONDS>': nan is not in 0..=3600 seconds\n\n\
                      Usage: spinner_thread [OPTIONS]\n\nFor more information, try '--help'.\n";
        let why = check(Expect::Answer, None, exited(2), "", stderr)
            .result
            .unwrap_err();
        // "exit status: 2" on Unix, "exit code: 2" on Windows: std's words for the status.
        assert_eq!(
            why,
            format!(
                "{}: error: invalid value 'nan' for '--seconds <SECONDS>': nan is not in 0..=3600 seconds",
                exited(2).unwrap()
            )
        );
        let panic = "\nthread 'main' (7) panicked at src/main.rs:3:5:\nno sum\nnote: run with `RUST_BACKTRACE=1`\n";
        let why = check(Expect::Answer, None, exited(101), "", panic)
            .result
            .unwrap_err();
        assert!(
            why.ends_with("panicked at src/main.rs:3:5: no sum"),
            "{why}"
        );
    }

    #[test]
    fn sums_must_be_exact_and_timed() {
        let good = "Sum of results: 14\nDuration 0.5 seconds\n";
        let verdict = check(Expect::Sum(14), None, exited(0), good, "");
        assert_eq!((verdict.result, verdict.own_seconds), (Ok(()), Some(0.5)));
        assert!(
            check(Expect::Sum(15), None, exited(0), good, "")
                .result
                .is_err()
        );
        assert!(
            check(Expect::Sum(14), None, exited(0), "Sum of results: 14\n", "")
                .result
                .is_err()
        );
    }

    #[test]
    fn every_download_must_be_read_and_served() {
        let stdout = "Read 276 bytes from http://x/dice\nRead 276 bytes from http://x/dice\n\
                      Downloaded 2 sites in 0.25 seconds\n";
        let log = served(&[Outcome::Ok, Outcome::Ok]);
        let expect = |total| Expect::Downloads {
            total,
            faults: false,
            retries_drops: false,
        };
        let verdict = check(expect(2), Some(&log), exited(0), stdout, "");
        assert_eq!((verdict.result, verdict.own_seconds), (Ok(()), Some(0.25)));
        assert!(
            check(expect(3), Some(&log), exited(0), stdout, "")
                .result
                .is_err()
        );
        assert!(
            check(expect(2), Some(&log[..1]), exited(0), stdout, "")
                .result
                .is_err()
        );
        assert!(
            check(expect(2), None, exited(1), stdout, "")
                .result
                .is_err()
        );
    }

    #[test]
    fn flags_counts_must_be_the_stand_ins() {
        let at = |path: &str, outcome| LoggedRequest {
            path: path.into(),
            ..served(&[outcome])[0].clone()
        };
        let log = [
            at("/flags/br/br.gif", Outcome::Ok),
            at("/flags/cn/cn.gif", Outcome::Error),
            at("/flags/zz/zz.gif", Outcome::NotFound),
        ];
        let expect = |faults| Expect::Flags { total: 3, faults };
        let log = Some(&log[..]);
        let report = "--------------------\n  1 flag downloaded.\n  1 not found.\n  1 error.\n\
                      Elapsed time: 0.12s\n";
        let verdict = check(expect(true), log, exited(1), report, "");
        assert_eq!((verdict.result, verdict.own_seconds), (Ok(()), Some(0.12)));
        // Errors must show in the exit status, and without faults every flag must be OK.
        assert!(
            check(expect(true), log, exited(0), report, "")
                .result
                .is_err()
        );
        assert!(
            check(expect(false), log, exited(1), report, "")
                .result
                .is_err()
        );
        let wrong = report
            .replace("1 not found", "2 not found")
            .replace("1 error.", "0 errors.");
        assert!(
            check(expect(true), log, exited(0), &wrong, "")
                .result
                .is_err()
        );
        // flags.py's report, and its stop at the first error when one was injected.
        let all_ok = [
            at("/flags/br/br.gif", Outcome::Ok),
            at("/flags/cn/cn.gif", Outcome::Ok),
            at("/flags/us/us.gif", Outcome::Ok),
        ];
        let first = Expect::Flags {
            total: 3,
            faults: false,
        };
        let verdict = check(
            first,
            Some(&all_ok),
            exited(0),
            "BR CN US \n3 downloads in 0.35s\n",
            "",
        );
        assert_eq!((verdict.result, verdict.own_seconds), (Ok(()), Some(0.35)));
        assert_eq!(
            check(expect(true), log, exited(1), "BR \n", "").result,
            Ok(())
        );
        assert!(
            check(first, Some(&all_ok), exited(1), "BR \n", "error: 500")
                .result
                .is_err()
        );
    }

    #[test]
    fn with_faults_the_failures_must_be_the_injected_ones() {
        let stdout = "Read 276 bytes from http://x/dice\n\
                      Failed http://x/dice: http status: 500\n\
                      Failed http://x/dice: connection closed\n\
                      Downloaded 1 of 3 sites in 0.25 seconds (2 failed)\n";
        let log = served(&[Outcome::Ok, Outcome::Error, Outcome::Dropped]);
        let expect = || Expect::Downloads {
            total: 3,
            faults: true,
            retries_drops: false,
        };
        let verdict = check(expect(), Some(&log), exited(1), stdout, "");
        assert_eq!(verdict.result, Ok(()));
        assert_eq!(verdict.faults.unwrap().http_500, 1);
        let two_errors = served(&[Outcome::Ok, Outcome::Error, Outcome::Error]);
        assert!(
            check(expect(), Some(&two_errors), exited(1), stdout, "")
                .result
                .is_err()
        );
        // A timeout is the client's doing: the stand-in logs the request it gave up on.
        let timed_out = "Read 276 bytes from http://x/dice\n\
                         Failed http://x/dice: timeout: global\n\
                         Downloaded 1 of 2 sites in 1.25 seconds (1 failed)\n";
        let abandoned = served(&[Outcome::Ok, Outcome::Abandoned]);
        let two = Expect::Downloads {
            total: 2,
            faults: true,
            retries_drops: false,
        };
        let verdict = check(two, Some(&abandoned), exited(1), timed_out, "");
        assert_eq!(verdict.result, Ok(()));
        assert_eq!(verdict.faults.unwrap().abandoned, 1);
        // Failures must show in the exit status.
        assert!(
            check(expect(), Some(&log), exited(0), stdout, "")
                .result
                .is_err()
        );
    }

    #[test]
    fn a_client_that_retries_a_drop_once_fails_only_on_the_second() {
        // Three sites: the first answered, the second dropped then answered, the third dropped
        // twice: four requests, three drops, one failure.
        let stdout = "Read 276 bytes from http://x/dice\nRead 276 bytes from http://x/dice\n\
                      Failed http://x/dice: Server disconnected\n\
                      Downloaded 2 of 3 sites in 0.25 seconds (1 failed)\n";
        let log = served(&[
            Outcome::Ok,
            Outcome::Dropped,
            Outcome::Ok,
            Outcome::Dropped,
            Outcome::Dropped,
        ]);
        let expect = |retries_drops| Expect::Downloads {
            total: 3,
            faults: true,
            retries_drops,
        };
        let verdict = check(expect(true), Some(&log), exited(1), stdout, "");
        assert_eq!(verdict.result, Ok(()));
        assert_eq!(verdict.faults.unwrap().retried, 2);
        // A client that does not retry must not have sent more requests than sites.
        assert!(
            check(expect(false), Some(&log), exited(1), stdout, "")
                .result
                .is_err()
        );
    }
}
