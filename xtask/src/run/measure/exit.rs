//! How a program ended, as the system's module (`unix.rs`, `other.rs`) tells `measure.rs`.

use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// User and system CPU time of a program and every worker process it waited for.
#[derive(Clone, Copy, Debug)]
pub struct Cpu {
    pub user: Duration,
    pub system: Duration,
}

/// How a program ended.
pub struct Exited {
    pub status: ExitStatus,
    pub ended: Instant,
    /// `None` where the system cannot tell.
    pub cpu: Option<Cpu>,
}
