//! `cargo xtask`: the workspace's own tasks.
//!
//! ```text
//! cargo xtask serve            # the local stand-in, until Ctrl-C
//! cargo xtask compare          # every program, measured, beside the article's figures
//! cargo xtask compare --quick  # the same, small and fast
//! cargo xtask sweep            # io_threads with 1 to 500 workers, as the article's table
//! cargo xtask sweep-servers    # each server holding idle clients, to the limit that stops it
//! cargo xtask python           # the venv python/'s programs run in (compare makes it too)
//! ```
//!
//! `compare` and `sweep` are each a plan (`plan.rs`) handed to the same steps: `run/`,
//! `verify/` and `report/`. Every run's output is checked before its time is trusted; the
//! tables and pictures go under `target/compare/`. ARCHITECTURE.md has the map.

mod cargo;
mod compare;
mod figures;
mod plan;
mod programs;
mod python;
mod report;
mod run;
mod servers;
mod sweep;
#[cfg(unix)]
mod sys;
mod tidy;
mod usage;
mod verify;

use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};

use download_cli::StandInArgs;
use stand_in::StandIn;
use usage::UsageError;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "The workspace's own tasks"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Serve the local stand-in for the article's two sites until Ctrl-C.
    Serve {
        /// Port to listen on (0: any free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        #[command(flatten)]
        stand_in: StandInArgs,
    },
    /// Build, run, verify and measure every program; write a table and pictures.
    Compare(compare::CompareArgs),
    /// Run one downloader with more and more workers, for more and more sites.
    Sweep(sweep::SweepArgs),
    /// Hold more and more idle connections on each server; say where each stops, and why.
    SweepServers(servers::sweep::SweepServersArgs),
    /// Set up (or reuse) the venv the Python programs of python/ run in, and print its python.
    Python,
}

fn main() -> ExitCode {
    let cli: Cli = contract::parse_args();
    // compare's and sweep's stand-in lives in this process and holds one connection per request
    // in flight, up to ten thousand in a sweep: raise the soft open-file limit to the hard one, as Go does.
    if let Err(e) = download_cli::raise_open_file_limit() {
        eprintln!("note: cannot raise the open-file limit: {e:#}");
    }
    let stand_in = match &cli.task {
        Task::Serve { stand_in, .. } => Some(stand_in),
        Task::Compare(args) => Some(&args.stand_in),
        Task::Sweep(args) => Some(&args.stand_in),
        Task::SweepServers(_) | Task::Python => None,
    };
    if let Some(Err(e)) = stand_in.map(StandInArgs::check) {
        contract::cli::usage_error(Cli::command(), e);
    }
    let result = match cli.task {
        Task::Serve { port, stand_in } => serve(port, &stand_in),
        Task::Compare(args) => compare::compare(&args),
        Task::Sweep(args) => sweep::sweep(&args),
        Task::SweepServers(args) => servers::sweep::sweep_servers(&args),
        Task::Python => set_up_python(),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        match e.downcast_ref::<UsageError>() {
            Some(_) => ExitCode::from(2),
            None => ExitCode::FAILURE,
        }
    })
}

/// The venv's python on stdout, or why there is none (exit status 1).
fn set_up_python() -> anyhow::Result<ExitCode> {
    // Without python3, the venv holds python3's own reason.
    let venv = python::Python::set_up(&cargo::target_dir()?).venv?;
    println!("{}", venv.display());
    Ok(ExitCode::SUCCESS)
}

fn serve(port: u16, args: &StandInArgs) -> anyhow::Result<ExitCode> {
    let stand_in = StandIn::start_on(port, args.config()).context("cannot start the stand-in")?;
    println!("Serving the local stand-in at {}", stand_in.base_url());
    for url in stand_in.urls() {
        println!("    {url}");
    }
    println!("Ctrl-C to stop.");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(tokio::signal::ctrl_c())
        .context("cannot wait for Ctrl-C")?;
    let log = stand_in.log().snapshot();
    stand_in.stop();
    println!("\nServed {}.", stand_in::server::tally(&log));
    Ok(ExitCode::SUCCESS)
}
