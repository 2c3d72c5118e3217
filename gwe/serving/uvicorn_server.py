"""uvicorn with GWE's connection limits (gwe/serving): its HTTP and WebSocket protocols, with
each request's headers in time and nothing of a closed connection left in a cycle."""

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from gwe.serving import Serving


class Config(uvicorn.Config):
    def __init__(self, *args: Any, header_seconds: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_seconds = header_seconds


class HttpProtocol(HttpToolsProtocol):
    """One HTTP connection: each request's line and headers in time."""

    config: Config
    headers_due: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        super().connection_made(transport)
        self.expect_headers()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.headers_due is None:  # a kept-alive connection's next request
            self.expect_headers()

    def on_headers_complete(self) -> None:
        self.headers_received()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self.headers_received()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        super().handle_websocket_upgrade()
        # The parser calls back into this protocol, which keeps it: a cycle, now that the
        # connection belongs to the WebSocket protocol (uvicorn cuts it on connection_lost,
        # which this protocol no longer gets).
        self.parser = None  # type: ignore[assignment]

    def expect_headers(self) -> None:
        self.headers_due = self.loop.call_later(self.config.header_seconds, self.headers_late)

    def headers_received(self) -> None:
        if self.headers_due is not None:
            self.headers_due.cancel()
            self.headers_due = None

    def headers_late(self) -> None:
        self.headers_due = None
        self.transport.close()


class WebSocketProtocol(WebSocketsSansIOProtocol):
    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        # websockets parses with a generator of its protocol's, left waiting after the close:
        # its frame holds the protocol, a cycle only a full collection would free.
        self.conn.parser.close()


def serve(serving: Serving) -> None:
    from gwe.asgi import application

    config = Config(
        application,
        host=serving.host,
        port=serving.port,
        http=HttpProtocol,
        ws=WebSocketProtocol,
        ws_max_size=serving.websocket_max_bytes,
        # The tracker's messages are a few hundred bytes: compressing them would cost each
        # socket two zlib contexts (tens of KiB) for nothing.
        ws_per_message_deflate=False,
        lifespan="on",
        # The client is the peer: behind a proxy GWE reads X-Forwarded-For itself, from the
        # proxies named in GWE_TRUSTED_PROXIES only (gwe/limits.py).
        proxy_headers=False,
        log_level="warning" if serving.verbosity < 1 else "info",
        access_log=serving.verbosity >= 1,
        header_seconds=serving.header_seconds,
    )
    uvicorn.Server(config).run()
