"""A real HTTP server on 127.0.0.1 for the systems GWE calls (engagement webhooks, media
adapters): it records every request and answers with the replies a test lines up."""

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tests.support.services import free_port


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: object = field(default_factory=dict)  # sent as JSON, or as is when a str
    delay: float = 0.0  # seconds before answering (a slow server)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


class FakeHttpServer:
    """Replies are taken in order, per path (or for any path); when none is lined up the
    server answers 200 `{}`. With a `secret`, it checks `X-GWE-Signature` on each POST as a
    receiving system would, and answers 401 to one whose signature is wrong. With a `port`, it
    listens there (a server that comes back on a closed one's port)."""

    def __init__(self, *, secret: str | None = None, port: int | None = None) -> None:
        self.secret = secret
        self.received: list[Received] = []
        self.replies: dict[str | None, deque[Reply]] = {}
        self.port = port or free_port()
        self._lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.httpd.daemon_threads = True
        serve = lambda: self.httpd.serve_forever(poll_interval=0.05)  # noqa: E731  (quick close)
        threading.Thread(target=serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reply(self, *replies: Reply, path: str | None = None) -> "FakeHttpServer":
        with self._lock:
            self.replies.setdefault(path, deque()).extend(replies)
        return self

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} request(s) received, not {count}")
            time.sleep(0.02)
        return list(self.received)

    def signed(self, received: Received) -> bool:
        assert self.secret is not None
        digest = hmac.new(self.secret.encode(), received.body, hashlib.sha256).hexdigest()
        given = received.headers.get("x-gwe-signature", "")
        return hmac.compare_digest(given, f"sha256={digest}")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _next_reply(self, path: str) -> Reply:
        with self._lock:
            for key in (path, None):
                queue = self.replies.get(key)
                if queue:
                    return queue.popleft()
        return Reply()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self._answer()

            def do_GET(self) -> None:
                self._answer()

            def do_DELETE(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                server.received.append(received)
                reply = server._next_reply(self.path.split("?")[0])
                signs = server.secret is not None and self.command == "POST"
                if signs and not server.signed(received):
                    reply = Reply(401, {"error": "bad signature"})
                time.sleep(reply.delay)
                body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = body.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
