//! io_multiprocess run as a real program, with real worker processes, against a stand-in
//! started here. Every run is bounded in time: a hang fails the test instead of stalling it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use contract::Line;
use stand_in::server::{self, Config, StandIn};

const EXE: &str = env!("CARGO_BIN_EXE_io_multiprocess");
/// Far longer than any run here should take; reaching it means the program hung.
const LIMIT: Duration = Duration::from_secs(60);

fn stand_in(latency_ms: u64) -> StandIn {
    StandIn::start(Config {
        latency: Duration::from_millis(latency_ms),
        ..Config::default()
    })
    .expect("stand-in starts")
}

/// `--url` flags for the stand-in's two sites.
fn url_args(stand_in: &StandIn) -> Vec<String> {
    stand_in
        .urls()
        .iter()
        .flat_map(|url| ["--url".to_string(), url.clone()])
        .collect()
}

fn spawn(args: &[String]) -> Child {
    Command::new(EXE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("io_multiprocess starts")
}

/// Waits for `child` at most [`LIMIT`]; kills it and fails the test if it takes longer.
fn wait_bounded(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("io_multiprocess did not end within {LIMIT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Reads a pipe to its end on a thread, so the child never blocks on a full pipe.
fn collect(pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(pipe).read_to_string(&mut text);
        text
    })
}

struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

fn run(args: &[String]) -> Run {
    let mut child = spawn(args);
    let stdout = collect(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    let status = wait_bounded(&mut child);
    Run {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The summary line, which must be the last line of stdout.
fn summary(stdout: &str) -> (usize, usize, usize) {
    match Line::parse(stdout.lines().last().expect("some output")) {
        Line::Downloaded {
            ok, total, failed, ..
        } => (ok, total, failed),
        other => panic!("last line is not the summary: {other:?}\n{stdout}"),
    }
}

#[test]
fn downloads_every_site_on_the_given_number_of_workers() {
    let stand_in = stand_in(20);
    let mut list = url_args(&stand_in);
    list.extend(args(&["--repeat", "12", "--workers", "3"]));
    let run = run(&list);
    assert!(run.status.success(), "{}", run.stderr);

    let [jython, dice] = stand_in.urls();
    let mut reads: BTreeMap<&str, usize> = BTreeMap::new();
    let mut workers = BTreeSet::new();
    for line in run.stdout.lines() {
        match Line::parse(line) {
            Line::Read { worker, bytes, url } => {
                let worker = worker.unwrap_or_else(|| panic!("no worker name: {line}"));
                assert!(!worker.contains(' '), "{line}");
                workers.insert(worker.to_string());
                let expected = if url == jython { 10966 } else { 276 };
                assert!(url == jython || url == dice, "{line}");
                assert_eq!(bytes, expected, "{line}");
                *reads.entry(url).or_default() += 1;
            }
            Line::Downloaded { .. } => {}
            _ => panic!("unexpected line: {line}"),
        }
    }
    assert_eq!(reads[jython.as_str()], 12);
    assert_eq!(reads[dice.as_str()], 12);
    // Every worker takes a site at once, so with 24 sites all three names appear.
    assert_eq!(workers.len(), 3, "{workers:?}");
    assert_eq!(summary(&run.stdout), (24, 24, 0));
    // The work really overlapped: more than one request was in the stand-in at a time.
    let log = stand_in.log().snapshot();
    assert_eq!(log.len(), 24);
    assert!(server::max_in_flight(&log) > 1, "requests never overlapped");
    // The parent says when the pool was up.
    assert!(
        run.stderr.contains("3 worker processes ready after"),
        "{}",
        run.stderr
    );
}

#[test]
fn only_the_parent_starts_a_stand_in() {
    let run = run(&args(&[
        "--repeat",
        "3",
        "--workers",
        "2",
        "--latency-ms",
        "1",
    ]));
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("Serving the two sites locally").count(),
        1
    );
    assert_eq!(summary(&run.stdout), (6, 6, 0));
}

#[test]
fn unreachable_sites_fail_one_by_one() {
    let run = run(&args(&[
        "--url",
        "http://127.0.0.1:1/",
        "--repeat",
        "3",
        "--workers",
        "2",
        "--timeout",
        "5",
    ]));
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let mut failed = 0;
    for line in run.stdout.lines() {
        match Line::parse(line) {
            Line::Failed {
                worker,
                url,
                reason,
            } => {
                assert!(worker.is_some_and(|w| w.starts_with("SpawnPoolWorker-")));
                assert_eq!(url, "http://127.0.0.1:1/");
                assert!(reason.contains("refused"), "{reason}");
                failed += 1;
            }
            Line::Downloaded { .. } => {}
            _ => panic!("unexpected line: {line}"),
        }
    }
    assert_eq!(failed, 3);
    assert_eq!(summary(&run.stdout), (0, 3, 3));
}

#[test]
fn bad_usage_exits_2_without_starting_anything() {
    for bad in [
        &["--workers", "0"][..],
        &["--url", "not a url"],
        &["--url", "ftp://127.0.0.1/"],
        &["--repeat", "0"],
    ] {
        let run = run(&args(bad));
        assert_eq!(run.status.code(), Some(2), "{bad:?}: {}", run.stderr);
        assert!(run.stderr.contains("'--help'"), "{bad:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{bad:?}: {}", run.stdout);
    }
}

#[test]
fn a_server_that_dies_mid_run_fails_the_rest_and_the_run_ends() {
    testkit::downloads::check_server_dies_mid_run(EXE, &["--workers", "3"]);
}

#[test]
fn every_bad_command_line_of_the_contract_exits_2_with_the_usage() {
    testkit::usage::check_bad_usage(EXE, &["--workers"]);
}

#[test]
fn injected_errors_and_drops_are_reported_and_counted() {
    testkit::downloads::check_faults_are_counted(EXE, &["--workers", "2"]);
}

#[test]
fn a_request_slower_than_the_timeout_fails_as_a_timeout() {
    testkit::downloads::check_timeouts(EXE, &["--workers", "2"]);
}

#[test]
fn a_hostile_server_gets_a_line_for_every_site_and_no_panic() {
    // Each line comes from a worker, `SpawnPoolWorker-N:` before it: the check reads it as the
    // other downloaders' lines.
    testkit::downloads::check_hostile_server(EXE, &["--workers", "3"]);
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let args = ["--repeat", "2", "--latency-ms", "1", "--workers", "2"];
    testkit::program::check_closed_stdout(EXE, &args);
}

#[cfg(not(target_os = "linux"))]
#[test]
#[ignore = "the three tests of signalled workers: their pids from Linux's /proc, Unix signals"]
fn signalled_workers() {}

/// Workers killed or stopped by a signal mid-run. Linux only: the test finds the workers' pids
/// in /proc, and sends them Unix signals.
#[cfg(target_os = "linux")]
mod signalled_workers {
    use std::collections::BTreeSet;
    use std::io::{BufRead, BufReader};
    use std::process::ExitStatus;
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    use contract::Line;
    use stand_in::server::StandIn;

    use super::{LIMIT, args, collect, spawn, stand_in, summary, url_args, wait_bounded};

    /// The pids of `parent`'s worker processes, by the hidden argument on their command lines,
    /// with the worker name that follows it.
    fn workers_of(parent: u32) -> Vec<(i32, String)> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let (Ok(cmdline), Ok(stat)) = (
                std::fs::read(entry.path().join("cmdline")),
                std::fs::read_to_string(entry.path().join("stat")),
            ) else {
                continue;
            };
            // stat is `pid (comm) state ppid ...`; comm may hold spaces, so split after the `)`.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|ppid| ppid.parse::<u32>().ok());
            let words: Vec<String> = cmdline
                .split(|&b| b == 0)
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            if ppid == Some(parent)
                && words.get(1).map(String::as_str) == Some(contract::worker::WORKER_FLAG)
            {
                found.push((pid, words[2].clone()));
            }
        }
        found
    }

    /// What a run looked like after one of its workers was sent a signal mid-run.
    struct Signalled {
        status: ExitStatus,
        stdout: String,
        stderr: String,
        /// The workers signalled: pid and name.
        victims: Vec<(i32, String)>,
        stand_in: StandIn,
    }

    /// Runs 20 sites on 2 workers at 300 ms a request (about 3 s), and 100 ms after the first site
    /// is in sends `signal` to `how_many` of the workers, found by their hidden argument in /proc.
    fn signal_workers_mid_run(signal: libc::c_int, how_many: usize, extra: &[&str]) -> Signalled {
        let stand_in = stand_in(300);
        let mut list = url_args(&stand_in);
        list.extend(args(&["--repeat", "10", "--workers", "2"]));
        list.extend(args(extra));
        let mut child = spawn(&list);
        let stderr = collect(child.stderr.take().unwrap());

        // Read stdout line by line on a thread, so the test knows when the downloads have begun.
        let (sender, lines) = mpsc::channel();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let reader = thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let first = lines
            .recv_timeout(LIMIT)
            .expect("a first line from io_multiprocess");
        assert!(matches!(Line::parse(&first), Line::Read { .. }), "{first}");

        // The parent prints a worker's line before it hands that worker its next site, so a
        // signal sent at once can land between two sites. A third of a request later, both
        // workers are most likely in the middle of one; the checks below allow for either.
        thread::sleep(Duration::from_millis(100));
        let workers = workers_of(child.id());
        assert_eq!(workers.len(), 2, "worker processes: {workers:?}");
        let victims = workers[..how_many].to_vec();
        for &(pid, _) in &victims {
            // SAFETY: kill(2) with a pid just read from /proc, whose parent is our child: it is one
            // of its workers, not some unrelated process.
            assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        }

        let status = wait_bounded(&mut child);
        reader.join().unwrap();
        let mut stdout: Vec<String> = vec![first];
        stdout.extend(lines.try_iter());
        Signalled {
            status,
            stdout: stdout.join("\n"),
            stderr: stderr.join().unwrap(),
            victims,
            stand_in,
        }
    }

    /// How the pool says a victim died: in the reason of the site it lost, or on stderr when it
    /// held none.
    fn death((pid, name): &(i32, String)) -> String {
        format!("worker {name} (pid {pid}) died")
    }

    /// Checks that exactly the victim's site failed, with a reason that names the victim and
    /// holds `how`, and that the other 19 were downloaded.
    fn assert_one_site_lost_with_the_victim(run: &Signalled, how: &str) {
        let Signalled { stdout, stderr, .. } = run;
        assert_eq!(run.status.code(), Some(1), "{stdout}\n{stderr}");
        let (mut reads, mut failures) = (0, Vec::new());
        for line in stdout.lines() {
            match Line::parse(line) {
                Line::Read { .. } => reads += 1,
                Line::Failed { url, reason, .. } => failures.push((url.to_string(), reason)),
                Line::Downloaded { .. } => {}
                _ => panic!("unexpected line: {line}"),
            }
        }
        // The victim always holds a site while the run goes on, so exactly that one is lost.
        assert_eq!(failures.len(), 1, "{stdout}");
        let (url, reason) = &failures[0];
        assert!(run.stand_in.urls().contains(url), "{url}");
        let died = death(&run.victims[0]);
        assert!(reason.contains(&died) && reason.contains(how), "{reason}");
        assert_eq!(reads + 1, 20, "{stdout}");
        assert_eq!(summary(stdout), (19, 20, 1));
    }

    #[test]
    fn a_killed_worker_is_reported_and_the_run_still_ends() {
        let run = signal_workers_mid_run(libc::SIGKILL, 1, &[]);
        let died = death(&run.victims[0]);
        let Signalled { stdout, stderr, .. } = &run;
        match stderr.lines().find(|line| line.starts_with(&died)) {
            // Killed between two sites, it had none to lose: the next site, which the parent
            // could not write into its pipe, went to the other worker, which did all 20. The
            // death is said on stderr, and the run succeeds.
            Some(line) => {
                assert!(line.contains("SIGKILL"), "{line}");
                assert_eq!(run.status.code(), Some(0), "{stdout}\n{stderr}");
                assert_eq!(summary(stdout), (20, 20, 0));
            }
            None => assert_one_site_lost_with_the_victim(&run, "SIGKILL"),
        }
    }

    #[test]
    fn a_stopped_worker_is_killed_after_the_timeout_and_the_run_still_ends() {
        // A stopped worker never closes its pipe; the pool kills it once it has been silent for the
        // request timeout (1 s) plus its 5 s grace.
        let run = signal_workers_mid_run(libc::SIGSTOP, 1, &["--timeout", "1"]);
        assert_one_site_lost_with_the_victim(&run, "killed: no answer in 6.0 s");
    }

    #[test]
    fn when_every_worker_is_killed_the_rest_fail_and_the_run_ends() {
        let run = signal_workers_mid_run(libc::SIGKILL, 2, &[]);
        let Signalled { stdout, stderr, .. } = &run;
        assert_eq!(run.status.code(), Some(1), "{stdout}\n{stderr}");
        let (mut reads, mut died, mut orphaned) = (0, BTreeSet::new(), 0);
        for line in stdout.lines() {
            match Line::parse(line) {
                Line::Read { .. } => reads += 1,
                Line::Failed { reason, .. } if reason.contains("SIGKILL") => {
                    let name = reason.split_whitespace().nth(1).unwrap_or_default();
                    died.insert(name.to_string());
                }
                Line::Failed { reason, .. } => {
                    assert_eq!(reason, "no worker process left");
                    orphaned += 1;
                }
                Line::Downloaded { .. } => {}
                _ => panic!("unexpected line: {line}"),
            }
        }
        // A dead worker loses the site it held, if it held one: killed between two sites, it has
        // none to lose, and its death is said on stderr instead. Every death is said somewhere.
        // Nobody is left for the sites not yet handed out.
        let names: BTreeSet<String> = run.victims.iter().map(|(_, n)| n.clone()).collect();
        assert!(died.is_subset(&names), "{stdout}");
        for victim in &run.victims {
            let (said, name) = (death(victim), &victim.1);
            assert!(
                died.contains(name) || stderr.lines().any(|l| l.starts_with(&said)),
                "{name}'s death is said nowhere:\n{stdout}\n{stderr}"
            );
        }
        assert!(orphaned > 0, "{stdout}");
        assert_eq!(reads + died.len() + orphaned, 20, "{stdout}");
        assert_eq!(summary(stdout), (reads, 20, died.len() + orphaned));
    }
}
