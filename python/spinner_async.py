#!/usr/bin/env python3
"""Spinner, asyncio: a task draws while supervisor() awaits slow(), then is cancelled.

Fluent Python 2nd edition's spinner_async.py (Copyright (c) 2021 Luciano Ramalho, MIT
License), from
https://github.com/fluentpython/example-code-2e/blob/5ce5f8ac5279df55bd2404be2d06155bd7f2ddab/20-concurrency/spinner_async.py
(chapter 19 in the printed book) beside the Rust crate spinner, binary spinner_async. Added
for the comparison, and nothing else: --seconds for slow()'s 3 (contract.py).

    python3 python/spinner_async.py --seconds 1
"""

import asyncio
import itertools

import contract


async def spin(msg: str) -> None:
    for char in itertools.cycle(r'\|/-'):
        status = f'\r{char} {msg}'
        print(status, flush=True, end='')
        try:
            await asyncio.sleep(.1)
        except asyncio.CancelledError:
            break
    blanks = ' ' * len(status)
    print(f'\r{blanks}\r', end='')


async def slow(seconds: float) -> int:
    await asyncio.sleep(seconds)
    return 42


def main() -> None:
    args = contract.spinner_args(__doc__)
    result = asyncio.run(supervisor(args.seconds))
    print(f'Answer: {result}')


async def supervisor(seconds: float) -> int:
    spinner = asyncio.create_task(spin('thinking!'))
    print(f'spinner object: {spinner}')
    result = await slow(seconds)
    spinner.cancel()
    return result


if __name__ == '__main__':
    with contract.quiet_when_stdout_closes():
        main()
