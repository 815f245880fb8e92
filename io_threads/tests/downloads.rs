//! io_threads as a learner runs it: a real process against a real (local) server.

use std::collections::HashSet;
use std::process::Output;
use std::time::Duration;

use contract::Transcript;
use stand_in::StandIn;
use stand_in::server::{Config, max_in_flight};

fn run(args: &[&str]) -> (Output, Transcript) {
    testkit::program::run(env!("CARGO_BIN_EXE_io_threads"), args)
}

fn stand_in(config: Config) -> StandIn {
    StandIn::start(Config {
        latency: Duration::from_millis(20),
        ..config
    })
    .unwrap()
}

#[test]
fn five_workers_by_default_each_with_its_own_session() {
    let server = stand_in(Config::default());
    let [jython, dice] = server.urls();
    let (output, transcript) = run(&["--url", &jython, "--url", &dice, "--repeat", "20"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(transcript.reads.len(), 40);
    assert!(transcript.reads.iter().all(|(_, bytes, url)| {
        (url == &jython && *bytes == 10_966) || (url == &dice && *bytes == 276)
    }));
    assert_eq!(transcript.summary.map(|s| (s.ok, s.total)), Some((40, 40)));
    let log = server.log().snapshot();
    assert_eq!(
        max_in_flight(&log),
        5,
        "five threads, five requests at a time"
    );
    // One kept-alive connection per thread-local session: five lanes in a timeline.
    let connections: HashSet<_> = log.iter().map(|r| r.connection).collect();
    assert_eq!(connections.len(), 5);
}

#[test]
fn workers_sets_the_pool_size() {
    let server = stand_in(Config::default());
    let [jython, dice] = server.urls();
    let (output, _) = run(&[
        "--url",
        &jython,
        "--url",
        &dice,
        "--repeat",
        "10",
        "--workers",
        "3",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(max_in_flight(&server.log().snapshot()), 3);
}

#[test]
fn an_unreachable_site_fails_clearly_and_the_run_goes_on() {
    let (output, transcript) = run(&["--url", "http://127.0.0.1:1/", "--repeat", "7"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(transcript.failures.len(), 7);
    assert!(
        transcript.failures[0].1.contains("refused"),
        "{:?}",
        transcript.failures[0]
    );
    assert!(transcript.is_consistent());
}

#[test]
fn bad_usage_exits_2_with_a_one_line_error() {
    for args in [
        &["--workers", "0"][..],
        &["--url", "ftp://x/"],
        &["--limit", "abc"],
    ] {
        let (output, _) = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}

#[test]
fn a_server_that_dies_mid_run_fails_the_rest_and_the_run_ends() {
    testkit::downloads::check_server_dies_mid_run(env!("CARGO_BIN_EXE_io_threads"), &[]);
}

#[test]
fn every_bad_command_line_of_the_contract_exits_2_with_the_usage() {
    testkit::usage::check_bad_usage(env!("CARGO_BIN_EXE_io_threads"), &["--workers"]);
}

#[test]
fn injected_errors_and_drops_are_reported_and_counted() {
    testkit::downloads::check_faults_are_counted(env!("CARGO_BIN_EXE_io_threads"), &[]);
}

#[test]
fn a_request_slower_than_the_timeout_fails_as_a_timeout() {
    testkit::downloads::check_timeouts(env!("CARGO_BIN_EXE_io_threads"), &[]);
}

#[test]
fn a_hostile_server_gets_a_line_for_every_site_and_no_panic() {
    testkit::downloads::check_hostile_server(env!("CARGO_BIN_EXE_io_threads"), &[]);
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    testkit::program::check_closed_stdout(
        env!("CARGO_BIN_EXE_io_threads"),
        &["--repeat", "2", "--latency-ms", "1"],
    );
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "limits the address space with bash's `ulimit -v` (Linux's RLIMIT_AS)"
)]
fn a_thread_the_os_refuses_is_an_error_not_a_panic() {
    // A 200 ms answer keeps the first threads busy while the next ones start.
    let server = stand_in(Config {
        latency: Duration::from_millis(200),
        ..Config::default()
    });
    let [jython, _] = server.urls();
    let args = ["--url", &jython, "--repeat", "20", "--workers", "8"];
    testkit::program::check_thread_refused(env!("CARGO_BIN_EXE_io_threads"), &args);
}
