//! `cargo xtask`: the workspace's own tasks.
//!
//!     cargo xtask serve            # the local stand-in, until Ctrl-C

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sites::{StandIn, StandInArgs};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "The workspace's own tasks")]
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
}

fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().task {
        Task::Serve { port, stand_in } => serve(port, &stand_in),
    }
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
    println!("\nServed {} requests.", log.len());
    Ok(ExitCode::SUCCESS)
}
