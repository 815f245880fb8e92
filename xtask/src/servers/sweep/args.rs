//! What `cargo xtask sweep-servers` is asked: which servers, how far, with which open-file
//! limit; and the steps that makes.

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
    let mut steps = Vec::new();
    let mut decade = 1_000;
    'decades: loop {
        for step in [decade, 2 * decade, 5 * decade] {
            if step > up_to {
                break 'decades;
            }
            steps.push(step);
        }
        decade *= 10;
    }
    if steps.last() != Some(&up_to) {
        steps.push(up_to);
    }
    steps
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
        let given = parse(&[
            "--up-to",
            "300",
            "--open-files",
            "250000",
            "--only",
            "threads",
        ]);
        let given = given.unwrap().args;
        assert_eq!((given.up_to, given.open_files), (300, Some(250_000)));
        assert!(parse(&["--up-to", "0"]).is_err());
    }
}
