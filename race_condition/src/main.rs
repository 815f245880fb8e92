//! # Race condition, fixed with a lock: 5,000 threads, one `Mutex<u64>`
//!
//! Ports Real Python's
//! [`race_condition.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/race_condition.py):
//! 5,000 threads each add 1 to one `counter` 100 times. Python's may lose increments; Rust's,
//! written the same way, does not compile (`race_condition/src/lib.rs` holds it, tested).
//! Why, and what each fix costs: `docs/race-condition.md`.
//!
//!     cargo run --release -p race_condition
//!     cargo run --release -p race_condition -- --workers 8
//!
//! What to watch for: exactly 500,000, every run, for any `--workers`: each `+= 1` holds the
//! lock, Python's `with lock:`, so the threads take turns 500,000 times.
//!
//! ```text
//! Counter: 500000
//! Duration 0.180281662 seconds
//! ```

use std::sync::Mutex;
use std::thread;
use std::time::Instant;

use race_condition::{Args, INCREMENTS, SpawnError, TASKS};

// The article's global `counter`. A `static` is shared by every thread and immutable:
// `static COUNTER: u64` compiles, but `+= 1` on it does not (E0594). Changing it takes
// interior mutability, and a `static` must be `Sync`, which admits only the thread-safe
// kinds (a `Cell<u64>` is refused, E0277; both are in `race_condition/src/lib.rs`): here
// `Mutex<u64>`, which lets one thread at a time change it.
static COUNTER: Mutex<u64> = Mutex::new(0);

fn increment_counter(_fake_value: usize) {
    for _ in 0..INCREMENTS {
        // Read, add and write happen while this thread holds the lock, so no other thread can
        // read the old value in between. (A lock is poisoned only if a thread panics while
        // holding it, and `+= 1` on a u64 that stays under 500,000 cannot.)
        *COUNTER.lock().unwrap() += 1;
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
    let counter = *COUNTER.lock().unwrap();
    let duration = start_time.elapsed();
    println!("Counter: {counter}");
    println!("Duration {} seconds", duration.as_secs_f64());
    Ok(())
}
