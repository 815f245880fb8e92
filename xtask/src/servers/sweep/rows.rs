//! The sweep's rows: what it ran with, and for each server its steps and how its climb ended.

use serde::Serialize;

use super::hold::Sources;
use super::limits::{OpenFiles, Stop};
use crate::run::measure::Sampled;
use crate::servers::family::{bytes_each, mib};
use crate::servers::load::Tally;

/// What a sweep is run with.
#[derive(Serialize)]
pub struct Setting {
    pub up_to: usize,
    pub steps: Vec<usize>,
    /// This process's open-file limits, which the servers inherit (none on Windows).
    pub open_files: Option<OpenFiles>,
    /// Why `--open-files` could not be set, if it could not.
    pub open_files_refused: Option<String>,
    /// The most connections the sweep can hold itself.
    pub most: usize,
    /// The open-file limit each server is given once it has started, below `most`.
    pub server_open_files: Option<u64>,
    /// Why the servers keep the sweep's open-file limit, if they do.
    pub server_open_files_not_set: Option<String>,
    pub sources: String,
    /// This machine's limits on threads and descriptors (Linux).
    pub max_map_count: Option<u64>,
    pub threads_max: Option<u64>,
    pub pid_max: Option<u64>,
    pub nr_open: Option<u64>,
    /// Where the connections come from.
    #[serde(skip)]
    pub sources_used: Sources,
}

/// One server's sweep.
#[derive(Default, Serialize)]
pub struct Swept {
    pub server: &'static str,
    /// Its soft open-file limit once set, as `/proc/PID/limits` says (Linux).
    pub open_files: Option<u64>,
    /// Its resident memory, warmed up by one session, before the first step.
    pub warm_mib: Option<f64>,
    pub steps: Vec<Step>,
    pub end: End,
}

/// One step: what the server held, what that cost, and how the active client fared.
#[derive(Serialize)]
pub struct Step {
    pub step: usize,
    pub held: usize,
    /// How long opening this step's connections took.
    pub seconds: f64,
    pub mib: Option<f64>,
    pub threads: Option<u64>,
    /// Resident memory's growth since the warm server, per connection held.
    pub bytes_each: Option<f64>,
    pub answered: usize,
    pub asked: usize,
    pub p50_ms: Option<f64>,
    /// The active client's first wrong answer, if any: a failed check.
    pub wrong: Option<String>,
    /// Why some of its queries went unanswered, if they did.
    pub unanswered: Option<String>,
}

/// How a server's sweep ended.
#[derive(Default, Serialize)]
#[serde(tag = "end", rename_all = "kebab-case")]
pub enum End {
    /// Held every connection asked for (the climb's end until a step stops it).
    #[default]
    Reached,
    /// Could hold no more: `held` on the way to `step`.
    Stopped {
        held: usize,
        step: usize,
        #[serde(flatten)]
        stop: Stop,
    },
    /// Not swept, and why: what the sweep would measure is not a limit.
    NotSwept { why: String },
    /// Could not be started.
    Failed { why: String },
}

impl Step {
    pub fn new(
        step: usize,
        held: usize,
        seconds: f64,
        (warm, now): (Option<Sampled>, Option<Sampled>),
        active: &Tally,
    ) -> Step {
        Step {
            step,
            held,
            seconds,
            mib: now.map(mib),
            threads: now.and_then(|now| now.threads).map(|n| n as u64),
            bytes_each: bytes_each(warm, now, held),
            answered: active.latencies.len(),
            asked: active.asked(),
            p50_ms: active.percentile(0.5).map(|d| d.as_secs_f64() * 1e3),
            wrong: active.wrong.first().cloned(),
            unanswered: active.why_unserved.clone(),
        }
    }

    /// At the step where holding stopped, a server that sends the active client its error line
    /// instead of the prompt (the threaded server with no thread to give) refuses it: that
    /// client is unanswered, not answered wrong.
    pub fn refused_at_the_limit(mut self) -> Step {
        if let Some(wrong) = &self.wrong
            && wrong.starts_with(crate::servers::load::NOT_THE_PROMPT)
        {
            self.unanswered = Some(format!("refused at the limit: {wrong}"));
            self.wrong = None;
        }
        self
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    #[test]
    fn an_error_line_for_a_prompt_at_the_limit_is_a_refusal_not_a_wrong_answer() {
        let tally = |wrong: &str| Tally {
            wrong: vec![wrong.to_owned()],
            unserved: 9,
            why_unserved: Some("an earlier answer was wrong".into()),
            ..Tally::default()
        };
        let refused = tally(&format!(
            "{}, got \"Err\"",
            crate::servers::load::NOT_THE_PROMPT
        ));
        let step = Step::new(1_000, 219, 0.1, (None, None), &refused).refused_at_the_limit();
        assert_eq!(step.wrong, None);
        let unanswered = step.unanswered.unwrap();
        assert!(
            unanswered.starts_with("refused at the limit"),
            "{unanswered}"
        );
        let wrong = tally("\"moon\": 3 found, expected 4");
        let step = Step::new(1_000, 219, 0.1, (None, None), &wrong).refused_at_the_limit();
        assert!(step.wrong.is_some(), "a wrong count stays wrong");
    }

    /// A sweep's setting as on a Linux machine with `ulimit -n` 20000.
    pub fn setting() -> Setting {
        Setting {
            up_to: 100_000,
            steps: super::super::args::steps(100_000),
            open_files: Some(OpenFiles {
                soft: 20_000,
                hard: 20_000,
            }),
            open_files_refused: None,
            most: 20_000 - 64,
            server_open_files: Some(19_000),
            server_open_files_not_set: None,
            sources: "from 127.0.0.1".into(),
            max_map_count: Some(65_530),
            threads_max: None,
            pid_max: None,
            nr_open: None,
            sources_used: Sources {
                per_address: 24_703,
                bind: true,
            },
        }
    }
}
