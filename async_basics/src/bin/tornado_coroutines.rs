//! # Async basics, spawned: tornado's two coroutines, 5 s and 10 s, as tasks of their own
//!
//! Ports the tornado program of the asyncio basics: `@gen.coroutine` functions (`tornado/gen.py`,
//! https://www.tornadoweb.org/en/stable/gen.html) that `yield gen.sleep(5)` and `gen.sleep(10)`,
//! and a `runner` that yields the list of both. Tornado starts a coroutine the moment it is
//! called, so here each is `tokio::spawn`ed: a task of its own, which `runner` then awaits.
//!
//!     cargo run --release -p async_basics --bin tornado_coroutines
//!     diff async_basics/src/bin/coroutines.rs async_basics/src/bin/tornado_coroutines.rs
//!
//! What to watch for: 10 s, the longer of the two, not 15. Unlike `join!` in `coroutines`,
//! which runs both futures inside the one task that awaits them, a spawned task runs on its
//! own: `runner` only waits for it, and had it stopped waiting, the task would still finish.
//!
//! ```text
//! [ 0.00] runner: both coroutines spawned
//! [ 0.00] coroutine1 start
//! [ 0.00] coroutine1 waiting 5 s
//! [ 0.00] coroutine2 start
//! [ 0.00] coroutine2 waiting 10 s
//! [ 5.00] coroutine1 resumed and done
//! [10.00] coroutine2 resumed and done
//! time taken: 10.0014 seconds (10.00 units)
//! ```

use async_basics::{Args, Clock};

// A spawned task may outlive the function that spawned it, so it owns what it uses: `Clock`
// is `Copy`, and each task gets its own.
async fn coroutine1(clock: Clock) {
    clock.say("coroutine1 start");
    clock.say("coroutine1 waiting 5 s");
    tokio::time::sleep(clock.seconds(5.0)).await;
    clock.say("coroutine1 resumed and done");
}

async fn coroutine2(clock: Clock) {
    clock.say("coroutine2 start");
    clock.say("coroutine2 waiting 10 s");
    tokio::time::sleep(clock.seconds(10.0)).await;
    clock.say("coroutine2 resumed and done");
}

async fn runner(clock: Clock) {
    // Both tasks are scheduled now, and run as soon as this task waits at an `.await`.
    let first = tokio::spawn(coroutine1(clock));
    let second = tokio::spawn(coroutine2(clock));
    clock.say("runner: both coroutines spawned");
    // `yield [coroutine1(), coroutine2()]`: wait for both. An error would be a task's panic.
    first.await.expect("coroutine1 panicked");
    second.await.expect("coroutine2 panicked");
}

// One thread, as tornado's `IOLoop`.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Args = sites::cli::parse_or_exit();
    let clock = Clock::start(args.scale);
    runner(clock).await;
    clock.report();
}
