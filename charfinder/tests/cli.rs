//! `charfinder WORD...`: charindex.py's command line.

use std::process::Command;

const EXE: &str = env!("CARGO_BIN_EXE_charfinder");

#[test]
fn cat_face_as_the_original_prints_it() {
    let out = Command::new(EXE).args(["cat", "face"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 11, "{stdout}");
    assert_eq!(lines[0], "U+1F431\t🐱\tCAT FACE");
    assert_eq!(lines[9], "U+1F640\t🙀\tWEARY CAT FACE");
    assert_eq!(lines[10], format!("{} 10 found", "─".repeat(66)));
    // Words in any case, hyphens as spaces, in any order.
    let again = Command::new(EXE).args(["FACE", "cat"]).output().unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), stdout);
}

#[test]
fn no_words_is_a_usage_error() {
    let out = Command::new(EXE).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, "Please give one or more words to search.\n");
    testkit::program::check_refused(EXE, &["--bogus"]);
}

#[test]
fn a_closed_stdout_ends_it_quietly() {
    testkit::program::check_closed_stdout(EXE, &["a"]);
}
