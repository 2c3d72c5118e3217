"""What `manage.py gwe_serve` holds every connection to (gwe/serving), under daphne and under
uvicorn: a request's headers in time, WebSocket messages within GWE_WEBSOCKET_MAX_BYTES, and
nothing of a closed connection kept. These are about the server in front of the database, not
the database: not marked `server`, they run once, in `make test`."""

import asyncio
import json
import socket
import time

import psutil
import pytest
import websockets

from tests.support.servers import AS_IN_PRODUCTION, SOCKET_ORIGIN, fresh_database, gwe_server

PAGE = {"type": "page", "url": "https://shop.example/", "title": "Shop"}


@pytest.fixture(params=["daphne", "uvicorn"])
def served(request, tmp_path):
    """GWE as production serves it (no debug, the garbage collector as GWE sets it), with
    two seconds for a request's headers; one address may start as many visits as it likes."""
    with (
        fresh_database(tmp_path) as database,
        gwe_server(
            tmp_path, database, **AS_IN_PRODUCTION, GWE_HEADER_TIMEOUT_SECONDS="2"
        ) as server,
    ):
        server.kind = request.param
        yield server.start()


def tracker_url(server) -> str:
    return f"{server.ws_url}/server/ws/tracker"


async def answer(tracker, message: dict) -> dict:
    await tracker.send(json.dumps(message))
    return json.loads(await asyncio.wait_for(tracker.recv(), timeout=10))


async def test_a_message_over_the_limit_closes_its_socket_with_1009(served):
    async with websockets.connect(
        tracker_url(served), origin=SOCKET_ORIGIN, max_size=None
    ) as tracker:
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            await answer(tracker, {**PAGE, "url": "x" * 8_000_000})
    assert closed.value.rcvd is not None, "the connection was dropped without a close frame"
    assert closed.value.rcvd.code == 1009  # message too big


async def test_a_message_the_server_takes_but_gwe_refuses_leaves_the_socket_open(served):
    async with websockets.connect(tracker_url(served), origin=SOCKET_ORIGIN) as tracker:
        refused = await answer(tracker, {**PAGE, "url": "x" * 100_000})
        started = await answer(tracker, PAGE)
    assert refused == {
        "type": "error",
        "status": 413,
        "message": "message is larger than 16384 bytes",
    }
    assert started["type"] == "ids"


def test_a_client_slow_with_its_headers_is_cut_off(served):
    """Slowloris: a header byte now and then kept a connection for minutes."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=0.25) as client:
        client.sendall(b"GET /server/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        started = time.monotonic()
        while time.monotonic() - started < 10:
            try:
                client.sendall(b"a")
                if client.recv(100) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        cut_off_after = time.monotonic() - started
    assert 1.5 < cut_off_after < 4, f"cut off after {cut_off_after:.1f} s (limit 2 s)"


async def test_a_socket_outlives_the_header_timeout(served):
    async with websockets.connect(tracker_url(served), origin=SOCKET_ORIGIN) as tracker:
        await asyncio.sleep(3)
        started = await answer(tracker, PAGE)
    assert started["type"] == "ids"


def test_a_kept_alive_connection_serves_its_next_request(served):
    request = b"GET /server/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as client:
        answers = []
        for _ in range(2):
            client.sendall(request)
            answers.append(read_response(client))
            time.sleep(1)
    assert [answer.split(b"\r\n", 1)[0] for answer in answers] == [b"HTTP/1.1 200 OK"] * 2


def read_response(client: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += client.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += client.recv(4096)
    return head


SOCKETS, CYCLES = 2000, 5


async def test_closed_sockets_are_freed_at_once(served):
    """Cycles of 2,000 pages opened and closed: the server's memory comes back to where it
    started, with the garbage collector as GWE sets it (gwe/collector.py: full collections
    rare). Connections whose parts stayed in reference cycles kept about 35 MiB a cycle.

    It starts after a first cycle: the memory a process takes to hold 2,000 pages at once
    stays with its allocator, to serve the next ones."""
    memory = psutil.Process(served.process.pid).memory_info
    await pages_opened_and_closed(served, SOCKETS)
    started = memory().rss
    after = []
    for _ in range(CYCLES):
        await pages_opened_and_closed(served, SOCKETS)
        await asyncio.sleep(1)
        after.append(memory().rss)
    growth = [round((rss - started) / started * 100, 1) for rss in after]
    assert max(growth) < 10, f"memory after each cycle, % over the start: {growth}"


async def pages_opened_and_closed(server, count: int) -> None:
    opened = 0
    all_open = asyncio.Event()

    async def page() -> None:
        nonlocal opened
        async with websockets.connect(
            tracker_url(server), origin=SOCKET_ORIGIN, compression=None
        ) as tracker:
            await tracker.send(json.dumps(PAGE))
            ids = json.loads(await tracker.recv())
            await tracker.send(json.dumps({"type": "subscribe", "token": ids["token"]}))
            while json.loads(await tracker.recv())["type"] != "subscribed":
                pass
            opened += 1
            if opened == count:
                all_open.set()
            await all_open.wait()

    pages = []
    for batch in range(0, count, 50):
        pages += [asyncio.ensure_future(page()) for _ in range(min(50, count - batch))]
        while opened < len(pages):
            if failed := [p.exception() for p in pages if p.done() and p.exception()]:
                raise failed[0]
            await asyncio.sleep(0.01)
    await asyncio.wait_for(asyncio.gather(*pages), timeout=60)
