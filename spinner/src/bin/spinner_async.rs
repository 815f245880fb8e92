//! # Spinner, asyncio-style: a tokio task draws while `slow().await` waits
//!
//! Ports Fluent Python's
//! [`spinner_async.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/19-concurrency/spinner_async.py):
//! the thread becomes a task, stopped by cancelling it (`JoinHandle::abort` for
//! `spinner.cancel()`).
//!
//!     cargo run --release -p spinner --bin spinner_async
//!     diff spinner/src/bin/spinner_thread.rs spinner/src/bin/spinner_async.rs
//!
//! What to watch for: one thread; the spinner draws only while `supervisor` waits at `.await`, and
//! cancelling drops it there. More in `docs/spinners.md`.
//!
//! ```text
//! spinner object: JoinHandle { id: Id(1) }
//! / thinking!          <- turns in place for 3 s on a terminal, then is blanked
//! Answer: 42
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

/// Pretends to wait a long time for I/O, giving the thread back to the runtime meanwhile.
async fn slow(seconds: Duration) -> i64 {
    tokio::time::sleep(seconds).await;
    42
}

async fn supervisor(seconds: Duration) -> i64 {
    // As `asyncio.create_task`, spawning only schedules the task. It first runs when this task
    // waits at an `.await` whose future is not ready (Pending): here, the sleep in `slow`.
    let spinner = tokio::spawn(spin(MSG));
    println!("spinner object: {spinner:?}");
    // While `slow` sleeps, the runtime runs the spinner on this same thread.
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
