#!/usr/bin/env python3
"""CPU-bound, threads: the 20 sums on a ThreadPoolExecutor of 5 threads, one GIL.

Real Python's cpu_threading.py (Copyright (c) 2018 Real Python, MIT License), from
https://github.com/realpython/materials/blob/bf724a9059e6264ed3d51e19467740ab57d790e1/concurrency-overview/cpu_threading.py
beside the Rust crate cpu_threads. Added for the comparison, and nothing else: --start,
--count and --workers for max_workers (contract.py), and the sum of the results, so that a run
can be checked.

    python3 python/cpu_threading.py
"""

import concurrent.futures
import time

import contract


def cpu_bound(number):
    return sum(i * i for i in range(number))


def find_sums(numbers, workers):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as executor:
        return list(executor.map(cpu_bound, numbers))


if __name__ == "__main__":
    args = contract.cpu_args(__doc__, workers=5)
    numbers = args.numbers

    with contract.quiet_when_stdout_closes():
        start_time = time.time()
        results = find_sums(numbers, args.workers)
        duration = time.time() - start_time
        # The article throws the sums away; their total, exact as Python's integers are, is
        # what xtask checks.
        print(f"Sum of results: {sum(results)}")
        print(f"Duration {duration} seconds")
