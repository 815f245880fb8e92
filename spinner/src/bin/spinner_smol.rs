//! # Spinner, asyncio-style on smol: a task on a local executor draws while `slow()` waits
//!
//! Ports Fluent Python's
//! [`spinner_async.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/19-concurrency/spinner_async.py)
//! on smol: a `LocalExecutor` is the event loop, `Task::cancel` is `spinner.cancel()`.
//!
//!     cargo run --release -p spinner --bin spinner_smol
//!     diff spinner/src/bin/spinner_async.rs spinner/src/bin/spinner_smol.rs
//!
//! What to watch for: one thread does everything. The executor is a value we make, and its tasks
//! run only while `block_on` drives `ex.run(..)`. More in `docs/spinners.md`.
//!
//! ```text
//! spinner object: Task { header: Header { scheduled: true, running: false, completed: false, .. } }
//! - thinking!          <- turns in place for 3 s on a terminal, then is blanked
//! Answer: 42
//! ```

use std::time::Duration;

use smol::{LocalExecutor, Timer};
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
        Timer::after(TICK).await;
    }
}

/// Pretends to wait a long time for I/O, giving the thread back to the executor meanwhile.
async fn slow(seconds: Duration) -> i64 {
    Timer::after(seconds).await;
    42
}

async fn supervisor(ex: &LocalExecutor<'_>, seconds: Duration) -> i64 {
    // As `asyncio.create_task`, spawning only schedules the task. It first runs when this task
    // waits at an `.await` whose future is not ready (Pending): here, the timer in `slow`.
    let spinner = ex.spawn(spin(MSG));
    println!("spinner object: {spinner:?}");
    // While `slow` waits, the executor runs the spinner on this same thread.
    let result = slow(seconds).await;
    // `cancel` drops the task (its line blanked) and waits until it is gone. Dropping a smol
    // `Task` cancels it too: a task nobody holds does not run on.
    spinner.cancel().await;
    result
}

fn main() -> contract::Result<()> {
    let args = Args::parse_args();
    spinner::exit_on_ctrl_c()?;
    let ex = LocalExecutor::new();
    let result = smol::block_on(ex.run(supervisor(&ex, args.seconds)));
    println!("Answer: {result}");
    Ok(())
}
