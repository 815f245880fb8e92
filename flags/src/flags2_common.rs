//! What `flags2_common.py` holds for the flags2 and flags3 programs: the command line (codes or
//! first letters, `-a`, `-e`, `-l N`, `-m N`, `-s LABEL`, `-v`), the statuses and their
//! counter, the reports before and after, and `main`, which every program calls with its own
//! `download_many` and its concurrency defaults.

use std::fmt::{self, Display};
use std::ops::{Index, IndexMut};
use std::process::ExitCode;
use std::time::Instant;

use clap::{CommandFactory, Parser};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressState, ProgressStyle};

pub use crate::save_flag;
use crate::{POP20_CC, SiteArgs, fail};

/// What became of one flag: `flags2_common.py`'s `DownloadStatus` enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownloadStatus {
    Ok,
    /// A 404: the server has no flag for that code. Not an error.
    NotFound,
    /// Anything else that went wrong: another HTTP status, a timeout, a closed connection.
    Error,
}

/// How many flags ended in each status, as Python's `Counter[DownloadStatus]`:
/// `counter[status] += 1` reads the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter([usize; 3]);

impl Index<DownloadStatus> for Counter {
    type Output = usize;

    fn index(&self, status: DownloadStatus) -> &usize {
        &self.0[status as usize]
    }
}

impl IndexMut<DownloadStatus> for Counter {
    fn index_mut(&mut self, status: DownloadStatus) -> &mut usize {
        &mut self.0[status as usize]
    }
}

/// The command line of `flags2_common.py`'s `process_args`, with `--dir` and the stand-in's
/// flags added.
#[derive(Parser, Debug)]
#[command(about = "Download flags for country codes. Default: top 20 countries by population.")]
pub struct Flags2Args {
    /// Country code or 1st letter (eg. B for BA...BZ).
    #[arg(value_name = "CC")]
    pub cc: Vec<String>,

    /// Get all available flags (AD to ZW): the codes the local stand-in has.
    #[arg(short, long)]
    pub all: bool,

    /// Get flags for every possible code (AA...ZZ).
    #[arg(short, long)]
    pub every: bool,

    /// Limit to N first codes.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// Maximum concurrent requests (default: the program's own).
    #[arg(short, long = "max-req", alias = "max_req", value_name = "CONCURRENT", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_req: Option<u64>,

    /// Output detailed progress info.
    #[arg(short, long)]
    pub verbose: bool,

    #[command(flatten)]
    pub site: SiteArgs,
}

/// The codes to fetch, sorted, at most `limit`: every AA..ZZ (`-e`), every code the stand-in
/// has (`-a`), or those given, a single letter standing for all 26 codes it starts.
pub fn expand_cc_args(
    every_cc: bool,
    all_cc: bool,
    cc_args: &[String],
    limit: usize,
) -> Result<Vec<String>, String> {
    let a_z = || b'A'..=b'Z';
    let mut codes = std::collections::BTreeSet::new();
    if every_cc {
        codes.extend(a_z().flat_map(|a| a_z().map(move |b| format!("{}{}", a as char, b as char))));
    } else if all_cc {
        codes.extend(
            stand_in::flags::COUNTRIES
                .iter()
                .map(|&(cc, _)| cc.to_owned()),
        );
    } else {
        for cc in cc_args.iter().map(|c| c.to_uppercase()) {
            match cc.as_bytes() {
                [a] if a.is_ascii_uppercase() => {
                    codes.extend(a_z().map(|b| format!("{cc}{}", b as char)));
                }
                [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => {
                    codes.insert(cc);
                }
                _ => {
                    return Err(format!(
                        "each CC argument must be A to Z or AA to ZZ, not {cc:?}"
                    ));
                }
            }
        }
    }
    Ok(codes.into_iter().take(limit).collect())
}

/// Parses the command line; bad usage is one error line and exit status 2.
pub fn process_args() -> (Flags2Args, Vec<String>) {
    let args: Flags2Args = contract::parse_args();
    if let Err(e) = args.site.stand_in.check() {
        contract::cli::usage_error(Flags2Args::command(), e);
    }
    let limit = args
        .limit
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let mut cc_list = match expand_cc_args(args.every, args.all, &args.cc, limit) {
        Ok(cc_list) => cc_list,
        Err(e) => contract::cli::usage_error(Flags2Args::command(), e),
    };
    if cc_list.is_empty() {
        cc_list = POP20_CC.iter().map(|&cc| cc.to_owned()).collect();
        cc_list.sort();
        cc_list.truncate(limit);
    }
    (args, cc_list)
}

pub fn initial_report(cc_list: &[String], actual_req: usize, label: &str, base_url: &str) {
    let cc_msg = match cc_list {
        [first, .., last] if cc_list.len() > 10 => format!("from {first} to {last}"),
        _ => cc_list.join(", "),
    };
    println!("{label} site: {base_url}");
    let plural = if cc_list.len() != 1 { "s" } else { "" };
    println!("Searching for {} flag{plural}: {cc_msg}", cc_list.len());
    if actual_req == 1 {
        println!("1 connection will be used.");
    } else {
        println!("{actual_req} concurrent connections will be used.");
    }
}

pub fn final_report(counter: &Counter, start_time: Instant) {
    let elapsed = start_time.elapsed().as_secs_f64();
    println!("{}", "-".repeat(20));
    let ok = counter[DownloadStatus::Ok];
    let plural = if ok != 1 { "s" } else { "" };
    println!("{ok:3} flag{plural} downloaded.");
    let not_found = counter[DownloadStatus::NotFound];
    if not_found > 0 {
        println!("{not_found:3} not found.");
    }
    let errors = counter[DownloadStatus::Error];
    if errors > 0 {
        let plural = if errors != 1 { "s" } else { "" };
        println!("{errors:3} error{plural}.");
    }
    println!("Elapsed time: {elapsed:.2}s");
}

/// The progress bar, as `tqdm.tqdm(iterable, total=...)`, but on stdout where tqdm draws on
/// stderr (its `file=sys.stderr` default): drawn only when stdout is a terminal (indicatif
/// checks, where tqdm would draw into a pipe too), the bar shows exactly when the report it
/// stands above does, and a run piped into `tee` or read by `cargo xtask` gets the report
/// alone. Not drawn at all with `-v`, whose lines would tangle with it.
pub fn progress_bar(total: usize, verbose: bool) -> ProgressBar {
    if verbose {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stdout());
    let style = ProgressStyle::with_template(
        "{percent:>3}%|{wide_bar}| {pos}/{len} [{elapsed}<{eta}, {rate}]",
    )
    .expect("the template is valid")
    // tqdm's rate, `{rate:5.2f}it/s` (`186.99it/s`), where indicatif's `{per_sec}` prints
    // every digit it has (`186.9875/s`).
    .with_key("rate", |state: &ProgressState, w: &mut dyn fmt::Write| {
        let _ = write!(w, "{:5.2}it/s", state.per_sec());
    });
    // Left on the screen at 100% when the loop ends, as tqdm's; indicatif's default clears it.
    bar.with_style(style.progress_chars("█▉▊▋▌▍▎▏ "))
        .with_finish(ProgressFinish::AndLeave)
}

/// The message of an HTTP status error, as the originals print it with `-v`:
/// `HTTP error 500 - Internal Server Error`.
pub fn http_error_msg(code: u16, reason: Option<&str>) -> String {
    format!("HTTP error {code} - {}", reason.unwrap_or(""))
}

/// `flags2_common.py`'s `main`: parses the command line, starts the server, reports, times
/// `download_many(cc_list, base_url, verbose, concur_req)`, and reports its counts. The exit
/// status is 1 if any flag ended in an error (the original always exits 0), 2 on bad usage.
pub fn main<E: Display>(
    download_many: impl FnOnce(&[String], &str, bool, usize) -> Result<Counter, E>,
    default_concur_req: usize,
    max_concur_req: usize,
) -> ExitCode {
    let (args, cc_list) = process_args();
    let max_req = args
        .max_req
        .map_or(default_concur_req, |n| n.try_into().unwrap_or(usize::MAX));
    let actual_req = max_req.min(max_concur_req).min(cc_list.len());
    let site = match args.site.start() {
        Ok(site) => site,
        Err(e) => return fail(format!("cannot start the local stand-in: {e}")),
    };
    initial_report(&cc_list, actual_req, &site.label, &site.base_url);
    if let Err(e) = args.site.set_globals(&site) {
        return fail(format!(
            "cannot create {}: {e}",
            args.site.dest_dir().display()
        ));
    }
    let t0 = Instant::now();
    let counter = match download_many(&cc_list, &site.base_url, args.verbose, actual_req) {
        Ok(counter) => counter,
        Err(e) => return fail(format!("{e:#}")),
    };
    final_report(&counter, t0);
    // The stand-in's own count, if it injected faults, after the report.
    drop(site);
    match counter[DownloadStatus::Error] {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(args: &[&str], limit: usize) -> Result<Vec<String>, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        expand_cc_args(false, false, &args, limit)
    }

    #[test]
    fn codes_or_first_letters_sorted_and_limited() {
        assert_eq!(codes(&["us", "BR", "us"], 10).unwrap(), ["BR", "US"]);
        let b = codes(&["b"], 100).unwrap();
        assert_eq!((b.len(), b[0].as_str(), b[25].as_str()), (26, "BA", "BZ"));
        assert_eq!(codes(&["b", "a"], 3).unwrap(), ["AA", "AB", "AC"]);
        for bad in ["1", "ABC", "É", "b-", ""] {
            assert!(codes(&[bad], 10).is_err(), "{bad:?}");
        }
        let every = expand_cc_args(true, false, &[], usize::MAX).unwrap();
        assert_eq!((every.len(), every[675].as_str()), (676, "ZZ"));
        let all = expand_cc_args(false, true, &[], usize::MAX).unwrap();
        assert_eq!(
            (all.len(), all[0].as_str(), all[194].as_str()),
            (195, "AD", "ZW")
        );
    }

    #[test]
    fn the_counter_counts_by_status() {
        let mut counter = Counter::default();
        counter[DownloadStatus::Ok] += 2;
        counter[DownloadStatus::Error] += 1;
        assert_eq!(counter[DownloadStatus::Ok], 2);
        assert_eq!(counter[DownloadStatus::NotFound], 0);
        assert_eq!(counter[DownloadStatus::Error], 1);
    }
}
