//! `cargo xtask sweep`: the worker table of a post that ran the article's threaded downloader
//! with `max_workers` from 1 to 500 (see `docs/io.md`), measured. One downloader, run with each
//! worker count (`--workers` for threads, `--limit` for async), for each amount of work, to show
//! where more workers stop helping and what each one costs. `--program io_threading.py` sweeps
//! the article's own Python downloader (`python/`) the same way.

mod args;
mod plan;
mod report;
mod rows;

use std::process::ExitCode;

use crate::{report as step, run};

pub use args::SweepArgs;

pub fn sweep(args: &SweepArgs) -> anyhow::Result<ExitCode> {
    let out_dir = step::out_dir(args.out_dir.as_ref())?;
    let (plan, mut rows) = plan::plan(args)?;
    let ran = run::run(&plan)?;
    for (row, jobs) in rows.iter_mut().zip(ran.entries) {
        if let Some(measured) = jobs.into_iter().next() {
            row.measured(measured);
        }
    }
    step::finish(&out_dir, report::output(args, &rows)?)
}
