"""A hostile or buggy Pinecone: a local HTTP server whose answers each test writes.

    with Stub({"GET /restore-jobs": (200, {}, {"data": [...]})}) as upstream: ...

A route's answer is (status, headers, body) with a dict, list or bytes body, or
a function of the request returning one. Every request received is kept in
`received` as (method, path, headers, body), headers lower-cased.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Stub:
    def __init__(self, routes: dict | None = None):
        self.routes = dict(routes or {})
        self.received: list[tuple[str, str, dict, bytes]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urlsplit(self.path).path
                headers = {k.lower(): v for k, v in self.headers.items()}
                stub.received.append((self.command, path, headers, body))
                route = stub.routes.get(f"{self.command} {path}") or stub.routes.get(f"{self.command} *")
                answer = route(self.command, path, headers, body) if callable(route) else route
                status, extra, content = answer or (404, {}, {"error": {"code": "NOT_FOUND", "message": path}})
                if not isinstance(content, bytes):
                    content = json.dumps(content).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_DELETE = do_PATCH = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
