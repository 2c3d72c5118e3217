"""Tracker events stored per second, over WebSocket and HTTP, on SQLite and PostgreSQL, with
0, 100 and 1,000 enabled rules that look at every event; and pages started per second.

Each figure sits next to a baseline measured in the same run, against the same server
process: a WebSocket and an HTTP endpoint that answer without doing any work. The server
is pinned to one core and the load generator to the other.

Load: PAGES simulated pages, each a connection that starts a page, then sends events one at a
time and waits for each acknowledgement (as the tracker does), for SECONDS. Pages started:
PAGES clients at once, each opening a socket, starting a page, subscribing and closing, again
and again; the baseline opens the no-op socket and makes two round trips.
"""

import asyncio
import itertools
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import websockets

from tests.support.servers import SOCKET_ORIGIN, benchmark_server, fresh_database
from tests.support.services import require_tcp

PAGES = int(os.environ.get("BENCH_PAGES", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
RULE_COUNTS = [int(n) for n in os.environ.get("BENCH_INGEST_RULES", "0,100,1000").split(",")]
SERVERS = os.environ.get("BENCH_INGEST_SERVERS", "uvicorn,daphne").split(",")
PAGE = {"type": "page", "url": "https://shop.example/bench", "title": "Bench"}


@dataclass
class Rate:
    name: str
    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


def event(token: str, number: int) -> str:
    return json.dumps(
        {
            "type": "event",
            "token": token,
            "id": f"b-{number}",
            "eventName": "AddToCart",
            "data": {"sku": "SHOE-1", "price": 59},
            "timestamp": time.time() * 1000,  # as the tracker sends it
        }
    )


async def websocket_rate(url: str, *, noop: bool, pages: int = PAGES) -> Rate:
    path = "/server/ws/noop" if noop else "/server/ws/tracker"
    deadline = time.monotonic() + SECONDS
    counts = []

    async def page() -> None:
        async with websockets.connect(url + path, origin=SOCKET_ORIGIN) as socket:
            token = ""
            if not noop:
                await socket.send(json.dumps(PAGE))
                token = json.loads(await socket.recv())["token"]
            sent = 0
            while time.monotonic() < deadline:
                await socket.send(event(token, sent))
                reply = json.loads(await socket.recv())
                assert reply["type"] == "ack", reply
                sent += 1
            counts.append(sent)

    started = time.monotonic()
    await asyncio.gather(*(page() for _ in range(pages)))
    return Rate(
        "WebSocket" + (" baseline" if noop else ""), sum(counts), time.monotonic() - started
    )


async def http_rate(url: str, *, noop: bool) -> Rate:
    path = "/server/data/tracker/noop" if noop else "/server/data/tracker"
    deadline = time.monotonic() + SECONDS
    numbers = itertools.count()
    counts = []
    limits = httpx.Limits(max_connections=PAGES, max_keepalive_connections=PAGES)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def page() -> None:
            token = ""
            if not noop:
                reply = await client.post("/server/data/tracker", content=json.dumps(PAGE))
                token = reply.json()["replies"][0]["token"]
            sent = 0
            while time.monotonic() < deadline:
                reply = await client.post(path, content=event(token, next(numbers)))
                assert reply.status_code == 200, reply.text
                sent += 1
            counts.append(sent)

        started = time.monotonic()
        await asyncio.gather(*(page() for _ in range(PAGES)))
    return Rate("HTTP" + (" baseline" if noop else ""), sum(counts), time.monotonic() - started)


async def pages_started_rate(url: str, *, noop: bool) -> Rate:
    path = "/server/ws/noop" if noop else "/server/ws/tracker"
    deadline = time.monotonic() + SECONDS
    counts = []

    async def client() -> None:
        started = 0
        while time.monotonic() < deadline:
            async with websockets.connect(url + path, origin=SOCKET_ORIGIN) as socket:
                await socket.send(json.dumps(PAGE))
                ids = json.loads(await socket.recv())
                subscribe = {"type": "subscribe", **{k: ids.get(k) for k in SUBSCRIBE_KEYS}}
                await socket.send(json.dumps(subscribe))
                reply = json.loads(await socket.recv())
                assert noop or reply["type"] == "subscribed", reply
            started += 1
        counts.append(started)

    began = time.monotonic()
    await asyncio.gather(*(client() for _ in range(PAGES)))
    name = "pages started" + (" baseline" if noop else "")
    return Rate(name, sum(counts), time.monotonic() - began)


SUBSCRIBE_KEYS = ("visitID", "pageID", "token")


def every_event_rule(i: int) -> dict:
    """Rule number i of the engagement mix, made to look at every event of this load (an
    AddToCart on /bench), and still never to hold."""
    from tests.bench.engagement import mixed_rule

    conditions = dict(mixed_rule(i))
    if conditions.get("event_name"):
        conditions["event_name"] = "AddToCart"
    if "event_min_count" in conditions:
        conditions["event_min_count"] = 1_000_000
    return conditions


def install(server, rules: int) -> None:
    server.manage(
        "shell",
        "-c",
        "from tests.bench.engagement import install_rules; "
        "from tests.bench.ingest import every_event_rule; "
        f"install_rules({rules}, firing=None, mix=every_event_rule)",
    )


def measure(label: str, kind: str, rules: int, transport, base_url: str) -> dict:
    baseline = asyncio.run(transport(base_url, noop=True))
    measured = asyncio.run(transport(base_url, noop=False))
    return {
        "database": label,
        "server": kind,
        "rules": rules,
        "measured": measured.name,
        "per_s": round(measured.per_second),
        "baseline_per_s": round(baseline.per_second),
        "ratio": round(measured.per_second / baseline.per_second, 3),
    }


def databases() -> list[tuple[str, str]]:
    found = [("SQLite", "")]
    postgres = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/gwe")
    try:
        require_tcp(postgres, "PostgreSQL")
        found.append(("PostgreSQL", postgres))
    except BaseException as exc:  # pytest's skip is a BaseException
        print(f"PostgreSQL skipped: {exc}")
    return found


def run() -> list[dict]:
    results = []
    for label, database_url in databases():
        for kind in SERVERS:
            with tempfile.TemporaryDirectory() as tmp:
                if database_url:
                    os.environ["DATABASE_URL"] = database_url
                else:
                    os.environ.pop("DATABASE_URL", None)
                with (
                    fresh_database(Path(tmp)) as database,
                    benchmark_server(
                        Path(tmp), database, kind=kind, GWE_BENCHMARK_ENDPOINTS="1"
                    ) as server,
                ):
                    for rules in RULE_COUNTS:
                        install(server, rules)
                        time.sleep(1.5)  # the server reads the rules again within a second
                        results.append(measure(label, kind, rules, websocket_rate, server.ws_url))
                        print(results[-1], flush=True)
                    install(server, 0)
                    time.sleep(1.5)
                    results.append(measure(label, kind, 0, http_rate, server.url))
                    results.append(measure(label, kind, 0, pages_started_rate, server.ws_url))
                    print(*results[-2:], sep="\n", flush=True)
    return results
