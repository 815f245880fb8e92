//! Calling cargo, as cargo-xtask conventions say: through `$CARGO`, from the workspace root.

use std::collections::HashMap;
use std::env;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde_json::Value;

/// The workspace's root directory, the parent of this crate's.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
}

fn cargo() -> Command {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command.current_dir(workspace_root());
    // What `cargo run` told xtask about itself is not the programs': build scripts that watch
    // these (ring's) would otherwise run again, and rebuild what depends on them, whenever the
    // programs were last built from a shell.
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_") || key.starts_with("CARGO_MANIFEST_") {
            command.env_remove(&*key);
        }
    }
    command
}

/// Where cargo puts what it builds (`target/` unless configured otherwise).
pub fn target_dir() -> anyhow::Result<PathBuf> {
    let output = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed: {}", output.status);
    }
    let metadata: Value = serde_json::from_slice(&output.stdout).context("cargo metadata")?;
    match metadata["target_directory"].as_str() {
        Some(dir) => Ok(dir.into()),
        None => bail!("cargo metadata gave no target_directory"),
    }
}

/// Builds `binaries` in release and says where each landed, by name. A package that does not
/// compile is left out (cargo's `--keep-going` builds the others); its errors are on stderr.
///
/// `--bin NAME`: a row of `compare` is one binary, and several share a package. The
/// dependencies' features are the whole workspace's either way (ARCHITECTURE.md, "One build of
/// each dependency"), so xtask and the programs share one build of tokio, hyper and the rest.
pub fn build_release(binaries: &[&str]) -> anyhow::Result<HashMap<String, PathBuf>> {
    let mut command = cargo();
    command
        .args(["build", "--release", "--keep-going"])
        // Machine-readable messages on stdout, diagnostics for people on stderr.
        .arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped());
    for binary in binaries {
        command.args(["--bin", binary]);
    }
    let mut child = command.spawn().context("cannot run cargo build")?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut binaries = HashMap::new();
    for line in BufReader::new(stdout).lines() {
        if let Some((name, path)) = executable(&line.context("reading cargo's messages")?) {
            binaries.insert(name, path);
        }
    }
    let status = child.wait().context("waiting for cargo build")?;
    if !status.success() {
        eprintln!("cargo build failed ({status}): the binaries it could not build show as failed");
    }
    Ok(binaries)
}

/// The `(binary name, path)` of a `compiler-artifact` message that made an executable.
fn executable(message: &str) -> Option<(String, PathBuf)> {
    let message: Value = serde_json::from_str(message).ok()?;
    if message["reason"] != "compiler-artifact" {
        return None;
    }
    let path = message["executable"].as_str()?;
    let name = message["target"]["name"].as_str()?;
    Some((name.to_owned(), path.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_executables_among_cargos_messages() {
        let artifact = r#"{"reason":"compiler-artifact","target":{"name":"io_threads","kind":["bin"]},"executable":"/t/release/io_threads","fresh":true}"#;
        assert_eq!(
            executable(artifact),
            Some(("io_threads".into(), "/t/release/io_threads".into()))
        );
        let library =
            r#"{"reason":"compiler-artifact","target":{"name":"sites"},"executable":null}"#;
        assert_eq!(executable(library), None);
        assert_eq!(
            executable(r#"{"reason":"build-finished","success":true}"#),
            None
        );
    }
}
