//! Checks every downloader's tests share: the contract's promises about failure, written once.

mod hostile;

use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub use hostile::{CASES, Expect, Hostile, OK_BODY, check_hostile_server};

use crate::contract::{Line, Transcript, expected_sum};
use crate::server::{Config, Outcome, StandIn};

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

/// Runs `exe ARGS` where the OS can start only a few threads, and checks that the refusal is
/// reported as an error, an `Error:` line that names the thread, with exit status 1: not a panic.
///
/// Every thread asks for a 1 GiB stack (`RUST_MIN_STACK`) in a 4 GB address space (`ulimit -v`,
/// which bash sets as both limits): the third or fourth thread finds no room, whoever starts it,
/// while ordinary allocations still do. ARGS should keep the first threads busy meanwhile.
pub fn check_thread_refused(exe: &str, args: &[&str]) {
    let script = format!("ulimit -v 4000000 && exec {exe} {}", args.join(" "));
    let output = Command::new("bash")
        .args(["-c", &script])
        .env("RUST_MIN_STACK", (1u64 << 30).to_string())
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("bash runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{exe} {args:?}: {stderr}");
    let error = stderr.lines().find(|l| l.starts_with("Error: "));
    assert!(
        error.is_some_and(|l| l.contains("thread")),
        "{exe} {args:?}: {stderr}"
    );
    assert_eq!(output.status.code(), Some(1), "{exe} {args:?}: {stderr}");
}

/// Runs `exe ARGS` with a stdout whose reader has already gone, as in `exe | head -0`, and
/// checks that it ends quietly: exit status 0, no panic, no complaint about the pipe.
pub fn check_closed_stdout(exe: &str, args: &[&str]) {
    if !cfg!(target_os = "linux") {
        eprintln!("skipped: this check makes its closed pipe with Linux's pipe2");
        return;
    }
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr);
    let status = child.wait().expect("wait works");
    assert!(!stderr.contains("panicked"), "{exe} {args:?}: {stderr}");
    assert!(
        !stderr.to_lowercase().contains("broken pipe"),
        "{exe} {args:?}: {stderr}"
    );
    assert_eq!(status.code(), Some(0), "{exe} {args:?}: {stderr}");
}

/// A pipe whose reading end is closed, for a child's stdout: its first write fails with EPIPE.
/// (`O_CLOEXEC`, so that no other test's child inherits the reading end and keeps it open.)
#[cfg(target_os = "linux")]
fn closed_pipe() -> Stdio {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills `fds` with two new descriptors, which are owned from here on.
    let (read, write) = unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0, "pipe2");
        (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
    };
    drop(read);
    Stdio::from(write)
}

#[cfg(not(target_os = "linux"))]
fn closed_pipe() -> Stdio {
    unreachable!("check_closed_stdout returns first")
}

/// Runs `exe` against a stand-in that is stopped a little way into the run, as if the server
/// died, and checks the contract: the run ends within its `--timeout` plus one second of the
/// stop, every site is either read or reported failed, and the exit status is 1.
///
/// `extra` is passed after `--url`s, `--repeat` and `--timeout`.
pub fn check_server_dies_mid_run(exe: &str, extra: &[&str]) {
    let timeout = Duration::from_secs(2);
    let server = StandIn::start(Config {
        latency: Duration::from_millis(20),
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
            "2",
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
        ended_after <= timeout + Duration::from_secs(1),
        "{exe} ended {ended_after:?} after the server died, more than its timeout + 1 s"
    );
}

/// Runs `exe` with each bad command line of the contract and checks that it answers the
/// contract's way: exit status 2, one `error:` line, the usage, nothing on stdout, no panic.
pub fn check_bad_usage(exe: &str) {
    let bad: [&[&str]; 14] = [
        &["--error-rate", "0.6", "--drop-rate", "0.6"],
        &["--workers", "0"],
        &["--repeat", "-1"],
        &["--limit", "abc"],
        &["--url", "not a url"],
        &["--url", "ftp://example.com/"],
        &["--timeout", "0"],
        &["--frobnicate"],
        // Numbers out of their range, each once a panic somewhere.
        &["--timeout", "1e300"],
        &["--timeout", "1e-12"],
        &["--limit", "2305843009213693952"],
        &["--workers", "5000"],
        &["--repeat", "4294967295"],
        &["--latency-ms", "18446744073709551615"],
    ];
    for args in bad {
        let output = Command::new(exe)
            .args(args)
            .output()
            .expect("the program runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{exe} {args:?}: {stderr}");
        assert!(
            output.stdout.is_empty(),
            "{exe} {args:?}: nothing on stdout"
        );
        let mut lines = stderr.lines();
        assert!(
            lines.next().is_some_and(|l| l.starts_with("error: ")),
            "{exe} {args:?}: {stderr}"
        );
        assert_eq!(
            lines.filter(|l| l.starts_with("error")).count(),
            0,
            "{exe} {args:?}: one error line"
        );
        assert!(stderr.contains("Usage: "), "{exe} {args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{exe} {args:?}: {stderr}");
    }
    // Every flag that takes a number says its range in the help.
    let numeric = [
        "--repeat",
        "--workers",
        "--limit",
        "--timeout",
        "--latency-ms",
        "--jitter-ms",
        "--error-rate",
        "--slow-rate",
        "--slow-ms",
        "--drop-rate",
    ];
    check_ranges_in_help(exe, &numeric);
}

/// Runs a CPU program with `args`, checks that it succeeded with exactly one `Sum of results`
/// line and a last `Duration` line, and returns the sum.
pub fn sum_of_results(exe: &str, args: &[&str]) -> u128 {
    let output = Command::new(exe)
        .args(args)
        .output()
        .expect("the program runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{exe} {args:?}: {:?}\n{stdout}",
        output.status
    );
    let lines: Vec<Line> = stdout.lines().map(Line::parse).collect();
    assert!(
        matches!(lines.last(), Some(Line::Duration(secs)) if *secs >= 0.0),
        "{exe} {args:?}: the last line is not `Duration ... seconds`:\n{stdout}"
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
        "{exe} {args:?}: one `Sum of results` line:\n{stdout}"
    );
    sums[0]
}

/// The contract of every CPU program: the article's exact sums at the defaults and for its
/// first number alone (past `u64::MAX`), the closed form's for other numbers and, where the
/// program has `--workers`, for any number of workers; bad arguments exit 2 with the usage.
pub fn check_cpu_program(exe: &str, has_workers: bool) {
    assert_eq!(
        sum_of_results(exe, &[]),
        833_337_833_344_750_010_830,
        "{exe}"
    );
    let first = sum_of_results(exe, &["--start", "5000000", "--count", "1"]);
    assert_eq!(first, 41_666_654_166_667_500_000, "{exe}");
    assert!(first > u128::from(u64::MAX));
    let cases = [
        (0, 0, 1),
        (0, 1, 1),
        (0, 5, 2),
        (1, 3, 7),
        (1000, 7, 3),
        (123_456, 11, 5),
    ];
    for (start, count, workers) in cases {
        let (start_text, count_text) = (start.to_string(), count.to_string());
        let mut args = vec!["--start", &start_text, "--count", &count_text];
        let workers = workers.to_string();
        if has_workers {
            args.extend(["--workers", &workers]);
        }
        assert_eq!(
            sum_of_results(exe, &args),
            expected_sum(start, count),
            "{exe} {args:?}"
        );
    }
    let mut bad: Vec<&[&str]> = vec![
        &["--start", "-1"],
        &["--start=-1"],
        &["--count", "twenty"],
        &["--count", "1.5"],
        &["--start", "1000000001"],
        &["--count", "1000001"],
        &["--bogus"],
    ];
    bad.extend::<[&[&str]; 4]>(match has_workers {
        true => [
            &["--workers", "0"],
            &["--workers", "-2"],
            &["--workers", "five"],
            &["--workers", "20000"],
        ],
        // No pool, no flag for one: the sequential program refuses it.
        false => [
            &["--workers", "2"],
            &["--workers", "1"],
            &["--workers", "0"],
            &["--workers", "20000"],
        ],
    });
    for args in bad {
        let output = Command::new(exe)
            .args(args)
            .output()
            .expect("the program runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{exe} {args:?}: {stderr}");
        assert!(stderr.starts_with("error:"), "{exe} {args:?}: {stderr}");
        assert!(stderr.contains("Usage:"), "{exe} {args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{exe} {args:?}");
    }
    let flags = ["--start", "--count", "--workers"];
    check_ranges_in_help(exe, &flags[..2 + usize::from(has_workers)]);
}

/// Checks that `exe --help` gives every one of `flags` a range (`(1 to 256: ...)`).
fn check_ranges_in_help(exe: &str, flags: &[&str]) {
    let help = Command::new(exe)
        .arg("--help")
        .output()
        .expect("the program runs");
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in flags {
        let line = help.lines().find(|l| l.trim_start().starts_with(flag));
        assert!(
            line.is_some_and(|l| l.contains(" to ")),
            "{exe}: no range in the help of {flag}:\n{help}"
        );
    }
}

/// Disassembles `program`'s `cpu_bound` in `exe` with binutils' `objdump`, and checks that it
/// is a function of its own and that its loop adds to registers, never to memory. Inlined into
/// cpu_multiprocess's worker, whose `writeln!` takes the sum's address, the loop once kept its
/// sum on the stack: the same instructions (callgrind saw no change) at up to twice the time. A
/// check of machine code, not of seconds, so a busy machine cannot make it flaky.
pub fn check_cpu_bound_keeps_its_sum_in_registers(exe: &str, program: &str) {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: this check reads x86-64 machine code");
        return;
    }
    let output = Command::new("objdump")
        .args(["--disassemble", "--no-show-raw-insn", "--demangle", exe])
        .output()
        .expect("objdump runs (binutils, which gcc brings)");
    assert!(output.status.success(), "objdump {exe} failed");
    let disassembly = String::from_utf8_lossy(&output.stdout);
    let function = format!("<{program}::cpu_bound>:");
    let body = function_body(&disassembly, &function)
        .unwrap_or_else(|| panic!("{exe}: no function {program}::cpu_bound, so it was inlined"));
    assert!(
        body.contains("\tmul"),
        "{exe}: {function} multiplies nothing:\n{body}"
    );
    if let Some(add) = add_to_memory(&body) {
        panic!("{exe}: {function} adds to memory (`{add}`), not to registers:\n{body}");
    }
}

/// The lines of one function in `objdump -d` output, from the line after `header` to the blank
/// line that ends it.
fn function_body(disassembly: &str, header: &str) -> Option<String> {
    let mut lines = disassembly
        .lines()
        .skip_while(|line| !line.ends_with(header));
    lines.next()?;
    Some(
        lines
            .take_while(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The first `add` or `adc` whose destination is memory, in AT&T syntax (`add %rax,0x8(%rsp)`).
fn add_to_memory(body: &str) -> Option<&str> {
    body.lines()
        .filter_map(|line| {
            line.split_once(":\t")
                .map(|(_, instruction)| instruction.trim())
        })
        .find(|instruction| {
            let mut parts = instruction.split_whitespace();
            let is_add = matches!(parts.next(), Some("add" | "adc" | "addq" | "adcq"));
            is_add && parts.next().is_some_and(|operands| operands.ends_with(')'))
        })
}

/// Runs `exe` against a stand-in that answers a quarter of requests with HTTP 500 and drops a
/// tenth of its connections (seed 7), and checks that every injected failure was reported and
/// counted, each kind as itself, and that the exit status is 1.
pub fn check_faults_are_counted(exe: &str, extra: &[&str]) {
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
    assert_eq!(log.len(), 60, "{exe}: one request per site, no retries");
    let http_500 = transcript
        .failures
        .iter()
        .filter(|(_, why)| why.contains("500"))
        .count();
    assert_eq!(http_500, errors, "{exe}: {:?}", transcript.failures);
    assert_eq!(
        transcript.failures.len(),
        errors + drops,
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

/// Runs `exe ARGS` to the end, checks it did not panic, and reads its output.
pub fn run(exe: &str, args: &[&str]) -> (Output, Transcript) {
    let output = Command::new(exe)
        .args(args)
        .output()
        .expect("the program runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{exe}: {stderr}");
    let transcript = Transcript::parse(&String::from_utf8_lossy(&output.stdout));
    (output, transcript)
}

/// Runs `exe --url JYTHON --url DICE ARGS` to the end: its exit code and its output, read.
fn run_against(exe: &str, server: &StandIn, args: &[&str]) -> (Option<i32>, Transcript) {
    let [jython, dice] = server.urls();
    let (output, transcript) = run(exe, &[&["--url", &jython, "--url", &dice], args].concat());
    (output.status.code(), transcript)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cpu_multiprocess's worker loop as objdump showed it with `cpu_bound` inlined, the sum at
    /// 0x110(%rsp), and cpu_sequential's with the sum in %rcx:%rsi.
    const ON_THE_STACK: &str = "\
   4d160:\tmov    %rcx,0x90(%rsp)
   4d168:\tinc    %rcx
   4d16b:\tmov    0x90(%rsp),%rax
   4d173:\tmul    %rax
   4d176:\tadd    %rax,0x110(%rsp)
   4d17e:\tadc    %rdx,0x118(%rsp)
   4d186:\tcmp    %rcx,%rbx
   4d189:\tjne    4d160 <cpu_multiprocess::main+0x200>";
    const IN_REGISTERS: &str = "\
   40510:\tmov    %r9,-0x8(%rsp)
   40515:\tinc    %r9
   40518:\tmov    -0x8(%rsp),%rax
   4051d:\tmul    %rax
   40520:\tadd    %rax,%rcx
   40523:\tadc    %rdx,%rsi
   40526:\tcmp    %r9,%rdi
   40529:\tjne    40510 <cpu_sequential::cpu_bound+0x20>";

    #[test]
    fn an_add_to_memory_is_found_and_an_add_to_registers_is_not() {
        assert_eq!(add_to_memory(ON_THE_STACK), Some("add    %rax,0x110(%rsp)"));
        assert_eq!(add_to_memory(IN_REGISTERS), None);
    }

    #[test]
    fn a_function_body_ends_at_the_blank_line() {
        let disassembly = format!(
            "00000000000404f0 <cpu_sequential::cpu_bound>:\n{IN_REGISTERS}\n\n0000000000040540 <next>:\n   40540:\tret"
        );
        let body = function_body(&disassembly, "<cpu_sequential::cpu_bound>:");
        assert_eq!(body.as_deref(), Some(IN_REGISTERS));
        assert_eq!(
            function_body(&disassembly, "<cpu_threads::cpu_bound>:"),
            None
        );
    }
}
