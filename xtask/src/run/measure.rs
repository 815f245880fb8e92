//! Measuring a program from the outside: wall time, CPU time, peak memory, threads, processes.
//!
//! Memory, threads and processes come from sampling the process tree with sysinfo every few
//! milliseconds while the program runs (Linux, macOS, Windows; threads on Linux only); what only
//! some systems give is in `unix.rs`, `other.rs` and `linux.rs`. The servers family samples its
//! servers with the same [`Sampling`], and reads their CPU time with [`cpu_time`].

use std::collections::HashMap;
use std::io::{self, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

mod exit;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(not(unix))]
mod other;
#[cfg(unix)]
mod unix;

pub use exit::Cpu;
#[cfg(target_os = "linux")]
pub use linux::{cpu_time, cpu_total, resolved};
#[cfg(not(unix))]
use other as system;
#[cfg(unix)]
use unix as system;

/// The shortest wait between two samples.
const MIN_INTERVAL: Duration = Duration::from_millis(5);
/// Sampling never takes more than about a tenth of one core: after a sample that took `t`,
/// the next one waits at least `10 t`. A program with 500 threads costs more to sample.
const INTERVAL_PER_SAMPLE_COST: u32 = 10;

/// The highest figures seen over all samples of the process tree. A figure that an earlier
/// compare.json lacks (`--against`) reads as 0.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Sampled {
    /// The largest resident memory of any one of its processes, in KiB.
    pub largest_process_kib: u64,
    /// The most resident memory of all its processes together at one moment, in KiB.
    pub all_processes_kib: u64,
    /// The most threads at once over all its processes; `None` where sysinfo cannot count them.
    pub threads: Option<usize>,
    /// The most processes at once, itself included.
    pub processes: usize,
}

/// Everything measured about one run of a program.
#[derive(Debug)]
pub struct Measurement {
    /// From spawn to exit, measured here, not by the program.
    pub wall: Duration,
    pub cpu: Option<Cpu>,
    /// `None` when the program ended before the first sample, 5 ms after it started.
    pub sampled: Option<Sampled>,
    /// `None` when it was killed for running past the time limit.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub started: Instant,
    pub ended: Instant,
}

/// Runs `command` to its end (or kills it, with its workers, after `limit`), sampling it all
/// the while.
pub fn run(mut command: Command, limit: Duration) -> io::Result<Measurement> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    system::own_group(&mut command);
    let started = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id();
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());

    // Waiting blocks, so a thread of its own waits, another samples, and this one keeps time.
    let (exited_tx, exited) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let result = system::wait(child);
        let _ = exited_tx.send(());
        result
    });
    let sampling = Sampling::start(pid, true);
    let over = exited.recv_timeout(limit.saturating_sub(started.elapsed()));
    let killed = over == Err(RecvTimeoutError::Timeout);
    if killed {
        system::kill_tree(pid);
    }
    let exited = waiter.join().expect("the waiting thread does not panic")?;
    let text = |reader: thread::JoinHandle<String>| reader.join().expect("a reader never panics");
    Ok(Measurement {
        wall: exited.ended - started,
        cpu: exited.cpu,
        sampled: sampling.stop(),
        status: (!killed).then_some(exited.status),
        stdout: text(stdout),
        stderr: text(stderr),
        started,
        ended: exited.ended,
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

/// Off Linux, no running process's CPU time: it shows as "-".
#[cfg(not(target_os = "linux"))]
pub fn cpu_time(_pid: u32) -> Option<Cpu> {
    None
}

#[cfg(not(target_os = "linux"))]
pub fn cpu_total(_pid: u32) -> Option<Duration> {
    None
}

#[cfg(not(target_os = "linux"))]
pub fn resolved(_time: Duration) -> bool {
    false
}

/// This process's CPU time so far, user and system together, to the nanosecond (Unix).
pub fn own_cpu_time() -> Option<Duration> {
    #[cfg(unix)]
    {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
        Some(Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
    }
    #[cfg(not(unix))]
    None
}

/// The figures of a process, or of the tree under it, sampled on a thread of its own: every
/// [`MIN_INTERVAL`] at least, the first only after one (taken at once, it would find the
/// program before it had loaded, a fraction of its peak; a run shorter than this is not
/// sampled), and less often as a sample costs more ([`INTERVAL_PER_SAMPLE_COST`]).
pub struct Sampling {
    stop: mpsc::Sender<()>,
    peaks: thread::JoinHandle<Option<Sampled>>,
}

impl Sampling {
    /// Samples process `root`, and with `tree` every process under it.
    pub fn start(root: u32, tree: bool) -> Sampling {
        let (stop, stopped) = mpsc::channel();
        let peaks = thread::spawn(move || {
            let mut sampler = Sampler::new(root, tree);
            let mut interval = MIN_INTERVAL;
            while stopped.recv_timeout(interval) == Err(RecvTimeoutError::Timeout) {
                let sampling = Instant::now();
                sampler.sample();
                interval = MIN_INTERVAL.max(sampling.elapsed() * INTERVAL_PER_SAMPLE_COST);
            }
            sampler.peaks()
        });
        Sampling { stop, peaks }
    }

    /// The highest figures seen; `None` if no sample found the process.
    pub fn stop(self) -> Option<Sampled> {
        let _ = self.stop.send(());
        self.peaks.join().expect("the sampler does not panic")
    }
}

/// One sample of process `pid` alone, now.
pub fn sample(pid: u32) -> Option<Sampled> {
    let mut sampler = Sampler::new(pid, false);
    sampler.sample();
    sampler.peaks()
}

impl Sampled {
    /// The higher of each figure of two samplings.
    pub fn highest(a: Option<Sampled>, b: Option<Sampled>) -> Option<Sampled> {
        let (Some(a), Some(b)) = (a, b) else {
            return a.or(b);
        };
        Some(Sampled {
            largest_process_kib: a.largest_process_kib.max(b.largest_process_kib),
            all_processes_kib: a.all_processes_kib.max(b.all_processes_kib),
            threads: a.threads.max(b.threads),
            processes: a.processes.max(b.processes),
        })
    }
}

/// Samples the tree of processes under one root: the root, then every process whose parent
/// is in it; or the root alone.
struct Sampler {
    root: Pid,
    tree: bool,
    system: System,
    /// Each process's largest resident memory seen, in KiB.
    largest_kib: HashMap<Pid, u64>,
    peaks: Sampled,
    samples: usize,
}

impl Sampler {
    fn new(root: u32, tree: bool) -> Sampler {
        // sysinfo keeps every `stat` file open between samples by default: the stand-in in this
        // process needs those file descriptors more.
        sysinfo::set_open_files_limit(0);
        Sampler {
            root: Pid::from_u32(root),
            tree,
            system: System::new(),
            largest_kib: HashMap::new(),
            peaks: Sampled::default(),
            samples: 0,
        }
    }

    fn sample(&mut self) {
        // Every process's parent first, then memory and threads of the tree's processes only.
        let system = &mut self.system;
        let mut tree = vec![self.root];
        if self.tree {
            let parents = ProcessRefreshKind::nothing().without_tasks();
            system.refresh_processes_specifics(ProcessesToUpdate::All, true, parents);
            let mut next = 0;
            while let Some(&parent) = tree.get(next) {
                let children = (system.processes().values()).filter(|p| p.parent() == Some(parent));
                tree.extend(children.map(|p| p.pid()));
                next += 1;
            }
        }
        let figures = ProcessRefreshKind::nothing().with_memory().with_tasks();
        system.refresh_processes_specifics(ProcessesToUpdate::Some(&tree), true, figures);
        // A process that has ended but is not reaped yet (a zombie) has no memory left: counted,
        // it made a short run's peak "0.0 MiB" instead of "-" (not measured).
        let tree: Vec<_> = (tree.iter())
            .filter_map(|pid| system.process(*pid))
            .filter(|process| process.memory() > 0)
            .collect();
        if tree.is_empty() {
            return;
        }
        self.samples += 1;
        let mut all_kib = 0;
        for process in &tree {
            let kib = process.memory() / 1024;
            all_kib += kib;
            let largest = self.largest_kib.entry(process.pid()).or_default();
            *largest = (*largest).max(kib);
        }
        // Linux lists each thread but the first as a task; elsewhere sysinfo cannot count them.
        let threads: Option<usize> = tree.iter().map(|p| Some(p.tasks()?.len() + 1)).sum();
        let peaks = &mut self.peaks;
        peaks.all_processes_kib = peaks.all_processes_kib.max(all_kib);
        peaks.threads = threads.map(|t| t.max(peaks.threads.unwrap_or(0)));
        peaks.processes = peaks.processes.max(tree.len());
    }

    fn peaks(&self) -> Option<Sampled> {
        let largest = self.largest_kib.values().copied().max().unwrap_or(0);
        (self.samples > 0).then_some(Sampled {
            largest_process_kib: largest,
            ..self.peaks
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

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
        assert!(m.cpu.unwrap().user > Duration::ZERO, "{m:?}");
        let sampled = m.sampled.unwrap();
        // Samples may be too far apart to see the child (see INTERVAL_PER_SAMPLE_COST).
        assert!(sampled.processes >= 1, "{m:?}");
        #[cfg(target_os = "linux")]
        assert!(sampled.threads >= Some(sampled.processes), "{m:?}");
        assert!(sampled.largest_process_kib > 0, "{m:?}");
        assert!(sampled.all_processes_kib >= sampled.largest_process_kib);
    }

    #[test]
    fn the_highest_of_two_samplings_is_taken_figure_by_figure() {
        let sampled = |kib, threads| Sampled {
            largest_process_kib: kib,
            all_processes_kib: kib,
            threads,
            processes: 1,
        };
        let highest = Sampled::highest(Some(sampled(10, Some(3))), Some(sampled(20, Some(2))));
        assert_eq!(
            highest.map(|s| (s.largest_process_kib, s.threads)),
            Some((20, Some(3)))
        );
        assert_eq!(Sampled::highest(None, None).map(|s| s.processes), None);
    }

    #[test]
    fn this_process_has_memory_and_its_time_grows_as_it_works() {
        let pid = std::process::id();
        assert!(sample(pid).unwrap().largest_process_kib > 0);
        let before = (cpu_time(pid), own_cpu_time().unwrap(), cpu_total(pid));
        let started = Instant::now();
        let mut spin = 0u64;
        while started.elapsed() < Duration::from_millis(150) {
            spin = std::hint::black_box(spin.wrapping_add(1));
        }
        assert!(own_cpu_time().unwrap() > before.1);
        // Linux's clock ticks are a hundredth of a second: a tenth of a second of spinning shows.
        #[cfg(target_os = "linux")]
        assert!(cpu_time(pid).unwrap().total() > before.0.unwrap().total());
        // The process's CPU-time clock counts nanoseconds: the spin shows, as in its own.
        #[cfg(target_os = "linux")]
        assert!(cpu_total(pid).unwrap() > before.2.unwrap());
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
        assert!(m.sampled.unwrap().largest_process_kib < 32 << 10, "{m:?}");
        assert_eq!(big.iter().map(|&b| b as usize).sum::<usize>(), 64 << 20);
    }
}
