//! Elsewhere (Windows): std waits for the program and sysinfo stops it. The CPU time of a
//! program and its workers would need a job object: it shows as "n/a", and a worker left
//! behind by a killed program is not stopped with it.

use std::io;
use std::process::{Child, Command};
use std::time::Instant;

use sysinfo::{Pid, ProcessesToUpdate, System};

use super::exit::Exited;

pub fn own_group(_command: &mut Command) {}

pub fn wait(mut child: Child) -> io::Result<Exited> {
    let status = child.wait()?;
    let ended = Instant::now();
    Ok(Exited {
        status,
        ended,
        cpu: None,
    })
}

pub fn kill_tree(pid: u32) {
    let pid = Pid::from_u32(pid);
    let mut system = System::new();
    system.refresh_processes(ProcessesToUpdate::Some(&[pid]), true);
    if let Some(process) = system.process(pid) {
        process.kill();
    }
}
