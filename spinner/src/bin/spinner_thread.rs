//! # Spinner, threads: a second thread draws while the main thread waits
//!
//! Ports Fluent Python's
//! [`spinner_thread.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/19-concurrency/spinner_thread.py):
//! `slow()` sleeps 3 s and returns 42 while a thread draws `|/-\` until told to stop.
//!
//!     cargo run --release -p spinner --bin spinner_thread -- --seconds 1
//!
//! What to watch for: the OS runs both threads side by side. The stop signal is a channel, so the
//! spinner stops the moment `slow()` returns. More in `docs/spinners.md`.
//!
//! ```text
//! spinner object: <Builder(spinner (spin), not started)>
//! \ thinking!          <- turns in place for 3 s on a terminal, then is blanked
//! Answer: 42
//! ```

use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use spinner::{Args, FRAMES, MSG, Status, TICK};

/// Draws a frame every 0.1 s until `done` says stop (the 2nd edition's `spin(msg, done)`).
fn spin(msg: &'static str, done: Receiver<()>) {
    let mut status = Status::new(msg);
    for frame in FRAMES.iter().cycle() {
        status.draw(*frame);
        // The 2nd edition's `if done.wait(.1): break`: this returns as soon as `supervisor`
        // sends, not at the end of the 0.1 s.
        match done.recv_timeout(TICK) {
            Err(RecvTimeoutError::Timeout) => continue,
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    // `status` is dropped here, which blanks the line.
}

/// Pretends to wait a long time for I/O. It blocks the main thread only.
fn slow(seconds: Duration) -> i64 {
    thread::sleep(seconds);
    42
}

fn supervisor(seconds: Duration) -> anyhow::Result<i64> {
    let (done, done_rx) = mpsc::channel();
    // Python prints its `Thread` before `start()`: `<Thread(Thread-1 (spin), initial)>`, whose
    // default name holds the target's since 3.10 (CPython's `threading.py`:
    // https://github.com/python/cpython/blob/v3.11.7/Lib/threading.py#L885-L889).
    // A Rust thread starts the moment it is spawned; the `Builder` is the thread that has not
    // started yet, printed in Python's shape (its `Debug` shows std's fields instead).
    let name = "spinner";
    let spinner = thread::Builder::new().name(name.into());
    println!("spinner object: <Builder({name} (spin), not started)>");
    let spinner = spinner.spawn(move || spin(MSG, done_rx))?;
    // Here the two threads run at once: this one sleeps in `slow`, the other draws.
    let result = slow(seconds);
    // The 2nd edition's `done.set()`. As the article says of Python, a thread has no API to be
    // stopped from outside; Rust has none either: the thread is asked, and stops itself.
    let _ = done.send(());
    spinner
        .join()
        .map_err(|_| anyhow::anyhow!("the spinner thread panicked"))?;
    Ok(result)
}

fn main() -> contract::Result<()> {
    let args = Args::parse_args();
    spinner::exit_on_ctrl_c()?;
    let result = supervisor(args.seconds)?;
    println!("Answer: {result}");
    Ok(())
}
