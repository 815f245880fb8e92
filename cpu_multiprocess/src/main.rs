//! # CPU-bound, processes: one worker process per core
//!
//! Ports Real Python's
//! [`cpu_mp.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/cpu_mp.py):
//! the sums mapped over `multiprocessing.Pool()`, here a pool of this same program run again with
//! `--worker`, over pipes.
//!
//!     cargo run --release -p cpu_multiprocess
//!
//! What to watch for: in Python this is the version that gets faster (one GIL per process). Rust threads already use every core, so processes buy the same speed-up at a higher
//! price: starting workers and piping every number. More in `docs/cpu.md`.
//!
//! ```text
//! Sum of results: 833337833344750010830
//! Duration 0.056481624 seconds
//! ```

use std::collections::VecDeque;
use std::hint::black_box;
use std::io::{self, BufRead, BufReader, Write};
use std::num::NonZeroUsize;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::Parser;

/// Python's integers never overflow; ours are u128, and the flags are capped so that no sum
/// passes `u128::MAX` (all together stay below count x (start + count)^3 / 3 < 4e32).
const MAX: u64 = 1_000_000_000;
const MAX_COUNT: u64 = 1_000_000;

/// How many numbers wait in each worker's pipe: the one it works on and the next, as Python's
/// pool queues its tasks ahead of the workers.
const AHEAD: usize = 2;

/// Sums `i * i` for `i` below each of --count numbers from --start, and says how long it took.
#[derive(Parser)]
struct Args {
    /// The first number, as the article's `5_000_000` (0 to 1000000000: every sum fits a u128).
    #[arg(long, value_name = "N", default_value_t = 5_000_000, value_parser = clap::value_parser!(u64).range(..=MAX))]
    start: u64,
    /// How many numbers, as the article's `range(20)` (0 to 1000000: they are kept in a list).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u64).range(..=MAX_COUNT))]
    count: u64,
    /// Worker processes (1 to 256: more than cores only take turns) [default: one per core, as
    /// `multiprocessing.Pool()`]
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

/// Computes every sum on `workers` processes, and returns them in the order of `numbers`.
fn find_sums(numbers: &[u64], workers: usize) -> anyhow::Result<Vec<u128>> {
    // `multiprocessing.Pool()`: start the workers, each one this very program in worker mode.
    let mut pool = Vec::new();
    for _ in 0..workers {
        let mut command =
            contract::worker_command().context("cannot find this program to start its workers")?;
        command.stdin(Stdio::piped()).stdout(Stdio::piped());
        pool.push(command.spawn().context("cannot start a worker process")?);
    }
    // The pool's work queue: the index of the next number nobody has taken yet.
    let next = AtomicUsize::new(0);
    let (done, sums) = mpsc::channel();
    let mut results = vec![0; numbers.len()];
    // Scoped threads: the scope ends only when every feeding thread has, so they may borrow
    // `numbers` and `next`.
    thread::scope(|scope| {
        for (w, worker) in pool.iter_mut().enumerate() {
            let mut to_worker = worker.stdin.take().context("no pipe to the worker")?;
            let from_worker = worker.stdout.take().context("no pipe from the worker")?;
            let (done, next) = (done.clone(), &next);
            // One thread per worker process, as Python's pool has its own, feeds it: it keeps
            // AHEAD numbers in the worker's pipe, taking the next one each time a sum comes
            // back, so the worker finds its next number waiting instead of sleeping through a
            // round trip to this process. The computing happens in the processes. (`Builder`
            // rather than `scope.spawn`, which panics when the OS refuses a thread.)
            let feeder = thread::Builder::new().spawn_scoped(scope, move || {
                let mut answers = BufReader::new(from_worker).lines();
                let mut sent = VecDeque::new();
                loop {
                    while sent.len() < AHEAD {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&number) = numbers.get(i) else { break };
                        // A worker that died has closed its pipes: the write may fail, and
                        // then the read below says so.
                        let _ = writeln!(to_worker, "{number}");
                        sent.push_back(i);
                    }
                    let Some(i) = sent.pop_front() else { break };
                    // `None` if the worker died: its end of both pipes closed with it.
                    let sum = answers
                        .next()
                        .and_then(|line| line.ok()?.parse::<u128>().ok());
                    let died = sum.is_none();
                    if done.send((i, w, sum)).is_err() || died {
                        break;
                    }
                }
                // Dropping `to_worker` closes the worker's stdin: no more numbers, so it exits.
            });
            feeder.context("cannot start a thread to feed a worker process")?;
        }
        drop(done);
        // Each sum goes back to its number's place, as `pool.map` returns them in order.
        for (i, w, sum) in sums {
            let Some(sum) = sum else {
                // Stop the whole pool, as `pool.terminate()` does, so no thread waits for a sum
                // that will never come; then say which worker died, and how.
                let mut statuses = Vec::new();
                for worker in &mut pool {
                    let _ = worker.kill(); // An error here means it had already exited.
                    statuses.push(worker.wait()?);
                }
                bail!(
                    "worker process {} died while computing cpu_bound({}): {}",
                    pool[w].id(),
                    numbers[i],
                    statuses[w]
                );
            };
            results[i] = sum;
        }
        Ok(())
    })?;
    for worker in &mut pool {
        let status = worker.wait()?;
        ensure!(
            status.success(),
            "worker process {} failed: {status}",
            worker.id()
        );
    }
    Ok(results)
}

/// Worker mode: answers every number that comes in on stdin with its sum on stdout.
fn worker() -> contract::Result<()> {
    // Stdout is line-buffered, so every sum leaves for the pool as soon as its line ends.
    let mut sums = io::stdout().lock();
    for line in io::stdin().lines() {
        let number: u64 = line?
            .parse()
            .context("the pool sent a line that is no number")?;
        writeln!(sums, "{}", cpu_bound(number))?;
    }
    Ok(())
}

fn main() -> contract::Result<()> {
    // A worker is this same program, started by `find_sums` with the hidden `--worker`.
    if contract::worker_role().is_some() {
        return worker();
    }
    let args: Args = contract::parse_args();
    let numbers: Vec<u64> = (0..args.count).map(|x| args.start + x).collect();
    let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let workers = args.workers.map_or(cores, NonZeroUsize::get);
    let start_time = Instant::now();
    let results = find_sums(&numbers, workers)?;
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
