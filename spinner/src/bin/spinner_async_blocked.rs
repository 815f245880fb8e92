//! # Spinner, asyncio-style, blocked: a slow call that never gives the thread back
//!
//! Ports Fluent Python's
//! [`spinner_async_experiment.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/19-concurrency/spinner_async_experiment.py):
//! `spinner_async` with `slow()` calling the blocking `std::thread::sleep`.
//!
//!     cargo run --release -p spinner --bin spinner_async_blocked
//!     diff spinner/src/bin/spinner_async.rs spinner/src/bin/spinner_async_blocked.rs
//!
//! What to watch for: the spinner never turns, not even once. The runtime has one thread, `slow`
//! holds it and never waits at an `.await`: a task that does not cooperate blocks every other
//! task on its thread. More in `docs/spinners.md`.
//!
//! ```text
//! spinner object: JoinHandle { id: Id(1) }
//! Answer: 42           <- 3 s later, with no spinner in between
//! ```

use std::time::Duration;

use spinner::{Args, FRAMES, MSG, Status, TICK};

// region: spin
/// Draws a frame every 0.1 s until the task is cancelled.
async fn spin(msg: &'static str) {
    let mut status = Status::new(msg);
    for frame in FRAMES.iter().cycle() {
        status.draw(*frame);
        // The only place this task lets others run. Cancelling it drops the task right here:
        // Rust has no `CancelledError` to catch, so the cleanup (blanking the line) is in
        // `status`'s `Drop`, which runs as the future is dropped. Nor can the task refuse to be
        // cancelled, as the article says a coroutine may by catching the error.
        tokio::time::sleep(TICK).await;
    }
}
// endregion: spin

/// Pretends to wait for I/O the wrong way: this blocks the runtime's only thread for the
/// whole time, so no other task runs. (`tokio::task::spawn_blocking` is the way to call
/// blocking code from async code: it moves it to a thread of its own.)
async fn slow(seconds: Duration) -> i64 {
    std::thread::sleep(seconds);
    42
}

async fn supervisor(seconds: Duration) -> i64 {
    // As `asyncio.create_task`, spawning only schedules the task. It first runs when this task
    // waits at an `.await` whose future is not ready (Pending): here, none before `abort`.
    let spinner = tokio::spawn(spin(MSG));
    println!("spinner object: {spinner:?}");
    // `slow` has no `.await` that waits, so `slow(seconds).await` is ready the first time it is
    // polled, after the whole blocking sleep: the spinner gets no turn while it runs.
    let result = slow(seconds).await;
    spinner.abort();
    // `abort` only asks. Awaiting the handle waits until the task is gone and its line blank;
    // it answers an `Err(JoinError)` whose `is_cancelled()` is true, which is what we asked for.
    let _ = spinner.await;
    result
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> contract::Result<()> {
    let args = Args::parse_args();
    spinner::exit_on_ctrl_c()?;
    let result = supervisor(args.seconds).await;
    println!("Answer: {result}");
    Ok(())
}
