//! What sysinfo does not give on Linux: a process's CPU time split into user and system, from
//! `/proc/PID/stat` (fields 14 and 15, every thread it ever had counted: proc(5)), in clock
//! ticks, a hundredth of a second here. A figure of a few ticks is not one: [`resolved`] says
//! which are. Their sum comes to the nanosecond from the process's CPU-time clock
//! ([`cpu_total`]).

use std::time::Duration;

use super::exit::Cpu;

/// The fewest ticks a figure is made of: within a tenth, since a tick may fall either side of
/// each end of the window it is read over.
const FEWEST_TICKS: u32 = 10;

pub fn cpu_time(pid: u32) -> Option<Cpu> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command's name, field 2, is in parentheses and may hold spaces: count from after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let time = |field: usize| Some(tick() * fields.get(field - 3)?.parse::<u32>().ok()?);
    Some(Cpu {
        user: time(14)?,
        system: time(15)?,
    })
}

/// The processor time process `pid` has used so far, user and system together, to the
/// nanosecond (`sys.rs`'s `process_cpu_time`): a figure however short its window.
pub fn cpu_total(pid: u32) -> Option<Duration> {
    crate::sys::process_cpu_time(pid).ok()
}

/// One clock tick, what [`cpu_time`] counts in.
fn tick() -> Duration {
    Duration::from_secs(1) / u32::try_from(rustix::param::clock_ticks_per_second()).unwrap_or(100)
}

/// Whether a time [`cpu_time`] read (or a difference of two) is made of enough ticks to be a
/// figure.
pub fn resolved(time: Duration) -> bool {
    time >= tick() * FEWEST_TICKS
}
