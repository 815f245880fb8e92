"""Character finder over HTTP: FastAPI, a JSON API and the page that calls it.

Fluent Python 2nd edition's web_mojifinder.py (Copyright (c) 2021 Luciano Ramalho, MIT
License), from
https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/21-async/mojifinder/web_mojifinder.py
beside the Rust crate charfinder, binary http_charfinder. Run it as the book does, from this
folder (`uvicorn web_mojifinder:app`), or as a program with the Rust server's --host and --port
(added for the comparison, with its `Serving on` and `Server shut down.` lines, and nothing
else; the index is built on import, as in the original, so there is no `Building index.`):

    python3 -u python/web_mojifinder.py --port 8000
"""

from pathlib import Path
from unicodedata import name

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from charindex import InvertedIndex

app = FastAPI(  # <1>
    title='Mojifinder Web',
    description='Search for Unicode characters by name.',
)

class CharName(BaseModel):  # <2>
    char: str
    name: str

def init(app):  # <3>
    app.state.index = InvertedIndex()
    static = Path(__file__).parent.absolute() / 'static'  # <4>
    app.state.form = (static / 'form.html').read_text()

init(app)  # <5>

@app.get('/search', response_model=list[CharName])  # <6>
async def search(q: str):  # <7>
    chars = app.state.index.search(q)
    return ({'char': c, 'name': name(c)} for c in chars)  # <8>

@app.get('/', response_class=HTMLResponse, include_in_schema=False)
def form():  # <9>
    return app.state.form

# no main funcion  # <10>

if __name__ == '__main__':  # added: the Rust server's flags and first lines
    import socket
    import uvicorn
    import contract
    parser = contract.Parser(description=__doc__.splitlines()[0])
    parser.add_argument('--host', default='127.0.0.1', help='the address to listen on')
    parser.add_argument('--port', type=contract.whole_number(0, 65535), default=8000,
                        help='(0 to 65535) the port to listen on (0: any free port)')
    args = parser.parse_args()
    sock = socket.create_server((args.host, args.port))  # bound here, to say which port
    host, port = sock.getsockname()[:2]
    print(f'Serving on http://{host}:{port}/. Hit CTRL-C to stop.')
    try:
        uvicorn.Server(uvicorn.Config(app, lifespan='off')).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down, then raises the Ctrl-C it caught again
        # (the app has no startup or shutdown handlers: lifespan='off' spares a traceback)
        pass
    print('\nServer shut down.')
