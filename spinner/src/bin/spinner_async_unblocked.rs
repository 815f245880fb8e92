//! # Spinner, asyncio-style, unblocked: the slow blocking call moved off the loop
//!
//! The fix for Fluent Python's `spinner_async_experiment.py` (2nd edition, ch. 19,
//! <https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/19-concurrency/spinner_async_experiment.py>):
//! `slow()` still calls the blocking `time.sleep(3)`, but through Python's `asyncio.to_thread`
//! (<https://docs.python.org/3/library/asyncio-task.html#asyncio.to_thread>), here tokio's
//! `spawn_blocking`. The diff, explained: `docs/spinners.md`.
//!
//!     cargo run --release -p spinner --bin spinner_async_unblocked
//!     diff spinner/src/bin/spinner_async_blocked.rs spinner/src/bin/spinner_async_unblocked.rs
//!
//! What to watch for: the spinner turns for the whole 3 s on the same one-thread runtime that
//! froze in `spinner_async_blocked`: the sleep still blocks, but no longer the runtime's thread.
//!
//! ```text
//! spinner object: JoinHandle { id: Id(1) }
//! / thinking!          <- turns in place for 3 s on a terminal, then is blanked
//! Answer: 42
//! ```

use std::time::Duration;

use spinner::{Args, FRAMES, MSG, Status, TICK};

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

/// Pretends to wait for I/O with the same blocking call, moved to tokio's blocking pool
/// (threads it starts as needed), so the runtime's only thread stays free for the other tasks.
async fn slow(seconds: Duration) -> i64 {
    let sleeping = tokio::task::spawn_blocking(move || std::thread::sleep(seconds));
    // Awaiting the handle is where this task now lets the spinner run. Its error could only
    // be the sleep's own panic, which `expect` passes on.
    sleeping.await.expect("the blocking sleep panicked");
    42
}

async fn supervisor(seconds: Duration) -> i64 {
    // As `asyncio.create_task`, spawning only schedules the task. It first runs when this task
    // waits at an `.await` whose future is not ready (Pending): here, `sleeping.await` in `slow`.
    let spinner = tokio::spawn(spin(MSG));
    println!("spinner object: {spinner:?}");
    // `slow` waits at an `.await` while another thread sleeps, so the spinner turns meanwhile.
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
