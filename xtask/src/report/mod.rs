//! The last step of every lab command: what it prints, the files it writes under
//! `target/compare/` (tables in `table.rs`, pictures in `plot.rs`), and its exit status, a
//! failure when any run failed its check.

pub mod plot;
pub mod table;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cargo;

/// What a command makes of its runs.
pub struct Output {
    /// What the terminal shows first: tables, legends, sentences.
    pub text: String,
    /// The files to write: name and contents.
    pub files: Vec<(String, String)>,
    /// What failed, each a line after the `Wrote` lines; any makes the exit status a failure.
    pub failures: Vec<String>,
}

/// Where the files go: `--out-dir`, or `target/compare`.
pub fn out_dir(given: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    match given {
        Some(dir) => Ok(dir.clone()),
        None => Ok(cargo::target_dir()?.join("compare")),
    }
}

/// Writes the files under `dir`, then prints the text, where each file went and what failed.
pub fn finish(dir: &Path, output: Output) -> anyhow::Result<ExitCode> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, contents) in &output.files {
        let path = dir.join(name);
        fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    }
    print!("{}", output.text);
    for (name, _) in &output.files {
        println!("Wrote {}", dir.join(name).display());
    }
    for line in &output.failures {
        println!("{line}");
    }
    Ok(match output.failures.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}
