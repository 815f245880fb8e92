//! The three system calls that neither std, rustix nor sysinfo wraps, each in one `unsafe`
//! block with its SAFETY comment. Every other call to the system goes through one of them: waits,
//! signals, limits and locks through rustix, processes' memory and threads through sysinfo.
//! Unix only: Windows needs neither.

use std::io;
use std::process::ExitStatus;
use std::time::Duration;

/// Reaps `pid`, which has exited, with `wait4`, and returns its exit status and the user and
/// system CPU time of its `rusage`: the child's and that of every descendant it waited for (a
/// process pool's workers). rustix's `waitpid` gives the status alone.
pub fn wait4(pid: u32) -> io::Result<(ExitStatus, Duration, Duration)> {
    use std::os::unix::process::ExitStatusExt;
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::other("no such process"))?;
    let (mut status, mut usage) = (0, std::mem::MaybeUninit::<libc::rusage>::uninit());
    let usage = loop {
        // SAFETY: both pointers are to live locals of the right types, which `wait4` writes;
        // `usage` is read only when it returns the pid, having filled it.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
        match reaped {
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
            -1 => return Err(io::Error::last_os_error()),
            // SAFETY: as above: `wait4` returned the pid, so it filled `usage`.
            _ => break unsafe { usage.assume_init() },
        }
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    let status = ExitStatus::from_raw(status);
    Ok((status, time(usage.ru_utime), time(usage.ru_stime)))
}

/// Sets `IP_BIND_ADDRESS_NO_PORT` on `socket`, which rustix's `sockopt` does not name: a
/// socket bound to an address with port 0 then gets its port from `connect`, not `bind`.
#[cfg(target_os = "linux")]
pub fn bind_address_no_port(socket: &impl std::os::fd::AsRawFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: the descriptor is the socket's, open for the call; `on` is a c_int that lives
    // across it, and its size is the length given.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&raw const on).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    match rc {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

/// The processor time process `pid` has used so far, user and system together, to the
/// nanosecond: its CPU-time clock (`clock_getcpuclockid`), the scheduler's count over every
/// thread it ever had. rustix reads this process's clock alone, `/proc` counts clock ticks.
#[cfg(target_os = "linux")]
pub fn process_cpu_time(pid: u32) -> io::Result<Duration> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::other("no such process"))?;
    let (mut clock, mut now) = (
        0,
        libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
    );
    // SAFETY: both pointers are to live locals of the right types, which the calls write;
    // `clock` is read only after `clock_getcpuclockid` returned 0, having set it.
    let rc = unsafe {
        match libc::clock_getcpuclockid(pid, &mut clock) {
            0 => libc::clock_gettime(clock, &mut now),
            error => return Err(io::Error::from_raw_os_error(error)),
        }
    };
    match rc {
        0 => Ok(Duration::new(now.tv_sec as u64, now.tv_nsec as u32)),
        _ => Err(io::Error::last_os_error()),
    }
}
