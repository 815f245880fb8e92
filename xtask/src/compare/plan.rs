//! compare's plan: every selected program with the arguments of its family, what its output
//! must show, and its Python original beside it; the CPU programs in rounds, with the machine's
//! ceiling at the end of each.

use crate::plan::{self, Arg, Binary, Ceiling, Entry, Job, Plan, Rounds};
use crate::programs::{Family, Program, Workers};
use crate::python::{self, Python};
use crate::verify::Expect;

use super::settings::{ASYNC_SCALE, Settings, WARM_UP};

/// What `compare` runs: `selected`, and with `python` their Python originals.
pub fn plan(settings: &Settings, selected: &[&'static Program], python: Option<&Python>) -> Plan {
    let entries = (selected.iter())
        .map(|program| {
            let mut jobs = vec![Ok(rust_job(settings, program))];
            jobs.extend(python.and_then(|python| python_job(settings, program, python)));
            let name = program.name.to_owned();
            Entry { name, jobs }
        })
        .collect();
    let cpu: Vec<usize> = (0..selected.len())
        .filter(|&i| selected[i].family == Family::Cpu)
        .collect();
    let copies = settings.cpus;
    let ceiling = (cpu.iter().copied())
        .find(|&i| Family::Cpu.baseline() == Some(selected[i].name))
        .map(|entry| Ceiling { entry, copies });
    Plan {
        build: binaries(selected),
        stand_in: (!settings.real).then(|| settings.stand_in.config()),
        run_limit: settings.run_limit,
        entries,
        rounds: Some(Rounds {
            entries: cpu,
            name: "the CPU programs, in turn",
            warm_up: WARM_UP,
            ceiling,
        }),
    }
}

/// The Rust program: its Python original's arguments, and for the async downloaders `--limit`,
/// which the Python program does not take.
fn rust_job(settings: &Settings, program: &Program) -> Job {
    let (mut args, expect) = arguments(settings, program);
    if program.workers == Workers::PerSite {
        args.extend(Arg::flag("--limit", settings.async_cap().0));
    }
    let (name, package) = (program.binary, program.package);
    let (runs, long_run) = settings.runs_of(program);
    Job {
        binary: Binary::Built { name, package },
        args,
        expect,
        runs,
        long_run,
        beside: None,
    }
}

/// How `program`'s Python original runs: its interpreter, the script and the same arguments
/// as the Rust program's; or, when it cannot run, the one word that says why.
fn python_job(
    settings: &Settings,
    program: &Program,
    python: &Python,
) -> Option<Result<Job, String>> {
    let script = program.python_script()?;
    let interpreter = match python.interpreter(script) {
        Ok(path) => path,
        Err(why) => return Some(Err(why.word.to_owned())),
    };
    let (args, mut expect) = arguments(settings, program);
    // aiohttp sends a GET once more when the server closes the connection without an answer
    // (the stand-in's --drop-rate): the log then holds one request more per drop that did not
    // end in a failure, which the check allows for this program alone.
    if let Expect::Downloads { retries_drops, .. } = &mut expect {
        *retries_drops = script == "io_asyncio.py";
    }
    let path = python::script(script).display().to_string();
    Some(Ok(Job {
        binary: Binary::At(interpreter.to_path_buf()),
        args: [Arg::Text(path)].into_iter().chain(args).collect(),
        expect,
        runs: settings.python_runs_of(program),
        long_run: None,
        beside: Some("Python"),
    }))
}

/// The command-line arguments of `program`'s family, and what its output must show.
fn arguments(settings: &Settings, program: &Program) -> (Vec<Arg>, Expect) {
    let mut args: Vec<Arg> = Vec::new();
    if let Some(workers) = program.workers_flag() {
        args.extend(Arg::flag("--workers", workers));
    }
    let expected = match program.family {
        Family::Io => {
            let (sites, expect) =
                plan::downloads(settings.real, settings.repeat, &settings.stand_in);
            args.extend(sites);
            expect
        }
        Family::Cpu => {
            let (start, count) = (settings.cpu_start, settings.cpu_count);
            args.extend(Arg::flag("--start", start));
            args.extend(Arg::flag("--count", count));
            Expect::Sum(contract::expected_sum(start, count))
        }
        Family::Spinner => {
            args.extend(Arg::flag("--seconds", settings.spinner_seconds));
            Expect::Answer
        }
        Family::Async => {
            args.extend(program.args.iter().map(|a| Arg::Text(a.to_string())));
            args.extend(Arg::flag("--scale", ASYNC_SCALE));
            Expect::Units(program.units.expect("every async basics row has its units"))
        }
        Family::Race => Expect::Counter(500_000),
        Family::Flags => {
            // The stand-in's flags, under its base URL.
            match settings.real {
                true => args.extend(Arg::flag("--server", "REMOTE")),
                false => args.push(Arg::StandInFlags),
            }
            // The 20 codes of flags.py's `POP20_CC`, every program's default.
            Expect::Flags {
                total: 20,
                faults: settings.faults,
            }
        }
    };
    (args, expected)
}

/// The binaries the selected programs run, each once: what cargo builds for them.
pub fn binaries(selected: &[&Program]) -> Vec<&'static str> {
    let mut binaries: Vec<&str> = selected.iter().map(|p| p.binary).collect();
    binaries.dedup();
    binaries
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::compare::settings::{CompareArgs, LONG_RUN};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        compare: CompareArgs,
    }

    fn settings(args: &[&str]) -> Settings {
        let args = std::iter::once("compare").chain(args.iter().copied());
        Cli::parse_from(args).compare.settings()
    }

    fn limit(job: &Job) -> Option<&str> {
        let texts: Vec<&str> = (job.args.iter())
            .filter_map(|arg| match arg {
                Arg::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let at = texts.iter().position(|&a| a == "--limit")?;
        texts.get(at + 1).copied()
    }

    #[test]
    fn the_async_downloaders_get_their_own_default_cap_and_python_keeps_aiohttps() {
        let io_async = Program::find("io_async").unwrap();
        let rust = rust_job(&settings(&[]), io_async);
        assert_eq!(limit(&rust), Some("1000"));
        // Python's io_asyncio.py has no --limit: aiohttp's session keeps its 100.
        let python = Python {
            stdlib: Ok("python3".into()),
            venv: Ok("venv/bin/python".into()),
        };
        let python = python_job(&settings(&[]), io_async, &python)
            .unwrap()
            .unwrap();
        assert_eq!(limit(&python), None);
        // With --real, io_async's own default there: aiohttp's 100.
        assert_eq!(
            limit(&rust_job(&settings(&["--real"]), io_async)),
            Some("100")
        );
        let io_threads = Program::find("io_threads").unwrap();
        assert_eq!(limit(&rust_job(&settings(&[]), io_threads)), None);
    }

    #[test]
    fn a_long_first_run_is_the_only_one_unless_the_runs_are_asked_for() {
        let long_run = |args: &[&str], name: &str| {
            rust_job(&settings(args), Program::find(name).unwrap()).long_run
        };
        assert_eq!(long_run(&[], "io_sequential"), Some(LONG_RUN));
        assert_eq!(settings(&[]).runs, 3);
        assert_eq!(long_run(&["--runs", "3"], "io_sequential"), None);
        assert_eq!(long_run(&["--quick"], "io_sequential"), None);
        // Not counted by --runs: the spinners keep their --spinner-runs, however long each is.
        let spinners = ["--spinner-runs", "3", "--spinner-seconds", "6"];
        assert_eq!(long_run(&spinners, "spinner_thread"), None);
        assert_eq!(long_run(&[], "cpu_sequential"), None);
        let text = |args: &[&str]| settings(args).runs_text();
        assert_eq!(text(&[]), "3 runs (one where the first took 5 s or more)");
        assert_eq!(text(&["--runs", "2"]), "2 run(s)");
    }
}
