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

/// Names a directory where the programs are already built, for where no cargo can build them:
/// `.ci/wine-test` runs the Windows build of xtask under Wine, which has no cargo, with the
/// programs that its `cargo test` built. Unset, as everywhere else, cargo builds them.
pub const PROGRAMS_DIR: &str = "XTASK_PROGRAMS_DIR";

/// Where cargo puts what it builds (`target/` unless configured otherwise). `CARGO_TARGET_DIR`
/// is taken as cargo takes it, without asking cargo, which may not be there (see
/// [`PROGRAMS_DIR`]).
pub fn target_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR") {
        return Ok(workspace_root().join(dir));
    }
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
///
/// With [`PROGRAMS_DIR`] set, nothing is built: each binary is taken from there.
pub fn build_release(binaries: &[&str]) -> anyhow::Result<HashMap<String, PathBuf>> {
    if let Some(dir) = env::var_os(PROGRAMS_DIR) {
        return Ok(built_in(Path::new(&dir), binaries));
    }
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

/// Those of `binaries` that are in `dir`, by name; a missing one is left out, as one that did
/// not compile is.
fn built_in(dir: &Path, binaries: &[&str]) -> HashMap<String, PathBuf> {
    let path = |name: &str| dir.join(format!("{name}{}", env::consts::EXE_SUFFIX));
    (binaries.iter())
        .map(|name| (name.to_string(), path(name)))
        .filter(|(_, path)| path.is_file())
        .collect()
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
    use std::fs;

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

    #[test]
    fn prebuilt_programs_are_found_by_name_and_a_missing_one_is_left_out() {
        let dir = env::temp_dir().join(format!("xtask-prebuilt-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let io_threads = dir.join(format!("io_threads{}", env::consts::EXE_SUFFIX));
        fs::write(&io_threads, "").unwrap();
        let built = built_in(&dir, &["io_threads", "io_never_built"]);
        assert_eq!(built, HashMap::from([("io_threads".into(), io_threads)]));
        fs::remove_dir_all(&dir).unwrap();
    }
}
