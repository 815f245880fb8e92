//! Checks every downloader's tests share: the contract's promises about failure, against a
//! stand-in that dies, misbehaves or is hostile, written once.

mod hostile;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use contract::Transcript;
pub use hostile::{CASES, Expect, Hostile, OK_BODY, check_hostile_server};
use stand_in::server::{Config, Outcome, StandIn};

use crate::program::run;

/// Reads a child's stdout and stderr to their ends, each on a thread of its own, so that
/// neither pipe can fill up and stall it while it runs.
fn read_both(child: &mut Child) -> (JoinHandle<String>, JoinHandle<String>) {
    fn read(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    }
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    (read(stdout), read(stderr))
}

/// Runs `exe` against a stand-in that is stopped a little way into the run, as if the server
/// died, and checks the contract: every site is either read or reported failed, the exit status
/// is 1, and the sites after the stop fail at once, not each after its `--timeout`.
///
/// The stand-in closes its connections when it stops, so a run that works waits out no timeout;
/// the check allows it one (a request in flight) and fails it at a second: the run must end less
/// than two timeouts after the stop. The timeout is long enough that the time the remaining
/// sites take to fail (about 400 refused connections: seconds, under Wine on a busy machine)
/// fits beside that one wait.
///
/// The stop comes from this thread, after it sees the tenth answer; at 150 ms a request, an
/// async run's 400 sites (four rounds of 100 at once) still have most of a second to go then,
/// far more than a busy machine's late wake-up (at 20 ms, they had 60 ms).
///
/// `extra` is passed after `--url`s, `--repeat` and `--timeout`.
pub fn check_server_dies_mid_run(exe: &str, extra: &[&str]) {
    let timeout = Duration::from_secs(4);
    let server = StandIn::start(Config {
        latency: Duration::from_millis(150),
        ..Config::default()
    })
    .expect("the stand-in starts");
    let [jython, dice] = server.urls();
    let mut child = Command::new(exe)
        .args([
            "--url",
            &jython,
            "--url",
            &dice,
            "--repeat",
            "200",
            "--timeout",
            &timeout.as_secs().to_string(),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the downloader starts");
    let (stdout_reader, stderr_reader) = read_both(&mut child);
    // Let the run get going (the first requests answered), then pull the plug.
    let started = Instant::now();
    while server.log().len() < 10 && started.elapsed() < Duration::from_secs(10) {
        thread::sleep(Duration::from_millis(5));
    }
    server.stop();
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            break status;
        }
        if stopped.elapsed() > timeout + Duration::from_secs(10) {
            let _ = child.kill();
            panic!(
                "{exe} still running {:?} after the server died",
                stopped.elapsed()
            );
        }
        thread::sleep(Duration::from_millis(10));
    };
    let ended_after = stopped.elapsed();
    let stdout = stdout_reader.join().expect("reader");
    let stderr = stderr_reader.join().expect("reader");
    assert!(!stderr.contains("panicked"), "{exe}: {stderr}");
    let transcript = Transcript::parse(&stdout);
    assert!(
        transcript.is_consistent(),
        "{exe}: every site read or failed: {stdout}"
    );
    assert!(
        !transcript.reads.is_empty(),
        "{exe}: some sites before the stop"
    );
    assert!(
        !transcript.failures.is_empty(),
        "{exe}: some sites after the stop"
    );
    assert_eq!(status.code(), Some(1), "{exe}");
    assert!(
        ended_after < 2 * timeout,
        "{exe} ended {ended_after:?} after the server died: it waited out its {timeout:?} \
         timeout more than once"
    );
}

/// Runs `exe` against a stand-in that answers a quarter of requests with HTTP 500 and drops a
/// tenth of its connections (seed 7), and checks that every injected failure was reported and
/// counted, each kind as itself, and that the exit status is 1.
pub fn check_faults_are_counted(exe: &str, extra: &[&str]) {
    check_faults(exe, extra, false);
}

/// [`check_faults_are_counted`] for a client that sends a request once more when the server
/// drops its connection without answering (aiohttp; RFC 9112 allows it for a GET): a drop is a
/// failure only when the second try is dropped too, and the stand-in sees one request more for
/// every drop that is not.
pub fn check_faults_are_counted_retrying_drops(exe: &str, extra: &[&str]) {
    check_faults(exe, extra, true);
}

fn check_faults(exe: &str, extra: &[&str], retries_drops: bool) {
    let config = Config {
        error_rate: 0.25,
        drop_rate: 0.1,
        seed: 7,
        ..quick()
    };
    let server = StandIn::start(config).expect("the stand-in starts");
    let (status, transcript) = run_against(exe, &server, &[&["--repeat", "30"], extra].concat());
    let log = server.log().snapshot();
    let count = |outcome| log.iter().filter(|r| r.outcome == outcome).count();
    let (errors, drops) = (count(Outcome::Error), count(Outcome::Dropped));
    assert!(
        errors > 0 && drops > 0,
        "{exe}: the seed injects both kinds"
    );
    let retried = log.len().saturating_sub(60);
    if !retries_drops {
        assert_eq!(log.len(), 60, "{exe}: one request per site, no retries");
    } else {
        assert!(log.len() >= 60, "{exe}: at least one request per site");
        assert!(retried <= drops, "{exe}: retries only after drops");
    }
    let http_500 = transcript
        .failures
        .iter()
        .filter(|(_, why)| why.contains("500"))
        .count();
    assert_eq!(http_500, errors, "{exe}: {:?}", transcript.failures);
    assert_eq!(
        transcript.failures.len(),
        errors + drops - retried,
        "{exe}: {:?}",
        transcript.failures
    );
    assert!(transcript.is_consistent(), "{exe}: {transcript:?}");
    assert_eq!(status, Some(1), "{exe}");
}

/// Runs `exe` against a stand-in whose every answer takes 10 s, with `--timeout 0.3`, and
/// checks that every request fails as a timeout, well before the answers would have come.
pub fn check_timeouts(exe: &str, extra: &[&str]) {
    let config = Config {
        slow_rate: 1.0,
        slow: Duration::from_secs(10),
        ..quick()
    };
    let server = StandIn::start(config).expect("the stand-in starts");
    let started = Instant::now();
    let args = [&["--repeat", "3", "--timeout", "0.3"], extra].concat();
    let (status, transcript) = run_against(exe, &server, &args);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{exe}: gave up in time"
    );
    assert_eq!(transcript.failures.len(), 6, "{exe}: {transcript:?}");
    for (url, reason) in &transcript.failures {
        let reason = reason.to_lowercase();
        assert!(
            reason.contains("timeout") || reason.contains("timed out"),
            "{exe}: {url}: {reason}"
        );
    }
    assert!(transcript.is_consistent(), "{exe}: {transcript:?}");
    assert_eq!(status, Some(1), "{exe}");
}

/// The stand-in's defaults with a 5 ms latency: quick enough for a test.
fn quick() -> Config {
    Config {
        latency: Duration::from_millis(5),
        ..Config::default()
    }
}

/// Runs `exe --url JYTHON --url DICE ARGS` to the end: its exit code and its output, read.
fn run_against(exe: &str, server: &StandIn, args: &[&str]) -> (Option<i32>, Transcript) {
    let [jython, dice] = server.urls();
    let (output, transcript) = run(exe, &[&["--url", &jython, "--url", &dice], args].concat());
    (output.status.code(), transcript)
}
