//! What the machine itself gives several busy cores: the most a parallel CPU program's speedup
//! can be, measured in the same rounds as the programs.
//!
//! N copies of the sequential CPU program started at once, on N cores, each do one core's
//! work; if every core ran at full speed the slowest copy would take as long as one copy alone.
//! On a laptop, cores that work together slow each other (a shared power and turbo budget);
//! on a shared VM, the host may not run a second vCPU when the guest asks for it. Either way
//! `cores' worth` says how much of N cores the machine really gave, and a speedup can only
//! be read against it.
//!
//! The copy alone runs here too, in the same round and started the same way, not taken from
//! the program's own row: a row's runs have the memory sampler beside them, which made the
//! 45 ms sequential run several percent slower on a 2-vCPU VM, and set against copies run
//! without it, gave a ceiling above the number of cores.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use contract::Line;

use super::once::median_index;

/// The ceiling's runs over all rounds: in each, one copy alone and then the copies at once.
#[derive(Debug, Default)]
pub struct Times {
    pub alone: Vec<f64>,
    /// The slowest of the copies, each round.
    pub together: Vec<f64>,
}

impl Times {
    /// One round: `binary` alone, then `copies` of it at once. A round where either failed is
    /// left out whole.
    pub fn measure(&mut self, binary: &Path, args: &[String], copies: usize) {
        let alone = slowest_of_copies(binary, args, 1);
        let together = slowest_of_copies(binary, args, copies);
        if let (Ok(alone), Ok(together)) = (alone, together) {
            self.alone.push(alone);
            self.together.push(together);
        }
    }

    /// [`cores_worth`] of the median times; `None` before any round.
    pub fn cores_worth(&self, copies: usize) -> Option<f64> {
        let median = |times: &[f64]| median_index(times, |&t| t).map(|i| times[i]);
        Some(cores_worth(
            median(&self.alone)?,
            median(&self.together)?,
            copies,
        ))
    }
}

/// Starts `copies` runs of `binary` with `args` at once and returns the longest of their own
/// times (each one's `Duration` line), or why it could not.
pub fn slowest_of_copies(binary: &Path, args: &[String], copies: usize) -> Result<f64, String> {
    let children: Vec<Child> = (0..copies)
        .map(|_| {
            Command::new(binary)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let mut slowest: f64 = 0.0;
    for child in children {
        let output = child.wait_with_output().map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(format!("{} failed: {}", binary.display(), output.status));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let seconds = stdout.lines().find_map(|line| match Line::parse(line) {
            Line::Duration(seconds) => Some(seconds),
            _ => None,
        });
        slowest = slowest.max(seconds.ok_or("printed no `Duration` line")?);
    }
    Ok(slowest)
}

/// How many cores' work `copies` copies did at once: `copies` x the time of one copy alone over
/// the time of the slowest copy among them. `copies` at best, 1 when the cores took turns.
pub fn cores_worth(alone: f64, slowest_together: f64, copies: usize) -> f64 {
    copies as f64 * alone / slowest_together
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cores_worth_is_the_copies_at_full_speed_and_one_when_they_take_turns() {
        assert_eq!(cores_worth(0.05, 0.05, 2), 2.0);
        assert_eq!(cores_worth(0.05, 0.10, 2), 1.0);
        assert!((cores_worth(0.054, 0.060, 2) - 1.8).abs() < 1e-9);
    }

    #[test]
    fn the_ceiling_of_rounds_sets_the_median_alone_against_the_median_together() {
        assert_eq!(Times::default().cores_worth(2), None);
        let times = Times {
            alone: vec![0.050, 0.044, 0.046],
            together: vec![0.046, 0.092, 0.048],
        };
        assert!((times.cores_worth(2).unwrap() - 2.0 * 0.046 / 0.048).abs() < 1e-9);
    }

    #[test]
    #[cfg_attr(not(unix), ignore = "runs its programs with /bin/sh")]
    fn a_program_that_fails_or_prints_no_duration_is_an_error() {
        let sh = Path::new("/bin/sh");
        let args = |script: &str| vec!["-c".to_owned(), script.to_owned()];
        let two = slowest_of_copies(sh, &args("echo 'Duration 0.25 seconds'"), 2);
        assert_eq!(two, Ok(0.25));
        assert!(slowest_of_copies(sh, &args("echo hello"), 2).is_err());
        assert!(slowest_of_copies(sh, &args("echo 'Duration 1 seconds'; exit 1"), 2).is_err());
        let mut times = Times::default();
        times.measure(sh, &args("echo 'Duration 0.25 seconds'"), 2);
        times.measure(sh, &args("echo hello"), 2);
        assert_eq!((times.alone, times.together), (vec![0.25], vec![0.25]));
    }
}
