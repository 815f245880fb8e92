//! The check of the downloaders' command line that every downloader's tests share.

use crate::program::{check_ranges_in_help, check_refused};

/// The flags that only some downloaders have: `--workers` (io_threads, io_multiprocess) and
/// `--limit` (the io_async programs).
pub const OWN_FLAGS: [&str; 2] = ["--workers", "--limit"];

/// The numeric flags every Rust downloader has: the shared ones and the stand-in's.
pub const SHARED_NUMERIC: [&str; 8] = [
    "--repeat",
    "--timeout",
    "--latency-ms",
    "--jitter-ms",
    "--error-rate",
    "--slow-rate",
    "--slow-ms",
    "--drop-rate",
];

/// Runs `exe` with each bad command line of the contract and checks that it answers clap's way:
/// exit status 2, one `error:` line, a pointer to `--help`, nothing on stdout, no panic. `own`
/// are the flags of [`OWN_FLAGS`] that `exe` has: their bad values are refused, and the others,
/// `io_sequential --limit 5`, are refused as flags it does not have.
pub fn check_bad_usage(exe: &str, own: &[&str]) {
    check_bad_usage_with(exe, own, &SHARED_NUMERIC);
}

/// [`check_bad_usage`] for a downloader whose other numeric flags are only `shared` (the Python
/// originals have no stand-in of their own): each must say its range in `--help`.
pub fn check_bad_usage_with(exe: &str, own: &[&str], shared: &[&str]) {
    let mut bad: Vec<Vec<&str>> = [
        &["--error-rate", "0.6", "--drop-rate", "0.6"][..],
        &["--repeat", "-1"],
        &["--url", "not a url"],
        &["--url", "ftp://example.com/"],
        &["--timeout", "0"],
        &["--frobnicate"],
        // Numbers out of their range, each once a panic somewhere.
        &["--timeout", "1e300"],
        &["--timeout", "1e-12"],
        &["--repeat", "4294967295"],
        &["--latency-ms", "18446744073709551615"],
    ]
    .map(<[&str]>::to_vec)
    .to_vec();
    let mut numeric = shared.to_vec();
    let mut unknown = Vec::new();
    for flag in OWN_FLAGS {
        // Two bad values, and one that would be good if the program had the flag.
        let [bad_value, too_big, good] = match flag {
            "--workers" => ["0", "5000", "3"],
            _ => ["abc", "2305843009213693952", "5"],
        };
        if own.contains(&flag) {
            numeric.push(flag);
            bad.extend([vec![flag, bad_value], vec![flag, too_big]]);
        } else {
            unknown.push(vec![flag, good]);
        }
    }
    for args in &bad {
        check_refused(exe, args);
    }
    // A flag the program does not have is named as such, in clap's words.
    for args in &unknown {
        let stderr = check_refused(exe, args);
        let expected = format!("error: unexpected argument '{}' found", args[0]);
        assert!(stderr.starts_with(&expected), "{exe} {args:?}: {stderr}");
    }
    // Every flag that takes a number says its range in the help.
    check_ranges_in_help(exe, &numeric);
}
