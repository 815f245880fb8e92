//! # Async basics, sequential: two sub-routines sleep 5 s and 4 s, one after the other
//!
//! Ports the first program of the asyncio basics: two functions that block in Python's
//! `time.sleep` (https://docs.python.org/3/library/time.html#time.sleep), here
//! `std::thread::sleep`, called one after the other and timed with `time.time()`.
//!
//!     cargo run --release -p async_basics --bin sub_routines
//!     cargo run --release -p async_basics --bin sub_routines -- --scale 0.01
//!
//! What to watch for: 5 + 4 = 9 s. While `sub_routine_1` sleeps its thread does nothing else,
//! so `sub_routine_2` starts only at 5. `diff` it against `coroutines`: the same program, async.
//!
//! ```text
//! [ 0.00] sub_routine 1 start
//! [ 0.00] sub_routine 1 paused... waiting 5 s
//! [ 5.00] sub_routine 1 end
//! [ 5.00] sub_routine 2 start
//! [ 5.00] sub_routine 2 paused... waiting 4 s
//! [ 9.00] sub_routine 2 end
//! time taken: 9.0003 seconds (9.00 units)
//! ```

use async_basics::{Args, Clock};

fn sub_routine_1(clock: &Clock) {
    clock.say("sub_routine 1 start");
    clock.say("sub_routine 1 paused... waiting 5 s");
    // Blocks this thread, the only one, for the whole 5 s: nothing else can run meanwhile.
    std::thread::sleep(clock.seconds(5.0));
    clock.say("sub_routine 1 end");
}

fn sub_routine_2(clock: &Clock) {
    clock.say("sub_routine 2 start");
    clock.say("sub_routine 2 paused... waiting 4 s");
    std::thread::sleep(clock.seconds(4.0));
    clock.say("sub_routine 2 end");
}

fn main() {
    let args: Args = sites::cli::parse_or_exit();
    let clock = Clock::start(args.scale);
    // One after the other: the second starts when the first has returned.
    sub_routine_1(&clock);
    sub_routine_2(&clock);
    clock.report();
}
