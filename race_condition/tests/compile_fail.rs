//! Stable rustdoc runs a `compile_fail` example but does not check its error code (only nightly
//! does). This test compiles each example of the crate's docs with rustc and checks that it
//! fails with the error, and only the error, that its fence and the docs name.

use std::path::Path;
use std::process::Command;

#[test]
fn the_unsynchronised_counters_fail_with_the_errors_the_docs_name() {
    let lib = include_str!("../src/lib.rs");
    let mut lines = lib.lines().map(|l| l.strip_prefix("//!").unwrap_or(l));
    let mut checked = Vec::new();
    while let Some(line) = lines.next() {
        let Some(code) = line.trim().strip_prefix("```compile_fail,") else {
            continue;
        };
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        // Rustdoc wraps an example without `fn main` in one; so does this test.
        let source = format!("fn main() {{\n{}\n}}\n", body.join("\n"));
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("compile_fail_{code}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("example.rs"), source).unwrap();
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let out = Command::new(rustc)
            .args(["--edition", "2024", "--emit", "metadata", "example.rs"])
            .current_dir(&dir)
            .output();
        let out = match out {
            // Where the tests run with no Rust installed (built elsewhere: Windows under Wine).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("skipped: no rustc to compile the examples with: {e}");
                return;
            }
            out => out.expect("rustc runs"),
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{code}: it compiled");
        let errors: Vec<&str> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("error["))
            .filter_map(|l| l.split(']').next())
            .collect();
        assert_eq!(errors, [code], "{stderr}");
        assert!(
            lib.contains(&format!("error {code}")),
            "the docs explain {code}"
        );
        checked.push(code);
    }
    assert_eq!(checked, ["E0133", "E0499", "E0594", "E0277"]);
}
