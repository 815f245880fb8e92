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

/// What a plan's runs came to.
pub struct Ran {
    /// For each entry of the plan, for each of its jobs: what its runs came to, or why it could
    /// not run.
    pub entries: Vec<Vec<Result<Measured, String>>>,
    /// The machine's ceiling in each round: the slowest of the copies (`ceiling.rs`).
    pub together: Vec<f64>,
    /// From the first run's start to the last one's end.
    pub elapsed: Duration,
}

/// Builds, starts and runs everything `plan` holds.
pub fn run(plan: &Plan) -> anyhow::Result<Ran> {
    let built = match plan.build.is_empty() {
        true => Default::default(),
        false => cargo::build_release(&plan.build)?,
    };
    let stand_in = match &plan.stand_in {
        Some(config) => Some(StandIn::start(config.clone()).context("cannot start the stand-in")?),
        None => None,
    };
    let started = Instant::now();
    let ready: Vec<Vec<Result<Ready, String>>> = (plan.entries.iter())
        .map(|entry| {
            (entry.jobs.iter())
                .map(|job| match job {
                    Ok(job) => Ready::new(job, &built, stand_in.as_ref()),
                    Err(why) => Err(why.clone()),
                })
                .collect()
        })
        .collect();
    let schedule = Schedule {
        plan,
        ready: &ready,
        stand_in: stand_in.as_ref(),
    };
    let Runs { runs, together } = schedule.run_all();
    let entries = (ready.iter().zip(runs))
        .map(|(jobs, runs)| {
            (jobs.iter().zip(runs))
                .map(|(job, runs)| job.as_ref().map(|_| summarize(runs)).map_err(Clone::clone))
                .collect()
        })
        .collect();
    Ok(Ran {
        entries,
        together,
        elapsed: started.elapsed(),
    })
}
