//! # Async basics, a pool in batches: gevent's `Pool(30)` and `Pool(5)`, ten 1 s tasks
//!
//! Ports the post's gevent program, a loop that spawns ten tasks into a gevent `Pool` and calls
//! `pool.join()` whenever `pool.full()` ([source](https://github.com/gevent/gevent/blob/4f267154d09cab930b46bb9c06a3b26ab934f33f/src/gevent/pool.py),
//! [docs](https://www.gevent.org/api/gevent.pool.html)); here a `JoinSet`. See `docs/async-basics.md`.
//!
//!     cargo run --release -p async_basics --bin gevent_pool -- --size 5
//!
//! What to watch for: 2 s at `--size 5` (1 s at 30), in batches; with `--uneven` each batch
//! waits for its slowest task, 6 s, where `semaphore`'s sliding window takes 4.
//!
//! ```text
//! [ 1.00] Task 4 Finish
//! [ 1.00] Task 5 Start
//! ...
//! time taken: 2.0024 seconds (2.00 units)
//! ```

use async_basics::{Clock, PoolArgs, TASKS, task_seconds};
use tokio::task::JoinSet;

async fn task(clock: Clock, i: usize, seconds: f64) {
    clock.say(&format!("Task {i} Start"));
    tokio::time::sleep(clock.seconds(seconds)).await;
    clock.say(&format!("Task {i} Finish"));
}

/// `pool.join()`: waits until every task in the pool has finished.
async fn join(pool: &mut JoinSet<()>) {
    while let Some(finished) = pool.join_next().await {
        finished.expect("a task panicked");
    }
}

// One thread, as gevent's hub.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: PoolArgs = contract::parse_args();
    let clock = Clock::start(args.scale);
    // `Pool(size)`: a set of spawned tasks that can be waited for together.
    let mut pool = JoinSet::new();
    for i in 0..TASKS {
        // `if pool.full(): pool.join()`: once `size` tasks run, wait for all of them, even
        // though the first to finish has left a free place long before the last.
        if pool.len() == args.size {
            join(&mut pool).await;
        }
        pool.spawn(task(clock, i, task_seconds(i, args.uneven)));
    }
    join(&mut pool).await;
    clock.report();
}
