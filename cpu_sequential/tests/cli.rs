//! Runs the `cpu_sequential` binary and checks it keeps the CPU programs' contract: the
//! article's exact sums, the closed form's for other numbers, exit 2 for bad arguments.

#[test]
fn keeps_the_cpu_programs_contract() {
    testkit::program::check_cpu_program(env!("CARGO_BIN_EXE_cpu_sequential"), false);
}

#[test]
#[cfg_attr(
    not(all(unix, target_arch = "x86_64")),
    ignore = "reads x86-64 machine code with objdump, a Unix tool"
)]
fn cpu_bound_keeps_its_sum_in_registers() {
    let exe = env!("CARGO_BIN_EXE_cpu_sequential");
    testkit::program::check_cpu_bound_keeps_its_sum_in_registers(exe, "cpu_sequential");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let args = ["--start", "1000", "--count", "3"];
    testkit::program::check_closed_stdout(env!("CARGO_BIN_EXE_cpu_sequential"), &args);
}
