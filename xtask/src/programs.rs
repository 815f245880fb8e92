//! Every program `cargo xtask compare` runs: which crate builds it, what technique it shows,
//! and the time the article's Python version took (2019 laptop, real internet).

use serde::Serialize;

/// The three kinds of program, each checked and compared in its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Downloaders: `--url`, `--repeat`; `Read` lines and a `Downloaded` summary.
    Io,
    /// `--start --count --workers`; `Sum of results` and `Duration`.
    Cpu,
    /// `--seconds`; `Answer: 42`.
    Spinner,
    /// The asyncio basics, at `--scale`: `time taken: {secs} seconds ({units} units)`, the units
    /// at least the article's seconds and under one more.
    Async,
    /// `--workers`; `Counter: 500000` and `Duration`.
    Race,
    /// Fluent Python's flags downloaders, `--server`: 20 flags, their counts (`N flags
    /// downloaded.` ...) equal to what the stand-in's log says.
    Flags,
}

impl Family {
    /// The program every other one in the family is compared against.
    pub fn baseline(self) -> Option<&'static str> {
        match self {
            Family::Io => Some("io_sequential"),
            Family::Cpu => Some("cpu_sequential"),
            Family::Race => Some("race_condition"),
            Family::Flags => Some("flags"),
            Family::Spinner | Family::Async => None,
        }
    }
}

/// How many workers a program is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workers {
    /// One thread does everything; no `--workers` flag is passed.
    One,
    /// One task per site (the async downloaders): as many as there are sites.
    PerSite,
    /// `--workers N`, the article's fixed pool size.
    Fixed(usize),
    /// `--workers N` with N the number of CPUs, the default of Python's `Pool()`.
    Cpus,
    /// Not a pool of workers at all (the spinners: a spinner and a slow call).
    NotApplicable,
    /// No `--workers` flag; the table shows this (the flags programs' own defaults).
    Shown(&'static str),
}

/// One binary to run.
#[derive(Clone, Copy, Debug)]
pub struct Program {
    /// The binary's name (`cargo run --bin NAME`).
    pub name: &'static str,
    /// The package that builds it.
    pub package: &'static str,
    pub family: Family,
    pub technique: &'static str,
    /// The runtime or crate that does the concurrency.
    pub runtime: &'static str,
    pub workers: Workers,
    /// The article's figure for its Python version, in seconds.
    pub python_seconds: Option<f64>,
    /// The binary to run: `name`, but for the async basics run at several settings.
    pub binary: &'static str,
    /// Arguments of this row's own, before the family's.
    pub args: &'static [&'static str],
    /// The async basics: the time the run must take, in units (the article's seconds).
    pub units: Option<f64>,
}

const fn program(
    name: &'static str,
    package: &'static str,
    family: Family,
    technique: &'static str,
    runtime: &'static str,
    workers: Workers,
    python_seconds: Option<f64>,
) -> Program {
    Program {
        name,
        package,
        family,
        technique,
        runtime,
        workers,
        python_seconds,
        binary: name,
        args: &[],
        units: None,
    }
}

/// An async basics program at one setting: `name` as the table shows it, the `binary` it runs
/// with `args`, and the `units` its run must take: the article's seconds, where it has them.
const fn basics(
    name: &'static str,
    binary: &'static str,
    args: &'static [&'static str],
    technique: &'static str,
    units: f64,
    article: bool,
) -> Program {
    let python_seconds = if article { Some(units) } else { None };
    Program {
        binary,
        args,
        units: Some(units),
        ..program(
            name,
            "async_basics",
            Async,
            technique,
            "tokio",
            NotApplicable,
            python_seconds,
        )
    }
}

use Family::{Async, Cpu, Flags, Io, Race, Spinner};
use Workers::{Cpus, Fixed, NotApplicable, One, PerSite, Shown};

/// Every program, in the order of the table: each family's sequential version first.
#[rustfmt::skip] // A table reads best as one.
pub const PROGRAMS: &[Program] = &[
    program("io_sequential", "io_sequential", Io, "sequential", "ureq", One, Some(14.3)),
    program("io_threads", "io_threads", Io, "threads", "ureq", Fixed(5), Some(3.7)),
    program("io_async", "io_async", Io, "async", "tokio + reqwest", PerSite, Some(2.6)),
    program("io_async_smol", "io_async", Io, "async", "smol + hyper", PerSite, None),
    program("io_async_std", "io_async", Io, "async", "async-std + hyper", PerSite, None),
    program("io_multiprocess", "io_multiprocess", Io, "process pool", "ureq", Cpus, Some(5.7)),
    program("cpu_sequential", "cpu_sequential", Cpu, "sequential", "std", One, Some(7.8)),
    program("cpu_threads", "cpu_threads", Cpu, "threads", "std::thread", Fixed(5), Some(10.4)),
    program("cpu_rayon", "cpu_threads", Cpu, "work stealing", "rayon", Cpus, None),
    program("cpu_multiprocess", "cpu_multiprocess", Cpu, "process pool", "std::process", Cpus, Some(2.5)),
    program("spinner_thread", "spinner", Spinner, "thread", "std::thread", NotApplicable, None),
    program("spinner_async", "spinner", Spinner, "async task", "tokio", NotApplicable, None),
    program("spinner_smol", "spinner", Spinner, "async task", "smol", NotApplicable, None),
    program("spinner_async_std", "spinner", Spinner, "async task", "async-std", NotApplicable, None),
    program("spinner_process", "spinner", Spinner, "process", "std::process", NotApplicable, None),
    program("spinner_async_blocked", "spinner", Spinner, "async, blocked", "tokio", NotApplicable, None),
    program("spinner_async_unblocked", "spinner", Spinner, "async, spawn_blocking", "tokio", NotApplicable, None),
    Program { runtime: "std", ..basics("sub_routines", "sub_routines", &[], "sequential sleeps", 9.0, true) },
    basics("coroutines", "coroutines", &[], "gather (join!)", 5.0, true),
    basics("tornado_coroutines", "tornado_coroutines", &[], "spawned tasks", 10.0, true),
    basics("wait_for", "wait_for", &[], "timeout", 3.0, false),
    basics("gevent_pool", "gevent_pool", &[], "pool of 30", 1.0, true),
    basics("gevent_pool --size 5", "gevent_pool", &["--size", "5"], "pool of 5, batches", 2.0, true),
    basics("gevent_pool --size 5 --uneven", "gevent_pool", &["--size", "5", "--uneven"], "pool of 5, batches", 6.0, false),
    basics("semaphore --size 5 --uneven", "semaphore", &["--size", "5", "--uneven"], "semaphore, sliding window", 4.0, false),
    program("race_condition", "race_condition", Race, "Mutex", "std::thread", Fixed(5000), None),
    program("race_condition_atomic", "race_condition", Race, "AtomicU64", "std::thread", Fixed(5000), None),
    program("race_condition_sums", "race_condition", Race, "per-thread sums", "std::thread", Fixed(5000), None),
    program("flags", "flags", Flags, "sequential", "ureq", One, None),
    program("flags_threadpool", "flags", Flags, "threads, map", "std::thread + ureq", Shown("20 threads"), None),
    program("flags_asyncio", "flags", Flags, "async, gather", "tokio + reqwest", Shown("20 tasks"), None),
    program("flags2_sequential", "flags", Flags, "sequential, counted", "ureq", One, None),
    program("flags2_threadpool", "flags", Flags, "thread pool, as_completed", "std::thread + ureq", Shown("20 threads (-m 30)"), None),
    program("flags2_asyncio", "flags", Flags, "semaphore, as_completed", "tokio + reqwest", Shown("20 tasks, 5 in flight"), None),
    program("flags3_asyncio", "flags", Flags, "two requests per flag", "tokio + reqwest", Shown("20 tasks, 5 in flight"), None),
];

/// The programs whose Python original is in `python/`, and its file: `compare` runs it beside
/// them. The other binaries of a crate (io_async_smol, cpu_rayon) share their sibling's original
/// and so are not run against it again.
pub const PYTHON: &[(&str, &str)] = &[
    ("io_sequential", "io_non_concurrent.py"),
    ("io_threads", "io_threading.py"),
    ("io_async", "io_asyncio.py"),
    ("io_multiprocess", "io_mp.py"),
    ("cpu_sequential", "cpu_non_concurrent.py"),
    ("cpu_threads", "cpu_threading.py"),
    ("cpu_multiprocess", "cpu_mp.py"),
    ("spinner_thread", "spinner_thread.py"),
    ("spinner_async", "spinner_async.py"),
];

/// The number of CPUs, as Python's `os.cpu_count()`.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Program {
    pub fn find(name: &str) -> Option<&'static Program> {
        PROGRAMS.iter().find(|p| p.name == name)
    }

    /// The file of its Python original in `python/`, if it has one there.
    pub fn python_script(&self) -> Option<&'static str> {
        let found = PYTHON.iter().find(|(name, _)| *name == self.name);
        found.map(|&(_, script)| script)
    }

    /// The `--workers` value to pass, if any.
    pub fn workers_flag(&self) -> Option<usize> {
        match self.workers {
            Fixed(n) => Some(n),
            Cpus => Some(cpus()),
            One | PerSite | NotApplicable | Shown(_) => None,
        }
    }

    /// The workers column of the table, for a run of `sites` downloads; `cap` is the async
    /// downloaders' `--limit` and whose default it is.
    pub fn workers_text(&self, sites: usize, (cap, whose): (usize, &str)) -> String {
        match self.workers {
            One => "1".into(),
            PerSite => format!("{sites} tasks, --limit {cap}, {whose}"),
            Fixed(n) => n.to_string(),
            Cpus => format!("{} (CPUs)", cpus()),
            NotApplicable => "-".into(),
            Shown(text) => text.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_packages_binaries_are_listed_together() {
        // `compare` builds each package once, deduplicating neighbours.
        let mut seen = Vec::new();
        for program in PROGRAMS {
            if seen.last() != Some(&program.package) {
                assert!(
                    !seen.contains(&program.package),
                    "{} is split",
                    program.package
                );
                seen.push(program.package);
            }
        }
    }

    #[test]
    fn every_python_original_is_beside_a_program_and_in_python() {
        for (name, script) in PYTHON {
            assert!(Program::find(name).is_some(), "{name}");
            let path = crate::python::script(script);
            assert!(path.is_file(), "{}", path.display());
        }
    }

    #[test]
    fn every_family_starts_with_its_baseline() {
        for family in [Io, Cpu, Race, Flags] {
            let first = PROGRAMS.iter().find(|p| p.family == family).unwrap();
            assert_eq!(Some(first.name), family.baseline());
        }
    }
}
