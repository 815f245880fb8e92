//! # Async basics, sequential: two sub-routines sleep 5 s and 4 s, one after the other
//!
//! Ports a post's first async basics program (`docs/async-basics.md`): two functions that block
//! in [`time.sleep`](https://docs.python.org/3/library/time.html#time.sleep), one after the other.
//!
//!     cargo run --release -p async_basics --bin sub_routines
//!
//! What to watch for: 5 + 4 = 9 s: `sub_routine 2` starts only once the first has returned.
//!
//! ```text
//! [ 0.00] sub_routine 1 start
//! ...
//! [ 5.00] sub_routine 2 start
//! ...
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
    let args: Args = contract::parse_args();
    let clock = Clock::start(args.scale);
    // One after the other: the second starts when the first has returned.
    sub_routine_1(&clock);
    sub_routine_2(&clock);
    clock.report();
}
