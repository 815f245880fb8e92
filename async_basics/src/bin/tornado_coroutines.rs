//! # Async basics, spawned: tornado's two coroutines, 5 s and 10 s, as tasks of their own
//!
//! Ports the post's tornado program, whose `@gen.coroutine`s (<https://www.tornadoweb.org/en/stable/gen.html>)
//! run on under the IOLoop whether or not anyone waits for them, as a task of
//! [`asyncio.create_task`](https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task)
//! does: here `tokio::spawn`. How that differs from `join!`: `docs/async-basics.md`.
//!
//!     cargo run --release -p async_basics --bin tornado_coroutines
//!     diff async_basics/src/bin/coroutines.rs async_basics/src/bin/tornado_coroutines.rs
//!
//! What to watch for: 10 s, the longer of the two, not 15; and neither task starts until
//! `runner` waits, though tornado's coroutines run up to their first `yield` when called.
//!
//! ```text
//! [ 0.00] runner: both coroutines spawned
//! [ 0.00] coroutine1 start
//! ...
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
    // Both tasks are scheduled now, and first run when this task waits at an `.await` whose
    // future is not ready (Pending): `first.await`, below.
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
    let args: Args = contract::parse_args();
    let clock = Clock::start(args.scale);
    runner(clock).await;
    clock.report();
}
