//! # Race condition, avoided: each thread counts its own, the counts added at the end
//!
//! Ports Real Python's
//! [`race_condition.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/race_condition.py):
//! 5,000 threads each add 1 to one `counter` 100 times. Python's may lose increments; Rust's,
//! written the same way, does not compile (`race_condition/src/lib.rs` holds it, tested).
//! Why, and what each fix costs: `docs/race-condition.md`.
//!
//!     cargo run --release -p race_condition --bin race_condition_sums
//!     diff race_condition/src/main.rs race_condition/src/bin/race_condition_sums.rs
//!
//! What to watch for: exactly 500,000 with nothing shared: each thread returns its count and
//! `main` adds them up as it joins the threads. No lock, no atomic, nothing to get wrong.
//!
//! ```text
//! Counter: 500000
//! Duration 0.283736341 seconds
//! ```

use std::thread;
use std::time::Instant;

use race_condition::{Args, INCREMENTS, SpawnError, TASKS};

// No global `counter`: each call counts on its own stack and returns its count.
fn increment_counter(_fake_value: usize) -> u64 {
    let mut counter = 0;
    for _ in 0..INCREMENTS {
        // Nobody else can see this `counter`, so there is nothing to race for. (The optimiser
        // turns this loop into `counter = 100`; it keeps every add to the shared counters of
        // `race_condition` and `race_condition_atomic`: `docs/race-condition.md`.)
        counter += 1;
    }
    counter
}

fn main() -> Result<(), SpawnError> {
    let args = Args::parse_args();
    let fake_data: Vec<usize> = (0..TASKS).collect();
    let start_time = Instant::now();
    // Scoped threads, like `with ThreadPoolExecutor(...)`: the scope ends only when every
    // thread has, so they may borrow `fake_data`. Each runs its share of the tasks.
    let counter = thread::scope(|scope| -> Result<_, SpawnError> {
        let mut threads = Vec::new();
        for (i, tasks) in fake_data.chunks(args.tasks_per_thread()).enumerate() {
            let run = || tasks.iter().copied().map(increment_counter).sum::<u64>();
            let started = thread::Builder::new().spawn_scoped(scope, run);
            // Starting a thread can fail (too many threads, no memory for its stack): an error,
            // not a panic. The threads already started finish before the scope returns.
            threads.push(started.map_err(|e| SpawnError(i + 1, args.workers, e))?);
        }
        // Joining a thread hands back what it returned: its count, added here by one thread.
        // (Until then a finished thread keeps its stack, so this version holds more memory.)
        let counts = threads
            .into_iter()
            .map(|t| t.join().expect("a thread panicked"));
        Ok(counts.sum::<u64>())
    })?;
    let duration = start_time.elapsed();
    println!("Counter: {counter}");
    println!("Duration {} seconds", duration.as_secs_f64());
    Ok(())
}
