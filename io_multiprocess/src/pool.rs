//! The process pool behind `download_all_sites`: what `multiprocessing.Pool` does for the
//! article, written out in std only.
//!
//! A worker is this same binary, started again with the workspace's hidden first argument
//! (`contract::worker`: `io_multiprocess --worker SpawnPoolWorker-1 10`, which is what `ps`
//! shows). The parent
//! talks to each worker over two pipes: it writes one URL per line down the worker's stdin, and
//! the worker prints one line per URL (its `Read ...` or `Failed ...` line) up its stdout. The
//! first line a worker prints is `ready`, once its initializer has run.
//!
//! The parent hands the next site to whichever worker answers first, so a slow worker takes
//! fewer sites. When a worker's stdout closes, the worker is gone: the site it had taken is
//! reported as failed and the rest go to the workers left. A worker that has not answered within
//! the request timeout plus [`STUCK_GRACE`] is killed, so a stopped or wedged worker cannot hang
//! the run either.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use contract::Line;

/// What a worker prints once its initializer has run.
const READY: &str = "ready";
/// How long past the request timeout a worker may stay silent before the pool kills it.
const STUCK_GRACE: Duration = Duration::from_secs(5);
/// How long a worker whose pipe has closed may take to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// This process's name, set once when it starts as a worker.
static NAME: OnceLock<String> = OnceLock::new();

/// The article's `multiprocessing.current_process().name`: `SpawnPoolWorker-N` in a worker,
/// `MainProcess` in the parent, as Python names them.
pub fn current_process_name() -> &'static str {
    NAME.get().map_or("MainProcess", String::as_str)
}

/// The worker's side of the pool: what a process started by [`Pool::start`] does.
pub struct Worker {
    /// The per-request timeout, passed down from the parent's `--timeout`.
    pub timeout: Duration,
}

impl Worker {
    /// `Some` when this process was started by a [`Pool`]. A worker never parses the user's
    /// flags: it only downloads what its parent sends it, so it never starts a stand-in.
    pub fn from_args() -> Option<Worker> {
        let args = contract::worker_role()?;
        let timeout = match &args[..] {
            [name, secs] => secs
                .parse()
                .ok()
                .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
                .map(|timeout| (name, timeout)),
            _ => None,
        };
        let Some((name, timeout)) = timeout else {
            eprintln!("usage: --worker NAME TIMEOUT_SECONDS (started by the pool, not by hand)");
            std::process::exit(2);
        };
        NAME.get_or_init(|| name.clone());
        Some(Worker { timeout })
    }

    /// Says `ready`, then calls `task` for each URL the parent sends, until the parent closes
    /// the pipe. `task` must print exactly one line per URL: that line is the answer.
    pub fn serve(self, mut task: impl FnMut(&str)) -> io::Result<()> {
        println!("{READY}");
        for url in io::stdin().lock().lines() {
            task(&url?);
        }
        Ok(())
    }
}

/// What a reader thread reports about its worker.
enum Event {
    Line(usize, String),
    Closed(usize),
}

/// One worker process, as the parent sees it.
struct Process {
    name: String,
    child: Child,
    /// `None` once the pipe is closed (at the end, or after a failed write).
    stdin: Option<ChildStdin>,
    ready: bool,
    /// The site this worker has taken, and when.
    task: Option<(usize, Instant)>,
    /// `Some(reason)` once the pool has killed it for not answering.
    killed: Option<String>,
    alive: bool,
}

impl Process {
    /// Waits for a worker whose pipe has closed, killing it if it has not exited by
    /// `deadline`; says how it ended.
    fn reap(&mut self, deadline: Instant) -> String {
        self.alive = false;
        self.stdin = None;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(status)) => return status.to_string(),
                Ok(None) => thread::sleep(Duration::from_millis(5)),
                Err(e) => return e.to_string(),
            }
        }
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(status) => format!("{status}, killed as it did not exit"),
            Err(e) => e.to_string(),
        }
    }
}

impl Drop for Process {
    /// Closing a worker's stdin tells it there is no more work; it exits, and is waited for.
    fn drop(&mut self) {
        if self.alive {
            self.reap(Instant::now() + EXIT_GRACE);
        }
    }
}

/// `multiprocessing.Pool`: worker processes, reused for every site.
pub struct Pool {
    processes: Vec<Process>,
    events: Receiver<Event>,
    started: Instant,
    timeout: Duration,
}

impl Drop for Pool {
    /// `with Pool(...)` ends here: every worker's stdin is closed first, so they all exit
    /// together, then each is waited for, all within one grace period.
    fn drop(&mut self) {
        for process in &mut self.processes {
            process.stdin = None;
        }
        let deadline = Instant::now() + EXIT_GRACE;
        for process in self.processes.iter_mut().filter(|p| p.alive) {
            process.reap(deadline);
        }
    }
}

impl Pool {
    /// Starts `workers` processes, each running this same binary as a [`Worker`].
    pub fn start(workers: usize, timeout: Duration) -> io::Result<Pool> {
        let started = Instant::now();
        let (sender, events) = mpsc::channel();
        let mut processes = Vec::with_capacity(workers);
        for id in 0..workers {
            let name = format!("SpawnPoolWorker-{}", id + 1);
            let mut child = contract::worker_command()?
                .args([&name, &timeout.as_secs_f64().to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()?;
            let stdout = child.stdout.take().expect("stdout is piped");
            // std cannot wait on several pipes at once, so each worker's stdout gets a thread
            // that passes its lines on (Python's Pool also runs helper threads for this).
            let sender = sender.clone();
            // A `Builder`, whose `spawn` returns an error where `thread::spawn` would panic.
            thread::Builder::new().spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if sender.send(Event::Line(id, line)).is_err() {
                        return;
                    }
                }
                let _ = sender.send(Event::Closed(id));
            })?;
            processes.push(Process {
                name,
                stdin: child.stdin.take(),
                child,
                ready: false,
                task: None,
                killed: None,
                alive: true,
            });
        }
        Ok(Pool {
            processes,
            events,
            started,
            timeout,
        })
    }

    /// `pool.map(download_site, sites)`: every site goes to some worker; each answer is printed
    /// here, in the parent. Returns how many sites failed, including those lost with a worker.
    pub fn map(&mut self, sites: &[String]) -> usize {
        let mut pending: VecDeque<usize> = (0..sites.len()).collect();
        let (mut done, mut failed) = (0, 0);
        // Every worker gets its first site at once: it waits in the pipe while the worker starts.
        // (Python's map sends sites in chunks, 20 at a time here; one at a time is simpler and
        // costs microseconds against each 50 ms wait.)
        for id in 0..self.processes.len() {
            self.hand_out(id, sites, &mut pending);
        }
        // The downloads run at once, in the worker processes; the parent only waits here for
        // whichever worker speaks next, prints what it said, and gives it another site.
        while done < sites.len() {
            // Checked on every pass, not only when all is quiet: a stuck worker is killed on
            // time even while the others keep answering.
            self.kill_stuck();
            let event = match self.events.recv_timeout(Duration::from_millis(100)) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => continue,
                // Every reader thread has ended, so every worker is gone: handled below.
                Err(RecvTimeoutError::Disconnected) => break,
            };
            match event {
                Event::Line(id, line) => {
                    let process = &mut self.processes[id];
                    if !process.ready && line == READY {
                        process.ready = true;
                        if self.processes.iter().all(|p| p.ready) {
                            eprintln!(
                                "{} worker processes ready after {:.1} ms",
                                self.processes.len(),
                                self.started.elapsed().as_secs_f64() * 1000.0
                            );
                        }
                        continue;
                    }
                    let Some((site, _)) = process.task.take() else {
                        eprintln!("{} said {line:?} unasked", process.name);
                        continue;
                    };
                    done += 1;
                    match Line::parse(&line) {
                        Line::Read { .. } => println!("{line}"),
                        Line::Failed { .. } => {
                            println!("{line}");
                            failed += 1;
                        }
                        _ => {
                            println!("Failed {}: {} answered {line:?}", sites[site], process.name);
                            failed += 1;
                        }
                    }
                    self.hand_out(id, sites, &mut pending);
                }
                Event::Closed(id) => {
                    let process = &mut self.processes[id];
                    let pid = process.child.id();
                    let mut how = process.reap(Instant::now() + EXIT_GRACE);
                    if let Some(reason) = process.killed.take() {
                        how = format!("{how}; {reason}");
                    }
                    if let Some((site, _)) = process.task.take() {
                        println!(
                            "Failed {}: worker {} (pid {pid}) died ({how})",
                            sites[site], process.name
                        );
                        failed += 1;
                        done += 1;
                    } else {
                        eprintln!("worker {} (pid {pid}) died ({how})", process.name);
                    }
                }
            }
            if !self.processes.iter().any(|p| p.alive) {
                break;
            }
        }
        // Only when no worker is left can sites remain: nobody will download them.
        for site in pending {
            println!("Failed {}: no worker process left", sites[site]);
            failed += 1;
        }
        failed
    }

    /// Sends worker `id` the next pending site, if it is free and a site is left.
    fn hand_out(&mut self, id: usize, sites: &[String], pending: &mut VecDeque<usize>) {
        let process = &mut self.processes[id];
        let Some(stdin) = process.stdin.as_mut() else {
            return;
        };
        if process.task.is_some() {
            return;
        }
        let Some(site) = pending.pop_front() else {
            return;
        };
        // One URL per line; the flush pushes it into the pipe now, not when a buffer fills.
        match writeln!(stdin, "{}", sites[site]).and_then(|()| stdin.flush()) {
            Ok(()) => process.task = Some((site, Instant::now())),
            Err(_) => {
                // The worker is gone (its `Closed` event is on the way); the site was never
                // taken, so it goes back for another worker.
                pending.push_front(site);
                process.stdin = None;
            }
        }
    }

    /// Kills every worker that has sat on one site far longer than a request may take.
    fn kill_stuck(&mut self) {
        let limit = self.timeout + STUCK_GRACE;
        for process in &mut self.processes {
            let stuck = process
                .task
                .is_some_and(|(_, since)| since.elapsed() > limit);
            if process.alive && stuck && process.killed.is_none() {
                // Its stdout closes as it dies; the `Closed` event then reports its site.
                let _ = process.child.kill();
                process.killed = Some(format!("killed: no answer in {:.1} s", limit.as_secs_f64()));
            }
        }
    }
}
