//! Runs the `cpu_multiprocess` binary and checks its output with the shared contract's parser:
//! the same sums as the sequential program for any number of worker processes, and a clear
//! error, not a hang, when a worker process dies.

use std::fs;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use contract::Line;

const BIN: &str = env!("CARGO_BIN_EXE_cpu_multiprocess");

#[test]
fn keeps_the_cpu_programs_contract() {
    testkit::program::check_cpu_program(BIN, true);
}

#[test]
#[cfg_attr(
    not(all(unix, target_arch = "x86_64")),
    ignore = "reads x86-64 machine code with objdump, a Unix tool"
)]
fn cpu_bound_keeps_its_sum_in_registers() {
    testkit::program::check_cpu_bound_keeps_its_sum_in_registers(BIN, "cpu_multiprocess");
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
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "finds the workers in Linux's /proc and kills one with SIGKILL"
)]
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

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let args = ["--start", "1000", "--count", "3"];
    testkit::program::check_closed_stdout(env!("CARGO_BIN_EXE_cpu_multiprocess"), &args);
}
