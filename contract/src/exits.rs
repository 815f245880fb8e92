//! Two panics of std made clean exits, for every program of the workspace: `println!` on a
//! stdout whose reader has gone (or `eprintln!` on such a stderr), and a thread the OS will not
//! start.
//!
//! **A closed stdout** (`io_sequential | head -2`) ends a program at once, quietly, with exit
//! status 0, as `yes | head -1` ends `yes` and as ripgrep does (the status it chose: the reader
//! has all it wanted). Rust ignores SIGPIPE, so where a C program is killed by it, a write to a
//! pipe whose reader has gone fails with EPIPE instead, and `println!` panics on it. There are two
//! ways out: reset SIGPIPE to its default, or handle EPIPE. Resetting it is Unix only, and would
//! kill the program on a write to *any* closed pipe or socket, not only stdout: a downloader
//! writing a request to a server that hung up (std's `send` asks the kernel to spare it, but the
//! vectored writes hyper uses do not), a pool writing to a dead worker's stdin. So this handles
//! EPIPE, for stdout alone and on every platform, and the examples' `println!`s stay as they are.
//!
//! **A thread the OS refuses** (out of memory, past the process limit) makes `thread::spawn`
//! panic. The thread pools of io_threads and cpu_threads start theirs with `scope.spawn`, as
//! the article's executor does, without a line about it; libraries start threads too (ureq
//! resolves every host name on a thread of its own when a timeout is set). So this makes a
//! refused thread one `Error:` line and exit status 1, as an error returned from `main` would
//! be. (race_condition's 5,000 threads use `thread::Builder`, which returns the error, and say
//! which one it was.)
//!
//! Both are a panic hook: it recognises the two panics by std's messages, and hands every other
//! panic to the default hook.

use std::io;
use std::panic::{self, PanicHookInfo};
use std::process;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

/// Installs the hook, once per process (later calls do nothing).
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| match message(info).map(Panic::of) {
            Some(Panic::ClosedStdout) => exit_once(0, None),
            Some(Panic::NoThread(why)) => {
                exit_once(1, Some(format!("Error: cannot start a thread: {why}")))
            }
            _ => default(info),
        }));
    });
}

/// A panic's message, whether `panic!` was given a literal or a format.
fn message<'a>(info: &'a PanicHookInfo<'_>) -> Option<&'a str> {
    let payload = info.payload();
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
}

/// The panics this module turns into exits.
#[derive(Debug, PartialEq)]
enum Panic {
    /// stdout's reader has gone, or stderr's (the same pipe, in `program 2>&1 | head`).
    ClosedStdout,
    /// The OS's reason, "Resource temporarily unavailable (os error 11)".
    NoThread(String),
    Other,
}

impl Panic {
    /// Reads std's messages, "failed printing to stdout: Broken pipe (os error 32)" and
    /// "failed to spawn thread: Os { code: 11, kind: WouldBlock, message: ... }". The OS's
    /// error number says which error it was, on Windows as on Unix.
    fn of(message: &str) -> Panic {
        let printing = ["failed printing to stdout: ", "failed printing to stderr: "];
        if let Some(error) = printing.iter().find_map(|p| message.strip_prefix(p)) {
            let code = error
                .strip_suffix(')')
                .and_then(|e| e.rsplit_once("(os error "))
                .and_then(|(_, code)| code.parse().ok());
            if code.is_some_and(|c| {
                io::Error::from_raw_os_error(c).kind() == io::ErrorKind::BrokenPipe
            }) {
                return Panic::ClosedStdout;
            }
        } else if let Some(error) = message.strip_prefix("failed to spawn thread: ") {
            let code = error
                .strip_prefix("Os { code: ")
                .and_then(|e| e.split(',').next()?.parse().ok());
            let why = match code {
                Some(code) => io::Error::from_raw_os_error(code).to_string(),
                None => error.to_owned(),
            };
            return Panic::NoThread(why);
        }
        Panic::Other
    }
}

/// Says `message` and exits with `code`, in the first thread to get here; any other thread that
/// panics the same way meanwhile waits for the exit, so the line is said once.
fn exit_once(code: i32, message: Option<String>) -> ! {
    static EXITING: AtomicBool = AtomicBool::new(false);
    if EXITING.swap(true, Ordering::SeqCst) {
        loop {
            thread::park();
        }
    }
    if let Some(message) = message {
        eprintln!("{message}");
    }
    process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OS's own numbers for a write to a pipe whose reader has gone, and to a full disk:
    /// Unix's errno values, and Windows' ERROR_NO_DATA and ERROR_DISK_FULL (where 32 and 28
    /// are a sharing violation and a printer out of paper).
    #[cfg(unix)]
    const BROKEN_PIPE: i32 = libc::EPIPE;
    #[cfg(unix)]
    const DISK_FULL: i32 = libc::ENOSPC;
    #[cfg(windows)]
    const BROKEN_PIPE: i32 = 232;
    #[cfg(windows)]
    const DISK_FULL: i32 = 112;

    #[test]
    fn only_a_broken_pipe_ends_a_program_quietly() {
        let broken = io::Error::from_raw_os_error(BROKEN_PIPE);
        let of = |message: String| Panic::of(&message);
        assert_eq!(
            of(format!("failed printing to stdout: {broken}")),
            Panic::ClosedStdout
        );
        let full = io::Error::from_raw_os_error(DISK_FULL);
        assert_eq!(
            of(format!("failed printing to stdout: {full}")),
            Panic::Other
        );
        // `program 2>&1 | head -1`: stderr is the same pipe, gone the same way.
        assert_eq!(
            of(format!("failed printing to stderr: {broken}")),
            Panic::ClosedStdout
        );
        assert_eq!(
            Panic::of("called `Option::unwrap()` on a `None` value"),
            Panic::Other
        );
    }

    #[test]
    fn a_refused_thread_is_said_in_the_oss_words() {
        let refused = io::Error::from_raw_os_error(libc::EAGAIN);
        let message = format!("failed to spawn thread: {refused:?}");
        let why = refused.to_string();
        assert_eq!(Panic::of(&message), Panic::NoThread(why));
    }
}
