//! Runs every flags program for real against its built-in stand-in on 127.0.0.1: the flags it
//! saves, its counts beside the stand-in's own tally, its progress bar on a pseudo-terminal and
//! not in a pipe, and its bad command lines.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use stand_in::counts::{Counts, parse_downloads};
use stand_in::flags::{country, flag_gif};

const FLAGS: &str = env!("CARGO_BIN_EXE_flags");
const THREADPOOL: &str = env!("CARGO_BIN_EXE_flags_threadpool");
const ASYNCIO: &str = env!("CARGO_BIN_EXE_flags_asyncio");
const SEQUENTIAL2: &str = env!("CARGO_BIN_EXE_flags2_sequential");
const THREADPOOL2: &str = env!("CARGO_BIN_EXE_flags2_threadpool");
const ASYNCIO2: &str = env!("CARGO_BIN_EXE_flags2_asyncio");
const ASYNCIO3: &str = env!("CARGO_BIN_EXE_flags3_asyncio");

/// flags.py and its two concurrent versions: `N downloads in S s`.
const FIRST: [&str; 3] = [FLAGS, THREADPOOL, ASYNCIO];
/// The flags2 programs and flags3: counts by status.
const COUNTING: [&str; 4] = [SEQUENTIAL2, THREADPOOL2, ASYNCIO2, ASYNCIO3];

const POP20: [&str; 20] = [
    "BD", "BR", "CD", "CN", "DE", "EG", "ET", "FR", "ID", "IN", "IR", "JP", "MX", "NG", "PH", "PK",
    "RU", "TR", "US", "VN",
];

/// A fresh, empty directory of this test's own.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("flags-{name}"));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn name_of(bin: &str) -> &str {
    bin.rsplit('/').next().unwrap()
}

/// Runs `bin` piped, with 5 ms of latency and its files saved to `dir`.
fn run(bin: &str, dir: &PathBuf, args: &[&str]) -> Output {
    Command::new(bin)
        .args(["--latency-ms", "5", "--dir"])
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The files in `dir`, by name.
fn saved(dir: &PathBuf) -> BTreeSet<String> {
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// The file a program saves for `cc`: `{CC}.gif`, or flags3's `{Country_Name}.gif`.
fn file_name(bin: &str, cc: &str) -> String {
    match bin == ASYNCIO3 {
        true => format!("{}.gif", country(cc).unwrap().replace(' ', "_")),
        false => format!("{cc}.gif"),
    }
}

#[test]
fn every_program_saves_the_20_flags() {
    for bin in FIRST.into_iter().chain(COUNTING) {
        let dir = fresh_dir(&format!("all-{}", name_of(bin)));
        let out = run(bin, &dir, &[]);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{bin}: {stdout}{}",
            text(&out.stderr)
        );
        if FIRST.contains(&bin) {
            assert_eq!(
                parse_downloads(&stdout).map(|d| d.0),
                Some(20),
                "{bin}: {stdout}"
            );
            let codes: BTreeSet<&str> = stdout.lines().next().unwrap().split_whitespace().collect();
            assert_eq!(codes, BTreeSet::from(POP20), "{bin} prints each code");
        } else {
            let (counts, _) = Counts::parse(&stdout).unwrap_or_else(|| panic!("{bin}: {stdout}"));
            assert_eq!(
                counts,
                Counts {
                    ok: 20,
                    not_found: 0,
                    errors: 0
                },
                "{bin}"
            );
        }
        let expected: BTreeSet<String> = POP20.iter().map(|cc| file_name(bin, cc)).collect();
        assert_eq!(saved(&dir), expected, "{bin}");
        for cc in POP20 {
            let bytes = fs::read(dir.join(file_name(bin, cc))).unwrap();
            assert_eq!(bytes, flag_gif(cc), "{bin}: {cc}'s flag as served");
        }
    }
}

#[test]
fn unknown_codes_are_not_found_not_errors() {
    for bin in COUNTING {
        let dir = fresh_dir(&format!("unknown-{}", name_of(bin)));
        let out = run(bin, &dir, &["zz", "QQ", "us"]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{bin}: {stdout}");
        let (counts, _) = Counts::parse(&stdout).unwrap();
        assert_eq!(
            counts,
            Counts {
                ok: 1,
                not_found: 2,
                errors: 0
            },
            "{bin}: {stdout}"
        );
        assert!(stdout.contains("  2 not found.\n"), "{bin}: {stdout}");
        assert_eq!(saved(&dir), BTreeSet::from([file_name(bin, "US")]), "{bin}");
    }
}

/// The stand-in's last line, `Local stand-in: 26 requests: 13 ok, 6 HTTP 500 (injected), 7
/// HTTP 404`, as counts of flags (one request per flag).
fn tally(stderr: &str) -> Counts {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Local stand-in: "))
        .unwrap_or_else(|| panic!("no tally: {stderr}"));
    let mut counts = Counts::default();
    for part in line.split_once("requests: ").unwrap().1.split(", ") {
        let (n, what) = part.split_once(' ').unwrap();
        let n: usize = n.parse().unwrap();
        match what {
            "ok" | "slow" => counts.ok += n,
            "HTTP 404" => counts.not_found += n,
            _ => counts.errors += n,
        }
    }
    counts
}

#[test]
fn with_errors_injected_the_counts_are_the_stand_ins_and_only_ok_flags_are_saved() {
    // 26 codes (BA..BZ: 17 flags, 9 missing), a quarter of the answers turned into 500s. The
    // fates go by request number, so seed 7 injects the same number of errors every run.
    for bin in [SEQUENTIAL2, THREADPOOL2, ASYNCIO2] {
        let dir = fresh_dir(&format!("errors-{}", name_of(bin)));
        let out = run(
            bin,
            &dir,
            &["b", "-v", "--error-rate", "0.25", "--seed", "7"],
        );
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        let (counts, _) = Counts::parse(&stdout).unwrap_or_else(|| panic!("{bin}: {stdout}"));
        assert!(
            counts.errors > 0 && counts.ok > 0 && counts.not_found > 0,
            "{bin}: {stdout}"
        );
        assert_eq!(counts.ok + counts.not_found + counts.errors, 26);
        assert_eq!(counts, tally(&stderr), "{bin}: {stdout}{stderr}");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{bin}: errors mean exit status 1"
        );
        // `-v` says which ones were OK; exactly those were saved.
        let ok: BTreeSet<String> = stdout
            .lines()
            .filter_map(|l| l.strip_suffix(" OK"))
            .map(|cc| format!("{cc}.gif"))
            .collect();
        assert_eq!(ok.len(), counts.ok, "{bin}: {stdout}");
        assert_eq!(saved(&dir), ok, "{bin}");
        let errors = stdout
            .lines()
            .filter(|l| l.contains(" error: HTTP error 500"))
            .count();
        assert_eq!(errors, counts.errors, "{bin}: {stdout}");
    }
}

#[test]
fn flags3_counts_a_country_whose_second_step_failed_as_an_error() {
    let dir = fresh_dir("errors-flags3");
    let out = run(
        ASYNCIO3,
        &dir,
        &["-v", "--error-rate", "0.3", "--seed", "2"],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let (counts, _) = Counts::parse(&stdout).unwrap();
    // The tally counts requests, two per OK country: every injected 500 is one country's error,
    // at its flag or at its metadata (after a good flag, which the tally counts as ok).
    let requests = tally(&stderr);
    assert!(counts.errors > 0 && counts.ok > 0, "{stdout}");
    assert_eq!(counts.errors, requests.errors, "{stdout}{stderr}");
    assert!(requests.ok >= 2 * counts.ok && requests.ok <= 2 * counts.ok + counts.errors);
    let ok: BTreeSet<String> = stdout
        .lines()
        .filter_map(|l| l.strip_suffix(" OK"))
        .map(|cc| file_name(ASYNCIO3, cc))
        .collect();
    assert_eq!((ok.len(), saved(&dir)), (counts.ok, ok), "{stdout}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_first_programs_stop_at_the_first_error() {
    for bin in FIRST {
        let dir = fresh_dir(&format!("stop-{}", name_of(bin)));
        let out = run(bin, &dir, &["--error-rate", "1"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bin}: {stderr}");
        assert!(
            stderr.contains("Error: cannot download ") && stderr.contains("500"),
            "{stderr}"
        );
        assert!(saved(&dir).is_empty());
    }
}

#[test]
fn bad_command_lines_exit_2() {
    let dir = fresh_dir("bad");
    for bin in FIRST.into_iter().chain(COUNTING) {
        let mut bad = vec![
            &["-s", "NOWHERE"][..],
            &["--error-rate", "2"],
            &["-s", "ftp://x/"],
        ];
        if COUNTING.contains(&bin) {
            bad.extend([
                &["-m", "0"][..],
                &["-l", "0"],
                &["1"],
                &["abc"],
                &["-m", "x"],
            ]);
        }
        for args in bad {
            let out = run(bin, &dir, args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{bin} {args:?}: {stderr}");
            assert!(stderr.starts_with("error: "), "{bin} {args:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{bin} {args:?} ran anyway");
        }
    }
}

#[test]
fn the_progress_bar_shows_on_a_terminal_and_not_in_a_pipe() {
    for bin in COUNTING {
        let dir = fresh_dir(&format!("bar-{}", name_of(bin)));
        let piped = run(bin, &dir, &[]);
        let stdout = text(&piped.stdout);
        assert!(
            !stdout.contains(['\r', '\x1b']),
            "{bin} drew into a pipe: {stdout:?}"
        );
        assert!(!stdout.contains("20/20"), "{bin}: {stdout:?}");

        // A terminal: Unix only, where the test can open a pseudo-terminal.
        #[cfg(unix)]
        {
            let (code, screen) = on_pty(bin, &dir, &[]);
            assert_eq!(code, Some(0), "{bin}: {screen:?}");
            assert!(
                screen.contains("20/20") && screen.contains("100%"),
                "{bin}: {screen:?}"
            );
            assert!(screen.contains("20 flags downloaded."), "{bin}: {screen:?}");
            // The rate as tqdm's, two decimals and `it/s`, not indicatif's `186.9875/s`.
            let (drawn, _) = screen.rsplit_once("it/s").expect("a rate");
            let rate = drawn.rsplit(' ').next().unwrap();
            let decimals = rate.split_once('.').map(|(_, d)| d.len());
            assert!(
                rate.parse::<f64>().is_ok() && decimals == Some(2),
                "{bin}: {rate:?} in {screen:?}"
            );
            // `-v` prints a line per flag instead of the bar.
            let (_, verbose) = on_pty(bin, &dir, &["-v"]);
            assert!(
                !verbose.contains("20/20") && verbose.contains("US OK"),
                "{bin}: {verbose:?}"
            );
        }
    }
}

/// Runs `bin` with a pseudo-terminal as its stdin, stdout and stderr; returns its exit code and
/// everything it wrote there.
#[cfg(unix)]
fn on_pty(bin: &str, dir: &PathBuf, args: &[&str]) -> (Option<i32>, String) {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    let mut cmd = Command::new(bin);
    cmd.args(["--latency-ms", "5", "--dir"]).arg(dir).args(args);
    let (mut child, output) = testkit::program::spawn_on_pty(cmd);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        match output.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(chunk) => seen.extend(chunk),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!(
                    "{bin} still holds the terminal: {:?}",
                    String::from_utf8_lossy(&seen)
                );
            }
        }
    }
    (
        child.wait().unwrap().code(),
        String::from_utf8_lossy(&seen).into_owned(),
    )
}
