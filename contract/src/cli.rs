//! How every program reads its command line: clap, with its own messages, and a few value
//! parsers whose ranges the programs share.

use std::num::NonZeroUsize;
use std::path::Path;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Command, Parser};

/// The most `--workers` of a CPU program: more than cores only take turns, and rayon's idle
/// threads spin a while before they sleep, so a pool of 1,000 takes seconds to start.
pub const MAX_CPU_WORKERS: usize = 256;

/// Clap's `P::parse()`, after [`crate::exits::install`]: bad usage prints clap's own message
/// (with its "a similar argument exists" tips) and exits with status 2, `--help` and
/// `--version` print and exit 0; and from here on a closed stdout or stderr, or a thread the OS
/// refuses, ends the program cleanly. Every program of the workspace starts here.
pub fn parse_args<P: Parser>() -> P {
    crate::exits::install();
    // clap ignores a stderr whose reader has gone (`2>&1 | head -1`): the status is still 2.
    P::parse()
}

/// Exits with status 2 after a mistake clap cannot see (flags that disagree), in clap's own
/// words and layout: `error: ...`, the usage of `command` (`Cli::command()`), a pointer to
/// `--help`.
pub fn usage_error(command: Command, message: impl std::fmt::Display) -> ! {
    // The program as it was run (`io_async_smol`), not the package clap was compiled in.
    let program = std::env::args_os().next();
    let mut command = match program.as_deref().map(Path::new).and_then(Path::file_name) {
        Some(name) => command.bin_name(name.to_string_lossy().into_owned()),
        None => command,
    };
    command.error(ErrorKind::ArgumentConflict, message).exit()
}

/// Parses a number of seconds from `min` to `max`, both included (NaN and infinities are not
/// in any range): for every flag in seconds, so none can overflow a `Duration` or round to 0.
pub fn seconds_in(text: &str, min: f64, max: f64) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (min..=max).contains(&seconds) {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!("{text} is not in {min}..={max} seconds"))
    }
}

/// The spinners' `--seconds`, 0 to an hour (long enough to watch one turn); `cargo xtask
/// compare` checks its `--spinner-seconds` with it before it passes them on.
pub fn parse_spinner_seconds(text: &str) -> Result<Duration, String> {
    seconds_in(text, 0.0, 3600.0)
}

/// A clap value parser for a count from 1 to `max`, as clap's own ranges for integers.
pub fn count_up_to(
    max: usize,
) -> impl Fn(&str) -> Result<NonZeroUsize, String> + Clone + Send + Sync + 'static {
    move |text| {
        let n: usize = text
            .parse()
            .map_err(|_| format!("{text:?} is not a whole number"))?;
        NonZeroUsize::new(n)
            .filter(|n| n.get() <= max)
            .ok_or_else(|| format!("{n} is not in 1..={max}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_seconds_keep_their_ranges() {
        let count = count_up_to(10);
        assert_eq!(count("10").map(NonZeroUsize::get), Ok(10));
        for bad in ["0", "11", "-1", "five", "1.5"] {
            assert!(count(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_spinner_seconds("0"), Ok(Duration::ZERO));
        for bad in ["-1", "3601", "NaN", "inf", "soon"] {
            assert!(parse_spinner_seconds(bad).is_err(), "{bad}");
        }
    }
}
