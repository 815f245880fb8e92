//! Runs every async basics program at a small `--scale` and checks what the article says of it:
//! sleeps in sequence add up, gathered or spawned ones overlap, a timeout cuts a coroutine
//! short, a full pool waits for its whole batch where a semaphore lets the next task in at once.
//!
//! A sleep never ends early, so every run's units are at least the article's seconds, and the
//! schedule it is set against would take at least its own: each upper bound is that other
//! schedule's seconds (the gathered version under the 9 that sleeping in sequence takes), which
//! leaves a busy machine's late timers the whole difference.

use std::process::Command;

use contract::Line;

/// One unit (one of the article's seconds) is 50 ms: long beside a loaded machine's late wake-ups.
const SCALE: &str = "0.05";

struct Run {
    lines: Vec<String>,
    units: f64,
}

impl Run {
    /// The index of the first line that ends with `what`.
    fn at(&self, what: &str) -> usize {
        let found = self.lines.iter().position(|l| l.ends_with(what));
        found.unwrap_or_else(|| panic!("no {what:?} in {:#?}", self.lines))
    }
}

fn run(bin: &str, args: &[&str]) -> Run {
    let out = Command::new(bin)
        .args(["--scale", SCALE])
        .args(args)
        .output()
        .expect("the program runs");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{bin} {args:?}: {:?}\n{stdout}",
        out.status
    );
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    let (last, events) = lines.split_last().expect("some output");
    let Line::TimeTaken { seconds, units } = Line::parse(last) else {
        panic!("{bin}: {last:?}")
    };
    assert!((seconds / 0.05 - units).abs() < 0.01, "{bin}: {last}");
    // Every other line is `[units] what`, stamped in order.
    let mut previous = 0.0;
    for line in events {
        let stamp = line.strip_prefix('[').and_then(|l| l.split_once("] "));
        let stamp: f64 = stamp
            .and_then(|(u, _)| u.trim().parse().ok())
            .unwrap_or(-1.0);
        assert!(
            stamp >= previous && stamp <= units + 0.01,
            "{bin}: {line:?} in {stdout}"
        );
        previous = stamp;
    }
    Run { lines, units }
}

const SUB_ROUTINES: &str = env!("CARGO_BIN_EXE_sub_routines");
const COROUTINES: &str = env!("CARGO_BIN_EXE_coroutines");
const TORNADO: &str = env!("CARGO_BIN_EXE_tornado_coroutines");
const WAIT_FOR: &str = env!("CARGO_BIN_EXE_wait_for");
const POOL: &str = env!("CARGO_BIN_EXE_gevent_pool");
const SEMAPHORE: &str = env!("CARGO_BIN_EXE_semaphore");

#[test]
fn sleeps_in_sequence_add_up_and_gathered_ones_overlap() {
    let sequential = run(SUB_ROUTINES, &[]);
    let gathered = run(COROUTINES, &[]);
    assert!(sequential.units >= 9.0 - 0.01, "{}", sequential.units);
    assert!(gathered.units >= 5.0 - 0.01, "{}", gathered.units);
    assert!(gathered.units < 9.0, "{}", gathered.units);
    // Sequential: the second starts after the first has ended.
    assert!(sequential.at("sub_routine 1 end") < sequential.at("sub_routine 2 start"));
    // Gathered: both start before either resumes, and the shorter wait resumes first.
    assert!(gathered.at("coroutine 2 start") < gathered.at("coroutine 2 resumed"));
    assert!(gathered.at("coroutine 2 paused... waiting 4 s") < gathered.at("coroutine 1 resumed"));
    assert!(gathered.at("coroutine 2 resumed") < gathered.at("coroutine 1 resumed"));
}

#[test]
fn spawned_coroutines_take_the_longer_of_the_two() {
    let run = run(TORNADO, &[]);
    assert!(run.units >= 10.0 - 0.01, "{}", run.units);
    // Not one coroutine after the other.
    assert!(run.units < 5.0 + 10.0, "{}", run.units);
    assert!(run.at("coroutine2 waiting 10 s") < run.at("coroutine1 resumed and done"));
    // Unlike a tornado coroutine, a spawned task runs none of its body until its spawner waits.
    assert!(run.at("runner: both coroutines spawned") < run.at("coroutine1 start"));
}

#[test]
fn a_timeout_drops_the_coroutine_and_a_longer_one_lets_it_finish() {
    let cut = run(WAIT_FOR, &[]);
    assert!(cut.units >= 3.0 - 0.01, "{}", cut.units);
    // Not the coroutine's own 5.
    assert!(cut.units < 5.0, "{}", cut.units);
    cut.at("coroutine 1 timed out after 3 s, and was dropped");
    assert!(
        !cut.lines.iter().any(|l| l.contains("resumed")),
        "{:#?}",
        cut.lines
    );
    // tokio's `timeout` polls the future before the deadline, so this holds however late.
    let finished = run(WAIT_FOR, &["--timeout", "6"]);
    assert!(finished.units >= 5.0 - 0.01, "{}", finished.units);
    assert!(finished.at("coroutine 1 resumed") < finished.at("coroutine 1 finished in time"));
}

#[test]
fn a_pool_of_30_runs_ten_tasks_at_once_and_a_pool_of_5_in_two_batches() {
    let wide = run(POOL, &[]);
    let narrow = run(POOL, &["--size", "5"]);
    assert!(wide.units >= 1.0 - 0.01, "{}", wide.units);
    assert!(narrow.units >= 2.0 - 0.01, "{}", narrow.units);
    // Not in batches.
    assert!(wide.units < 2.0, "{}", wide.units);
    // A batch: task 5 starts only once all of 0 to 4 have finished.
    let start_5 = narrow.at("Task 5 Start");
    for i in 0..5 {
        assert!(
            narrow.at(&format!("Task {i} Finish")) < start_5,
            "{:#?}",
            narrow.lines
        );
    }
    for run in [wide, narrow] {
        for i in 0..10 {
            assert!(run.at(&format!("Task {i} Start")) < run.at(&format!("Task {i} Finish")));
        }
    }
}

#[test]
fn with_uneven_tasks_the_pools_batches_are_slower_than_the_semaphores_window() {
    let batches = run(POOL, &["--size", "5", "--uneven"]);
    let window = run(SEMAPHORE, &["--size", "5", "--uneven"]);
    assert!(batches.units >= 6.0 - 0.01, "{}", batches.units);
    assert!(window.units >= 4.0 - 0.01, "{}", window.units);
    // Not the batches' 6.
    assert!(window.units < 6.0, "{}", window.units);
    // The window: task 5 takes task 1's place at 1, long before the slow task 0 ends at 3.
    assert!(
        window.at("Task 5 Start") < window.at("Task 0 Finish"),
        "{:#?}",
        window.lines
    );
    assert!(
        batches.at("Task 0 Finish") < batches.at("Task 5 Start"),
        "{:#?}",
        batches.lines
    );
    // Even tasks: the window and the batches both take 2.
    let even = run(SEMAPHORE, &["--size", "5"]);
    assert!(even.units >= 2.0 - 0.01, "{}", even.units);
}

#[test]
fn bad_usage_exits_2_with_one_error_line() {
    let bad: [(&str, &[&str]); 9] = [
        (SUB_ROUTINES, &["--scale", "0"]),
        (COROUTINES, &["--scale", "-1"]),
        (TORNADO, &["--scale", "nan"]),
        (WAIT_FOR, &["--scale", "inf"]),
        (WAIT_FOR, &["--timeout", "-1"]),
        (POOL, &["--size", "0"]),
        (SEMAPHORE, &["--size", "x"]),
        (SEMAPHORE, &["--scale"]),
        (POOL, &["--frobnicate"]),
    ];
    for (bin, args) in bad {
        testkit::program::check_refused(bin, args);
    }
}
