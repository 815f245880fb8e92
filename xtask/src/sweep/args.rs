//! What `cargo xtask sweep` is asked: the downloader, the worker counts (or async caps) and the
//! numbers of sites to try.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::Args;
use download_cli::{Server, StandInArgs};

use crate::programs::{Family, PYTHON, Program, Workers};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The downloader to sweep: io_threads or io_multiprocess (--workers), io_async* (--limit),
    /// or the article's Python io_threading.py or io_mp.py (--workers).
    #[arg(long, value_name = "NAME", default_value = "io_threads", value_parser = parse_program)]
    pub program: Swept,

    /// The worker counts (or async limits) to try, comma-separated [default: 1,5,10,20,30,100,500;
    /// for the async programs also 1000]. The async programs run first with the cap they choose
    /// on their own (1000, the stand-in's default).
    #[arg(long, value_name = "N,N,..", value_delimiter = ',')]
    workers: Option<Vec<NonZeroUsize>>,

    /// The numbers of downloads to try, comma-separated; even, as the sites come in pairs.
    #[arg(long, value_name = "N,N,..", value_delimiter = ',', default_value = "160,1000,10000", value_parser = parse_sites)]
    pub sites: Vec<usize>,

    /// Runs of each combination; the median is reported.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,

    /// Skip a combination that cannot take less than this many seconds (downloads / workers x
    /// latency): 10,000 downloads one at a time would take over 8 minutes.
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    pub max_seconds: f64,

    /// Where to write the report (default: target/compare).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Kill a run that takes longer than this many seconds.
    #[arg(long, value_name = "S", default_value_t = 300)]
    pub run_limit: u64,

    #[command(flatten)]
    pub stand_in: StandInArgs,
}

/// The downloader swept: a Rust program, or the Python original of one (`python`: its file).
#[derive(Clone, Copy, Debug)]
pub struct Swept {
    pub program: &'static Program,
    pub python: Option<&'static str>,
}

impl Swept {
    pub fn name(&self) -> &'static str {
        self.python.unwrap_or(self.program.name)
    }
}

fn parse_program(name: &str) -> Result<Swept, String> {
    // A Python downloader with workers: its Rust sibling says how it is driven.
    let python = PYTHON.iter().find(|&&(_, script)| script == name);
    let python = python.and_then(|&(rust, script)| Some((Program::find(rust)?, script)));
    let swept = |program, python| Ok(Swept { program, python });
    match (Program::find(name), python) {
        (Some(p), _) if p.family == Family::Io && p.workers != Workers::One => swept(p, None),
        (_, Some((p, script)))
            if p.family == Family::Io && matches!(p.workers, Workers::Fixed(_) | Workers::Cpus) =>
        {
            swept(p, Some(script))
        }
        _ => Err(
            "must be a downloader with workers: io_threads, io_multiprocess, io_async, \
                  io_async_smol or io_async_std, or the Python io_threading.py or io_mp.py"
                .into(),
        ),
    }
}

fn parse_sites(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 && n % 2 == 0 => Ok(n),
        _ => Err(format!("{text:?} is not a positive even number")),
    }
}

impl SweepArgs {
    /// `--limit` for the async programs, `--workers` for the others.
    pub fn flag(&self) -> &'static str {
        match self.program.program.workers {
            Workers::PerSite => "--limit",
            _ => "--workers",
        }
    }

    /// The values of the flag to try: `--workers`'s list, or the program's; for the async programs
    /// first the cap they take on their own, and whose default it is, not repeated in the list.
    pub fn values(&self) -> Vec<(usize, Option<&'static str>)> {
        let asynchronous = self.program.program.workers == Workers::PerSite;
        let values: Vec<usize> = match &self.workers {
            Some(values) => values.iter().map(|v| v.get()).collect(),
            None if asynchronous => vec![1, 5, 10, 20, 30, 100, 500, 1000],
            None => vec![1, 5, 10, 20, 30, 100, 500],
        };
        let default = asynchronous.then(|| download_cli::default_in_flight_cap(Server::StandIn));
        let rest = values
            .into_iter()
            .filter(|&v| default.is_none_or(|(cap, _)| v != cap));
        (default.map(|(cap, whose)| (cap, Some(whose))).into_iter())
            .chain(rest.map(|v| (v, None)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn async_programs_are_swept_with_their_own_default_first_and_once() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            sweep: SweepArgs,
        }
        let parse = |args: &[&str]| Cli::parse_from(["sweep"].iter().chain(args)).sweep;
        let stand_ins = Some("the stand-in's default");
        let async_default = parse(&["--program", "io_async"]).values();
        assert_eq!(async_default.first(), Some(&(1000, stand_ins)));
        assert_eq!(async_default.iter().filter(|(v, _)| *v == 1000).count(), 1);
        assert_eq!(async_default.len(), 8, "{async_default:?}");
        let threads = parse(&["--program", "io_threads"]).values();
        assert!(threads.iter().all(|(_, default)| default.is_none()));
        let given = parse(&["--program", "io_async_smol", "--workers", "5,50"]).values();
        assert_eq!(given, [(1000, stand_ins), (5, None), (50, None)]);
        let python = parse(&["--program", "io_threading.py"]).values();
        assert_eq!(python, threads, "the Python program's table is io_threads'");
    }

    #[test]
    fn python_downloaders_with_workers_can_be_swept() {
        let python = parse_program("io_threading.py").unwrap();
        assert_eq!(
            (python.name(), python.program.name),
            ("io_threading.py", "io_threads")
        );
        assert_eq!(
            parse_program("io_mp.py").unwrap().program.name,
            "io_multiprocess"
        );
        // aiohttp's program has no --limit; the sequential ones have no workers.
        for refused in [
            "io_asyncio.py",
            "io_non_concurrent.py",
            "io_sequential",
            "cpu_mp.py",
        ] {
            assert!(parse_program(refused).is_err(), "{refused}");
        }
    }
}
