//! Runs the `cpu_sequential` binary and checks its output with the shared contract's parser.

use std::process::{Command, Output};

use sites::contract::Line;

const BIN: &str = env!("CARGO_BIN_EXE_cpu_sequential");

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
    assert!(sum > u128::from(u64::MAX));
}

#[test]
fn other_numbers_agree_with_the_closed_form() {
    for (start, count) in [(0, 0), (0, 1), (0, 5), (1, 3), (1000, 7), (123_456, 4)] {
        let expected: u128 = (start..start + count).map(closed_form).sum();
        let (start, count) = (start.to_string(), count.to_string());
        let args = ["--start", start.as_str(), "--count", count.as_str()];
        assert_eq!(sum_of_results(&args), expected, "{args:?}");
    }
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    let bad: [&[&str]; 7] = [
        &["--start", "-1"],
        &["--start=-1"],
        &["--count", "twenty"],
        &["--count", "1.5"],
        &["--start", "1000000001"],
        &["--workers", "2"],
        &["--bogus"],
    ];
    for args in bad {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error:") && stderr.contains("Usage:"),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
