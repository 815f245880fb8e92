//! The first step of every lab command: build what its plan names, start its stand-in, and run
//! each job as often as the plan says, in its order (`rounds.rs`); every run measured from
//! outside (`measure.rs`) and checked (`verify/`) before its time counts, and each job's runs
//! summed up in its median one (`once.rs`).

pub mod ceiling;
pub mod measure;
mod once;
mod progress;
mod rounds;

use std::time::{Duration, Instant};

use anyhow::Context;
use stand_in::StandIn;

use crate::cargo;
use crate::plan::Plan;
use once::{Ready, summarize};
use rounds::{Runs, Schedule};

pub use once::{Figures, Measured, Run, median_index};

/// What one job of a plan came to.
#[derive(Debug)]
pub enum Done {
    /// Its runs, summed up; a job that could not be made ready is a measurement that failed.
    /// Boxed: a measurement is hundreds of bytes, a reason a few.
    Measured(Box<Measured>),
    /// It did not run, for the plan's reason (a Python original's one word: `no-venv`).
    NotRun(String),
}

/// What a plan's runs came to.
pub struct Ran {
    /// For each entry of the plan, for each of its jobs: what its runs came to.
    pub entries: Vec<Vec<Done>>,
    /// The machine's ceiling in each round: one copy alone, and the slowest of the copies
    /// (`ceiling.rs`).
    pub ceiling: ceiling::Times,
    /// From the first run's start to the last one's end.
    pub elapsed: Duration,
}

/// Builds, starts and runs everything `plan` holds.
pub fn run(plan: &Plan) -> anyhow::Result<Ran> {
    let built = match plan.build.is_empty() {
        true => Default::default(),
        false => cargo::build_release(&plan.build)?,
    };
    let stand_in = plan.stand_in.clone().map(StandIn::start).transpose();
    let stand_in = stand_in.context("cannot start the stand-in")?;
    let started = Instant::now();
    let ready_job = |job: &Result<_, String>| {
        let job = job.as_ref().map_err(String::clone)?;
        Ready::new(job, &built, stand_in.as_ref())
    };
    let ready: Vec<Vec<Result<Ready, String>>> = (plan.entries.iter())
        .map(|entry| entry.jobs.iter().map(ready_job).collect())
        .collect();
    let schedule = Schedule {
        plan,
        ready: &ready,
        stand_in: stand_in.as_ref(),
    };
    let Runs { runs, ceiling } = schedule.run_all();
    let entries = (plan.entries.iter().zip(ready).zip(runs))
        .map(|((entry, ready), runs)| {
            let jobs = entry.jobs.iter().zip(ready).zip(runs);
            (jobs.map(|((planned, ready), runs)| match (planned, ready) {
                (Err(why), _) => Done::NotRun(why.clone()),
                (Ok(_), Err(why)) => Done::Measured(Box::new(Measured::failed(why))),
                (Ok(_), Ok(_)) => Done::Measured(Box::new(summarize(runs))),
            }))
            .collect()
        })
        .collect();
    Ok(Ran {
        entries,
        ceiling,
        elapsed: started.elapsed(),
    })
}
