//! The three async downloaders as a learner runs them: real processes against a real (local)
//! server, each test once per runtime (tokio, smol, async-std).

use std::collections::HashSet;
use std::process::{Command, Output};
use std::time::Duration;

use contract::Transcript;
use download_cli::REAL_URLS;
use stand_in::StandIn;
use stand_in::server::{Config, max_in_flight};

/// Every binary of the crate: (name, path).
const PROGRAMS: [(&str, &str); 3] = [
    ("io_async", env!("CARGO_BIN_EXE_io_async")),
    ("io_async_smol", env!("CARGO_BIN_EXE_io_async_smol")),
    ("io_async_std", env!("CARGO_BIN_EXE_io_async_std")),
];

fn run(program: &str, args: &[&str]) -> (Output, Transcript) {
    testkit::program::run(program, args)
}

fn stand_in(config: Config) -> StandIn {
    StandIn::start(Config {
        latency: Duration::from_millis(10),
        ..config
    })
    .unwrap()
}

/// `--url JYTHON --url DICE` and the given flags.
fn run_against(program: &str, server: &StandIn, flags: &[&str]) -> (Output, Transcript) {
    let [jython, dice] = server.urls();
    let mut args = vec!["--url", &jython, "--url", &dice];
    args.extend_from_slice(flags);
    run(program, &args)
}

#[test]
fn every_runtime_downloads_every_site() {
    for (name, program) in PROGRAMS {
        let server = stand_in(Config::default());
        let [jython, dice] = server.urls();
        let (output, transcript) = run_against(program, &server, &["--repeat", "10"]);
        assert_eq!(output.status.code(), Some(0), "{name}");
        assert_eq!(transcript.reads.len(), 20, "{name}");
        for (_, bytes, url) in &transcript.reads {
            let expected = if url == &jython {
                10_966
            } else {
                assert_eq!(url, &dice, "{name}");
                276
            };
            assert_eq!(*bytes, expected, "{name}: {url}");
        }
        assert_eq!(
            transcript.summary.map(|s| (s.ok, s.total)),
            Some((20, 20)),
            "{name}"
        );
        assert!(transcript.is_consistent(), "{name}");
        assert_eq!(server.log().len(), 20, "{name}: one request per site");
    }
}

#[test]
fn at_the_default_cap_twenty_requests_wait_at_once() {
    for (name, program) in PROGRAMS {
        let server = stand_in(Config::default());
        let (output, _) = run_against(program, &server, &["--repeat", "10"]);
        assert_eq!(output.status.code(), Some(0), "{name}");
        // Twenty tasks, all waiting at once: far more than any --limit used below.
        let most = max_in_flight(&server.log().snapshot());
        assert!(most > 3, "{name}: only {most} in flight");
    }
}

#[test]
fn limit_caps_the_requests_in_flight() {
    for (name, program) in PROGRAMS {
        let server = stand_in(Config::default());
        let (output, transcript) =
            run_against(program, &server, &["--repeat", "10", "--limit", "3"]);
        assert_eq!(output.status.code(), Some(0), "{name}");
        assert!(transcript.is_consistent(), "{name}");
        let log = server.log().snapshot();
        assert_eq!(log.len(), 20, "{name}");
        let most = max_in_flight(&log);
        assert!(
            (1..=3).contains(&most),
            "{name}: {most} in flight with --limit 3"
        );
    }
}

#[test]
fn the_session_keeps_connections_alive() {
    for (name, program) in PROGRAMS {
        let server = stand_in(Config::default());
        let (output, _) = run_against(program, &server, &["--repeat", "10", "--limit", "2"]);
        assert_eq!(output.status.code(), Some(0), "{name}");
        let log = server.log().snapshot();
        let connections: HashSet<_> = log.iter().map(|r| r.connection).collect();
        // Two requests at a time over twenty: a session that reuses its connections needs few.
        assert!(
            connections.len() < log.len() / 2,
            "{name}: {} connections",
            connections.len()
        );
        if name != "io_async" {
            // io_async's own pool puts a connection back before the task lets go of its
            // permit, so two permits never need more than two connections. (reqwest puts its
            // connections back from a task of its own, so it may open one more now and then.)
            assert!(
                connections.len() <= 2,
                "{name}: {} connections",
                connections.len()
            );
        }
    }
}

#[test]
fn an_unreachable_site_fails_with_its_reason() {
    for (name, program) in PROGRAMS {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let (output, transcript) =
            run(program, &["--url", "http://127.0.0.1:1/x", "--repeat", "2"]);
        assert_eq!(output.status.code(), Some(1), "{name}");
        assert_eq!(transcript.failures.len(), 2, "{name}");
        for (url, reason) in &transcript.failures {
            assert_eq!(url, "http://127.0.0.1:1/x", "{name}");
            assert!(
                reason.to_lowercase().contains("connection refused"),
                "{name}: {reason}"
            );
        }
        assert_eq!(
            transcript.summary.map(|s| (s.ok, s.total)),
            Some((0, 2)),
            "{name}"
        );
    }
}

#[test]
fn a_malformed_url_is_bad_usage() {
    for (name, program) in PROGRAMS {
        for bad in ["not a url", "ftp://127.0.0.1/", "127.0.0.1:8080/x"] {
            let (output, transcript) = run(program, &["--url", bad]);
            assert_eq!(output.status.code(), Some(2), "{name}: {bad}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("--url") && stderr.contains("'--help'"),
                "{name}: {stderr}"
            );
            assert!(
                transcript.reads.is_empty() && transcript.summary.is_none(),
                "{name}"
            );
        }
    }
}

#[test]
fn real_sites_offline_fail_one_by_one() {
    for (name, program) in PROGRAMS {
        let (output, transcript) = run(program, &["--real", "--repeat", "1", "--timeout", "5"]);
        // This machine has no internet: each of the article's sites fails on its own (its name
        // does not resolve), is printed and counted. With the internet they would be read.
        let mut seen: Vec<&str> = transcript
            .failures
            .iter()
            .map(|(url, _)| url.as_str())
            .chain(transcript.reads.iter().map(|(_, _, url)| url.as_str()))
            .collect();
        seen.sort();
        let mut expected = REAL_URLS.to_vec();
        expected.sort();
        assert_eq!(seen, expected, "{name}");
        assert!(transcript.is_consistent(), "{name}");
        let failed = transcript.failures.len();
        assert_eq!(
            output.status.code(),
            Some(if failed > 0 { 1 } else { 0 }),
            "{name}"
        );
        for (url, reason) in &transcript.failures {
            assert!(!reason.trim().is_empty(), "{name}: {url}");
        }
    }
}

#[test]
fn https_reaches_rustls_without_the_internet() {
    for (name, program) in PROGRAMS {
        // The stand-in speaks plain HTTP, so a TLS client's handshake gets garbage back: the
        // failure comes from rustls itself, which shows every binary really does TLS.
        let server = stand_in(Config::default());
        let url = server.urls()[0].replacen("http://", "https://", 1);
        let (output, transcript) = run(program, &["--url", &url, "--repeat", "1"]);
        assert_eq!(output.status.code(), Some(1), "{name}");
        assert_eq!(transcript.failures.len(), 1, "{name}");
        let (_, reason) = &transcript.failures[0];
        assert!(reason.contains("corrupt message"), "{name}: {reason}");
    }
}

#[test]
fn a_server_that_dies_mid_run_fails_the_rest_and_the_run_ends() {
    for (_, program) in PROGRAMS {
        testkit::downloads::check_server_dies_mid_run(program, &["--limit", "20"]);
        testkit::downloads::check_server_dies_mid_run(program, &[]);
    }
}

#[test]
fn every_bad_command_line_of_the_contract_exits_2_with_the_usage() {
    for (_, program) in PROGRAMS {
        testkit::usage::check_bad_usage(program, &["--limit"]);
    }
}

#[test]
fn injected_errors_and_drops_are_reported_and_counted() {
    for (_, program) in PROGRAMS {
        testkit::downloads::check_faults_are_counted(program, &[]);
        testkit::downloads::check_faults_are_counted(program, &["--limit", "3"]);
    }
}

#[test]
fn a_slow_answer_times_out_and_is_counted() {
    for (_, program) in PROGRAMS {
        testkit::downloads::check_timeouts(program, &[]);
    }
}

#[test]
#[cfg_attr(
    not(unix),
    ignore = "lowers the open-file limit with bash's `ulimit -n` (RLIMIT_NOFILE, Unix's)"
)]
fn at_the_default_cap_a_low_open_file_limit_loses_nothing() {
    for (name, program) in PROGRAMS {
        // `ulimit -n` in bash lowers both limits, so the program cannot raise its own. Each
        // connection costs it one descriptor (the built-in stand-in's end is in the stand-in's
        // own process): 128 - 32 = 96 fit.
        let script = format!("ulimit -n 128 && exec {program} --repeat 100 --latency-ms 10");
        let output = Command::new("bash").args(["-c", &script]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(
                "At most 96 requests at once, all the open-file limit (128) has room for"
            ),
            "{name}: {stderr}"
        );
        let transcript = Transcript::parse(&String::from_utf8_lossy(&output.stdout));
        assert_eq!(transcript.reads.len(), 200, "{name}: {stderr}");
        assert!(transcript.failures.is_empty(), "{name}: {transcript:?}");
        assert_eq!(output.status.code(), Some(0), "{name}: {stderr}");
    }
}

#[test]
fn against_another_server_the_default_cap_is_aiohttps() {
    for (name, program) in PROGRAMS {
        let server = stand_in(Config::default());
        let [jython, dice] = server.urls();
        let output = Command::new(program)
            .args(["--url", &jython, "--url", &dice, "--repeat", "100"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("At most 100 requests at once, aiohttp's default"),
            "{name}: {stderr}"
        );
        assert_eq!(output.status.code(), Some(0), "{name}: {stderr}");
        // The server saw the cap: never more than 100 requests at once (200 were asked for).
        let log = server.log().snapshot();
        assert_eq!(log.len(), 200, "{name}");
        assert!(
            max_in_flight(&log) <= 100,
            "{name}: {}",
            max_in_flight(&log)
        );
    }
}

#[test]
#[cfg_attr(
    not(unix),
    ignore = "lowers the open-file limit with bash's `ulimit -n` (RLIMIT_NOFILE, Unix's)"
)]
fn a_limit_beyond_the_open_file_limit_is_said_and_every_site_accounted_for() {
    for (name, program) in PROGRAMS {
        let server = stand_in(Config::default());
        let [jython, dice] = server.urls();
        let script = format!(
            "ulimit -n 64 && exec {program} --url {jython} --url {dice} --repeat 100 --limit 200 --timeout 2"
        );
        let output = Command::new("bash").args(["-c", &script]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            stderr.contains(
                "At most 200 requests at once, set by --limit, but the open-file limit (64) has \
                 room for about 32"
            ),
            "{name}: {stderr}"
        );
        let transcript = Transcript::parse(&String::from_utf8_lossy(&output.stdout));
        assert!(transcript.is_consistent(), "{name}: {transcript:?}");
        let too_many = |(_, why): &&(String, String)| why.contains("Too many open files");
        assert!(transcript.failures.iter().any(|f| too_many(&f)), "{name}");
        assert_eq!(output.status.code(), Some(1), "{name}");
    }
}

#[test]
fn a_hostile_server_gets_a_line_for_every_site_and_no_panic() {
    for (_, program) in PROGRAMS {
        testkit::downloads::check_hostile_server(program, &[]);
    }
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    for (_, program) in PROGRAMS {
        testkit::program::check_closed_stdout(program, &["--repeat", "2", "--latency-ms", "1"]);
    }
}
