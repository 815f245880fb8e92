//! # Race condition, fixed with an atomic: 5,000 threads, one `AtomicU64`
//!
//! Ports Real Python's
//! [`race_condition.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/race_condition.py):
//! 5,000 threads each add 1 to one `counter` 100 times. Python's may lose increments; Rust's,
//! written the same way, does not compile (`race_condition/src/lib.rs` holds it, tested).
//! Why, and what each fix costs: `docs/race-condition.md`.
//!
//!     cargo run --release -p race_condition --bin race_condition_atomic
//!     diff race_condition/src/main.rs race_condition/src/bin/race_condition_atomic.rs
//!
//! What to watch for: exactly 500,000 and no lock: each `+= 1` is one `fetch_add`, which the
//! CPU does indivisibly. Python has no such thing for an `int`.
//!
//! ```text
//! Counter: 500000
//! Duration 0.184496587 seconds
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Instant;

use race_condition::{Args, INCREMENTS, SpawnError, TASKS};

// The article's global `counter`. A `static` is shared by every thread and immutable:
// `static COUNTER: u64` compiles, but `+= 1` on it does not (E0594). Changing it takes
// interior mutability, and a `static` must be `Sync`, which admits only the thread-safe
// kinds (a `Cell<u64>` is refused, E0277; both are in `race_condition/src/lib.rs`): here
// `AtomicU64`, whose operations cannot be interrupted halfway.
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn increment_counter(_fake_value: usize) {
    for _ in 0..INCREMENTS {
        // Read, add and write are one indivisible step, so no other thread can read the old
        // value in between. `Relaxed`: only the count matters, not the order of other memory
        // around it; the scope's end makes every add visible to `main`.
        COUNTER.fetch_add(1, Ordering::Relaxed);
    }
}

fn main() -> Result<(), SpawnError> {
    let args = Args::parse_args();
    let fake_data: Vec<usize> = (0..TASKS).collect();
    let start_time = Instant::now();
    // Scoped threads, like `with ThreadPoolExecutor(...)`: the scope ends only when every
    // thread has, so they may borrow `fake_data`. Each runs its share of the tasks.
    thread::scope(|scope| -> Result<_, SpawnError> {
        for (i, tasks) in fake_data.chunks(args.tasks_per_thread()).enumerate() {
            let run = || tasks.iter().copied().for_each(increment_counter);
            let started = thread::Builder::new().spawn_scoped(scope, run);
            // Starting a thread can fail (too many threads, no memory for its stack): an error,
            // not a panic. The threads already started finish before the scope returns.
            started.map_err(|e| SpawnError(i + 1, args.workers, e))?;
        }
        Ok(())
    })?;
    let counter = COUNTER.load(Ordering::Relaxed);
    let duration = start_time.elapsed();
    println!("Counter: {counter}");
    println!("Duration {} seconds", duration.as_secs_f64());
    Ok(())
}
