//! Checks the tests of every program share: closed pipes, refused threads, a pseudo-terminal,
//! the CPU programs' sums and machine code, written once. The downloaders' checks against a
//! server are in [`crate::downloads`], their command line's in [`crate::usage`].

use std::io::Read;
use std::process::{Command, Output, Stdio};

use contract::{Line, Transcript, expected_sum};

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
        // One malloc arena for every thread (glibc's): a thread's own arena would reserve
        // 64 MiB of the address space, and a malloc could fail before a thread is refused.
        .env("MALLOC_ARENA_MAX", "1")
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
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(closed_pipe(exe))
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

/// A pipe whose reading end is closed, for a child's stdout: its first write fails (EPIPE on
/// Unix, ERROR_NO_DATA on Windows). It is the stdin of `exe --help`, which never reads it and
/// has exited, and so closed the only reading end, by the time this returns. std makes the
/// pipe, on every system, and keeps its ends from leaking into other tests' children.
fn closed_pipe(exe: &str) -> Stdio {
    let mut reader = Command::new(exe)
        .arg("--help")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the program starts");
    let write = reader.stdin.take().expect("stdin is piped");
    reader.wait().expect("wait works");
    Stdio::from(write)
}

/// Starts `cmd` on a new pseudo-terminal, as a user's terminal would run it (its stdin, stdout
/// and stderr), and returns it with a channel of everything it writes there; the channel ends
/// when no process holds the terminal any more.
#[cfg(unix)]
pub fn spawn_on_pty(mut cmd: Command) -> (std::process::Child, std::sync::mpsc::Receiver<Vec<u8>>) {
    use std::fs::File;
    use std::os::fd::{FromRawFd, OwnedFd};

    let (mut master, mut slave) = (-1, -1);
    // Null pointers: no name wanted, the default settings and size. They are `null_mut` because
    // Apple's libc declares all three arguments `*mut` (Linux's takes the last two as `*const`,
    // and a `*mut` coerces to that), so the one call compiles on both.
    let (name, termios, size) = (
        std::ptr::null_mut(),
        std::ptr::null_mut(),
        std::ptr::null_mut(),
    );
    // SAFETY: openpty writes two new file descriptors, which we then own.
    let rc = unsafe { libc::openpty(&mut master, &mut slave, name, termios, size) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let (mut master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    cmd.stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave);
    let child = cmd.spawn().unwrap();
    // `cmd` is dropped here with our copies of the terminal's slave side: from now on only the
    // program (and its children) hold it open.
    drop(cmd);
    let (tx, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0; 4096];
        // Linux answers EIO once no process holds the slave side open any more.
        while let Ok(n @ 1..) = master.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    (child, output)
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
/// program has `--workers`, for any number of workers; bad arguments exit 2 with clap's message,
/// and so does `--workers` where there are no workers.
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
        let stderr = check_refused(exe, args);
        if !has_workers && args[0] == "--workers" {
            // In clap's own words, with its tips.
            let unexpected = "error: unexpected argument '--workers' found";
            assert!(stderr.starts_with(unexpected), "{exe} {args:?}: {stderr}");
        }
    }
    let flags = ["--start", "--count", "--workers"];
    check_ranges_in_help(exe, &flags[..2 + usize::from(has_workers)]);
}

/// Runs `exe ARGS`, which must be refused clap's way: exit status 2, nothing on stdout, one
/// `error:` line first, a pointer to `--help`, no panic. Returns stderr for the caller's own
/// checks.
pub fn check_refused(exe: &str, args: &[&str]) -> String {
    let output = Command::new(exe)
        .args(args)
        .output()
        .expect("the program runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
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
    assert!(stderr.contains("'--help'"), "{exe} {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{exe} {args:?}: {stderr}");
    stderr
}

/// Checks that `exe --help` gives every one of `flags` a range (`(1 to 256: ...)`).
pub fn check_ranges_in_help(exe: &str, flags: &[&str]) {
    let help = Command::new(exe)
        .arg("--help")
        .output()
        .expect("the program runs");
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in flags {
        // The flag's entry: its line and the lines clap wrapped it onto, up to the next flag.
        let mut lines = help
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(flag));
        let first = lines.next().into_iter();
        let rest = lines.take_while(|l| !l.trim().is_empty() && !l.trim_start().starts_with('-'));
        let entry: Vec<&str> = first.chain(rest).flat_map(str::split_whitespace).collect();
        // "(1 to 1000: ...", "(0.001 to 3600)": a number, "to", a number.
        let is_range = |w: &[&str]| {
            w[0].ends_with(|c: char| c.is_ascii_digit())
                && w[1] == "to"
                && w[2].starts_with(|c: char| c.is_ascii_digit())
        };
        assert!(
            entry.windows(3).any(is_range),
            "{exe}: no range in the help of {flag}:\n{help}"
        );
    }
}

/// Disassembles `program`'s `cpu_bound` in `exe` with binutils' `objdump`, and checks that it
/// is a function of its own and that its loop adds to registers, never to memory. Inlined into
/// cpu_multiprocess's worker, whose `writeln!` takes the sum's address, the loop once kept its
/// sum on the stack: the same instructions (callgrind saw no change) at up to twice the time. A
/// check of machine code, not of seconds, so a busy machine cannot make it flaky. x86-64 on
/// Unix only: the tests that call it are ignored elsewhere, and say so.
pub fn check_cpu_bound_keeps_its_sum_in_registers(exe: &str, program: &str) {
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
