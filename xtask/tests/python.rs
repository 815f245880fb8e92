//! The article's Python programs (`python/`) held to the contract the Rust programs' tests hold
//! theirs to: the same checks from `testkit::downloads` and `testkit::usage`, with
//! `<venv>/bin/python python/NAME.py` as the program (a two-line shell script that `exec`s it,
//! since the checks take one program).
//!
//! The venv is `cargo xtask python`'s (`target/python-venv`, made on first use). Without
//! python3, its venv module or the package registry, each test prints why and passes, unless
//! `REQUIRE_PYTHON` is set, as `.ci/run` sets it: there they must run.

// Unix only: each program runs through a `#!/bin/sh` script that `exec`s the venv's python.
#![cfg(unix)]

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use contract::Line;
use stand_in::StandIn;
use stand_in::server::{Config, max_in_flight};
use testkit::downloads;
use testkit::program::{check_cpu_program, run};

/// The venv's python, or why there is none.
fn venv() -> &'static Result<PathBuf, String> {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    VENV.get_or_init(|| {
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("python")
            .env(
                "CARGO",
                std::env::var_os("CARGO").unwrap_or(env!("CARGO").into()),
            )
            .output()
            .map_err(|e| format!("cannot run cargo xtask python: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        match stdout.lines().last() {
            Some(path) if output.status.success() => Ok(PathBuf::from(path)),
            _ => Err(stderr.trim().trim_start_matches("error: ").to_owned()),
        }
    })
}

/// A program of `python/` as one executable, or `None` (and why, printed) when Python is
/// missing here.
fn python(script: &str) -> Option<String> {
    let venv = match venv() {
        Ok(venv) => venv,
        Err(why) if std::env::var_os("REQUIRE_PYTHON").is_some() => {
            panic!("REQUIRE_PYTHON is set, and there is no Python: {why}")
        }
        Err(why) => {
            eprintln!("skipped: no Python to run python/{script} with: {why}");
            return None;
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-programs");
    fs::create_dir_all(&dir).unwrap();
    let exe = dir.join(script.trim_end_matches(".py"));
    let text = format!(
        "#!/bin/sh\nexec '{}' '{}' \"$@\"\n",
        venv.display(),
        root.join("python").join(script).display()
    );
    // Written whole under another name, then renamed: tests running at once never see half.
    let partial = dir.join(format!("{script}.{:?}", std::thread::current().id()));
    fs::write(&partial, text).unwrap();
    fs::set_permissions(&partial, fs::Permissions::from_mode(0o755)).unwrap();
    fs::rename(&partial, &exe).unwrap();
    Some(exe.display().to_string())
}

const DOWNLOADERS: [&str; 4] = [
    "io_non_concurrent.py",
    "io_threading.py",
    "io_asyncio.py",
    "io_mp.py",
];

/// At 100 ms a request, the gap between one answer and a worker's next request (Python's own
/// work, a wait for the GIL, on a busy machine) stays small beside the wait, so the most in
/// flight is what the technique allows, not what the machine's moment lets through.
fn stand_in() -> StandIn {
    StandIn::start(Config {
        latency: Duration::from_millis(100),
        ..Config::default()
    })
    .unwrap()
}

#[test]
fn downloaders_read_every_site_as_their_technique_allows() {
    // The most requests each has in flight at once, as the Rust programs' tests check theirs:
    // one; five threads; many more tasks (all 40 when the machine keeps up, under aiohttp's 100
    // connections); more than one, and at most one per process.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let in_flight = [1..=1, 5..=5, 6..=40, cpus.min(2)..=cpus];
    for (script, most) in DOWNLOADERS.into_iter().zip(in_flight) {
        let Some(exe) = python(script) else { return };
        let server = stand_in();
        let [jython, dice] = server.urls();
        let (output, transcript) = run(&exe, &["--url", &jython, "--url", &dice, "--repeat", "20"]);
        assert_eq!(output.status.code(), Some(0), "{script}: {output:?}");
        assert_eq!(transcript.reads.len(), 40, "{script}");
        assert!(
            transcript.reads.iter().all(|(_, bytes, url)| {
                (url == &jython && *bytes == 10_966) || (url == &dice && *bytes == 276)
            }),
            "{script}: {transcript:?}"
        );
        assert_eq!(
            transcript.summary.map(|s| (s.ok, s.total)),
            Some((40, 40)),
            "{script}"
        );
        let log = server.log().snapshot();
        assert_eq!(log.len(), 40, "{script}: one request per site");
        let seen = max_in_flight(&log);
        assert!(
            most.contains(&seen),
            "{script}: {seen} in flight, not {most:?}"
        );
        if script == "io_threading.py" {
            // A session per thread: one kept-alive connection each.
            let connections: HashSet<_> = log.iter().map(|r| r.connection).collect();
            assert_eq!(connections.len(), 5, "{script}");
        }
    }
}

#[test]
fn downloaders_refuse_bad_usage() {
    for script in DOWNLOADERS {
        let Some(exe) = python(script) else { return };
        let own: &[&str] = match script {
            "io_threading.py" | "io_mp.py" => &["--workers"],
            _ => &[],
        };
        testkit::usage::check_bad_usage_with(&exe, own, &["--repeat", "--timeout"]);
    }
}

#[test]
fn downloaders_count_every_injected_fault() {
    for script in DOWNLOADERS {
        let Some(exe) = python(script) else { return };
        match script {
            "io_asyncio.py" => downloads::check_faults_are_counted_retrying_drops(&exe, &[]),
            _ => downloads::check_faults_are_counted(&exe, &[]),
        }
    }
}

#[test]
fn downloaders_time_out() {
    for script in DOWNLOADERS {
        let Some(exe) = python(script) else { return };
        downloads::check_timeouts(&exe, &[]);
    }
}

#[test]
fn downloaders_survive_the_server_dying_mid_run() {
    for script in DOWNLOADERS {
        let Some(exe) = python(script) else { return };
        downloads::check_server_dies_mid_run(&exe, &[]);
    }
}

#[test]
fn cpu_programs_print_the_exact_sums() {
    for (script, has_workers) in [
        ("cpu_non_concurrent.py", false),
        ("cpu_threading.py", true),
        ("cpu_mp.py", true),
    ] {
        let Some(exe) = python(script) else { return };
        check_cpu_program(&exe, has_workers);
    }
}

#[test]
fn spinners_answer_42() {
    for script in ["spinner_thread.py", "spinner_async.py"] {
        let Some(exe) = python(script) else { return };
        let (output, _) = run(&exe, &["--seconds", "0.3"]);
        assert!(output.status.success(), "{script}: {output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        // The original draws its frames into a pipe too: a line is what a terminal would show
        // of it, the text after its last `\r`.
        let lines: Vec<&str> = stdout
            .lines()
            .map(|l| l.rsplit('\r').next().unwrap_or(l))
            .collect();
        assert!(
            lines
                .first()
                .is_some_and(|l| l.starts_with("spinner object: ")),
            "{script}: {stdout:?}"
        );
        assert_eq!(
            lines.last().map(|l| Line::parse(l)),
            Some(Line::Answer(42)),
            "{script}: {stdout:?}"
        );
        let bad = Command::new(&exe)
            .args(["--seconds", "-1"])
            .output()
            .unwrap();
        assert_eq!(bad.status.code(), Some(2), "{script}: {bad:?}");
        assert!(String::from_utf8_lossy(&bad.stderr).starts_with("error: "));
    }
}
