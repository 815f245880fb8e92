//! io_sequential as a learner runs it: a real process against a real (local) server.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use contract::Transcript;
use stand_in::StandIn;
use stand_in::server::{Config, max_in_flight};

fn run(args: &[&str]) -> (Output, Transcript) {
    testkit::program::run(env!("CARGO_BIN_EXE_io_sequential"), args)
}

fn stand_in(config: Config) -> StandIn {
    StandIn::start(Config {
        latency: Duration::from_millis(5),
        ..config
    })
    .unwrap()
}

#[test]
fn downloads_every_site_one_at_a_time_over_one_connection() {
    let server = stand_in(Config::default());
    let [jython, dice] = server.urls();
    let (output, transcript) = run(&["--url", &jython, "--url", &dice, "--repeat", "4"]);
    assert_eq!(output.status.code(), Some(0));
    let sizes: Vec<_> = transcript
        .reads
        .iter()
        .map(|(_, bytes, url)| (*bytes, url))
        .collect();
    assert_eq!(
        sizes,
        [(10_966, &jython), (276, &dice)].repeat(4),
        "in the article's order"
    );
    assert_eq!(transcript.summary.map(|s| (s.ok, s.total)), Some((8, 8)));
    let log = server.log().snapshot();
    assert_eq!(
        max_in_flight(&log),
        1,
        "sequential means one request at a time"
    );
    assert!(
        log.iter().all(|r| r.connection == log[0].connection),
        "one session, kept alive"
    );
}

#[test]
fn starts_its_own_stand_in_without_url() {
    let (output, transcript) = run(&["--repeat", "2", "--latency-ms", "1"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(transcript.reads.len(), 4);
    assert!(transcript.is_consistent());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("Serving the two sites locally at http://127.0.0.1:"))
            .count(),
        1,
        "{stderr}"
    );
}

#[test]
fn its_stand_in_ends_with_it_even_when_it_is_killed() {
    // The built-in stand-in is a process of its own (download_cli/src/local.rs), which shares
    // the downloader's stderr. Once the downloader is killed outright, with no chance to stop
    // it, that stderr reaches its end only when the stand-in has ended too.
    let mut downloader = Command::new(env!("CARGO_BIN_EXE_io_sequential"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(downloader.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("Serving the two sites locally at"),
        "{line}"
    );
    // 160 downloads at 50 ms: it is still downloading when it is killed.
    downloader.kill().unwrap();
    downloader.wait().unwrap();
    let (done, ended) = mpsc::channel();
    thread::spawn(move || done.send(stderr.read_to_end(&mut Vec::new())));
    let ended = ended.recv_timeout(Duration::from_secs(10));
    assert!(
        matches!(ended, Ok(Ok(_))),
        "the stand-in outlived its downloader: {ended:?}"
    );
}

#[test]
fn an_unreachable_site_fails_clearly_and_the_run_goes_on() {
    let server = stand_in(Config::default());
    let [jython, _] = server.urls();
    let (output, transcript) = run(&["--url", "http://127.0.0.1:1/", "--url", &jython]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(transcript.reads.len(), 80);
    assert_eq!(transcript.failures.len(), 80);
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
        &["--url", "not a url"][..],
        &["--repeat", "-1"],
        &["--frobnicate"],
        // Flags of other downloaders: this one has no workers and no limit.
        &["--limit", "5"],
        &["--workers", "3"],
    ] {
        let (output, _) = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(stderr.contains("'--help'"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_server_that_dies_mid_run_fails_the_rest_and_the_run_ends() {
    testkit::downloads::check_server_dies_mid_run(env!("CARGO_BIN_EXE_io_sequential"), &[]);
}

#[test]
fn every_bad_command_line_of_the_contract_exits_2_with_the_usage() {
    testkit::usage::check_bad_usage(env!("CARGO_BIN_EXE_io_sequential"), &[]);
}

#[test]
fn injected_errors_and_drops_are_reported_and_counted() {
    testkit::downloads::check_faults_are_counted(env!("CARGO_BIN_EXE_io_sequential"), &[]);
}

#[test]
fn a_request_slower_than_the_timeout_fails_as_a_timeout() {
    testkit::downloads::check_timeouts(env!("CARGO_BIN_EXE_io_sequential"), &[]);
}

#[test]
fn a_hostile_server_gets_a_line_for_every_site_and_no_panic() {
    testkit::downloads::check_hostile_server(env!("CARGO_BIN_EXE_io_sequential"), &[]);
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    testkit::program::check_closed_stdout(
        env!("CARGO_BIN_EXE_io_sequential"),
        &["--repeat", "2", "--latency-ms", "1"],
    );
}
