//! What Unix gives: a process group to stop a program with all its workers, and `wait4`, whose
//! `rusage` holds the CPU time of the child and of every descendant it waited for (a process
//! pool's workers). Linux, macOS and the BSDs alike.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::Instant;

use rustix::process::{Pid, Signal, WaitId, WaitIdOptions};

use super::exit::{Cpu, Exited};

/// Its own process group, so that one signal stops it and every worker it started.
pub fn own_group(command: &mut Command) {
    command.process_group(0);
}

/// Waits for `child` to exit, stops whatever it left behind, and reaps it with its rusage.
pub fn wait(child: Child) -> io::Result<Exited> {
    let pid = Pid::from_child(&child);
    // Not `Child::wait`, which would not give the rusage: wait without reaping (`WNOWAIT`), so
    // the zombie still holds its pid and its group's while the group is killed.
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT;
    let waited = loop {
        match rustix::process::waitid(WaitId::Pid(pid), options) {
            Err(rustix::io::Errno::INTR) => continue,
            waited => break waited,
        }
    };
    let ended = Instant::now();
    // A worker the program left behind would hold the output pipes open forever; and after an
    // error, whatever is still running of it is stopped, not left behind.
    kill_tree(child.id());
    waited?;
    let (status, user, system) = crate::sys::wait4(child.id())?;
    Ok(Exited {
        status,
        ended,
        cpu: Some(Cpu { user, system }),
    })
}

/// Kills the program's whole process group (nothing else: the group is its own; if it is
/// gone, nothing).
pub fn kill_tree(pid: u32) {
    if let Some(group) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process_group(group, Signal::KILL);
    }
}
