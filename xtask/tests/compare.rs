//! `cargo xtask compare`, `sweep` and `sweep-servers` as real processes: every row verified, every
//! file written.
//!
//! These build the workspace's programs in release (slow the first time) and run them small.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `cargo xtask TASK ARGS`, writing its report to a directory of the test's own (the
/// tests run at the same time).
fn xtask(args: &[&str]) -> Output {
    let (task, args) = args.split_first().expect("a task");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("xtask-{}", args.join("_")));
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg(task)
        .args(args)
        .arg("--out-dir")
        .arg(out_dir)
        .env(
            "CARGO",
            std::env::var_os("CARGO").unwrap_or(env!("CARGO").into()),
        )
        .output()
        .expect("xtask runs");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

/// The files the run says it wrote, by file name.
fn written(output: &Output) -> Vec<PathBuf> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("Wrote "))
        .map(PathBuf::from)
        .collect()
}

fn file<'a>(files: &'a [PathBuf], name: &str) -> &'a PathBuf {
    files
        .iter()
        .find(|f| f.file_name().is_some_and(|n| n == name))
        .unwrap_or_else(|| panic!("{name} not written: {files:?}"))
}

fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_svg(text: &str) {
    assert!(text.starts_with("<svg "), "{text}");
    assert!(text.trim_end().ends_with("</svg>"), "{text}");
    assert_eq!(text.matches("<svg").count(), 1);
}

#[test]
fn compare_quick_verifies_every_program_and_writes_every_file() {
    let output = xtask(&["compare", "--quick"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    let files = written(&output);
    let report: Value = serde_json::from_str(&read(file(&files, "compare.json"))).unwrap();
    let rows = report["rows"].as_array().unwrap();
    // The first 16 (downloaders, CPU programs, spinners), spinner_async_unblocked, 8 async
    // basics rows (gevent_pool at three settings), 3 race_condition programs and 7 flags ones.
    assert_eq!(rows.len(), 35, "every program has a row");
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r["verified"] != true)
        .map(|r| format!("{}: {}", r["program"], r["failure"]))
        .collect();
    assert!(failed.is_empty(), "not verified: {failed:#?}");
    assert!(output.status.success());

    let sites = report["settings"]["sites"].as_u64().unwrap();
    assert_eq!(sites, 10, "--quick downloads 5 x 2 sites");
    for row in rows {
        let figures = &row["figures"];
        assert!(figures["wall_seconds"].as_f64().unwrap() > 0.0, "{row}");
        if row["family"] == "io" {
            // The timeline has one bar per download.
            let svg = read(file(&files, row["timeline"].as_str().unwrap()));
            assert_svg(&svg);
            assert!(svg.contains(&format!("{sites} requests over ")), "{svg}");
            assert!(svg.matches("<rect").count() as u64 > sites, "{svg}");
        }
        if matches!(
            row["family"].as_str(),
            Some("cpu" | "async" | "race" | "flags")
        ) {
            assert!(figures["own_seconds"].as_f64().is_some(), "{row}");
        }
    }
    // Each program with an original in python/ has it beside it: run and verified, with a
    // ratio where both print their own time, or (no Python here) one word saying why.
    let python: Vec<&Value> = rows
        .iter()
        .filter(|r| !r["python_here"].is_null())
        .collect();
    assert_eq!(python.len(), 9, "seven Real Python programs, two spinners");
    for row in python {
        let here = &row["python_here"];
        match here["unavailable"].as_str() {
            Some(word) => assert!(!word.contains(' '), "one word: {word}"),
            None => {
                assert_eq!(here["verified"], true, "{row}");
                if row["family"] == "io" {
                    assert!(row["vs_python"].as_f64().is_some_and(|r| r > 0.0), "{row}");
                }
            }
        }
    }
    let threads = read(file(&files, "timeline-io_threads.svg"));
    assert!(threads.contains("over 5 connections"), "{threads}");
    let bars = read(file(&files, "wall-times.svg"));
    assert_svg(&bars);
    let markdown = read(file(&files, "compare.md"));
    assert!(
        markdown.contains("](wall-times.svg)") && markdown.contains("](timeline-io_async.svg)")
    );
    assert!(markdown.contains("| io_multiprocess "));
    // The machine's own ceiling, measured in the CPU rounds: copies of cpu_sequential at once;
    // from --quick's work, too small to time, it is not shown.
    let cores = report["cores_worth"]
        .as_f64()
        .expect("cores_worth is measured");
    assert!(cores > 0.0, "{cores}");
    assert!(!stdout.contains("cores' worth"), "{stdout}");
    assert!(!markdown.contains("cores' worth"), "{markdown}");
    // --quick's CPU work is too small to time: it says so, and its rows show no speedup and no
    // ratio to Python.
    for row in rows.iter().filter(|r| r["family"] == "cpu") {
        assert!(
            row["speedup"].is_null() && row["vs_python"].is_null(),
            "{row}"
        );
    }
    assert!(stdout.contains("too small to time"), "{stdout}");
    assert!(markdown.contains("too small to time"), "{markdown}");
    assert_explains_itself_within_80_columns(&stdout);
}

/// A legend under the table says what each column the terminal shows is, and what `-` is; and
/// piped, as here, every line but the files' paths fits in 80 columns.
fn assert_explains_itself_within_80_columns(stdout: &str) {
    let (table, rest) = stdout.split_once("\n\n").expect("a table, then the rest");
    // The headers, some wrapped over two lines, above a rule of dashes.
    let headers: Vec<&str> = (table.lines())
        .take_while(|l| !l.starts_with('-'))
        .flat_map(str::split_whitespace)
        .collect();
    for column in ["own", "peak mem", "speedup", "vs Python"] {
        let shown = column.split(' ').all(|word| headers.contains(&word));
        assert!(shown, "{column}: {headers:?}");
        let legend = rest.lines().find(|line| line.starts_with(column));
        assert!(legend.is_some(), "no legend for {column}: {rest}");
    }
    assert!(rest.contains("\nPython (here) "), "{rest}");
    assert!(rest.lines().any(|line| line.starts_with("- ")), "{rest}");
    let wide: Vec<&str> = (stdout.lines())
        .filter(|line| !line.starts_with("Wrote "))
        .filter(|line| line.chars().count() > 80)
        .collect();
    assert!(wide.is_empty(), "wider than 80 columns: {wide:#?}");
}

#[test]
fn with_faults_a_row_is_verified_when_the_failures_are_the_injected_ones() {
    let output = xtask(&[
        "compare",
        "--only",
        "io_threads",
        "--runs",
        "1",
        "--repeat",
        "20",
        "--latency-ms",
        "5",
        "--error-rate",
        "0.2",
        "--drop-rate",
        "0.1",
        "--seed",
        "3",
    ]);
    let files = written(&output);
    let report: Value = serde_json::from_str(&read(file(&files, "compare.json"))).unwrap();
    let row = &report["rows"][0];
    assert_eq!(row["program"], "io_threads");
    assert_eq!(row["verified"], true, "{row}");
    let faults = &row["faults"];
    assert!(
        faults["failed"].as_u64().unwrap() > 0,
        "seed 3 injects faults: {faults}"
    );
    assert_eq!(faults["http_500"], faults["injected_errors"], "{faults}");
    assert_eq!(faults["other"], faults["injected_drops"], "{faults}");
}

#[test]
fn a_pattern_that_matches_nothing_is_bad_usage() {
    let output = xtask(&["compare", "--only", "no_such_program"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no_such_program"), "{stderr}");
    let output = xtask(&["compare", "--quick", "--runs", "2"]);
    assert_eq!(output.status.code(), Some(2), "--quick picks the runs");
}

#[test]
fn bad_command_lines_exit_2_with_clap_s_own_message() {
    // clap's own rendering: usage where it helps (an unknown subcommand), and always a pointer
    // to `--help`.
    for (args, expected) in [
        (&["compare", "--runs", "0"][..], "try '--help'"),
        (&["compare", "--error-rate", "2"], "try '--help'"),
        // Checked here, as the spinners would check them, not passed on to fail every row.
        (&["compare", "--spinner-seconds", "nan"], "try '--help'"),
        (&["compare", "--spinner-seconds", "1e300"], "try '--help'"),
        (
            &["compare", "--run-limit", "18446744073709551615"],
            "try '--help'",
        ),
        (&["sweep", "--workers", "0"], "try '--help'"),
        (&["sweep", "--program", "cpu_sequential"], "try '--help'"),
        (&["serve", "--port", "99999"], "try '--help'"),
        (&["frobnicate"], "Usage: cargo xtask"),
    ] {
        let output = xtask(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn sweep_measures_every_combination() {
    let output = xtask(&[
        "sweep",
        "--program",
        "io_threads",
        "--workers",
        "1,4",
        "--sites",
        "8,20",
        "--latency-ms",
        "5",
    ]);
    println!("{}", String::from_utf8_lossy(&output.stdout));
    let files = written(&output);
    let report: Value = serde_json::from_str(&read(file(&files, "sweep-io_threads.json"))).unwrap();
    let rows = report["rows"].as_array().unwrap();
    let combinations: Vec<(u64, u64)> = rows
        .iter()
        .map(|r| (r["value"].as_u64().unwrap(), r["sites"].as_u64().unwrap()))
        .collect();
    assert_eq!(combinations, [(1, 8), (4, 8), (1, 20), (4, 20)]);
    for row in rows {
        assert_eq!(row["verified"], true, "{row}");
        assert_eq!(row["flag"], "--workers");
    }
    assert!(output.status.success());
    let chart = read(file(&files, "sweep-io_threads.svg"));
    assert_svg(&chart);
    // Two numbers of sites, and the article's line, each in the legend.
    for name in ["8 sites", "20 sites", "Python, the article&apos;s run"] {
        assert!(chart.contains(&format!("\n{name}\n</text>")), "{chart}");
    }
    let markdown = read(file(&files, "sweep-io_threads.md"));
    assert!(markdown.contains("| 20 sites |") && markdown.contains("](sweep-io_threads.svg)"));
}

#[test]
fn sweep_skips_what_would_take_too_long() {
    let output = xtask(&[
        "sweep",
        "--program",
        "io_async",
        "--workers",
        "2",
        "--sites",
        "4,2000",
        "--latency-ms",
        "50",
        "--max-seconds",
        "1",
    ]);
    let files = written(&output);
    let report: Value = serde_json::from_str(&read(file(&files, "sweep-io_async.json"))).unwrap();
    let rows = report["rows"].as_array().unwrap();
    // An async program runs first at the cap it takes on its own (download_cli decides it),
    // given as --limit since the sites are the sweep's stand-in's; it says so, and the report
    // keeps what it said.
    assert_eq!(rows[0]["flag"], "--limit");
    assert_eq!(rows[0]["value"], 1000, "{}", rows[0]);
    assert_eq!(rows[0]["default"], "the stand-in's default", "{}", rows[0]);
    assert_eq!(rows[0]["said_cap"], 1000, "{}", rows[0]);
    assert_eq!(rows[0]["verified"], true, "{}", rows[0]);
    let row = |value: u64, sites: u64| {
        rows.iter()
            .find(|r| r["value"] == value && r["sites"] == sites)
            .unwrap_or_else(|| panic!("no row for {value} and {sites}: {rows:?}"))
    };
    assert_eq!(row(2, 4)["verified"], true, "{}", row(2, 4));
    assert!(
        row(2, 2000)["skipped"].as_str().unwrap().contains("50.0 s"),
        "{}",
        row(2, 2000)
    );
}

#[test]
fn a_sweep_with_faults_shows_each_rows_failures_beside_the_injected_ones() {
    let output = xtask(&[
        "sweep",
        "--program",
        "io_async",
        "--workers",
        "3,40",
        "--sites",
        "40",
        "--latency-ms",
        "5",
        "--error-rate",
        "0.25",
        "--drop-rate",
        "0.1",
        "--seed",
        "7",
    ]);
    let files = written(&output);
    let report: Value = serde_json::from_str(&read(file(&files, "sweep-io_async.json"))).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "the default, --limit 3 and --limit 40");
    for row in rows {
        assert_eq!(row["verified"], true, "{row}");
        let faults = &row["faults"];
        assert!(faults["injected_errors"].as_u64().unwrap() > 0, "{row}");
        assert_eq!(faults["http_500"], faults["injected_errors"], "{row}");
        assert_eq!(faults["other"], faults["injected_drops"], "{row}");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("the stand-in injected"), "{stdout}");
}

#[test]
fn against_an_earlier_run_prints_both_side_by_side_with_the_ratio() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let old = dir.join("against-old.json");
    let row = r#"{"program": "cpu_sequential", "verified": true,
                  "figures": {"own_seconds": 1000.0, "sampled": {"all_processes_kib": 1024}}}"#;
    std::fs::write(&old, format!(r#"{{"rows": [{row}]}}"#)).unwrap();
    let old = old.to_str().unwrap();
    let output = xtask(&["compare", "--quick", "--only", "cpu_seq", "--against", old]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains(&format!("Against {old}")), "{stdout}");
    let line = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Against"))
        .find(|l| l.starts_with("cpu_sequential"))
        .unwrap_or_else(|| panic!("no row: {stdout}"));
    // 1000 s before, a few milliseconds now: a ratio far under 1.
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cells[..3], ["cpu_sequential", "1000.0", "s"], "{line}");
    assert!(
        cells.contains(&"0.00x") && line.contains("1.0 MiB"),
        "{line}"
    );
    // Not a compare.json: an error before anything runs.
    let output = xtask(&["compare", "--quick", "--against", "Cargo.toml"]);
    assert!(!output.status.success());
}

#[test]
fn the_servers_family_checks_every_answer_and_shows_the_sequential_servers_lesson() {
    let output = xtask(&["compare", "--quick", "--only", "finder"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let rows: Vec<Value> = serde_json::from_str(&read(file(&written(&output), "servers.json")))
        .expect("servers.json is JSON");
    let row = |server: &str, load: &str| {
        (rows.iter())
            .find(|r| r["server"] == server && r["load"] == load)
            .unwrap_or_else(|| panic!("no {server} {load} row: {stdout}"))
    };
    for (server, load) in [
        ("tcp_charfinder", "busy"),
        ("tcp_charfinder", "idle"),
        ("tcp_charfinder_threads", "busy"),
        ("tcp_charfinder_threads", "idle"),
        ("http_charfinder", "http"),
    ] {
        let row = row(server, load);
        assert_eq!(row["verified"], true, "{row}");
        assert_eq!(row["wrong"], 0, "{row}");
        assert_eq!(row["answered"], row["asked"], "{row}");
    }
    // The async and threaded servers hold every idle client, and answer the active ones.
    assert_eq!(row("tcp_charfinder", "idle")["idle_held"], 200);
    assert_eq!(row("tcp_charfinder_threads", "idle")["idle_held"], 200);
    // One client at a time: behind an idle client, no one is served, and the row says so.
    let sequential = row("tcp_charfinder_sequential", "idle");
    assert_eq!(sequential["answered"], 0, "{sequential}");
    assert_eq!(sequential["idle_held"], 1, "{sequential}");
    assert_eq!(sequential["verified"], true, "{sequential}");
    assert!(stdout.contains("no one was served"), "{stdout}");
    // The Python originals ran beside them, when Python is here (REQUIRE_PYTHON: it must be).
    if std::env::var_os("REQUIRE_PYTHON").is_some() {
        assert_eq!(row("tcp_mojifinder.py", "idle")["verified"], true);
        assert_eq!(row("web_mojifinder.py", "http")["verified"], true);
    }
}

#[test]
fn sweep_servers_holds_idle_clients_and_says_where_each_stopped() {
    let output = xtask(&["sweep-servers", "--up-to", "300", "--only", "charfinder"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let report: Value = serde_json::from_str(&read(file(&written(&output), "servers-sweep.json")))
        .expect("servers-sweep.json is JSON");
    let servers = report["servers"].as_array().unwrap();
    let names: Vec<&str> = servers
        .iter()
        .map(|s| s["server"].as_str().unwrap())
        .collect();
    let swept = [
        "tcp_charfinder",
        "tcp_charfinder_threads",
        "http_charfinder",
    ];
    assert_eq!(names.len(), 4, "{names:?}");
    for server in servers {
        let name = server["server"].as_str().unwrap();
        if !swept.contains(&name) {
            assert_eq!(server["end"]["end"], "not-swept", "{server}");
            continue;
        }
        assert_eq!(server["end"]["end"], "reached", "{server}");
        let step = &server["steps"][0];
        assert_eq!(
            (step["step"].as_u64(), step["held"].as_u64()),
            (Some(300), Some(300))
        );
        assert_eq!(
            step["answered"], 10,
            "the active client is answered: {step}"
        );
        assert!(step["mib"].as_f64().unwrap() > 0.0, "{step}");
    }
    let threads = &servers[1]["steps"][0]["threads"];
    assert!(
        threads.as_u64().unwrap() > 300,
        "a thread per client: {threads}"
    );
    let wide: Vec<&str> = (stdout.lines())
        .filter(|line| !line.starts_with("Wrote "))
        .filter(|line| line.chars().count() > 80)
        .collect();
    assert!(wide.is_empty(), "wider than 80 columns: {wide:#?}");
}

/// Runs `cargo xtask` with `args` (a sweep of the servers), which must succeed: a limit met is
/// what a sweep is for. Its standard output, and the servers-sweep.json it wrote.
fn sweep_servers(args: &[&str]) -> (String, Value) {
    let output = xtask(args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "a limit met is not a failure: {stdout}"
    );
    let report = serde_json::from_str(&read(file(&written(&output), "servers-sweep.json")))
        .expect("servers-sweep.json is JSON");
    (stdout, report)
}

#[test]
#[cfg_attr(
    not(unix),
    ignore = "lowers the sweep's own open-file limit (RLIMIT_NOFILE, Unix's)"
)]
fn sweep_servers_stops_at_its_own_open_file_limit_and_names_it() {
    // 250 files, less the 64 the sweep keeps for itself: 186 connections at most.
    let args = [
        "sweep-servers",
        "--up-to",
        "300",
        "--only",
        "tcp_charfinder_threads",
    ];
    let (stdout, report) = sweep_servers(&[&args[..], &["--open-files", "250"]].concat());
    assert_eq!(report["open_files"]["hard"], 250, "{report}");
    let end = &report["servers"][0]["end"];
    assert_eq!(end["end"], "stopped", "{end}");
    assert_eq!(end["limit"], "sweep-open-files", "{end}");
    assert_eq!(end["held"], 186, "{end}");
    assert!(stdout.contains("stopped at 186 connections"), "{stdout}");
    // 250 leaves no room below it for the servers' own limit by default: they keep it.
    assert_eq!(report["server_open_files"], Value::Null, "{report}");
    let why = report["server_open_files_not_set"].as_str().unwrap();
    assert!(why.contains("leaves no room"), "{why}");
}

#[test]
fn sweep_servers_stops_at_the_servers_open_file_limit_and_names_it() {
    // The server may open 200 files, the sweep 20,000 or what it has: the server stops first,
    // a few short of 200 (its listener and the rest are files too), and goes on living.
    let args = [
        "sweep-servers",
        "--up-to",
        "400",
        "--only",
        "tcp_charfinder_threads",
        "--server-open-files",
        "200",
    ];
    let (stdout, report) = sweep_servers(&args);
    if report["server_open_files"].is_null() {
        // Off Linux, or with a limit of its own too low to show a server's below it.
        eprintln!("not shown: {}", report["server_open_files_not_set"]);
        return;
    }
    assert_eq!(report["server_open_files"], 200, "{report}");
    let server = &report["servers"][0];
    assert_eq!(server["open_files"], 200, "read back from /proc: {server}");
    let end = &server["end"];
    assert_eq!(end["end"], "stopped", "{end}");
    assert_eq!(end["limit"], "server-open-files", "{end}");
    let held = end["held"].as_u64().unwrap();
    assert!((150..200).contains(&held), "{end}");
    let why = end["why"].as_str().unwrap();
    assert!(why.contains("Too many open files"), "its log line: {why}");
    assert!(why.contains("its open-file limit is 200"), "{why}");
    assert!(why.contains("of processor time"), "{why}");
    let words = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(": the server's open-file limit."),
        "{stdout}"
    );
}
