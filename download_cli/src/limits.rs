//! The open-file limit: every connection is a file descriptor.

use std::io;

/// Raises the soft limit on open files as far as the kernel allows, as Go's `os` package does
/// at start-up ([`os/rlimit.go`]), and returns the limit now in force. Only root may raise the
/// hard limit; this never tries.
///
/// On Linux the soft limit goes up to the hard one. On macOS the hard limit is usually
/// `RLIM_INFINITY`, and `setrlimit` refuses a soft limit above `kern.maxfilesperproc`, so the
/// request is clamped to that first, as Go does in [`os/rlimit_darwin.go`].
///
/// [`os/rlimit.go`]: https://github.com/golang/go/blob/2b91d10eb283456d67c9026f578e5bbfc6d5f35f/src/os/rlimit.go
/// [`os/rlimit_darwin.go`]: https://github.com/golang/go/blob/a6ea8606f4344c6b2ace26ee558e44acb674e1b8/src/os/rlimit_darwin.go
#[cfg(unix)]
pub fn raise_open_file_limit() -> io::Result<u64> {
    let mut limit = current()?;
    let wanted = ceiling(limit.rlim_max);
    if limit.rlim_cur < wanted {
        let raised = libc::rlimit {
            rlim_cur: wanted,
            ..limit
        };
        // SAFETY: `raised` is a valid rlimit; a refusal leaves the old limit, which we report.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    #[allow(clippy::unnecessary_cast)] // `rlim_t` is u64 on Linux, not on every unix.
    Ok(limit.rlim_cur as u64)
}

/// Elsewhere there is no such limit to raise.
#[cfg(not(unix))]
pub fn raise_open_file_limit() -> io::Result<u64> {
    Ok(u64::MAX)
}

#[cfg(unix)]
fn current() -> io::Result<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(limit)
}

/// The highest soft limit the kernel accepts under the hard limit `hard`: `hard` itself.
#[cfg(all(unix, not(target_vendor = "apple")))]
fn ceiling(hard: libc::rlim_t) -> libc::rlim_t {
    hard
}

/// The highest soft limit the kernel accepts under the hard limit `hard`: on Apple's systems
/// no more than `kern.maxfilesperproc` (`hard` if that cannot be read).
#[cfg(target_vendor = "apple")]
fn ceiling(hard: libc::rlim_t) -> libc::rlim_t {
    let mut per_process: libc::c_int = 0;
    let mut size = std::mem::size_of::<libc::c_int>();
    // SAFETY: the name is NUL-terminated, and `per_process` and `size` are valid and writable
    // for the call; `size` says how many bytes `per_process` holds.
    let rc = unsafe {
        libc::sysctlbyname(
            c"kern.maxfilesperproc".as_ptr(),
            (&raw mut per_process).cast(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    match libc::rlim_t::try_from(per_process) {
        Ok(per_process) if rc == 0 && per_process > 0 => hard.min(per_process),
        _ => hard,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_goes_as_high_as_the_kernel_allows() {
        let before = current().unwrap();
        let now = raise_open_file_limit().unwrap();
        assert!(now >= before.rlim_cur as u64, "never lowered");
        assert_eq!(
            now,
            current().unwrap().rlim_cur as u64,
            "reports what is in force"
        );
        // On Linux that is the hard limit; on macOS, the hard limit or kern.maxfilesperproc,
        // whichever is lower (the hard limit there is usually unlimited).
        assert_eq!(now, ceiling(before.rlim_max) as u64);
        #[cfg(not(target_vendor = "apple"))]
        assert_eq!(now, before.rlim_max as u64, "raised to the hard limit");
        #[cfg(target_vendor = "apple")]
        assert!(now < libc::RLIM_INFINITY as u64, "clamped below unlimited");
    }
}
