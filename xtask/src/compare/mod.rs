//! `cargo xtask compare`: every program, built in release, run against the local stand-in,
//! each run checked, measured from outside, and reported beside the article's Python figures
//! and beside the article's Python programs (`python/`), run here in the same rounds.
//!
//! Its command line and settings are in `settings.rs`, its plan in `plan.rs`; `run/` runs the
//! plan; `rows.rs` makes the rows, `report.rs` the table, the legend and the files, and
//! `against.rs` sets them beside an earlier run's.

mod against;
mod plan;
mod report;
mod rows;
mod settings;

use std::process::ExitCode;

use crate::programs::{PROGRAMS, Program};
use crate::python::Python;
use crate::usage::UsageError;
use crate::{cargo, report as step, run};

pub use settings::CompareArgs;

pub fn compare(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let mut settings = args.settings();
    let selected: Vec<&'static Program> = PROGRAMS
        .iter()
        .filter(|p| (args.only.as_ref()).is_none_or(|only| p.name.contains(only.as_str())))
        .collect();
    if selected.is_empty() {
        let pattern = args.only.as_deref().unwrap_or_default();
        return Err(UsageError(format!("no program's name contains {pattern:?}")).into());
    }
    let against = match &args.against {
        Some(path) => Some((path.as_path(), against::load(path)?)),
        None => None,
    };
    let out_dir = step::out_dir(args.out_dir.as_ref())?;
    let python = match settings.python_runs {
        Some(_) => Some(Python::set_up(&cargo::target_dir()?)),
        None => None,
    };
    settings.python = python.as_ref().map(|p| match (p.unavailable(), &p.venv) {
        (None, Ok(venv)) => format!("python3 in the venv {}", venv.display()),
        (Some(why), _) => why.to_string(),
        (None, Err(why)) => why.to_string(),
    });
    let ran = run::run(&plan::plan(&settings, &selected, python.as_ref()))?;
    let elapsed = ran.elapsed;
    let (mut rows, cores_worth) = rows::rows(&selected, &settings, ran);
    let findings = report::Findings {
        cores_worth,
        python_missing: python.as_ref().and_then(Python::unavailable),
        against: against.as_ref().map(|(path, old)| (*path, old)),
        elapsed,
    };
    step::finish(&out_dir, report::output(&settings, &mut rows, &findings)?)
}
