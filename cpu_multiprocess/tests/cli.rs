//! Runs the `cpu_multiprocess` binary and checks its output with the shared contract's parser:
//! the same sums as the sequential program for any number of worker processes, and a clear
//! error, not a hang, when a worker process dies.

use std::fs;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use sites::contract::Line;

const BIN: &str = env!("CARGO_BIN_EXE_cpu_multiprocess");

/// The sum of the squares below n, in closed form: n(n-1)(2n-1)/6.
fn closed_form(n: u64) -> u128 {
    let n = u128::from(n);
    n * n.saturating_sub(1) * (2 * n).saturating_sub(1) / 6
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs with `args`, checks the run succeeded and ended with a `Duration` line, returns its sum.
fn sum_of_results(args: &[&str]) -> u128 {
    let out = run(args);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert!(out.status.success(), "{args:?}: {:?}\n{stdout}", out.status);
    let lines: Vec<Line> = stdout.lines().map(Line::parse).collect();
    assert!(
        matches!(lines.last(), Some(Line::Duration(secs)) if *secs >= 0.0),
        "{args:?}: the last line is not `Duration ... seconds`:\n{stdout}"
    );
    let sums: Vec<u128> = lines
        .iter()
        .filter_map(|line| match line {
            Line::Sum(sum) => Some(*sum),
            _ => None,
        })
        .collect();
    assert_eq!(
        sums.len(),
        1,
        "{args:?}: one `Sum of results` line:\n{stdout}"
    );
    sums[0]
}

#[test]
fn the_defaults_give_the_articles_sum() {
    assert_eq!(sum_of_results(&[]), 833_337_833_344_750_010_830);
}

#[test]
fn the_first_number_alone_is_past_u64() {
    let sum = sum_of_results(&["--start", "5000000", "--count", "1"]);
    assert_eq!(sum, 41_666_654_166_667_500_000);
}

#[test]
fn any_number_of_workers_agrees_with_the_closed_form() {
    let cases = [
        (0, 0, 1),
        (0, 5, 1),
        (0, 5, 2),
        (1, 3, 7),
        (1000, 7, 3),
        (123_456, 11, 5),
    ];
    for (start, count, workers) in cases {
        let expected: u128 = (start..start + count).map(closed_form).sum();
        let (start, count) = (start.to_string(), count.to_string());
        let workers = workers.to_string();
        let args = ["--start", &start, "--count", &count, "--workers", &workers];
        assert_eq!(sum_of_results(&args), expected, "{args:?}");
    }
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    let bad: [&[&str]; 7] = [
        &["--workers", "0"],
        &["--workers", "-2"],
        &["--workers", "five"],
        &["--start=-1"],
        &["--count", "1.5"],
        &["--start", "1000000001"],
        &["--bogus"],
    ];
    for args in bad {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
        assert!(stderr.contains("Usage:"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// The process ids of `pid`'s children, from Linux's /proc.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let lists =
        tasks.filter_map(|task| fs::read_to_string(task.ok()?.path().join("children")).ok());
    let lists: Vec<String> = lists.collect();
    lists
        .iter()
        .flat_map(|list| list.split_whitespace())
        .filter_map(|id| id.parse().ok())
        .collect()
}

#[test]
fn a_worker_that_dies_ends_the_run_with_an_error() {
    // Four sums of a billion squares each: seconds of work, so the workers are still busy when
    // one of them is killed.
    let mut pool = Command::new(BIN)
        .args(["--start", "1000000000", "--count", "4", "--workers", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    let workers = loop {
        let workers = children(pool.id());
        if workers.len() == 2 || Instant::now() > deadline {
            break workers;
        }
        thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(workers.len(), 2, "the pool started two worker processes");
    let killed = workers[0];
    let kill = Command::new("kill")
        .args(["-KILL", &killed.to_string()])
        .status();
    assert!(kill.expect("kill runs").success());
    // The pool must notice and stop on its own, well before the work could have finished.
    while pool.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            pool.kill().expect("kill the pool");
            panic!("the pool hung after worker {killed} died");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let out = pool.wait_with_output().expect("the pool's output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("worker process {killed} died")),
        "{stderr}"
    );
    assert!(stderr.contains("SIGKILL"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout
            .lines()
            .any(|line| matches!(Line::parse(line), Line::Sum(_))),
        "{stdout}"
    );
    // The other worker was stopped too, not left behind computing.
    let other = fs::read_to_string(format!("/proc/{}/stat", workers[1]));
    let state = other
        .as_deref()
        .map(|stat| stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]));
    assert!(
        matches!(state, Err(_) | Ok(Some("Z" | "X"))),
        "worker {}: {state:?}",
        workers[1]
    );
}
