//! # Spinner, asyncio-style on async-std: a local task draws while `slow()` waits
//!
//! Ports Fluent Python's
//! [`spinner_async.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/19-concurrency/spinner_async.py)
//! on async-std (discontinued in 2025 for smol): `task::spawn_local` is `asyncio.create_task`.
//!
//!     cargo run --release -p spinner --bin spinner_async_std
//!     diff spinner/src/bin/spinner_smol.rs spinner/src/bin/spinner_async_std.rs
//!
//! What to watch for: `spawn_local` keeps the spinner on this thread, as asyncio does (`spawn`
//! would put it on async-std's pool). More in `docs/spinners.md`.
//!
//! ```text
//! spinner object: JoinHandle { handle: Some(Task { .. }), task: Task { id: TaskId(2), name: None } }
//! | thinking!          <- turns in place for 3 s on a terminal, then is blanked
//! Answer: 42
//! ```

use std::time::Duration;

use async_std::task;
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
        task::sleep(TICK).await;
    }
}

/// Pretends to wait a long time for I/O, giving the thread back to the executor meanwhile.
async fn slow(seconds: Duration) -> i64 {
    task::sleep(seconds).await;
    42
}

async fn supervisor(seconds: Duration) -> i64 {
    // As `asyncio.create_task`, spawning only schedules the task. It first runs when this task
    // waits at an `.await` whose future is not ready (Pending): here, the sleep in `slow`.
    let spinner = task::spawn_local(spin(MSG));
    println!("spinner object: {spinner:?}");
    // While `slow` waits, `block_on` runs the spinner on this same thread.
    let result = slow(seconds).await;
    // `cancel` drops the task (its line blanked) and waits until it is gone.
    spinner.cancel().await;
    result
}

fn main() -> contract::Result<()> {
    let args = Args::parse_args();
    spinner::exit_on_ctrl_c()?;
    let result = task::block_on(supervisor(args.seconds));
    println!("Answer: {result}");
    Ok(())
}
