//! # CPU-bound, rayon: the idiomatic Rust way to use every core
//!
//! The work of Real Python's
//! [`cpu_threading.py`](https://github.com/realpython/materials/blob/bf724a9059e6264ed3d51e19467740ab57d790e1/concurrency-overview/cpu_threading.py),
//! as Rust usually writes it: `par_iter()`.
//!
//!     cargo run --release -p cpu_threads --bin cpu_rayon
//!
//! What to watch for: the one-line change from `iter()` to `par_iter()`. rayon's pool has one
//! thread per core and an idle thread steals a busy one's work: on 2 cores as little as half the
//! sequential time. More in `docs/cpu.md`.
//!
//! ```text
//! Sum of results: 833337833344750010830
//! Duration 0.055562231 seconds
//! ```

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use rayon::prelude::*;

/// Python's integers never overflow; ours are u128, and the flags are capped so that no sum
/// passes `u128::MAX` (all together stay below count x (start + count)^3 / 3 < 4e32).
const MAX: u64 = 1_000_000_000;
const MAX_COUNT: u64 = 1_000_000;

/// Sums `i * i` for `i` below each of --count numbers from --start, and says how long it took.
#[derive(Parser)]
struct Args {
    /// The first number, as the article's `5_000_000` (0 to 1000000000: every sum fits a u128).
    #[arg(long, value_name = "N", default_value_t = 5_000_000, value_parser = clap::value_parser!(u64).range(..=MAX))]
    start: u64,
    /// How many numbers, as the article's `range(20)` (0 to 1000000: they are kept in a list).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u64).range(..=MAX_COUNT))]
    count: u64,
    /// Threads in rayon's pool (1 to 256: idle ones spin, slow to start) [default: one per core]
    #[arg(long, value_name = "N", value_parser = contract::cli::count_up_to(contract::cli::MAX_CPU_WORKERS))]
    workers: Option<NonZeroUsize>,
}

// region: cpu_bound
/// The sum of `i * i` for every `i` in `0..number`, Python's `sum(i * i for i in range(number))`.
// Out of line, so every CPU program runs the same loop: inlined into cpu_multiprocess's worker,
// the sum lived on the stack, not in registers, at up to twice the time (the tests check).
#[inline(never)]
fn cpu_bound(number: u64) -> u128 {
    // u128, where Python's integers simply grow: for 5,000,000 the sum is about 4.2e19, past
    // u64::MAX (1.8e19). A square of a u64 always fits, and costs one 64x64->128-bit multiply.
    let mut total: u128 = 0;
    for i in 0..number {
        // Without `black_box`, LLVM sees that `total` is a polynomial in `i` and replaces the
        // whole loop with the closed form n(n-1)(2n-1)/6 (scalar evolution): the program would
        // time nothing. `black_box(i)` hides what `i` is from the optimiser, at the price of one
        // store and load per iteration, which stay off the loop's critical path.
        // Hiding the bound (`0..black_box(number)`) would not do: the formula works for any n.
        let i = u128::from(black_box(i));
        total += i * i;
    }
    total
}
// endregion: cpu_bound

/// Computes every sum on rayon's pool, and returns them in the order of `numbers`.
fn find_sums(numbers: &[u64]) -> Vec<u128> {
    // `par_iter()` for `iter()`: rayon's threads share the slice, `collect` keeps the order.
    numbers
        .par_iter()
        .map(|&number| cpu_bound(number))
        .collect()
}

fn main() -> contract::Result<()> {
    let args: Args = contract::parse_args();
    let numbers: Vec<u64> = (0..args.count).map(|x| args.start + x).collect();
    let start_time = Instant::now();
    if let Some(workers) = args.workers {
        // Sizes the global pool that `par_iter` runs on (else rayon makes one thread per core,
        // at the first `par_iter`). Timed, as cpu_threads times starting its threads.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(workers.get());
        pool.build_global()
            .context("cannot start rayon's thread pool")?;
    }
    let results = find_sums(&numbers);
    let duration = start_time.elapsed();
    println!("Sum of results: {}", results.iter().sum::<u128>());
    println!("Duration {} seconds", duration.as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use contract::expected_sum;

    use super::*;

    #[test]
    fn find_sums_keeps_the_order() {
        assert_eq!(find_sums(&[3, 0, 10, 2, 1]), [5, 0, 285, 1, 0]);
    }

    #[test]
    fn cpu_bound_matches_the_closed_form() {
        for n in [0, 1, 2, 3, 10, 1000, 4_000_000] {
            // The closed form n(n-1)(2n-1)/6, for the one number n.
            assert_eq!(cpu_bound(n), expected_sum(n, 1), "n = {n}");
        }
        // The article's first number: its sum is past u64::MAX, and Python prints it exactly.
        assert_eq!(cpu_bound(5_000_000), 41_666_654_166_667_500_000);
        assert!(cpu_bound(5_000_000) > u128::from(u64::MAX));
    }
}
