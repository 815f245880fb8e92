#!/usr/bin/env python3

"""Character finder over TCP: asyncio.start_server, a coroutine per client.

Fluent Python 2nd edition's tcp_mojifinder.py (Copyright (c) 2021 Luciano Ramalho, MIT
License), from
https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/21-async/mojifinder/tcp_mojifinder.py
beside the Rust crate charfinder, binary tcp_charfinder. Added for the comparison, and nothing
else: the Rust servers' --host and --port for the original's two positional arguments.

    python3 -u python/tcp_mojifinder.py --port 2323      # then: nc 127.0.0.1 2323
"""

# tag::TCP_MOJIFINDER_TOP[]
import asyncio
import functools
import sys
from asyncio.trsock import TransportSocket
from typing import cast

from charindex import InvertedIndex, format_results  # <1>

CRLF = b'\r\n'
PROMPT = b'?> '

async def finder(index: InvertedIndex,          # <2>
                 reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter):
    client = writer.get_extra_info('peername')  # <3>
    while True:  # <4>
        writer.write(PROMPT)  # can't await!  # <5>
        await writer.drain()  # must await!  # <6>
        data = await reader.readline()  # <7>
        try:
            query = data.decode().strip()  # <8>
        except UnicodeDecodeError:  # <9>
            query = '\x00'
        print(f' From {client}: {query!r}')  # <10>
        if query:
            if ord(query[:1]) < 32:  # <11>
                break
            results = await search(query, index, writer)  # <12>
            print(f'   To {client}: {results} results.')  # <13>

    writer.close()  # <14>
    await writer.wait_closed()  # <15>
    print(f'Close {client}.')  # <16>
# end::TCP_MOJIFINDER_TOP[]

# tag::TCP_MOJIFINDER_SEARCH[]
async def search(query: str,  # <1>
                 index: InvertedIndex,
                 writer: asyncio.StreamWriter) -> int:
    chars = index.search(query)  # <2>
    lines = (line.encode() + CRLF for line  # <3>
                in format_results(chars))
    writer.writelines(lines)  # <4>
    await writer.drain()      # <5>
    status_line = f'{"─" * 66} {len(chars)} found'  # <6>
    writer.write(status_line.encode() + CRLF)
    await writer.drain()
    return len(chars)
# end::TCP_MOJIFINDER_SEARCH[]

# tag::TCP_MOJIFINDER_MAIN[]
async def supervisor(index: InvertedIndex, host: str, port: int):
    server = await asyncio.start_server(    # <1>
        functools.partial(finder, index),   # <2>
        host, port)                         # <3>

    socket_list = cast(tuple[TransportSocket, ...], server.sockets)  # <4>
    addr = socket_list[0].getsockname()
    print(f'Serving on {addr}. Hit CTRL-C to stop.')  # <5>
    await server.serve_forever()  # <6>

def main(host: str = '127.0.0.1', port_arg: str = '2323'):
    port = int(port_arg)
    print('Building index.')
    index = InvertedIndex()                         # <7>
    try:
        asyncio.run(supervisor(index, host, port))  # <8>
    except KeyboardInterrupt:                       # <9>
        print('\nServer shut down.')

if __name__ == '__main__':
    import contract  # added: the Rust servers' flags
    parser = contract.Parser(description=__doc__.splitlines()[0])
    parser.add_argument('--host', default='127.0.0.1', help='the address to listen on')
    parser.add_argument('--port', type=contract.whole_number(0, 65535), default=2323,
                        help='(0 to 65535) the port to listen on (0: any free port)')
    args = parser.parse_args()
    main(args.host, str(args.port))
# end::TCP_MOJIFINDER_MAIN[]
