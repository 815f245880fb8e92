//! # Async basics, gathered: two coroutines sleep 5 s and 4 s at the same time
//!
//! Ports the post's coroutines awaiting `asyncio.sleep`, run together by
//! [`asyncio.gather`](https://docs.python.org/3/library/asyncio-task.html#asyncio.gather): here
//! `tokio::join!` on one thread. The lesson is in `docs/async-basics.md`.
//!
//!     cargo run --release -p async_basics --bin coroutines
//!     diff async_basics/src/bin/sub_routines.rs async_basics/src/bin/coroutines.rs
//!
//! What to watch for: 5 s, not 9; coroutine 2 resumes first, at 4, though it started second.
//!
//! ```text
//! [ 4.00] coroutine 2 resumed
//! [ 5.00] coroutine 1 resumed
//! time taken: 5.0019 seconds (5.00 units)
//! ```

use async_basics::{Args, Clock};

async fn coroutine_1(clock: &Clock) {
    clock.say("coroutine 1 start");
    clock.say("coroutine 1 paused... waiting 5 s");
    // Waits without holding the thread: at this `.await` the other coroutine gets to run.
    tokio::time::sleep(clock.seconds(5.0)).await;
    clock.say("coroutine 1 resumed");
}

async fn coroutine_2(clock: &Clock) {
    clock.say("coroutine 2 start");
    clock.say("coroutine 2 paused... waiting 4 s");
    tokio::time::sleep(clock.seconds(4.0)).await;
    clock.say("coroutine 2 resumed");
}

// One thread, as asyncio's event loop.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Args = contract::parse_args();
    let clock = Clock::start(args.scale);
    // `asyncio.gather`: both futures are polled in turn by this one task until both are done.
    tokio::join!(coroutine_1(&clock), coroutine_2(&clock));
    clock.report();
}
