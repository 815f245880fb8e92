//! A server started for one load, and what it costs, read from outside: its resident memory and
//! threads from `/proc` (Linux; elsewhere these figures are left out), sampled while it runs.
//!
//! Not `run/measure.rs`'s sampler, which walks a program's whole process tree with sysinfo and
//! lists every thread of it at each sample: a server is one process, holding up to 10,000
//! threads here, and `/proc/PID/status` gives both figures in one read.
//!
//! A server's stderr is kept, its first lines and its last: where a server says it is at a
//! limit (out of descriptors, of threads) or why it died, which `sweep-servers` reads to name
//! what stopped it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long a server may take to build its index and listen.
const START_PATIENCE: Duration = Duration::from_secs(60);

/// How many of a server's first stderr lines are kept, and of its last: enough for its
/// start-up lines and its first complaints (Python's come with a traceback), and for its last
/// words, not one line per refused client for ever.
const LOG_LINES: usize = 100;

/// Resident memory in bytes, and threads.
pub type Sample = (u64, u64);

/// A server process, and where it listens. Dropping it kills the server.
pub struct Running {
    child: Child,
    pub addr: SocketAddr,
    /// From its start to its `Serving on` line: the interpreter's start and the index's build.
    pub ready: Duration,
    /// Its stderr's first lines and its last.
    log: Arc<Mutex<Kept>>,
}

impl Running {
    /// Starts `program` with `args` and `--host 127.0.0.1 --port 0` (a free port), and waits
    /// for its `Serving on` line. Its further output (a log line per query) is read and dropped
    /// on a thread, so that it never blocks on a full pipe; its stderr is read on another, and
    /// its first and last lines kept.
    pub fn start(name: &str, program: &Path, args: &[String]) -> anyhow::Result<Running> {
        let started = Instant::now();
        let mut child = Command::new(program)
            .args(args)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        let log = keep_lines(child.stderr.take().expect("stderr is piped"));
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut told = false;
            for line in stdout.lines().map_while(Result::ok) {
                if !told && let Some(addr) = charfinder::tcp::serving_address(&line) {
                    told = tx.send(addr).is_ok();
                }
            }
        });
        match rx.recv_timeout(START_PATIENCE) {
            Ok(addr) => Ok(Running {
                child,
                addr,
                ready: started.elapsed(),
                log,
            }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("{name} did not say where it listens")
            }
        }
    }

    /// Its resident memory and threads now, if this system tells.
    pub fn sample(&self) -> Option<Sample> {
        process_status(self.child.id())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it has said on stderr so far: its first [`LOG_LINES`] lines, and its last.
    pub fn log(&self) -> Vec<String> {
        let kept = self.log.lock().expect("the log's reader does not panic");
        kept.head.iter().chain(&kept.tail).cloned().collect()
    }

    /// How it ended, if it has.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
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

/// A server's stderr as kept: its first [`LOG_LINES`] lines, and the last ones after those.
#[derive(Default)]
struct Kept {
    head: Vec<String>,
    tail: VecDeque<String>,
}

impl Kept {
    fn push(&mut self, line: String) {
        if self.head.len() < LOG_LINES {
            return self.head.push(line);
        }
        if self.tail.len() == LOG_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }
}

/// Reads `stderr` to its end on a thread of its own, keeping its first and last lines.
fn keep_lines(stderr: std::process::ChildStderr) -> Arc<Mutex<Kept>> {
    let log = Arc::new(Mutex::new(Kept::default()));
    let kept = Arc::clone(&log);
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            kept.lock()
                .expect("the log's readers do not panic")
                .push(line);
        }
    });
    log
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

#[cfg(not(target_os = "linux"))]
fn process_status(_pid: u32) -> Option<Sample> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_keeps_its_first_lines_and_its_last() {
        let mut kept = Kept::default();
        for n in 0..1_000 {
            kept.push(n.to_string());
        }
        assert_eq!(kept.head.len() + kept.tail.len(), 2 * LOG_LINES);
        assert_eq!(kept.head.first().map(String::as_str), Some("0"));
        assert_eq!(kept.tail.back().map(String::as_str), Some("999"));
    }

    #[test]
    fn the_highest_of_two_samples_is_taken_figure_by_figure() {
        assert_eq!(highest(Some((10, 3)), Some((20, 2))), Some((20, 3)));
        assert_eq!(highest(None, Some((1, 1))), Some((1, 1)));
        assert_eq!(highest(None, None), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_memory_and_a_thread() {
        let (rss, threads) = process_status(std::process::id()).unwrap();
        assert!(rss > 0 && threads >= 1);
    }
}
