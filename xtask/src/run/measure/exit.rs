//! How a program ended, as the system's module (`unix.rs`, `other.rs`) tells `measure.rs`, and
//! the processor time every figure of CPU is made of.

use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// User and system CPU time: the program's own code, and the kernel's work on its behalf (its
/// system calls, the network stack's work done while it runs). Of a program run to its end,
/// its own and every worker's it waited for; of a server, what it has used so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cpu {
    pub user: Duration,
    pub system: Duration,
}

impl Cpu {
    /// What was spent between `before` and this.
    pub fn since(self, before: Cpu) -> Cpu {
        Cpu {
            user: self.user.saturating_sub(before.user),
            system: self.system.saturating_sub(before.system),
        }
    }

    pub fn total(self) -> Duration {
        self.user + self.system
    }
}

pub struct Exited {
    pub status: ExitStatus,
    pub ended: Instant,
    /// `None` where the system cannot tell.
    pub cpu: Option<Cpu>,
}
