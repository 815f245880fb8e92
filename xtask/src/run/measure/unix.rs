//! What Unix gives: a process group to stop a program with all its workers, and `wait4`, whose
//! `rusage` holds the CPU time of the child and of every descendant it waited for (a process
//! pool's workers). Linux, macOS and the BSDs alike.

use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::exit::{Cpu, Exited};

/// Its own process group, so that one signal stops it and every worker it started.
pub fn own_group(command: &mut Command) {
    command.process_group(0);
}

/// Waits for `child` to exit, stops whatever it left behind, and reaps it with its rusage.
pub fn wait(child: Child) -> io::Result<Exited> {
    let pid = child.id() as libc::pid_t;
    // Not `Child::wait`, which would not give the rusage: wait without reaping (`WNOWAIT`), so
    // the zombie still holds its pid and its group's while the group is killed.
    let waited = retry(|| {
        // SAFETY: `siginfo_t` is plain old data; `waitid` fills in the live local it points to.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let id = pid as libc::id_t;
        unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) }
    });
    if let Err(e) = waited {
        // Whatever is still running of it is stopped, not left behind with the error.
        kill_tree(pid as u32);
        return Err(e);
    }
    let ended = Instant::now();
    // A worker the program left behind would hold the output pipes open forever.
    kill_tree(pid as u32);
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: both pointers are to live locals of the right types; `rusage` is plain old data.
    retry(|| unsafe { libc::wait4(pid, &mut status, 0, &mut usage) })?;
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(Exited {
        status: ExitStatusExt::from_raw(status),
        ended,
        cpu: Some(Cpu {
            user: time(usage.ru_utime),
            system: time(usage.ru_stime),
        }),
    })
}

/// Kills the program's whole process group (nothing else: the group is its own).
pub fn kill_tree(pid: u32) {
    // SAFETY: `kill` has no memory-safety preconditions; if the group is gone it does nothing.
    unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGKILL) };
}

/// Calls a system call until it is not interrupted by a signal.
fn retry(mut call: impl FnMut() -> libc::c_int) -> io::Result<()> {
    loop {
        if call() != -1 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}
