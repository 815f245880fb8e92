//! A server started for one load, and what it costs, read from outside: its resident memory,
//! threads and processor time, from `/proc` on Linux, from `proc_pidinfo` on macOS and from the
//! process's handle and a Tool Help snapshot on Windows (elsewhere these figures are left out),
//! sampled while it runs.
//!
//! Not `run/measure.rs`'s sampler, which walks a program's whole process tree with sysinfo and
//! lists every thread of it at each sample: a server is one process, holding up to 10,000
//! threads here, and `/proc/PID/status` gives both figures in one read.
//!
//! A server's errors go to its log with its output: where it says it is at a limit (out of
//! descriptors, of threads) or why it died, which `sweep-servers` reads to name what stopped it.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long a server may take to build its index and listen.
const START_PATIENCE: Duration = Duration::from_secs(60);
/// How often its log is read for its `Serving on` line: the start's time is this precise.
const POLL: Duration = Duration::from_millis(5);

/// Resident memory in bytes, and threads.
pub type Sample = (u64, u64);

/// A server process, and where it listens. Dropping it kills the server.
pub struct Running {
    child: Child,
    pub addr: SocketAddr,
    /// From its start to its `Serving on` line: the interpreter's start and the index's build.
    pub ready: Duration,
    /// Where its output and its errors go.
    log: PathBuf,
}

impl Running {
    /// Starts `program` with `args` and `--host 127.0.0.1 --port 0` (a free port), its output
    /// and its errors going to the file `log`, and waits for its `Serving on` line there.
    ///
    /// A file, not a pipe: a server logs two lines per query, and each line written to a pipe
    /// wakes the reader at its other end, two context switches per line on a machine that the
    /// load's clients already keep busy; a file takes the line into the page cache and wakes
    /// no one. It is `server > log 2>&1`, and the log is there to read after the run.
    pub fn start(
        name: &str,
        program: &Path,
        args: &[String],
        log: &Path,
    ) -> anyhow::Result<Running> {
        let started = Instant::now();
        let file = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let mut child = Command::new(program)
            .args(args)
            // A Python server's output is made line-buffered (`servers::LINE_BUFFERED`), which
            // this variable, where a machine sets it, would make unbuffered instead.
            .env_remove("PYTHONUNBUFFERED")
            .args(["--host", "127.0.0.1", "--port", "0"])
            .stdin(Stdio::null())
            .stderr(file.try_clone().context("cannot share the log")?)
            .stdout(file)
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        let deadline = started + START_PATIENCE;
        while Instant::now() < deadline {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if let Some(addr) = text.lines().find_map(charfinder::tcp::serving_address) {
                let (ready, log) = (started.elapsed(), log.to_owned());
                return Ok(Running {
                    child,
                    addr,
                    ready,
                    log,
                });
            }
            if let Ok(Some(status)) = child.try_wait() {
                bail!(
                    "{name} ended before it listened ({status}); its output is in {}",
                    log.display()
                );
            }
            thread::sleep(POLL);
        }
        let _ = child.kill();
        let _ = child.wait();
        bail!("{name} did not say where it listens within {START_PATIENCE:?}")
    }

    /// Its resident memory and threads now, if this system tells.
    pub fn sample(&self) -> Option<Sample> {
        process_status(self.child.id())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its log's lines so far: its output and its errors.
    pub fn log(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().map(str::to_owned).collect()
    }

    /// How it ended, if it has.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The processor time it has used so far, if this system tells.
    pub fn cpu_time(&self) -> Option<Cpu> {
        process_cpu_time(self.child.id())
    }

    /// Samples it every 20 ms on a thread of its own until [`Sampler::stop`].
    pub fn sampler(&self) -> Sampler {
        let pid = self.child.id();
        let (stop, stopped) = mpsc::channel();
        let peak = thread::spawn(move || {
            let mut peak = None;
            loop {
                peak = highest(peak, process_status(pid));
                match stopped.recv_timeout(Duration::from_millis(20)) {
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    _ => return peak,
                }
            }
        });
        Sampler { stop, peak }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The processor time this process (the load's clients) has used so far, if this system tells.
pub fn own_cpu_time() -> Option<Cpu> {
    process_cpu_time(std::process::id())
}

/// Processor time: in user mode (the program's own code) and in kernel mode (its system calls,
/// and the network stack's work done while it runs).
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Cpu {
    pub user: Duration,
    pub kernel: Duration,
}

impl Cpu {
    /// What was spent between `before` and this.
    pub fn since(self, before: Cpu) -> Cpu {
        Cpu {
            user: self.user.saturating_sub(before.user),
            kernel: self.kernel.saturating_sub(before.kernel),
        }
    }

    /// The share of each of `n` things done.
    pub fn each(self, n: usize) -> Cpu {
        let n = n.max(1) as f64;
        Cpu {
            user: self.user.div_f64(n),
            kernel: self.kernel.div_f64(n),
        }
    }

    pub fn total(self) -> Duration {
        self.user + self.kernel
    }
}

/// A running server's samples, keeping the highest memory and thread count seen.
pub struct Sampler {
    stop: mpsc::Sender<()>,
    peak: thread::JoinHandle<Option<Sample>>,
}

impl Sampler {
    pub fn stop(self) -> Option<Sample> {
        let _ = self.stop.send(());
        self.peak.join().expect("the sampler does not panic")
    }
}

/// The higher memory and the higher thread count of two samples.
pub fn highest(a: Option<Sample>, b: Option<Sample>) -> Option<Sample> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.max(b.0), a.1.max(b.1))),
        (a, b) => a.or(b),
    }
}

/// `VmRSS` and `Threads` from `/proc/{pid}/status`.
#[cfg(target_os = "linux")]
fn process_status(pid: u32) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    Some((field("VmRSS:")? * 1024, field("Threads:")?))
}

/// `pti_resident_size` and `pti_threadnum` of the task's information (macOS).
#[cfg(target_os = "macos")]
fn process_status(pid: u32) -> Option<Sample> {
    let info = task_info(pid)?;
    Some((
        info.pti_resident_size,
        u64::try_from(info.pti_threadnum).ok()?,
    ))
}

/// The working set (Windows's resident memory) from `GetProcessMemoryInfo`, and the threads a
/// Tool Help snapshot lists for the process.
#[cfg(windows)]
fn process_status(pid: u32) -> Option<Sample> {
    use windows_sys::Win32::System::ProcessStatus::{
        GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS,
    };
    let process = windows::open_process(pid)?;
    // SAFETY: PROCESS_MEMORY_COUNTERS is integers only, so all zeroes is one.
    let mut counters: PROCESS_MEMORY_COUNTERS = unsafe { std::mem::zeroed() };
    let size = u32::try_from(size_of::<PROCESS_MEMORY_COUNTERS>()).ok()?;
    // SAFETY: the handle is open, and `counters` is a writable struct of `size` bytes.
    let ok = unsafe { GetProcessMemoryInfo(process.0, &mut counters, size) };
    if ok == 0 {
        return None;
    }
    Some((
        u64::try_from(counters.WorkingSetSize).ok()?,
        windows::threads_of(pid)?,
    ))
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn process_status(_pid: u32) -> Option<Sample> {
    None
}

/// `utime` and `stime` from `/proc/{pid}/stat` (fields 14 and 15, in clock ticks, every thread
/// of the process counted: proc(5)).
#[cfg(target_os = "linux")]
fn process_cpu_time(pid: u32) -> Option<Cpu> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command's name, field 2, is in parentheses and may hold spaces: count from after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let time = |field: usize| -> Option<Duration> {
        let ticks: u64 = fields.get(field - 3)?.parse().ok()?;
        (per_second > 0).then(|| Duration::from_secs_f64(ticks as f64 / per_second as f64))
    };
    Some(Cpu {
        user: time(14)?,
        kernel: time(15)?,
    })
}

/// `pti_total_user` and `pti_total_system` of the task's information (macOS), every thread it
/// ever had counted. They are in Mach absolute time units: nanoseconds on Intel Macs, where
/// `mach_timebase_info` is 1/1, but 125/3 of a nanosecond on M1 Macs
/// (<https://eclecticlight.co/2020/11/27/inside-m1-macs-time-and-logs/>): converted by that
/// ratio, as sysinfo converts them (`src/unix/apple/macos/system.rs`).
#[cfg(target_os = "macos")]
fn process_cpu_time(pid: u32) -> Option<Cpu> {
    let info = task_info(pid)?;
    let (numer, denom) = mach_timebase()?;
    let time = |units: u64| {
        let nanos = u128::from(units) * u128::from(numer) / u128::from(denom);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    };
    Some(Cpu {
        user: time(info.pti_total_user),
        kernel: time(info.pti_total_system),
    })
}

/// Mach absolute time's unit in nanoseconds, as a ratio (numerator, denominator).
/// libc deprecates its Mach items for the mach2 crate, whose `mach_timebase_info` is the same
/// call on the same struct: one function of the system, not worth a crate.
#[cfg(target_os = "macos")]
#[allow(deprecated)]
fn mach_timebase() -> Option<(u32, u32)> {
    let mut base = libc::mach_timebase_info { numer: 0, denom: 0 };
    // SAFETY: `base` is a valid, writable mach_timebase_info for the duration of the call.
    let status = unsafe { libc::mach_timebase_info(&mut base) };
    (status == libc::KERN_SUCCESS && base.denom != 0).then_some((base.numer, base.denom))
}

/// The user and kernel times `GetProcessTimes` gives (Windows), every thread it ever had counted,
/// in 100-nanosecond units.
#[cfg(windows)]
fn process_cpu_time(pid: u32) -> Option<Cpu> {
    use windows_sys::Win32::Foundation::FILETIME;
    use windows_sys::Win32::System::Threading::GetProcessTimes;
    let process = windows::open_process(pid)?;
    let zero = FILETIME {
        dwLowDateTime: 0,
        dwHighDateTime: 0,
    };
    let (mut created, mut exited, mut kernel, mut user) = (zero, zero, zero, zero);
    // SAFETY: the handle is open, and the four FILETIMEs are writable.
    let ok =
        unsafe { GetProcessTimes(process.0, &mut created, &mut exited, &mut kernel, &mut user) };
    if ok == 0 {
        return None;
    }
    let time = |t: FILETIME| {
        let units = (u64::from(t.dwHighDateTime) << 32) | u64::from(t.dwLowDateTime);
        Duration::from_nanos(units.saturating_mul(100))
    };
    Some(Cpu {
        user: time(user),
        kernel: time(kernel),
    })
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn process_cpu_time(_pid: u32) -> Option<Cpu> {
    None
}

/// The task's information of process `pid`, `proc_pidinfo(PROC_PIDTASKINFO)` (macOS's
/// `sys/proc_info.h`), if this user may read it.
#[cfg(target_os = "macos")]
fn task_info(pid: u32) -> Option<libc::proc_taskinfo> {
    // SAFETY: proc_taskinfo is integers only, so all zeroes is one.
    let mut info: libc::proc_taskinfo = unsafe { std::mem::zeroed() };
    let size = libc::c_int::try_from(size_of::<libc::proc_taskinfo>()).ok()?;
    let pid = libc::c_int::try_from(pid).ok()?;
    let buffer = (&raw mut info).cast();
    // SAFETY: `buffer` is a proc_taskinfo of `size` bytes, which the call fills.
    let written = unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDTASKINFO, 0, buffer, size) };
    // It returns how many bytes it wrote: all of them, or it failed.
    (written == size).then_some(info)
}

/// Windows's handles for the figures above.
#[cfg(windows)]
mod windows {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, INVALID_HANDLE_VALUE};
    use windows_sys::Win32::System::Diagnostics::ToolHelp::{
        CreateToolhelp32Snapshot, TH32CS_SNAPTHREAD, THREADENTRY32, Thread32First, Thread32Next,
    };
    use windows_sys::Win32::System::Threading::{OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION};

    /// An open handle, closed when dropped.
    pub struct Handle(pub HANDLE);

    impl Drop for Handle {
        fn drop(&mut self) {
            // SAFETY: the handle was opened by this module and is closed once, here.
            unsafe { CloseHandle(self.0) };
        }
    }

    /// Process `pid`'s handle with `PROCESS_QUERY_LIMITED_INFORMATION`, the right both
    /// `GetProcessMemoryInfo` and `GetProcessTimes` need (their pages at
    /// <https://learn.microsoft.com/en-us/windows/win32/api/psapi/nf-psapi-getprocessmemoryinfo>
    /// and `.../processthreadsapi/nf-processthreadsapi-getprocesstimes`).
    pub fn open_process(pid: u32) -> Option<Handle> {
        // SAFETY: OpenProcess takes plain values and returns null when it fails.
        let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
        (!handle.is_null()).then_some(Handle(handle))
    }

    /// How many threads process `pid` has: a snapshot lists every thread of the system, each with
    /// its process's id (`THREADENTRY32`); Windows has no cheaper count for another process.
    pub fn threads_of(pid: u32) -> Option<u64> {
        // SAFETY: plain values in; INVALID_HANDLE_VALUE out when it fails.
        let snapshot = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0) };
        if snapshot == INVALID_HANDLE_VALUE {
            return None;
        }
        let snapshot = Handle(snapshot);
        // SAFETY: THREADENTRY32 is integers only, so all zeroes is one.
        let mut entry: THREADENTRY32 = unsafe { std::mem::zeroed() };
        // Thread32First fails unless the entry's size is set.
        entry.dwSize = u32::try_from(size_of::<THREADENTRY32>()).ok()?;
        let mut threads = 0;
        // SAFETY: the snapshot is open, and `entry` is a writable THREADENTRY32 of that size.
        let mut more = unsafe { Thread32First(snapshot.0, &mut entry) } != 0;
        while more {
            threads += u64::from(entry.th32OwnerProcessID == pid);
            // SAFETY: as for Thread32First.
            more = unsafe { Thread32Next(snapshot.0, &mut entry) } != 0;
        }
        (threads > 0).then_some(threads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_of_two_samples_is_taken_figure_by_figure() {
        assert_eq!(highest(Some((10, 3)), Some((20, 2))), Some((20, 3)));
        assert_eq!(highest(None, Some((1, 1))), Some((1, 1)));
        assert_eq!(highest(None, None), None);
    }

    #[cfg(any(target_os = "linux", target_os = "macos", windows))]
    #[test]
    fn this_process_time_grows_as_it_works() {
        let pid = std::process::id();
        let before = process_cpu_time(pid).unwrap().total();
        let started = Instant::now();
        let mut spin = 0u64;
        while started.elapsed() < Duration::from_millis(100) {
            spin = std::hint::black_box(spin.wrapping_add(1));
        }
        // Linux's clock ticks are a hundredth of a second: a tenth of a second of spinning shows.
        assert!(process_cpu_time(pid).unwrap().total() > before);
    }

    #[cfg(any(target_os = "linux", target_os = "macos", windows))]
    #[test]
    fn this_process_has_memory_and_a_thread() {
        let (rss, threads) = process_status(std::process::id()).unwrap();
        assert!(rss > 0 && threads >= 1);
    }
}
