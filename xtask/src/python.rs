//! The article's own Python programs (`python/`), run beside the Rust ones. Their interpreter:
//! `python3` for the programs that need only the standard library (CPU, spinners), and for the
//! downloaders (requests, aiohttp) a virtual environment under `target/python-venv`, made with
//! `python3 -m venv` and pip from `python/requirements.txt` on first use, and reused for as long
//! as that file (and the interpreter) stay the same.
//!
//! Nothing here may fail a run: without python3, its venv module or the package registry, the
//! Python column says why in one word, and everything else runs as before.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use crate::cargo::workspace_root;

/// The virtual environment's directory, under cargo's target directory.
pub const VENV: &str = "python-venv";

/// A file in the venv holding what it was made from: requirements.txt and the interpreter's
/// version. The venv is made again whenever either changes.
const STAMP: &str = "xtask-stamp.txt";

/// Why the Python programs cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{word}: {detail}")]
pub struct Unavailable {
    /// One word for a table cell: `no-python3`, `no-venv`, `offline`, `pip-failed`.
    pub word: &'static str,
    /// The whole story, for a note under the table.
    pub detail: String,
}

fn unavailable(word: &'static str, detail: impl Into<String>) -> Unavailable {
    Unavailable {
        word,
        detail: detail.into(),
    }
}

/// The interpreters the Python programs run on, or why they cannot.
#[derive(Clone, Debug)]
pub struct Python {
    /// `python3` itself: enough for the CPU programs and the spinners.
    pub stdlib: Result<PathBuf, Unavailable>,
    /// The venv's `python`, with requests and aiohttp: what the downloaders need.
    pub venv: Result<PathBuf, Unavailable>,
}

impl Python {
    /// Finds python3 and makes (or reuses) the venv under `target_dir`. Slow only the first
    /// time: pip says on stderr what it is doing.
    pub fn set_up(target_dir: &Path) -> Python {
        let stdlib = find_python3();
        let venv = match &stdlib {
            Ok((python3, version)) => set_up_venv(python3, version, &target_dir.join(VENV)),
            Err(why) => Err(why.clone()),
        };
        Python {
            stdlib: stdlib.map(|(path, _)| path),
            venv,
        }
    }

    /// The interpreter for `script`: the venv's for the downloaders, which import requests or
    /// aiohttp, python3's for the others.
    pub fn interpreter(&self, script: &str) -> Result<&Path, &Unavailable> {
        match needs_packages(script) {
            true => self.venv.as_deref(),
            false => self.stdlib.as_deref(),
        }
    }

    /// Why some Python programs cannot run, if they cannot: the first reason.
    pub fn unavailable(&self) -> Option<&Unavailable> {
        self.stdlib.as_ref().err().or(self.venv.as_ref().err())
    }
}

/// Whether `script` imports anything beyond the standard library (the downloaders do).
pub fn needs_packages(script: &str) -> bool {
    script.starts_with("io_")
}

/// Where `script` is: `python/` in the workspace.
pub fn script(script: &str) -> PathBuf {
    workspace_root().join("python").join(script)
}

/// python3's own path (`sys.executable`, not a shim) and version.
fn find_python3() -> Result<(PathBuf, String), Unavailable> {
    let output = Command::new("python3")
        .arg("-c")
        .arg("import sys; print(sys.executable); print(sys.version)")
        .stdin(Stdio::null())
        .output();
    let output = output.map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => unavailable("no-python3", "python3 is not on PATH"),
        _ => unavailable("no-python3", format!("cannot run python3: {e}")),
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    let fails = format!("python3 does not run: {}", last_line(&output));
    match (output.status.success(), lines.next(), lines.next()) {
        (true, Some(path), Some(version)) if !path.is_empty() => {
            Ok((PathBuf::from(path), version.to_owned()))
        }
        _ => Err(unavailable("no-python3", fails)),
    }
}

/// The venv at `dir`, made if it is missing or stale.
fn set_up_venv(python3: &Path, version: &str, dir: &Path) -> Result<PathBuf, Unavailable> {
    let requirements = script("requirements.txt");
    let wanted = match fs::read_to_string(&requirements) {
        Ok(text) => format!("{text}\n# python {version}\n"),
        Err(e) => {
            let detail = format!("cannot read {}: {e}", requirements.display());
            return Err(unavailable("no-requirements", detail));
        }
    };
    // The venv's interpreter: `bin/python` on Unix, `Scripts\python.exe` on Windows.
    let python = match cfg!(windows) {
        true => dir.join("Scripts").join("python.exe"),
        false => dir.join("bin").join("python"),
    };
    let fresh = || {
        fs::read_to_string(dir.join(STAMP)).is_ok_and(|stamp| stamp == wanted) && python.exists()
    };
    if fresh() {
        return Ok(python);
    }
    // Another `cargo xtask` (or a test) may be making it at the same moment: one at a time.
    let parent = dir.parent().unwrap_or(dir);
    let _lock = lock(&parent.join(format!("{VENV}.lock")))
        .map_err(|e| unavailable("no-venv", format!("cannot lock {}: {e}", parent.display())))?;
    if fresh() {
        return Ok(python);
    }
    let started = Instant::now();
    eprintln!(
        "Setting up Python for the comparison (first run only, about a minute):\n\
         a venv in {} with python/requirements.txt...",
        dir.display()
    );
    let _ = fs::remove_dir_all(dir);
    make_venv(python3, dir)?;
    pip_install(&python, &requirements).inspect_err(|_| {
        let _ = fs::remove_dir_all(dir);
    })?;
    fs::write(dir.join(STAMP), &wanted)
        .map_err(|e| unavailable("no-venv", format!("cannot write the venv's stamp: {e}")))?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("Python set up in {seconds:.0} s: {}", python.display());
    Ok(python)
}

fn make_venv(python3: &Path, dir: &Path) -> Result<(), Unavailable> {
    let made = Command::new(python3)
        .args(["-m", "venv"])
        .arg(dir)
        .stdin(Stdio::null())
        .output();
    match made {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => {
            let _ = fs::remove_dir_all(dir);
            let detail = format!(
                "python3 -m venv failed (on Debian and Ubuntu: apt-get install python3-venv): {}",
                last_line(&output)
            );
            Err(unavailable("no-venv", detail))
        }
        Err(e) => Err(unavailable("no-venv", format!("cannot run python3: {e}"))),
    }
}

fn pip_install(python: &Path, requirements: &Path) -> Result<(), Unavailable> {
    let installed = Command::new(python)
        .args(["-m", "pip", "install"])
        .args(["--disable-pip-version-check", "--no-input"])
        // Offline, fail in seconds rather than retry for minutes.
        .args(["--retries", "1", "--timeout", "15", "--quiet", "-r"])
        .arg(requirements)
        .stdin(Stdio::null())
        .output();
    let output =
        installed.map_err(|e| unavailable("pip-failed", format!("cannot run pip: {e}")))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let word = if is_offline(&stderr) {
        "offline"
    } else {
        "pip-failed"
    };
    let last = last_line(&output);
    let detail = format!("pip could not install python/requirements.txt: {last}");
    Err(unavailable(word, detail))
}

/// Whether pip's complaint is about reaching the registry.
fn is_offline(stderr: &str) -> bool {
    [
        "NewConnectionError",
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Network is unreachable",
        "No matching distribution found",
        "ConnectTimeout",
        "ProxyError",
    ]
    .iter()
    .any(|sign| stderr.contains(sign))
}

/// The last line a failed command wrote, for a one-line reason.
fn last_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = [stderr, stdout].iter().find_map(|text| {
        text.lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(str::to_owned)
    });
    line.map_or_else(|| output.status.to_string(), |l| l.trim().to_owned())
}

/// An exclusive lock on `path`, made with its folder if need be, held until the file is
/// dropped: std's `File::lock` (`flock` on Unix, `LockFileEx` on Windows).
fn lock(path: &Path) -> io::Result<File> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let file = File::create(path)?;
    file.lock()?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_downloaders_need_the_venv() {
        assert!(needs_packages("io_asyncio.py") && needs_packages("io_mp.py"));
        assert!(!needs_packages("cpu_mp.py") && !needs_packages("spinner_async.py"));
    }

    #[test]
    fn pip_without_a_registry_reads_as_offline() {
        let pip = "WARNING: Retrying ... NewConnectionError('<...>: Failed to establish a new \
                   connection: [Errno -3] Temporary failure in name resolution')\n\
                   ERROR: No matching distribution found for aiohappyeyeballs==2.7.1\n";
        assert!(is_offline(pip));
        assert!(!is_offline(
            "ERROR: Could not build wheels for frozenlist\n"
        ));
    }

    #[test]
    fn an_unavailable_python_reads_as_its_word() {
        let python = Python {
            stdlib: Ok("/usr/bin/python3".into()),
            venv: Err(unavailable("offline", "pip could not install")),
        };
        assert_eq!(
            python.interpreter("cpu_mp.py"),
            Ok(Path::new("/usr/bin/python3"))
        );
        assert_eq!(python.interpreter("io_mp.py").unwrap_err().word, "offline");
        assert_eq!(python.unavailable().unwrap().word, "offline");
    }
}
