//! The open-file limit: every connection is a file descriptor.

use std::io;

/// Raises the soft limit on open files to the hard limit, as Go's runtime does at start-up, and
/// returns the limit now in force. Only root may raise the hard limit; this never tries.
#[cfg(unix)]
pub fn raise_open_file_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_at_least_what_it_was() {
        let mut before = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut before) },
            0
        );
        let now = raise_open_file_limit().unwrap();
        assert!(now >= before.rlim_cur);
        assert_eq!(now, before.rlim_max, "raised to the hard limit");
    }
}
