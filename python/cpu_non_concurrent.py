#!/usr/bin/env python3
"""CPU-bound, sequential: sum(i * i for i in range(n)) for 20 numbers, one after another.

Real Python's cpu_non_concurrent.py (Copyright (c) 2018 Real Python, MIT License), from
https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/cpu_non_concurrent.py
beside the Rust crate cpu_sequential. Added for the comparison, and nothing else: --start and
--count (contract.py), and the sum of the results, so that a run can be checked.

    python3 python/cpu_non_concurrent.py
"""

import time

import contract


def cpu_bound(number):
    return sum(i * i for i in range(number))


def find_sums(numbers):
    results = []
    for number in numbers:
        results.append(cpu_bound(number))
    return results


if __name__ == "__main__":
    args = contract.cpu_args(__doc__)
    numbers = args.numbers

    with contract.quiet_when_stdout_closes():
        start_time = time.time()
        results = find_sums(numbers)
        duration = time.time() - start_time
        # The article throws the sums away; their total, exact as Python's integers are, is
        # what xtask checks.
        print(f"Sum of results: {sum(results)}")
        print(f"Duration {duration} seconds")
