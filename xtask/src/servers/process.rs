//! A server started for one load, and what it costs, read from outside as `run/measure.rs`
//! reads a program: by the same sampler, `cpu_time` and `cpu_total`.
//!
//! A server's errors go to its log with its output: where it says it is at a limit (out of
//! descriptors, of threads) or why it died, which `sweep-servers` reads to name what stopped it.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::family::Start;
use crate::run::measure::{self, Cpu, Sampled, Sampling};

/// How long a server may take to build its index and listen.
const START_PATIENCE: Duration = Duration::from_secs(60);
/// How often its log is read for its `Serving on` line: the start's time is this precise.
const POLL: Duration = Duration::from_millis(5);

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
    /// Starts the program with its arguments and `--host 127.0.0.1 --port 0` (a free port), its
    /// output and its errors going to the file `log`, and waits for its `Serving on` line there.
    ///
    /// A file, not a pipe: a server logs two lines per query, and each line written to a pipe
    /// wakes the reader at its other end, two context switches per line on a machine that the
    /// load's clients already keep busy; a file takes the line into the page cache and wakes
    /// no one. It is `server > log 2>&1`, and the log is there to read after the run.
    pub fn start(start: &Start, log: &Path) -> anyhow::Result<Running> {
        let (name, started) = (start.server.name, Instant::now());
        let file = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let mut child = Command::new(&start.program)
            .args(&start.args)
            // A Python server's output is made line-buffered (`family::LINE_BUFFERED`), which
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
            if let Some(addr) = text.lines().find_map(contract::charfinder::serving_address) {
                return Ok(Running {
                    child,
                    addr,
                    ready: started.elapsed(),
                    log: log.to_owned(),
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
    pub fn sample(&self) -> Option<Sampled> {
        measure::sample(self.pid())
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
        measure::cpu_time(self.pid())
    }

    /// Samples it on a thread of its own until [`Sampling::stop`].
    pub fn sampling(&self) -> Sampling {
        Sampling::start(self.pid(), false)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
