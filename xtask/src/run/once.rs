//! One job made ready to run, one run of it measured and checked, and what several runs come
//! to: the median of the verified ones.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use stand_in::StandIn;
use stand_in::server::LoggedRequest;

use super::measure::{self, Measurement, Sampled};
use crate::plan::{Arg, Binary, Job};
use crate::verify::{self, Check, Expect, Faults};

/// A job with its binary found and its arguments written out.
pub struct Ready {
    pub binary: PathBuf,
    pub arguments: Vec<String>,
    pub expect: Expect,
    pub runs: u32,
    pub long_run: Option<Duration>,
    pub beside: Option<&'static str>,
}

/// One run, measured and checked.
#[derive(Debug)]
pub struct Run {
    pub measurement: Measurement,
    pub check: Check,
    /// The requests the stand-in served between the run's start and end.
    pub log: Vec<LoggedRequest>,
    /// The run's start and end, counted from the stand-in's epoch.
    pub window: (Duration, Duration),
}

impl Ready {
    /// `job`, its binary among those cargo `built` and the `stand_in`'s addresses in its
    /// arguments; `Err`: why it cannot run.
    pub fn new(
        job: &Job,
        built: &HashMap<String, PathBuf>,
        stand_in: Option<&StandIn>,
    ) -> Result<Ready, String> {
        let binary = match &job.binary {
            Binary::At(path) => path.clone(),
            Binary::Built { name, package } => built.get(*name).cloned().ok_or_else(|| {
                format!(
                    "no binary {name} built by package {package} (not written yet, or it does \
                     not compile)"
                )
            })?,
        };
        let written = job.args.iter().map(|arg| written(arg, stand_in));
        let arguments = written.collect::<Result<Vec<_>, _>>()?.concat();
        Ok(Ready {
            binary,
            arguments,
            expect: job.expect,
            runs: job.runs,
            long_run: job.long_run,
            beside: job.beside,
        })
    }

    /// Runs it once, to its end. `Err` when it could not even be started.
    pub fn run_once(&self, stand_in: Option<&StandIn>, limit: Duration) -> Result<Run, String> {
        if let Some(stand_in) = stand_in {
            // Whatever a previous run left behind is not this run's.
            stand_in.log().take();
        }
        let mut command = Command::new(&self.binary);
        command.args(&self.arguments);
        let measurement = measure::run(command, limit)
            .map_err(|e| format!("cannot run {}: {e}", self.binary.display()))?;
        let (log, window) = match stand_in {
            Some(stand_in) => {
                // A request the program gave up on is logged when the stand-in sees its
                // connection close, which may be a moment after the program ended.
                stand_in.log().settle(Duration::from_secs(1));
                let since = |t: Instant| t.saturating_duration_since(stand_in.epoch());
                let window = (since(measurement.started), since(measurement.ended));
                let within = |r: &LoggedRequest| r.start >= window.0 && r.start <= window.1;
                let log = stand_in.log().take().into_iter().filter(within);
                let log: Vec<LoggedRequest> = log.collect();
                let end = log.iter().map(|r| r.end).fold(window.1, Duration::max);
                (log, (window.0, end))
            }
            None => (Vec::new(), (Duration::ZERO, measurement.wall)),
        };
        let m = &measurement;
        let served = stand_in.map(|_| log.as_slice());
        let check = verify::check(self.expect, served, m.status, &m.stdout, &m.stderr);
        Ok(Run {
            measurement,
            check,
            log,
            window,
        })
    }
}

/// One argument as the program gets it.
fn written(arg: &Arg, stand_in: Option<&StandIn>) -> Result<Vec<String>, String> {
    Ok(match (arg, stand_in) {
        (Arg::Text(text), _) => vec![text.clone()],
        (_, None) => return Err("its arguments name a stand-in, and none was started".into()),
        (Arg::StandInPages, Some(stand_in)) => (stand_in.urls().into_iter())
            .flat_map(|url| ["--url".to_owned(), url])
            .collect(),
        (Arg::StandInFlags, Some(stand_in)) => vec![
            "--server".to_owned(),
            format!("{}{}", stand_in.base_url(), stand_in::flags::PREFIX),
        ],
    })
}

/// The figures of one (the median) run, as the report shows them. A figure that an earlier
/// compare.json lacks (`--against`) reads as unknown, or 0.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Figures {
    pub wall_seconds: f64,
    /// What the program said it took (its `Downloaded` or `Duration` line).
    pub own_seconds: Option<f64>,
    /// User + system CPU time of the program and its workers; `None` where the system cannot
    /// tell (see `measure.rs`).
    pub cpu_seconds: Option<f64>,
    pub user_seconds: Option<f64>,
    pub system_seconds: Option<f64>,
    /// CPU time over wall time: how many cores it kept busy.
    pub cores_used: Option<f64>,
    /// `None` when the run ended before the process tree could be sampled.
    pub sampled: Option<Sampled>,
    /// The wall time of every verified run, in the order they ran.
    pub every_wall_seconds: Vec<f64>,
}

impl Figures {
    /// Its own time, or its wall time where it prints none (a spinner, whose time is its
    /// sleep): the time compare sets against others.
    pub fn own_or_wall(&self) -> f64 {
        self.own_seconds.unwrap_or(self.wall_seconds)
    }
}

/// What several runs of one program came to; by default, none.
#[derive(Debug, Default)]
pub struct Measured {
    /// Why the program cannot be trusted: the first failed run's reason. `None`: all verified.
    pub failure: Option<String>,
    pub runs: usize,
    pub figures: Option<Figures>,
    pub faults: Option<Faults>,
    /// The median verified run, for its timeline.
    pub median: Option<Run>,
}

impl Measured {
    pub fn failed(why: impl Into<String>) -> Measured {
        Measured {
            failure: Some(why.into()),
            ..Measured::default()
        }
    }

    pub fn verified(&self) -> bool {
        self.failure.is_none() && self.figures.is_some()
    }
}

/// Keeps the verified runs' median; a failed run makes the whole result failed, with its
/// reason, and never counts toward the figures.
pub fn summarize(runs: Vec<Result<Run, String>>) -> Measured {
    let count = runs.len();
    let mut failure = None;
    let mut verified = Vec::new();
    for (i, run) in runs.into_iter().enumerate() {
        let why = match run {
            Ok(run) if run.check.result.is_ok() => {
                verified.push(run);
                continue;
            }
            Ok(run) => run.check.result.unwrap_err(),
            Err(why) => why,
        };
        failure.get_or_insert_with(|| match count {
            1 => why,
            _ => format!("run {} of {count}: {why}", i + 1),
        });
    }
    let wall = |run: &Run| run.measurement.wall.as_secs_f64();
    let every_wall_seconds = verified.iter().map(wall).collect();
    let median = median_index(&verified, wall).map(|i| verified.swap_remove(i));
    let figures = median.as_ref().map(|run| {
        let m = &run.measurement;
        let wall = m.wall.as_secs_f64();
        let cpu = m.cpu.map(|c| (c.user + c.system).as_secs_f64());
        Figures {
            wall_seconds: wall,
            own_seconds: run.check.own_seconds,
            cpu_seconds: cpu,
            user_seconds: m.cpu.map(|c| c.user.as_secs_f64()),
            system_seconds: m.cpu.map(|c| c.system.as_secs_f64()),
            cores_used: cpu.map(|cpu| cpu / wall.max(1e-9)),
            sampled: m.sampled,
            every_wall_seconds,
        }
    });
    Measured {
        failure,
        runs: count,
        faults: median.as_ref().and_then(|run| run.check.faults),
        figures,
        median,
    }
}

/// The middle one of `values` once sorted: the true median for an odd count, the lower of the
/// two middle ones for an even count, so it is always a value that was measured.
pub fn median_index<T>(values: &[T], key: impl Fn(&T) -> f64) -> Option<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| key(&values[a]).total_cmp(&key(&values[b])));
    order.get(values.len().saturating_sub(1) / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_a_measured_value() {
        let runs = [3.0, 1.0, 2.0];
        assert_eq!(median_index(&runs, |&x| x), Some(2));
        assert_eq!(median_index(&[5.0, 1.0, 4.0, 2.0], |&x| x), Some(3));
        assert_eq!(median_index(&[7.0], |&x| x), Some(0));
        assert_eq!(median_index::<f64>(&[], |&x| x), None);
    }
}
