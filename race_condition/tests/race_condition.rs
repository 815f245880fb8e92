//! Runs the three programs for real: each must count exactly 500,000, at the article's 5,000
//! threads and at fewer; bad usage exits 2; a thread the system refuses is an error, not a panic.

use std::process::{Command, Output};

use contract::Line;

const PROGRAMS: [&str; 3] = [
    env!("CARGO_BIN_EXE_race_condition"),
    env!("CARGO_BIN_EXE_race_condition_atomic"),
    env!("CARGO_BIN_EXE_race_condition_sums"),
];

fn run(exe: &str, args: &[&str]) -> Output {
    Command::new(exe)
        .args(args)
        .output()
        .expect("the program runs")
}

/// The counter a successful run printed, after checking the rest of its output.
fn counter(exe: &str, args: &[&str]) -> u64 {
    let out = run(exe, args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{exe} {args:?}: {:?} {stdout}",
        out.status
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{exe} {args:?}: {stdout}");
    assert!(
        matches!(Line::parse(lines[1]), Line::Duration(d) if d >= 0.0),
        "{exe} {args:?}: {stdout}"
    );
    let counter = lines[0].strip_prefix("Counter: ");
    counter
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{exe}: {stdout}"))
}

#[test]
fn every_way_counts_exactly_500000_at_the_articles_5000_threads() {
    for exe in PROGRAMS {
        assert_eq!(counter(exe, &[]), 500_000, "{exe}");
    }
}

#[test]
fn fewer_threads_share_the_same_5000_tasks() {
    // 7 and 3,000 do not divide 5,000: the last thread runs a shorter share.
    for exe in PROGRAMS {
        for workers in ["1", "2", "7", "64", "3000", "5000"] {
            assert_eq!(
                counter(exe, &["--workers", workers]),
                500_000,
                "{exe} {workers}"
            );
        }
    }
}

#[test]
fn bad_usage_exits_2_with_one_error_line() {
    for exe in PROGRAMS {
        for bad in [
            &["--workers", "0"][..],
            &["--workers", "5001"],
            &["--workers", "x"],
            &["-x"],
        ] {
            testkit::program::check_refused(exe, bad);
        }
    }
}

#[cfg(not(target_os = "linux"))]
#[test]
#[ignore = "limits the address space (Linux's RLIMIT_AS) with glibc's malloc arenas"]
fn a_thread_the_system_refuses_is_an_error_line_not_a_panic() {}

// Linux only: it counts on the kernel enforcing `RLIMIT_AS` (macOS does not) and on glibc's
// malloc arenas; Windows has neither `pre_exec` nor rlimits.
#[cfg(target_os = "linux")]
#[test]
fn a_thread_the_system_refuses_is_an_error_line_not_a_panic() {
    use std::os::unix::process::CommandExt;

    // Each thread asks for a 1 GiB stack (`RUST_MIN_STACK`) in 4 GB of address space: as soon
    // as three or four of the 5,000 are alive at once, the next finds no room. One malloc
    // arena for all (glibc's `MALLOC_ARENA_MAX`): a thread's own arena would reserve 64 MiB,
    // and a small malloc could then fail (an abort) before any thread is refused.
    const ADDRESS_SPACE: libc::rlim_t = 4_000_000 << 10;
    for exe in PROGRAMS {
        let mut cmd = Command::new(exe);
        cmd.env("RUST_MIN_STACK", (1u64 << 30).to_string());
        cmd.env("MALLOC_ARENA_MAX", "1");
        // SAFETY: setrlimit is async-signal-safe, and only changes the child about to exec.
        unsafe {
            cmd.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: ADDRESS_SPACE,
                    rlim_max: ADDRESS_SPACE,
                };
                match libc::setrlimit(libc::RLIMIT_AS, &limit) {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                }
            })
        };
        let out = cmd.output().expect("the program runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{exe}: {stderr}");
        assert!(out.stdout.is_empty(), "{exe}: {:?}", out.stdout);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{exe}: {stderr}");
        assert!(
            lines[0].starts_with("Error: cannot start thread "),
            "{exe}: {stderr}"
        );
        assert!(lines[0].contains(" of 5000: "), "{exe}: {stderr}");
    }
}
