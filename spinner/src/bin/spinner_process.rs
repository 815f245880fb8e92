//! # Spinner, processes: a child process draws while the parent waits
//!
//! Ports Fluent Python's
//! [`spinner_proc.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/19-concurrency/spinner_proc.py):
//! the spinner in a child process, here this same program run again with `--worker`.
//!
//!     cargo run --release -p spinner --bin spinner_process
//!     diff spinner/src/bin/spinner_thread.rs spinner/src/bin/spinner_process.rs
//!
//! What to watch for: Python's cross-process `Event` becomes a pipe, the child's stdin, which the
//! parent closes when `slow()` returns, or by dying. More in `docs/spinners.md`.
//!
//! ```text
//! spinner object: ".../target/release/spinner_process" "--worker"
//! - thinking!          <- drawn by the child for 3 s on a terminal, then blanked
//! Answer: 42
//! ```

use std::io;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use spinner::{Args, FRAMES, MSG, Status, TICK};

/// Draws a frame every 0.1 s until `done` says stop (the 2nd edition's `spin(msg, done)`).
fn spin(msg: &'static str, done: Receiver<()>) {
    let mut status = Status::new(msg);
    for frame in FRAMES.iter().cycle() {
        status.draw(*frame);
        // The 2nd edition's `if done.wait(.1): break`: this returns as soon as the stdin
        // watcher below sends, not at the end of the 0.1 s.
        match done.recv_timeout(TICK) {
            Err(RecvTimeoutError::Timeout) => continue,
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    // `status` is dropped here, which blanks the line.
}

/// The child: the parent's `done.set()` arrives as the end of our stdin.
fn spinner_child() -> contract::Result<()> {
    // The terminal sends Ctrl-C to both processes; the parent answers it by closing our stdin.
    ctrlc::set_handler(|| {})?;
    let (done, done_rx) = mpsc::channel();
    thread::spawn(move || {
        // Returns when the parent closes the pipe, or exits, or dies.
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        let _ = done.send(());
    });
    spin(MSG, done_rx);
    Ok(())
}

/// Pretends to wait a long time for I/O. It blocks the parent only.
fn slow(seconds: Duration) -> i64 {
    thread::sleep(seconds);
    42
}

/// The 2nd edition's `done.set()` and `spinner.join()`: close the child's stdin, wait for it.
fn stop(spinner: &mut Child) -> io::Result<ExitStatus> {
    drop(spinner.stdin.take());
    spinner.wait()
}

fn supervisor(seconds: Duration) -> anyhow::Result<i64> {
    // On Ctrl-C, stop the child the normal way before exiting, so it is never left behind.
    let spinner: Arc<Mutex<Option<Child>>> = Arc::default();
    let on_ctrl_c = Arc::clone(&spinner);
    spinner::exit_on_ctrl_c_after(move || drop(on_ctrl_c.lock().unwrap().as_mut().map(stop)))?;
    // The `Command` is the process that has not started yet (Python's `Process(...)`).
    let mut command = contract::worker_command()?;
    command.stdin(Stdio::piped());
    println!("spinner object: {command:?}");
    // The lock is held while the child starts, so a Ctrl-C cannot miss it.
    spinner.lock().unwrap().replace(command.spawn()?);
    // Here the two processes run at once: this one sleeps in `slow`, the child draws.
    let result = slow(seconds);
    spinner.lock().unwrap().as_mut().map(stop).transpose()?;
    Ok(result)
}

fn main() -> contract::Result<()> {
    // The child is this same program, started by `supervisor` with the hidden `--worker`.
    if contract::worker_role().is_some() {
        return spinner_child();
    }
    let args = Args::parse_args();
    let result = supervisor(args.seconds)?;
    println!("Answer: {result}");
    Ok(())
}
