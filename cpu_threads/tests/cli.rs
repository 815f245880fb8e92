//! Runs the `cpu_threads` and `cpu_rayon` binaries and checks they keep the CPU programs'
//! contract: the same sums as the sequential program for any number of workers, exit 2 for bad
//! arguments.

#[test]
fn cpu_threads_keeps_the_cpu_programs_contract() {
    testkit::program::check_cpu_program(env!("CARGO_BIN_EXE_cpu_threads"), true);
}

#[test]
fn cpu_rayon_keeps_the_cpu_programs_contract() {
    testkit::program::check_cpu_program(env!("CARGO_BIN_EXE_cpu_rayon"), true);
}

#[test]
#[cfg_attr(
    not(all(unix, target_arch = "x86_64")),
    ignore = "reads x86-64 machine code with objdump, a Unix tool"
)]
fn cpu_bound_keeps_its_sum_in_registers() {
    for (exe, program) in [
        (env!("CARGO_BIN_EXE_cpu_threads"), "cpu_threads"),
        (env!("CARGO_BIN_EXE_cpu_rayon"), "cpu_rayon"),
    ] {
        testkit::program::check_cpu_bound_keeps_its_sum_in_registers(exe, program);
    }
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let args = ["--start", "1000", "--count", "3"];
    testkit::program::check_closed_stdout(env!("CARGO_BIN_EXE_cpu_threads"), &args);
    testkit::program::check_closed_stdout(env!("CARGO_BIN_EXE_cpu_rayon"), &args);
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "limits the address space with bash's `ulimit -v` (Linux's RLIMIT_AS)"
)]
fn a_thread_the_os_refuses_is_an_error_not_a_panic() {
    // A hundred numbers of about 5 ms each keep the first threads busy, and holding their
    // stacks, while the next ones start, even when a busy machine holds the spawning thread
    // back for a while.
    let args = ["--start", "10000000", "--count", "100", "--workers", "8"];
    testkit::program::check_thread_refused(env!("CARGO_BIN_EXE_cpu_threads"), &args);
    testkit::program::check_thread_refused(env!("CARGO_BIN_EXE_cpu_rayon"), &args);
}
