//! What `cargo xtask sweep-servers` is asked: which servers, how far, with which open-file
//! limits (its own, and the servers'); and the steps that makes.

use std::path::PathBuf;

use clap::Args;

#[derive(Args, Debug)]
pub struct SweepServersArgs {
    /// Sweep only the servers whose name contains NAME.
    #[arg(long, value_name = "NAME")]
    pub only: Option<String>,

    /// The most idle connections to hold on one server: steps of 1,000, 2,000, 5,000, 10,000
    /// and so on up to it.
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub up_to: u32,

    /// Set this process's soft and hard open-file limits to N before starting (the servers it
    /// starts inherit them). Raising the hard limit takes CAP_SYS_RESOURCE (root's, unless a
    /// container drops it), and at most fs.nr_open. Without it, the soft limit is raised to the
    /// hard one.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub open_files: Option<u64>,

    /// Lower each server's soft and hard open-file limits to N once it has started, so that it
    /// meets its own limit before the sweep meets its. N must be below the connections the
    /// sweep can hold itself (its soft limit less 64). Default: the sweep's soft limit less
    /// 1,000. Linux only (prlimit).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub server_open_files: Option<u64>,

    /// Leave out the Python servers.
    #[arg(long)]
    pub no_python: bool,

    /// Where to write the report (default: target/compare).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// The numbers of connections to hold, in turn: 1,000, 2,000, 5,000, 10,000 and so on (each
/// decade's 1, 2 and 5), those up to `up_to`, and `up_to` itself last if it is not one of them.
/// Each step adds to the connections of the one before, on the same server.
pub fn steps(up_to: usize) -> Vec<usize> {
    let decades = (3..).map(|power| 10usize.pow(power));
    let steps = decades.flat_map(|decade| [decade, 2 * decade, 5 * decade]);
    let mut steps: Vec<usize> = steps.take_while(|&step| step <= up_to).collect();
    if steps.last() != Some(&up_to) {
        steps.push(up_to);
    }
    steps
}

/// How far below the sweep's own soft open-file limit the servers' is set by default.
pub const SERVER_MARGIN: u64 = 1_000;

/// The open-file limit to give each server once it has started: `asked`
/// (`--server-open-files`), or by default the sweep's soft limit `soft` less
/// [`SERVER_MARGIN`]. It must be below `most`, the connections the sweep can hold itself, or
/// the sweep would stop first and the servers' limit would not show. `Err` says why the
/// servers keep the limit they inherit; `settable` is whether this system can set another
/// process's limit (Linux's prlimit).
pub fn server_open_files(
    asked: Option<u64>,
    soft: Option<u64>,
    most: usize,
    settable: bool,
) -> Result<u64, String> {
    let keep = "the servers keep the sweep's";
    if !settable {
        return Err(format!(
            "the servers' open-file limit is set only on Linux (prlimit): {keep}"
        ));
    }
    let Some(soft) = soft else {
        return Err(format!("this process's open-file limit is unknown: {keep}"));
    };
    let most = u64::try_from(most).unwrap_or(u64::MAX);
    match asked {
        Some(n) if n < most => Ok(n),
        Some(n) => Err(format!(
            "cannot show a server open-file limit of {n}: the sweep holds at most {most} \
             connections itself and would stop first; {keep}"
        )),
        None => match soft.checked_sub(SERVER_MARGIN) {
            Some(n) if n >= SERVER_MARGIN && n < most => Ok(n),
            _ => Err(format!(
                "the sweep's soft open-file limit, {soft}, leaves no room for the servers' \
                 below it ({SERVER_MARGIN} less, and at least {SERVER_MARGIN}; \
                 --server-open-files N sets it): {keep}"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_go_by_one_two_five_to_the_most_asked() {
        let default = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000];
        assert_eq!(steps(100_000), default);
        assert_eq!(steps(300), [300]);
        assert_eq!(steps(1_000), [1_000]);
        assert_eq!(steps(1_999), [1_000, 1_999]);
        assert_eq!(steps(30_000), [1_000, 2_000, 5_000, 10_000, 20_000, 30_000]);
        assert_eq!(steps(250_000)[6..], [100_000, 200_000, 250_000]);
    }

    #[test]
    fn the_flags_parse() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: SweepServersArgs,
        }
        let parse = |args: &[&str]| Cli::try_parse_from(["sweep-servers"].iter().chain(args));
        let default = parse(&[]).unwrap().args;
        assert_eq!((default.up_to, default.open_files), (100_000, None));
        assert_eq!(default.server_open_files, None);
        let given = parse(&[
            "--up-to",
            "300",
            "--open-files",
            "250000",
            "--only",
            "threads",
            "--server-open-files",
            "3000",
        ]);
        let given = given.unwrap().args;
        assert_eq!((given.up_to, given.open_files), (300, Some(250_000)));
        assert_eq!(given.server_open_files, Some(3_000));
        assert!(parse(&["--up-to", "0"]).is_err());
        assert!(parse(&["--server-open-files", "0"]).is_err());
        assert!(parse(&["--server-open-files", "many"]).is_err());
    }

    #[test]
    fn the_servers_limit_is_below_what_the_sweep_can_hold() {
        // `ulimit -n` 20000: the sweep holds at most 19,936 connections itself.
        let (soft, most) = (Some(20_000), 20_000 - 64);
        assert_eq!(server_open_files(None, soft, most, true), Ok(19_000));
        assert_eq!(server_open_files(Some(3_000), soft, most, true), Ok(3_000));
        assert_eq!(
            server_open_files(Some(19_935), soft, most, true),
            Ok(19_935)
        );
        let at_most = server_open_files(Some(19_936), soft, most, true).unwrap_err();
        assert!(at_most.starts_with("cannot show a server open-file limit of 19936"));
        assert!(server_open_files(Some(50_000), soft, most, true).is_err());
        // `--open-files 250`: no room below it by default, but one can be asked for.
        let small = server_open_files(None, Some(250), 250 - 64, true).unwrap_err();
        assert!(small.contains("leaves no room"), "{small}");
        assert!(server_open_files(None, Some(1_999), 1_999 - 64, true).is_err());
        assert_eq!(server_open_files(None, Some(2_064), 2_000, true), Ok(1_064));
        assert_eq!(server_open_files(Some(100), Some(250), 186, true), Ok(100));
        // Elsewhere than Linux, or with no limit known, the servers keep the sweep's.
        let elsewhere = server_open_files(Some(3_000), soft, most, false).unwrap_err();
        assert!(elsewhere.contains("only on Linux"), "{elsewhere}");
        assert!(server_open_files(None, None, usize::MAX, true).is_err());
    }
}
