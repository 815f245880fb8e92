//! Placeholder: this translation has not been written yet (see the project's issues).

fn main() -> std::process::ExitCode {
    eprintln!("{}: not translated yet", env!("CARGO_PKG_NAME"));
    std::process::ExitCode::FAILURE
}
