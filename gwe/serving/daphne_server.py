"""daphne with GWE's connection limits (gwe/serving): its own HTTP channel and WebSocket protocol
put into daphne's factories before the reactor starts."""

import functools
import sys

# daphne.server installs Twisted's asyncio reactor: it comes before anything of Twisted's.
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol as DaphneWebSocketProtocol
from twisted.internet.base import DelayedCall
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel

from gwe.serving import Serving


class Channel(HTTPChannel):
    """One HTTP connection: each request's line and headers in time, and a request that became
    a WebSocket let go of."""

    def __init__(self, *, header_seconds: float) -> None:
        super().__init__()
        self.header_seconds = header_seconds
        self.headers_due: DelayedCall | None = None

    def connectionMade(self) -> None:
        super().connectionMade()
        self.expect_headers()

    def requestDone(self, request) -> None:
        self.expect_headers()  # the next request's, should the connection stay open
        super().requestDone(request)

    def allHeadersReceived(self) -> None:
        self.headers_received()
        super().allHeadersReceived()

    def allContentReceived(self) -> None:
        super().allContentReceived()
        # A WebSocket upgrade hands the transport to daphne's WebSocket protocol in the
        # request's process(), called above; the request, still listed here, points back to
        # this channel: a cycle only a full collection would free.
        if self.requests and self.requests[-1].transport is None:
            self.requests.clear()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.headers_received()
        super().connectionLost(reason)

    def expect_headers(self) -> None:
        self.headers_received()
        self.headers_due = self.callLater(self.header_seconds, self.headers_late)

    def headers_received(self) -> None:
        if self.headers_due is not None and self.headers_due.active():
            self.headers_due.cancel()
        self.headers_due = None

    def headers_late(self) -> None:
        self.headers_due = None
        self.loseConnection()


class WebSocketProtocol(DaphneWebSocketProtocol):
    def connectionLost(self, reason: Failure = connectionDone) -> None:
        super().connectionLost(reason)
        # autobahn resolves these with the protocol itself: a cycle, once the socket is closed.
        self.is_open = self.is_closed = None


def serve(serving: Serving) -> None:
    from asgiref.compatibility import guarantee_single_callable
    from daphne.access import AccessLogGenerator
    from daphne.endpoints import build_endpoint_description_strings

    from gwe.asgi import application

    server: Server
    server = Server(
        application=guarantee_single_callable(application),
        endpoints=build_endpoint_description_strings(host=serving.host, port=serving.port),
        websocket_max_message_size=serving.websocket_max_bytes,
        websocket_max_frame_size=serving.websocket_max_bytes,
        action_logger=AccessLogGenerator(sys.stdout) if serving.verbosity >= 1 else None,
        verbosity=serving.verbosity,
        ready_callable=lambda: limited(server, serving),
    )
    server.run()


def limited(server: Server, serving: Serving) -> None:
    """daphne makes its factories in run(), then calls this before its reactor starts."""
    server.http_factory.protocol = functools.partial(Channel, header_seconds=serving.header_seconds)
    server.ws_factory.protocol = WebSocketProtocol
    # A message too large gets a close frame (1009) rather than a dropped connection.
    server.ws_factory.setProtocolOptions(failByDrop=False)
