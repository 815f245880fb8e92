#!/usr/bin/env python3
"""Spinner, threads: a second thread draws while the main thread sleeps in slow().

Fluent Python 2nd edition's spinner_thread.py (Copyright (c) 2021 Luciano Ramalho, MIT
License), from
https://github.com/fluentpython/example-code-2e/blob/1a0da424e2ceb2e8b5fc195e80643439be61bff5/20-concurrency/spinner_thread.py
(chapter 19 in the printed book) beside the Rust crate spinner, binary spinner_thread. Added
for the comparison, and nothing else: --seconds for slow()'s 3 (contract.py).

    python3 python/spinner_thread.py --seconds 1
"""

import itertools
import time
from threading import Event, Thread

import contract


def spin(msg: str, done: Event) -> None:
    for char in itertools.cycle(r'\|/-'):
        status = f'\r{char} {msg}'
        print(status, end='', flush=True)
        if done.wait(.1):
            break
    blanks = ' ' * len(status)
    print(f'\r{blanks}\r', end='')


def slow(seconds: float) -> int:
    time.sleep(seconds)
    return 42


def supervisor(seconds: float) -> int:
    done = Event()
    spinner = Thread(target=spin, args=('thinking!', done))
    print(f'spinner object: {spinner}')
    spinner.start()
    result = slow(seconds)
    done.set()
    spinner.join()
    return result


def main() -> None:
    args = contract.spinner_args(__doc__)
    result = supervisor(args.seconds)
    print(f'Answer: {result}')


if __name__ == '__main__':
    with contract.quiet_when_stdout_closes():
        main()
