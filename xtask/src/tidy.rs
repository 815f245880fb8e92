//! Keeps every example's header honest, as rust-analyzer's `tidy.rs` keeps its code base: each
//! program of the comparison opens with the `//!` header STYLE.md asks for.

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    use crate::programs::PROGRAMS;

    /// STYLE.md: "An example is 20 to 90 lines. A longer one says why in its header."
    const MAX_LINES: usize = 90;

    fn workspace() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask sits in the workspace")
    }

    /// Where a program's `main` lives: the package's main.rs, or its src/bin/NAME.rs.
    fn source(package: &str, name: &str) -> PathBuf {
        let src = workspace().join(package).join("src");
        match package == name {
            true => src.join("main.rs"),
            false => src.join("bin").join(format!("{name}.rs")),
        }
    }

    /// Every way a header can fall short, for one program.
    fn problems(package: &str, name: &str, text: &str) -> Vec<String> {
        let header: Vec<&str> = text.lines().take_while(|l| l.starts_with("//!")).collect();
        let joined = header.join("\n");
        let mut problems = Vec::new();
        let mut expect = |ok: bool, what: &str| {
            if !ok {
                problems.push(format!("{name}: {what}"));
            }
        };
        expect(
            header.first().is_some_and(|l| l.starts_with("//! # ")),
            "a `//! # Title` first",
        );
        expect(joined.contains(".py"), "names the Python program it ports");
        let run = match package == name {
            true => format!("//!     cargo run --release -p {package}"),
            false => format!("//!     cargo run --release -p {package} --bin {name}"),
        };
        let runs: Vec<&&str> = header
            .iter()
            .filter(|l| l.starts_with("//!     cargo run"))
            .collect();
        expect(!runs.is_empty(), "how to run it, indented four spaces");
        expect(
            runs.iter().all(|l| l.starts_with(&run)),
            &format!("runs it with `{run}`"),
        );
        expect(
            joined.contains("What to watch for"),
            "says what to watch for",
        );
        let sample = joined
            .split("//! ```text")
            .nth(1)
            .and_then(|s| s.split("//! ```").next());
        expect(
            sample.is_some_and(|s| s.contains(" seconds") || s.contains("Answer: 42")),
            "a sample of its output, with its time or its answer",
        );
        let code_lines = text.lines().take_while(|l| *l != "#[cfg(test)]").count();
        expect(
            code_lines <= MAX_LINES || says_why_it_is_long(&joined),
            &format!("{code_lines} lines: at most {MAX_LINES}, or the header says why"),
        );
        problems
    }

    /// "longer than 90 lines", "past the usual 90", "110 lines, not 90": the header owns up.
    fn says_why_it_is_long(header: &str) -> bool {
        ["than 90 lines", "usual 90", "not 90"]
            .iter()
            .any(|why| header.contains(why))
    }

    #[test]
    fn every_example_has_an_honest_header() {
        let mut found = Vec::new();
        for program in PROGRAMS {
            let path = source(program.package, program.binary);
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            found.extend(problems(program.package, program.binary, &text));
        }
        assert!(found.is_empty(), "headers to mend:\n{}", found.join("\n"));
    }

    /// `cargo run -p PACKAGE`, as the README says, must know which binary to run.
    #[test]
    fn every_package_with_the_name_of_a_program_runs_it_by_default() {
        for program in PROGRAMS.iter().filter(|p| p.package == p.name) {
            let manifest = workspace().join(program.package).join("Cargo.toml");
            let manifest = fs::read_to_string(&manifest).expect("the package has a manifest");
            let has_other_bins = workspace().join(program.package).join("src/bin").exists();
            let default_run = format!("default-run = \"{}\"", program.name);
            assert!(
                !has_other_bins || manifest.contains(&default_run),
                "{}: `{default_run}` in its Cargo.toml",
                program.package
            );
        }
    }

    #[test]
    fn a_bare_example_is_caught() {
        let found = problems("io_x", "io_x", "fn main() {}\n");
        assert_eq!(found.len(), 5, "{found:#?}");
        let long = format!("//! # T\n{}", "x\n".repeat(100));
        assert!(
            problems("io_x", "io_x", &long)
                .iter()
                .any(|p| p.contains("101 lines"))
        );
        // A stray "90" in a figure is no reason.
        let figure = format!("//! # T\n//! 1.90 s\n{}", "x\n".repeat(100));
        let found = problems("io_x", "io_x", &figure);
        assert!(found.iter().any(|p| p.contains("102 lines")), "{found:#?}");
    }
}
