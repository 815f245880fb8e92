//! The one way a process program of the workspace runs itself again as a worker: io_multiprocess's
//! pool, cpu_multiprocess's pool and spinner_process's spinner child alike.
//!
//! Python's `multiprocessing`, with its `spawn` start method (the default on macOS and Windows;
//! Linux forks the parent, up to Python 3.13), starts a fresh interpreter that imports the
//! program and calls the worker function. A Rust program has no such entry point, so the parent
//! starts its own binary again (`std::env::current_exe()`) with the hidden first argument
//! `--worker`, followed by what the worker needs to know (`io_multiprocess --worker
//! SpawnPoolWorker-1 10`, which is what `ps` shows), and talks to it over its stdin and stdout.
//! The child sees the flag before it parses any other: a worker never reads the user's flags and
//! never starts a stand-in.

use std::ffi::OsString;
use std::io;
use std::process::Command;

/// The hidden first argument that makes a program one of its own workers.
pub const WORKER_FLAG: &str = "--worker";

/// `Some(the arguments after --worker)` when this process was started by [`worker_command`],
/// `None` when it was run by hand. A worker's stdout is a pipe to its parent, so this also
/// installs [`crate::exits::install`]: if the parent has gone, the worker ends quietly.
pub fn worker_role() -> Option<Vec<String>> {
    worker_args(std::env::args_os())
}

fn worker_args(args: impl IntoIterator<Item = OsString>) -> Option<Vec<String>> {
    let mut args = args.into_iter().skip(1);
    if args.next()? != WORKER_FLAG {
        return None;
    }
    crate::exits::install();
    Some(args.map(|arg| arg.to_string_lossy().into_owned()).collect())
}

/// This same program as a worker, ready to start: `current_exe() --worker`. Add the worker's
/// own arguments and pipes, then spawn it.
pub fn worker_command() -> io::Result<Command> {
    let mut command = Command::new(std::env::current_exe()?);
    command.arg(WORKER_FLAG);
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(args: &[&str]) -> Option<Vec<String>> {
        worker_args(args.iter().map(OsString::from))
    }

    #[test]
    fn only_a_first_worker_flag_makes_a_worker() {
        assert_eq!(role(&["prog", "--worker"]), Some(vec![]));
        let named = role(&["prog", "--worker", "SpawnPoolWorker-1", "10"]);
        assert_eq!(named, Some(vec!["SpawnPoolWorker-1".into(), "10".into()]));
        assert_eq!(role(&["prog"]), None);
        assert_eq!(role(&["prog", "--repeat", "2", "--worker"]), None);
    }
}
