//! `cargo xtask compare`: every program, built in release, run against the local stand-in,
//! each run checked, measured from outside, and reported beside the article's Python figures
//! and beside the article's Python programs (`python/`), run here in the same rounds.

mod against;
mod columns;
mod docs;
mod plan;
mod report;
mod rows;
mod settings;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::programs::{PROGRAMS, Program};
use crate::python::Python;
use crate::usage::UsageError;
use crate::{cargo, report as step, run, servers};

use docs::Measured;
use settings::Settings;

pub use settings::CompareArgs;

/// The servers family's part of the run, as `settings` say (`servers::compare`).
fn family(
    servers: &[&'static servers::Server],
    settings: &Settings,
    python: Option<&Python>,
    out_dir: &Path,
) -> anyhow::Result<(step::Output, String)> {
    let runs = servers::Runs {
        rust: settings.server_runs,
        python: settings.python_runs.unwrap_or(1),
    };
    servers::compare(servers, settings.quick, runs, python, out_dir)
}

/// Which Python the run used, or why none, for the report's caption.
fn described(python: &Python) -> String {
    match (python.unavailable(), &python.venv) {
        (None, Ok(venv)) => format!("python3 in the venv {}", venv.display()),
        (Some(why), _) => why.to_string(),
        (None, Err(why)) => why.to_string(),
    }
}

pub fn compare(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let mut settings = args.settings();
    let selected: Vec<&'static Program> = PROGRAMS
        .iter()
        .filter(|p| (args.only.as_ref()).is_none_or(|only| p.name.contains(only.as_str())))
        .collect();
    let servers = servers::selected(args.only.as_deref());
    if selected.is_empty() && servers.is_empty() {
        let pattern = args.only.as_deref().unwrap_or_default();
        return Err(UsageError(format!("no program's name contains {pattern:?}")).into());
    }
    let against = match &args.against {
        Some(path) => Some((path.as_path(), against::load(path)?)),
        None => None,
    };
    let out_dir = step::out_dir(args.out_dir.as_ref())?;
    let binaries = [plan::binaries(&selected), servers::binaries(&servers)].concat();
    let python = set_up_while_building(&settings, &binaries)?;
    settings.python = python.as_ref().map(described);
    if selected.is_empty() {
        let (output, _) = family(&servers, &settings, python.as_ref(), &out_dir)?;
        return step::finish(&out_dir, output);
    }
    let ran = run::run(&plan::plan(&settings, &selected, python.as_ref()))?;
    let elapsed = ran.elapsed;
    let (mut rows, cores_worth) = rows::rows(&selected, &settings, ran);
    let findings = report::Findings {
        cores_worth,
        python_missing: python.as_ref().and_then(Python::unavailable),
        against: against.as_ref().map(|(path, old)| (*path, old)),
        elapsed,
    };
    let mut output = report::output(&settings, &mut rows, &findings)?;
    let mut servers_table = None;
    if !servers.is_empty() {
        let (family, table) = family(&servers, &settings, python.as_ref(), &out_dir)?;
        output.text += &family.text;
        output.files.extend(family.files);
        output.failures.extend(family.failures);
        servers_table = Some(table);
    }
    if args.write_docs {
        let measured = Measured {
            rows: &rows,
            cores_worth,
            servers: servers_table.as_deref(),
            failures: output.failures.len(),
        };
        output.text += &write_docs(&settings, &measured, &output.files)?;
    }
    step::finish(&out_dir, output)
}

/// `--write-docs`: the docs' regions rewritten from this run, if every program was verified
/// at the stand-in's defaults; otherwise the docs keep the figures they have, and say why. The
/// pictures docs/ shows (the bar chart, the timelines) are replaced by this run's too.
fn write_docs(
    settings: &Settings,
    measured: &Measured,
    files: &[(String, String)],
) -> anyhow::Result<String> {
    if measured.failures > 0 || settings.faults {
        let why = match measured.failures {
            0 => "the stand-in injected faults".to_owned(),
            n => format!("{n} rows failed verification"),
        };
        return Ok(format!("\nThe docs were not rewritten: {why}.\n"));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask sits in the workspace")?;
    let mut text = String::from("\n");
    for page in docs::write(root, settings, measured)? {
        let page = page.strip_prefix(root).unwrap_or(&page);
        text += &format!("Rewrote the figures of {}\n", page.display());
    }
    for (name, contents) in files.iter().filter(|(name, _)| name.ends_with(".svg")) {
        let picture = root.join("docs").join(name);
        if picture.exists() {
            std::fs::write(&picture, contents)
                .with_context(|| format!("cannot write {}", picture.display()))?;
            text += &format!("Rewrote docs/{name}\n");
        }
    }
    Ok(text)
}

/// The venv's set-up (pip: mostly waiting on the network and the disk) on a thread of its own,
/// while cargo builds the programs and the servers, in one invocation on every core; `run` and
/// the servers' loads then find them built. Nothing is timed yet, so the two cannot disturb a
/// measurement.
fn set_up_while_building(settings: &Settings, binaries: &[&str]) -> anyhow::Result<Option<Python>> {
    let target_dir = cargo::target_dir()?;
    std::thread::scope(|scope| {
        let python = (settings.python_runs).map(|_| scope.spawn(|| Python::set_up(&target_dir)));
        if !binaries.is_empty() {
            // What does not compile is said here, and shown as failed by `run`'s own build.
            cargo::build_release(binaries)?;
        }
        Ok(python.map(|thread| thread.join().expect("the venv's set-up does not panic")))
    })
}
