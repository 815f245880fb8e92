//! The sweep's plan: one downloader, or its Python original, with each value of the flag for
//! each number of sites, but those that would take too long; and a row for each, skipped ones
//! included.

use std::time::Duration;

use anyhow::Context;

use crate::cargo;
use crate::plan::{self, Arg, Binary, Entry, Job, Plan};
use crate::python::{self, Python};
use crate::report::table::seconds;

use super::args::SweepArgs;
use super::rows::SweepRow;

/// What the sweep runs, and its rows to fill in.
pub fn plan(args: &SweepArgs) -> anyhow::Result<(Plan, Vec<SweepRow>)> {
    let (binary, script) = binary(args)?;
    let latency = Duration::from_millis(args.stand_in.latency_ms);
    let (mut entries, mut rows) = (Vec::new(), Vec::new());
    for &sites in &args.sites {
        for value in args.values() {
            let mut row = SweepRow::new(args.flag(), value, sites);
            // The least time it can take: every request one latency, `value` at a time.
            let least = latency * sites.div_ceil(row.value) as u32;
            let jobs = if least.as_secs_f64() > args.max_seconds {
                let least = seconds(least.as_secs_f64());
                row.skipped = Some(format!("would take at least {least}"));
                Vec::new()
            } else {
                vec![Ok(job(args, &binary, script.as_deref(), &row))]
            };
            let name = format!("{} {}, {sites} sites", args.program.name(), row.setting());
            entries.push(Entry { name, jobs });
            rows.push(row);
        }
    }
    let program = args.program.program;
    let plan = Plan {
        build: match binary {
            Binary::Built { .. } => vec![program.name],
            Binary::At(_) => Vec::new(),
        },
        stand_in: Some(args.stand_in.config()),
        run_limit: Duration::from_secs(args.run_limit),
        entries,
        rounds: None,
    };
    Ok((plan, rows))
}

/// The program to run, and for a Python program its script, the first of its arguments.
fn binary(args: &SweepArgs) -> anyhow::Result<(Binary, Option<String>)> {
    let program = args.program.program;
    Ok(match args.program.python {
        None => {
            let (name, package) = (program.name, program.package);
            (Binary::Built { name, package }, None)
        }
        Some(script) => {
            let python = Python::set_up(&cargo::target_dir()?);
            let interpreter = (python.interpreter(script))
                .map_err(|why| anyhow::anyhow!("{why}"))
                .with_context(|| format!("cannot run {script}"))?;
            let path = python::script(script).display().to_string();
            (Binary::At(interpreter.to_path_buf()), Some(path))
        }
    })
}

/// One row's job: the downloader with that many sites and that value of the flag.
fn job(args: &SweepArgs, binary: &Binary, script: Option<&str>, row: &SweepRow) -> Job {
    let repeat = (row.sites / 2) as u32;
    let (sites, expect) = plan::downloads(false, repeat, &args.stand_in);
    let mut arguments = Vec::from_iter(script.map(|s| Arg::Text(s.to_owned())));
    arguments.extend(sites);
    arguments.extend(Arg::flag(row.flag, row.value));
    Job {
        binary: binary.clone(),
        args: arguments,
        expect,
        runs: args.runs,
        long_run: None,
        beside: None,
    }
}
