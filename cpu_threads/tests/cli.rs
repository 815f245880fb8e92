//! Runs the `cpu_threads` and `cpu_rayon` binaries and checks their output with the shared
//! contract's parser: the same sums as the sequential program, for any number of workers.

use std::process::{Command, Output};

use sites::contract::Line;

const BINS: [&str; 2] = [
    env!("CARGO_BIN_EXE_cpu_threads"),
    env!("CARGO_BIN_EXE_cpu_rayon"),
];

/// The sum of the squares below n, in closed form: n(n-1)(2n-1)/6.
fn closed_form(n: u64) -> u128 {
    let n = u128::from(n);
    n * n.saturating_sub(1) * (2 * n).saturating_sub(1) / 6
}

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs with `args`, checks the run succeeded and ended with a `Duration` line, returns its sum.
fn sum_of_results(bin: &str, args: &[&str]) -> u128 {
    let out = run(bin, args);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert!(
        out.status.success(),
        "{bin} {args:?}: {:?}\n{stdout}",
        out.status
    );
    let lines: Vec<Line> = stdout.lines().map(Line::parse).collect();
    assert!(
        matches!(lines.last(), Some(Line::Duration(secs)) if *secs >= 0.0),
        "{bin} {args:?}: the last line is not `Duration ... seconds`:\n{stdout}"
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
        "{bin} {args:?}: one `Sum of results` line:\n{stdout}"
    );
    sums[0]
}

#[test]
fn the_defaults_give_the_articles_sum() {
    for bin in BINS {
        assert_eq!(
            sum_of_results(bin, &[]),
            833_337_833_344_750_010_830,
            "{bin}"
        );
    }
}

#[test]
fn the_first_number_alone_is_past_u64() {
    for bin in BINS {
        let sum = sum_of_results(bin, &["--start", "5000000", "--count", "1"]);
        assert_eq!(sum, 41_666_654_166_667_500_000, "{bin}");
    }
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
    for bin in BINS {
        for (start, count, workers) in cases {
            let expected: u128 = (start..start + count).map(closed_form).sum();
            let (start, count) = (start.to_string(), count.to_string());
            let workers = workers.to_string();
            let args = ["--start", &start, "--count", &count, "--workers", &workers];
            assert_eq!(sum_of_results(bin, &args), expected, "{bin} {args:?}");
        }
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
    for bin in BINS {
        for args in bad {
            let out = run(bin, args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{bin} {args:?}: {stderr}");
            assert!(stderr.contains("error:"), "{bin} {args:?}: {stderr}");
            assert!(stderr.contains("Usage:"), "{bin} {args:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{bin} {args:?}");
        }
    }
}
