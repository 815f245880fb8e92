//! # Async basics, a sliding window: ten tasks, a semaphore with `--size` permits
//!
//! Ports the post's semaphore, which lets only so many coroutines in at once:
//! [`asyncio.Semaphore`](https://docs.python.org/3/library/asyncio-sync.html#asyncio.Semaphore)
//! and `async with semaphore:`, here `tokio::sync::Semaphore`. More in `docs/async-basics.md`.
//!
//!     cargo run --release -p async_basics --bin semaphore -- --size 5 --uneven
//!     diff async_basics/src/bin/gevent_pool.rs async_basics/src/bin/semaphore.rs
//!
//! What to watch for: 2 s at `--size 5`, as the pool; 4 s with `--uneven`, where its batches take 6.
//!
//! ```text
//! [ 0.00] Task 0 Start
//! ...
//! time taken: 4.0016 seconds (4.00 units)
//! ```

use std::sync::Arc;

use async_basics::{Clock, PoolArgs, TASKS, task_seconds};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

async fn task(clock: Clock, i: usize, seconds: f64, semaphore: Arc<Semaphore>) {
    // `async with semaphore:` waits for a permit, and gives it back when `_permit` is dropped
    // at the end of the task. tokio's semaphore is fair: tasks get permits in the order asked.
    let _permit = semaphore
        .acquire()
        .await
        .expect("the semaphore is never closed");
    clock.say(&format!("Task {i} Start"));
    tokio::time::sleep(clock.seconds(seconds)).await;
    clock.say(&format!("Task {i} Finish"));
}

/// Waits until every task has finished.
async fn join(pool: &mut JoinSet<()>) {
    while let Some(finished) = pool.join_next().await {
        finished.expect("a task panicked");
    }
}

// One thread, as asyncio's event loop.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: PoolArgs = contract::parse_args();
    let clock = Clock::start(args.scale);
    let semaphore = Arc::new(Semaphore::new(args.size));
    // Every task is spawned at once; the semaphore, not this loop, keeps `size` of them running.
    let mut pool = JoinSet::new();
    for i in 0..TASKS {
        pool.spawn(task(
            clock,
            i,
            task_seconds(i, args.uneven),
            semaphore.clone(),
        ));
    }
    join(&mut pool).await;
    clock.report();
}
