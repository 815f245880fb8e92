//! # Async basics, a timeout: a 5 s coroutine given 3 s
//!
//! Ports [`asyncio.wait_for`](https://docs.python.org/3/library/asyncio-task.html#asyncio.wait_for)
//! around the post's 5 s coroutine, with `timeout=3`: here `tokio::time::timeout`, which wraps
//! any future. What cancelling means in each: `docs/async-basics.md`.
//!
//!     cargo run --release -p async_basics --bin wait_for
//!     cargo run --release -p async_basics --bin wait_for -- --timeout 6
//!
//! What to watch for: 3 s, and no `coroutine 1 resumed`: the future is dropped at its `.await`
//! and never runs again. With `--timeout 6` it finishes first, in 5.
//!
//! ```text
//! [ 0.00] coroutine 1 start
//! [ 0.00] coroutine 1 paused... waiting 5 s
//! [ 3.00] coroutine 1 timed out after 3 s, and was dropped
//! time taken: 3.0012 seconds (3.00 units)
//! ```

use async_basics::{Clock, TimeoutArgs};

async fn coroutine_1(clock: &Clock) {
    clock.say("coroutine 1 start");
    clock.say("coroutine 1 paused... waiting 5 s");
    // If the timeout comes first, the future is dropped here and the next line never runs.
    tokio::time::sleep(clock.seconds(5.0)).await;
    clock.say("coroutine 1 resumed");
}

// One thread, as asyncio's event loop.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: TimeoutArgs = contract::parse_args();
    let clock = Clock::start(args.scale);
    let timeout = clock.seconds(args.timeout);
    match tokio::time::timeout(timeout, coroutine_1(&clock)).await {
        Ok(()) => clock.say("coroutine 1 finished in time"),
        Err(_elapsed) => clock.say(&format!(
            "coroutine 1 timed out after {} s, and was dropped",
            args.timeout
        )),
    }
    clock.report();
}
