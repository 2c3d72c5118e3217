"""GWE served by daphne or uvicorn (`manage.py gwe_serve`), each with what a server facing the
internet needs and neither does on its own:

- Headers in time: a request's line and headers arrive within GWE_HEADER_TIMEOUT_SECONDS of
  the connection opening (or of the request's first byte, on a kept-alive connection), or the
  connection is closed; a client that sends a header byte now and then (slowloris) holds
  nothing for long.
- A WebSocket message over GWE_WEBSOCKET_MAX_BYTES closes its socket with 1009 (message too
  big), a close frame the client reads; daphne would drop the connection without one.
- A closed connection is freed at once. Both servers leave parts of a connection in reference
  cycles, which only a full garbage collection frees, and gwe/collector.py makes full
  collections rare; each cycle is cut as the connection ends.

`daphne gwe.asgi:application` and `uvicorn gwe.asgi:application` serve GWE too, without these
(docs/deployment.md).
"""

from dataclasses import dataclass

SERVERS = ("daphne", "uvicorn")


@dataclass(frozen=True)
class Serving:
    host: str
    port: int
    header_seconds: float
    websocket_max_bytes: int
    verbosity: int = 1  # 0: warnings only; 1: and each request; 2 and more: debugging


def serve(server: str, serving: Serving) -> None:
    """Serve gwe.asgi:application until the process is stopped."""
    if server == "uvicorn":
        from gwe.serving import uvicorn_server

        uvicorn_server.serve(serving)
    else:
        from gwe.serving import daphne_server

        daphne_server.serve(serving)
