//! Measuring a program from the outside: wall time, CPU time, peak memory, threads, processes.
//!
//! CPU time comes from `wait4`, whose `rusage` covers the child and every descendant it waited
//! for (a process pool's workers). Memory, threads and processes come from sampling `/proc`
//! every few milliseconds while the program runs: the process tree is found through each
//! process's parent id (`/proc/<pid>/stat`; this kernel may lack `/proc/<pid>/task/*/children`),
//! and each process's `/proc/<pid>/status` gives its `VmRSS`, `VmHWM` and `Threads`.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// The shortest wait between two samples of `/proc`.
const MIN_INTERVAL: Duration = Duration::from_millis(5);
/// Sampling never takes more than about a tenth of one core: after a sample that took `t`,
/// the next one waits at least `10 t`. A program with 500 threads costs more to sample.
const INTERVAL_PER_SAMPLE_COST: u32 = 10;

/// Everything measured about one run of a program.
#[derive(Debug)]
pub struct Measurement {
    /// From spawn to exit, measured here, not by the program.
    pub wall: Duration,
    pub user: Duration,
    pub system: Duration,
    /// The largest peak resident memory of any one of its processes, in KiB.
    pub largest_process_kib: u64,
    /// The most resident memory of all its processes together at one moment, in KiB.
    pub all_processes_kib: u64,
    /// The most threads it had at once, over all its processes.
    pub threads: usize,
    /// The most processes it had at once, itself included.
    pub processes: usize,
    /// Whether `/proc` was sampled while it ran at all: a program that ends within a few
    /// milliseconds may be gone before the first sample, and then memory, threads and
    /// processes are unknown (zero).
    pub sampled: bool,
    /// `None` when it was killed for running past the time limit.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub started: Instant,
    pub ended: Instant,
}

impl Measurement {
    pub fn cpu(&self) -> Duration {
        self.user + self.system
    }

    /// How many cores it kept busy on average.
    pub fn cores_used(&self) -> f64 {
        self.cpu().as_secs_f64() / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Runs `command` to its end (or kills it, with its process group, after `limit`), sampling it
/// all the while.
pub fn run(mut command: Command, limit: Duration) -> io::Result<Measurement> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that one signal stops it and every worker it started.
        .process_group(0);
    let started = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());

    // Waiting blocks, so a thread of its own waits while this one samples. It reaps the child
    // itself (std's `Child::wait` would not give the rusage), so `child` is never waited on.
    let (exited_tx, exited) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let result = wait_exited(pid);
        let ended = Instant::now();
        // A worker the program left behind would hold the output pipes open forever. The
        // program is not reaped yet, so its process group id cannot have been reused.
        kill_group(pid);
        let result = result.and_then(|()| wait4(pid));
        let _ = exited_tx.send(());
        (result, ended)
    });

    let mut peaks = Peaks::default();
    let mut killed = false;
    loop {
        let sampling = Instant::now();
        peaks.add(&sample_tree(pid));
        let interval = MIN_INTERVAL.max(sampling.elapsed() * INTERVAL_PER_SAMPLE_COST);
        match exited.recv_timeout(interval) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if !killed && started.elapsed() > limit {
            kill_group(pid);
            killed = true;
        }
    }
    let (result, ended) = waiter.join().expect("the waiting thread does not panic");
    let (status, usage) = result?;

    // Not `usage.ru_maxrss`: after `posix_spawn` it counts this process's own memory too (the
    // kernel keeps the larger of the old and new image's peaks across `exec`).
    let largest_process_kib = peaks.largest_process_kib();
    Ok(Measurement {
        wall: ended - started,
        user: timeval(usage.ru_utime),
        system: timeval(usage.ru_stime),
        largest_process_kib,
        all_processes_kib: peaks.all_processes_kib.max(largest_process_kib),
        threads: peaks.threads,
        processes: peaks.processes,
        sampled: peaks.samples > 0,
        status: (!killed).then_some(status),
        stdout: stdout.join().expect("the reading thread does not panic"),
        stderr: stderr.join().expect("the reading thread does not panic"),
        started,
        ended,
    })
}

fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits until `pid` has exited, and leaves it unreaped (`WNOWAIT`): a zombie still holds its
/// process id and its group's.
fn wait_exited(pid: libc::pid_t) -> io::Result<()> {
    // SAFETY: `siginfo_t` is plain old data that `waitid` fills in; all zeroes is valid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: the pointer is to a live local of the right type.
        let id = pid as libc::id_t;
        let waited =
            unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if waited == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Reaps `pid`, which has exited, with its rusage.
fn wait4(pid: libc::pid_t) -> io::Result<(ExitStatus, libc::rusage)> {
    let mut status = 0;
    // SAFETY: `rusage` is plain old data that `wait4` fills in; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live locals of the right types.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            return Ok((ExitStatus::from_raw(status), usage));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

fn kill_group(pid: libc::pid_t) {
    // SAFETY: `kill` has no memory-safety preconditions. The group is the child's own, so this
    // reaches nothing else; if it is gone already this does nothing.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// The highest values seen over all samples.
#[derive(Debug, Default)]
struct Peaks {
    /// Each process's own high-water mark (`VmHWM`), the last one seen.
    high_water_kib: HashMap<u32, u64>,
    all_processes_kib: u64,
    threads: usize,
    processes: usize,
    /// How many samples found the program.
    samples: usize,
}

impl Peaks {
    fn add(&mut self, tree: &[(u32, Status)]) {
        if tree.is_empty() {
            return;
        }
        self.samples += 1;
        for (pid, status) in tree {
            let seen = self.high_water_kib.entry(*pid).or_default();
            *seen = (*seen).max(status.high_water_kib);
        }
        let sum = |f: fn(&Status) -> u64| tree.iter().map(|(_, s)| f(s)).sum::<u64>();
        self.all_processes_kib = self.all_processes_kib.max(sum(|s| s.resident_kib));
        self.threads = self.threads.max(sum(|s| s.threads) as usize);
        self.processes = self.processes.max(tree.len());
    }

    fn largest_process_kib(&self) -> u64 {
        self.high_water_kib.values().copied().max().unwrap_or(0)
    }
}

/// What `/proc/<pid>/status` says about one process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    pub resident_kib: u64,
    pub high_water_kib: u64,
    pub threads: u64,
}

/// Reads the fields this module needs from a `/proc/<pid>/status` text. A zombie has no memory
/// lines: they read as zero.
pub fn parse_status(text: &str) -> Status {
    let mut status = Status::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let number = || {
            let value = value.trim();
            value
                .strip_suffix(" kB")
                .unwrap_or(value)
                .trim()
                .parse()
                .unwrap_or(0)
        };
        match key {
            "VmRSS" => status.resident_kib = number(),
            "VmHWM" => status.high_water_kib = number(),
            "Threads" => status.threads = number(),
            _ => {}
        }
    }
    status
}

/// The parent's pid from a `/proc/<pid>/stat` text: `pid (comm) state ppid ...`. The command
/// name may hold spaces and parentheses, so the fields are counted from the last `)`.
pub fn parse_parent(stat: &str) -> Option<u32> {
    let (_, after_name) = stat.rsplit_once(')')?;
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// The process `root` and all its descendants, now.
pub fn descendants(root: u32, parents: &[(u32, u32)]) -> Vec<u32> {
    let mut tree = vec![root];
    let mut seen = HashSet::from([root]);
    let mut next = 0;
    while let Some(&parent) = tree.get(next) {
        for &(pid, ppid) in parents {
            if ppid == parent && seen.insert(pid) {
                tree.push(pid);
            }
        }
        next += 1;
    }
    tree
}

/// `(pid, status)` of `root` and each of its descendants.
fn sample_tree(root: libc::pid_t) -> Vec<(u32, Status)> {
    let parents: Vec<(u32, u32)> = fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            Some((pid, parse_parent(&stat)?))
        })
        .collect();
    descendants(root as u32, &parents)
        .into_iter()
        .filter_map(|pid| {
            let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            Some((pid, parse_status(&status)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_memory_and_threads_from_status() {
        let text = "Name:\tio_threads\nPPid:\t12\nVmHWM:\t    9172 kB\nVmRSS:\t    8800 kB\n\
                    RssAnon:\t  100 kB\nThreads:\t6\nSigQ:\t0/96365\n";
        assert_eq!(
            parse_status(text),
            Status {
                resident_kib: 8800,
                high_water_kib: 9172,
                threads: 6
            }
        );
        // A zombie's status has no memory lines.
        assert_eq!(parse_status("Name:\tx\nThreads:\t1\n").resident_kib, 0);
    }

    #[test]
    fn reads_the_parent_even_from_an_odd_name() {
        assert_eq!(
            parse_parent("12590 (cat) R 12583 12583 7811 0"),
            Some(12583)
        );
        assert_eq!(parse_parent("7 (a) b (c) S 1 7 7 0"), Some(1));
        assert_eq!(parse_parent("garbage"), None);
    }

    #[test]
    fn finds_every_descendant_and_nothing_else() {
        let parents = [(2, 1), (3, 2), (4, 3), (5, 2), (6, 1), (9, 8)];
        let mut tree = descendants(2, &parents);
        tree.sort();
        assert_eq!(tree, [2, 3, 4, 5]);
    }

    #[test]
    fn measures_a_real_process_tree() {
        // A shell that starts a child and waits for it, both burning a little CPU.
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'; echo done",
        ]);
        let m = run(command, Duration::from_secs(60)).unwrap();
        assert!(m.status.unwrap().success(), "{m:?}");
        assert_eq!(m.stdout, "done\n");
        assert!(m.cpu() > Duration::ZERO, "{m:?}");
        assert!(m.sampled && m.processes >= 1 && m.threads >= 1, "{m:?}");
        assert!(m.largest_process_kib > 0 && m.all_processes_kib >= m.largest_process_kib);
    }

    #[test]
    fn kills_a_program_that_runs_too_long() {
        let mut command = Command::new("sleep");
        command.arg("30");
        let m = run(command, Duration::from_millis(100)).unwrap();
        assert_eq!(m.status, None);
    }

    #[test]
    fn a_worker_left_behind_is_killed_with_its_group() {
        // The shell exits at once; its `sleep` would hold stdout open for 30 s.
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30 & echo started"]);
        let m = run(command, Duration::from_secs(60)).unwrap();
        assert!(m.status.unwrap().success(), "{m:?}");
        assert_eq!(m.stdout, "started\n");
        assert!(
            m.ended.elapsed() < Duration::from_secs(1),
            "output arrived with the exit"
        );
        assert!(m.wall < Duration::from_secs(10), "{m:?}");
    }

    #[test]
    fn a_big_parent_does_not_make_a_small_child_look_big() {
        // `wait4`'s `ru_maxrss` would report this process's 64 MiB for `sleep`.
        let big = vec![1u8; 64 << 20];
        let mut command = Command::new("sleep");
        command.arg("0.1");
        let m = run(command, Duration::from_secs(5)).unwrap();
        assert!(m.sampled, "{m:?}");
        assert!(m.largest_process_kib < 32 << 10, "{m:?}");
        assert_eq!(big.iter().map(|&b| b as usize).sum::<usize>(), 64 << 20);
    }
}
