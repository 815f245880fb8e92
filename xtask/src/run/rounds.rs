//! In what order a plan's jobs run: each entry in turn, its program's runs back to back and
//! then those of what is measured beside it (its Python original), against the same stand-in;
//! and the plan's rounds, one run of each of their entries in turn per round.

use std::time::{Duration, Instant};

use stand_in::StandIn;

use super::ceiling;
use super::once::{Ready, Run};
use super::progress::Progress;
use crate::plan::{Plan, Rounds};

/// What the runs need: the plan, its jobs made ready, and the stand-in they download from.
pub struct Schedule<'a> {
    pub plan: &'a Plan,
    /// For each entry, for each job: the job, or why it cannot run.
    pub ready: &'a [Vec<Result<Ready, String>>],
    pub stand_in: Option<&'a StandIn>,
}

pub struct Runs {
    /// For each entry, for each job, its runs in order, or why a run could not be made.
    pub runs: Vec<Vec<Vec<Result<Run, String>>>>,
    /// In each round, the ceiling's program alone and as many copies at once as there are
    /// cores (`ceiling.rs`).
    pub ceiling: ceiling::Times,
}

impl Schedule<'_> {
    /// An entry runs when its own program could be made ready.
    fn runs(&self, entry: usize) -> bool {
        matches!(self.ready[entry].first(), Some(Ok(_)))
    }

    /// Runs every entry in turn; the entries of the rounds all together where the first of
    /// them stands ([`Schedule::rounds`]).
    pub fn run_all(&self) -> Runs {
        let count = self.ready.len();
        let mut runs = Runs {
            runs: (self.ready.iter())
                .map(|jobs| jobs.iter().map(|_| Vec::new()).collect())
                .collect(),
            ceiling: ceiling::Times::default(),
        };
        let entries = (0..count).filter(|&i| self.runs(i));
        let jobs = entries.flat_map(|i| self.ready[i].iter().flatten());
        let progress = Progress::new(jobs.map(|job| u64::from(job.runs)).sum());
        let rounds = self.plan.rounds.as_ref();
        let members = rounds.map_or(&[][..], |rounds| &rounds.entries[..]);
        let in_rounds: Vec<usize> = members.iter().copied().filter(|&i| self.runs(i)).collect();
        for i in (0..count).filter(|&i| self.runs(i)) {
            let first_of_rounds = rounds.filter(|_| in_rounds.first() == Some(&i));
            if first_of_rounds.is_none() && in_rounds.contains(&i) {
                continue;
            }
            let name = first_of_rounds.map_or(self.plan.entries[i].name.as_str(), |r| r.name);
            progress.program(i + 1, count, name);
            match first_of_rounds {
                Some(rounds) => self.rounds(rounds, &in_rounds, &progress, &mut runs),
                None => self.block(i, &progress, &mut runs),
            }
        }
        progress.clear();
        runs
    }

    /// Entry `i`'s jobs, each one's runs back to back; a job's first run, if it lasted the
    /// job's `long_run`, is its only one.
    fn block(&self, i: usize, progress: &Progress, runs: &mut Runs) {
        for (k, job) in self.ready[i].iter().enumerate() {
            let Ok(job) = job else { continue };
            for n in 1..=job.runs {
                let beside = job.beside.map(|b| format!("{b}, ")).unwrap_or_default();
                progress.run(format!("{beside}run {n} of {}", job.runs));
                let run = job.run_once(self.stand_in, self.plan.run_limit);
                let wall = run
                    .as_ref()
                    .map_or(Duration::ZERO, |run| run.measurement.wall);
                let enough = n == 1 && job.long_run.is_some_and(|long| wall >= long);
                runs.runs[i][k].push(run);
                progress.done();
                if enough {
                    progress.skip(job.runs - n);
                    break;
                }
            }
        }
    }

    /// The CPU programs take turns, one run of each per round, where the others run one
    /// program at a time: a CPU run lasts hundredths of a second, and a shared machine's
    /// second core comes and goes over seconds, so runs in blocks would compare one moment's
    /// machine with another's. Taking turns, each CPU program meets the same moments; their
    /// speedups are "in the same run". What runs beside each (its Python original) runs in the
    /// first of the rounds, in the same turns, and each round ends with the machine's ceiling.
    fn rounds(&self, rounds: &Rounds, members: &[usize], progress: &Progress, runs: &mut Runs) {
        let own = |i: usize| self.ready[i][0].as_ref().expect("only entries that run");
        // Untimed rounds first, for at least half a second, as `hyperfine --warmup`: a CPU
        // program's run is short enough for a machine coming out of idleness to show in it
        // (docs/cpu.md, "Measured").
        progress.run("warm-up".into());
        let warming = Instant::now();
        while warming.elapsed() < rounds.warm_up {
            for &i in members {
                let _ = own(i).run_once(self.stand_in, self.plan.run_limit);
            }
        }
        let jobs = || members.iter().flat_map(|&i| self.ready[i].iter().flatten());
        let count = jobs().map(|job| job.runs).max().unwrap_or(0);
        let width = members.iter().map(|&i| self.ready[i].len()).max();
        for round in 1..=count {
            progress.run(format!("round {round} of {count}"));
            for k in 0..width.unwrap_or(0) {
                for &i in members {
                    let job = match self.ready[i].get(k) {
                        Some(Ok(job)) if round <= job.runs => job,
                        _ => continue,
                    };
                    if let Some(beside) = job.beside {
                        let name = &self.plan.entries[i].name;
                        progress.run(format!("round {round} of {count}, {beside} {name}"));
                    }
                    runs.runs[i][k].push(job.run_once(self.stand_in, self.plan.run_limit));
                    progress.done();
                }
            }
            if let Some(ceiling) = &rounds.ceiling
                && let Some(Ok(job)) = self.ready[ceiling.entry].first()
            {
                let (binary, arguments) = (&job.binary, &job.arguments);
                runs.ceiling.measure(binary, arguments, ceiling.copies);
            }
        }
    }
}
