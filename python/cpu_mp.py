#!/usr/bin/env python3
"""CPU-bound, processes: the 20 sums on a multiprocessing.Pool, one process per CPU.

Real Python's cpu_mp.py (Copyright (c) 2018 Real Python, MIT License), from
https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/cpu_mp.py
beside the Rust crate cpu_multiprocess. Added for the comparison, and nothing else: --start,
--count and --workers for the pool's size (contract.py), and the sum of the results, so that
a run can be checked.

    python3 python/cpu_mp.py
"""

import multiprocessing
import time

import contract


def cpu_bound(number):
    return sum(i * i for i in range(number))


def find_sums(numbers, workers):
    with multiprocessing.Pool(workers) as pool:
        return pool.map(cpu_bound, numbers)


if __name__ == "__main__":
    args = contract.cpu_args(__doc__, workers=None)
    numbers = args.numbers

    with contract.quiet_when_stdout_closes():
        start_time = time.time()
        results = find_sums(numbers, args.workers)
        duration = time.time() - start_time
        # The article throws the sums away; their total, exact as Python's integers are, is
        # what xtask checks.
        print(f"Sum of results: {sum(results)}")
        print(f"Duration {duration} seconds")
