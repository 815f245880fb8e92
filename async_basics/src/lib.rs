//! What the async basics share: `--scale`, and a clock that scales every sleep and stamps every
//! line, so that one program's timings read the same at any scale. The programs are in `src/bin/`.
//!
//! Every program prints each event as `[{units}] {what}`, then last `time taken: {secs} seconds
//! ({units} units)`. A unit is one of the article's seconds times `--scale`: `--scale 0.01`
//! makes it 10 ms, and the units come out as the article's seconds (9, 5, 10, 1, 2) whatever the
//! scale, give or take the timers' overshoot.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use clap::builder::RangedU64ValueParser;

/// The largest `--scale`: an hour for every one of the article's seconds.
const MAX_SCALE: f64 = 3600.0;

/// The command line of the programs that take only `--scale`.
#[derive(clap::Parser, Debug)]
#[command(about = "One of the asyncio basics; its sleeps are the article's, times --scale.")]
pub struct Args {
    #[command(flatten)]
    pub scale: Scale,
}

/// The command line of `wait_for`.
#[derive(clap::Parser, Debug)]
#[command(about = "A 5 s coroutine under asyncio.wait_for's timeout; sleeps times --scale.")]
pub struct TimeoutArgs {
    #[command(flatten)]
    pub scale: Scale,
    /// Give up on the coroutine after S of the article's seconds.
    #[arg(long, value_name = "S", default_value = "3", value_parser = parse_timeout, allow_negative_numbers = true)]
    pub timeout: f64,
}

/// The command line of `gevent_pool` and `semaphore`.
#[derive(clap::Parser, Debug)]
#[command(about = "Ten tasks, at most --size at a time; sleeps times --scale.")]
pub struct PoolArgs {
    #[command(flatten)]
    pub scale: Scale,
    /// At most N tasks at a time: gevent's `Pool(N)`, or a semaphore's N permits.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub size: usize,
    /// Every fifth task sleeps 3 s instead of 1 (tasks 0 and 5), so batches and window differ.
    #[arg(long)]
    pub uneven: bool,
}

/// The article's `for i in range(0, 10)`.
pub const TASKS: usize = 10;

/// How long task `i` sleeps, in the article's seconds: 1 (`gevent.sleep(1)`), or with
/// `--uneven`, 3 for every fifth task.
pub fn task_seconds(i: usize, uneven: bool) -> f64 {
    if uneven && i.is_multiple_of(5) {
        3.0
    } else {
        1.0
    }
}

/// `--scale S`, shared by every program.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Scale {
    /// Every sleep is the article's seconds times S (0.01: a second becomes 10 ms).
    #[arg(long = "scale", value_name = "S", default_value = "1", value_parser = parse_scale, allow_negative_numbers = true)]
    pub factor: f64,
}

fn parse_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(scale) if scale > 0.0 && scale <= MAX_SCALE => Ok(scale),
        _ => Err(format!(
            "`{s}` is not a factor above 0 and at most {MAX_SCALE}"
        )),
    }
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(timeout) if (0.0..=MAX_SCALE).contains(&timeout) => Ok(timeout),
        _ => Err(format!(
            "`{s}` is not a number of seconds from 0 to {MAX_SCALE}"
        )),
    }
}

/// The program's clock: started when the program starts its work, counting in units.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
    scale: f64,
}

impl Clock {
    pub fn start(scale: Scale) -> Self {
        Clock {
            start: Instant::now(),
            scale: scale.factor,
        }
    }

    /// How long the article's `seconds` last at this scale: what each program sleeps.
    pub fn seconds(&self, seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds * self.scale)
    }

    /// The time since the start, in units (the article's seconds).
    pub fn units(&self) -> f64 {
        self.start.elapsed().as_secs_f64() / self.scale
    }

    /// Prints `[{units}] {what}`: the article's `print`, stamped with the time it happened.
    pub fn say(&self, what: &str) {
        // Write errors (a closed pipe) are ignored: the program's timing is the lesson, and it
        // carries on, where `println!` would panic.
        let _ = writeln!(io::stdout(), "[{:5.2}] {what}", self.units());
    }

    /// Prints the last line, `time taken: {secs} seconds ({units} units)`.
    pub fn report(&self) {
        let elapsed = self.start.elapsed().as_secs_f64();
        let units = elapsed / self.scale;
        let _ = writeln!(
            io::stdout(),
            "time taken: {elapsed:.4} seconds ({units:.2} units)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scale_must_be_a_positive_finite_factor() {
        assert_eq!(parse_scale("0.01"), Ok(0.01));
        for bad in ["0", "-1", "nan", "inf", "1e9", "x", ""] {
            assert!(parse_scale(bad).is_err(), "{bad}");
        }
    }
}
