"""Notify → page latency, loss, delivery rate and memory per connected page: GWE against a
bare `websockets` + Redis pub/sub server (tests/bench/baseline_ws.py) in the same run.

Each server is pinned to core 0, the load generator runs on core 1. PAGES simulated pages
(one visit each) speak the tracker's protocol (page, subscribe, receipts); notifications go
to random visits at a fixed arrival rate (open loop) for SECONDS. Latency is the page's
receive time minus the time just before the REST call (for the baseline: the Redis publish).
BENCH_BUSES names the buses GWE is measured on, each in the same run (docs/benchmarks.md).
"""

import asyncio
import gc
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import redis.asyncio as aioredis
import websockets

from tests.support.servers import ROOT, SOCKET_ORIGIN, RedisServer, benchmark_server, fresh_database
from tests.support.services import free_port

PAGE_COUNTS = [int(n) for n in os.environ.get("BENCH_PAGES_LIST", "1000,5000").split(",")]
RATES = [int(n) for n in os.environ.get("BENCH_RATES", "50,150").split(",")]
SERVERS = os.environ.get("BENCH_SERVERS", "daphne,uvicorn").split(",")
BUSES = os.environ.get("BENCH_BUSES", "redis").split(",")
# What each bus of BENCH_BUSES sets: Redis pub/sub (as in production), or in-process.
BUS_SETTINGS = {"redis": {}, "in-process": {"REDIS_URL": ""}}
BUS_ALONE = os.environ.get("BENCH_BUS_ALONE", "0") == "1"
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
GRACE = 5.0
RECEIPTS = os.environ.get("BENCH_RECEIPTS", "1") == "1"  # pages confirm what they received
CONNECT_CONCURRENCY = 50


@dataclass
class Run:
    server: str
    pages: int
    rate: int
    bus: str = "-"  # as the server's health check names it
    sent: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    duration: float = 0.0
    rss_per_page_kib: float = 0.0
    cpu_ms_per_message: float = 0.0
    cpu_ms_per_page: float = 0.0  # connecting and subscribing

    def row(self) -> dict:
        ordered = sorted(self.latencies) or [float("nan")]
        return {
            "server": self.server,
            "bus": self.bus,
            "pages": self.pages,
            "rate": self.rate,
            "sent": self.sent,
            "received": len(self.latencies),
            "lost": self.sent - len(self.latencies),
            "errors": self.errors,
            "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
            "delivered_per_s": round(len(self.latencies) / self.duration, 1),
            "rss_per_page_kib": round(self.rss_per_page_kib, 1),
            "server_cpu_ms_per_msg": round(self.cpu_ms_per_message, 3),
            "server_cpu_ms_per_page": round(self.cpu_ms_per_page, 3),
        }


class Clock:
    """Send times by message number; pages report receive times against them."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.run: Run | None = None

    def received(self, number: int) -> None:
        sent = self.sent_at.pop(number, None)
        if sent is not None and self.run is not None:
            self.run.latencies.append(time.perf_counter() - sent)


async def open_loop(run: Run, visits: list[str], send) -> None:
    numbers = itertools.count()
    tasks = set()
    start = time.perf_counter()
    total = int(run.rate * SECONDS)
    for i in range(total):
        delay = start + i / run.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(send(next(numbers), random.choice(visits)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    run.sent = total
    if tasks:
        await asyncio.wait(tasks, timeout=30)


async def wait_for_deliveries(run: Run) -> None:
    deadline = time.perf_counter() + GRACE
    while len(run.latencies) < run.sent and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


def server_usage(pid: int) -> tuple[int, float]:
    process = psutil.Process(pid)
    times = process.cpu_times()
    return process.memory_info().rss, times.user + times.system


async def settled(pid: int, *, idle: float = 0.05, longest: float = 60.0) -> None:
    """Until the server is idle: what connecting the pages started (a join's catch-up, say)
    is counted per page, not per message."""
    deadline = time.perf_counter() + longest
    _, cpu = server_usage(pid)
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.5)
        _, now = server_usage(pid)
        if now - cpu < idle * 0.5:
            return
        cpu = now


async def messages_until(socket, stop: asyncio.Event):
    """A page's messages, decoded, until the run stops."""
    stopping = asyncio.ensure_future(stop.wait())
    while True:
        reader = asyncio.ensure_future(socket.recv())
        done, _ = await asyncio.wait({reader, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping in done:
            reader.cancel()
            return
        yield json.loads(reader.result())


def quiet_collector(run: Run) -> Run:
    """Keep the load generator's own garbage collector out of the figures: a full collection
    over 5,000 client sockets pauses it for 300 ms, which would be counted as latency of
    whichever server is being measured."""
    gc.collect()
    gc.freeze()
    return run


# GWE -----------------------------------------------------------------------------------


async def gwe_page(url: str, clock: Clock, ready: asyncio.Queue, stop: asyncio.Event) -> None:
    async with websockets.connect(
        url, compression=None, max_queue=None, origin=SOCKET_ORIGIN
    ) as socket:
        await socket.send(json.dumps({"type": "page", "url": "https://shop.example/bench"}))
        ids = json.loads(await socket.recv())
        await socket.send(json.dumps({"type": "subscribe", "token": ids["token"]}))
        while json.loads(await socket.recv())["type"] != "subscribed":
            pass
        await ready.put(ids["visitID"])
        async for message in messages_until(socket, stop):
            if message["type"] == "notification":
                clock.received(message["data"]["n"])
                if RECEIPTS:
                    await socket.send(json.dumps({"type": "received", "ids": [message["id"]]}))


async def run_gwe(pages: int, rate: int, server, clock: Clock, before_sending=None) -> Run:
    async with httpx.AsyncClient(base_url=server.url) as client:
        bus = (await client.get("/server/health")).json()["busKind"]
    run = Run(f"GWE {server.kind}", pages, rate, bus)
    stop = asyncio.Event()
    ready: asyncio.Queue = asyncio.Queue()
    rss_before, connect_cpu_before = server_usage(server.process.pid)
    page_tasks, visits = [], []
    url = f"{server.ws_url}/server/ws/tracker"
    for start in range(0, pages, CONNECT_CONCURRENCY):
        batch = min(CONNECT_CONCURRENCY, pages - start)
        page_tasks += [
            asyncio.ensure_future(gwe_page(url, clock, ready, stop)) for _ in range(batch)
        ]
        visits += [await asyncio.wait_for(ready.get(), timeout=60) for _ in range(batch)]
    await settled(server.process.pid)
    rss_after, cpu_before = server_usage(server.process.pid)
    run.rss_per_page_kib = (rss_after - rss_before) / pages / 1024
    run.cpu_ms_per_page = (cpu_before - connect_cpu_before) * 1000 / pages
    user, password = server.create_api_user()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=server.url, auth=(user, password), limits=limits) as api:

        async def send(number: int, visit: str) -> None:
            if number >= 0:  # not the warm-up
                clock.sent_at[number] = time.perf_counter()
            body = [{"channel": "bench", "data": {"n": number}}]
            try:
                response = await api.post(f"/server/data/notification/notify/{visit}", json=body)
                if response.status_code != 202:
                    run.errors += 1
            except httpx.HTTPError:
                run.errors += 1

        await send(-1, visits[0])  # warm up authentication and connections
        if before_sending is not None:
            before_sending()
        clock.run = quiet_collector(run)
        started = time.perf_counter()
        await open_loop(run, visits, send)
        await wait_for_deliveries(run)
        run.duration = time.perf_counter() - started
    _, cpu_after = server_usage(server.process.pid)
    run.cpu_ms_per_message = (cpu_after - cpu_before) * 1000 / max(run.sent, 1)
    clock.run = None
    gc.unfreeze()
    stop.set()
    await asyncio.gather(*page_tasks, return_exceptions=True)
    return run


# Baseline ------------------------------------------------------------------------------


async def baseline_page(url: str, clock: Clock, stop: asyncio.Event) -> None:
    async with websockets.connect(
        url, compression=None, max_queue=None, origin=SOCKET_ORIGIN
    ) as socket:
        async for message in messages_until(socket, stop):
            clock.received(message["data"]["n"])


async def run_baseline(
    pages: int, rate: int, port: int, pid: int, redis_url: str, clock: Clock
) -> Run:
    run = Run("baseline", pages, rate)
    stop = asyncio.Event()
    rss_before, connect_cpu_before = server_usage(pid)
    visits = [f"visit{i}" for i in range(pages)]
    page_tasks = []
    for start in range(0, pages, CONNECT_CONCURRENCY):
        batch = visits[start : start + CONNECT_CONCURRENCY]
        page_tasks += [
            asyncio.ensure_future(baseline_page(f"ws://127.0.0.1:{port}/?visit={v}", clock, stop))
            for v in batch
        ]
        await asyncio.sleep(0.05)
    await asyncio.sleep(2)
    await settled(pid)
    rss_after, cpu_before = server_usage(pid)
    run.rss_per_page_kib = (rss_after - rss_before) / pages / 1024
    run.cpu_ms_per_page = (cpu_before - connect_cpu_before) * 1000 / pages
    publisher = aioredis.Redis.from_url(redis_url)

    async def send(number: int, visit: str) -> None:
        if number >= 0:  # not the warm-up
            clock.sent_at[number] = time.perf_counter()
        frame = json.dumps({"type": "notification", "channel": "bench", "data": {"n": number}})
        await publisher.publish("bench:notify", json.dumps([visit, frame]))

    clock.run = quiet_collector(run)
    started = time.perf_counter()
    await open_loop(run, visits, send)
    await wait_for_deliveries(run)
    run.duration = time.perf_counter() - started
    _, cpu_after = server_usage(pid)
    run.cpu_ms_per_message = (cpu_after - cpu_before) * 1000 / max(run.sent, 1)
    clock.run = None
    gc.unfreeze()
    stop.set()
    await asyncio.gather(*page_tasks, return_exceptions=True)
    await publisher.aclose()
    return run


def run() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        with RedisServer(tmp_dir).start() as redis_server:
            for pages in PAGE_COUNTS:
                for rate in RATES:
                    rows.append(measure_baseline(pages, rate, redis_server.url))
                    rows += [
                        measure_gwe(tmp_dir, kind, bus, pages, rate, redis_server.url)
                        for kind in SERVERS
                        for bus in BUSES
                    ]
    return rows


def measure_baseline(pages: int, rate: int, redis_url: str) -> dict:
    port = free_port()
    module = ["-m", "tests.bench.baseline_ws", str(port), redis_url]
    baseline = subprocess.Popen(["taskset", "-c", "0", sys.executable, *module], cwd=ROOT)
    time.sleep(1.5)
    try:
        return asyncio.run(run_baseline(pages, rate, port, baseline.pid, redis_url, Clock())).row()
    finally:
        baseline.terminate()
        baseline.wait()


def measure_gwe(tmp_dir: Path, kind: str, bus: str, pages: int, rate: int, redis_url: str) -> dict:
    database = fresh_database(tmp_dir)
    env = {"REDIS_URL": redis_url, **BUS_SETTINGS[bus]}
    try:
        with database, benchmark_server(tmp_dir, database, kind=kind, **env) as server:
            return asyncio.run(run_gwe(pages, rate, server, Clock())).row()
    finally:
        Path(database.url.removeprefix("sqlite:///")).unlink(missing_ok=True)


# The bus alone --------------------------------------------------------------------------

BUS_ALONE_MESSAGES = 5000
BUS_ALONE_REPEATS = 3


def bus_alone() -> list[dict]:
    """What the bus itself costs per message, without HTTP, database or sockets: the Redis
    bus in a process of its own on core 0, with as many topics
    as pages (one follower each), pushed to from the event loop (as the notify endpoint
    does) and from a worker thread (push_on_commit). The median of a few alternated runs."""
    buses = ["redis"]
    samples: dict[tuple, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp)).start() as redis_server:
        for topics in PAGE_COUNTS:
            for _ in range(BUS_ALONE_REPEATS):
                for bus in buses:
                    for row in bus_alone_process(bus, topics, redis_server.url):
                        samples.setdefault((row["bus"], row["path"], topics), []).append(row)
    return [
        {
            "bus": bus,
            "path": path,
            "topics": topics,
            "cpu_us_per_msg": statistics.median(r["cpu_us_per_msg"] for r in rows),
            "wall_us_per_msg": statistics.median(r["wall_us_per_msg"] for r in rows),
        }
        for (bus, path, topics), rows in samples.items()
    ]


def bus_alone_process(bus: str, topics: int, redis_url: str) -> list[dict]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gwe.settings",
        "GWE_ENV_FILE": "",
        "GWE_DEBUG": "1",
        "REDIS_URL": redis_url,
        **BUS_SETTINGS[bus],
    }
    module = ["-m", "tests.bench.notify", "bus-alone", str(topics)]
    result = subprocess.run(
        ["taskset", "-c", "0", sys.executable, *module],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


class CountingFollower:
    def __init__(self, arrived: "Arrivals") -> None:
        self.arrived = arrived

    async def published(self, messages) -> None:
        self.arrived.add(len(messages))

    async def maybe_missed(self) -> None:
        pass


class Arrivals(asyncio.Event):
    count = 0
    expected = 0

    def add(self, n: int) -> None:
        self.count += n
        if self.count >= self.expected:
            self.set()


async def measure_bus_alone(topics: int) -> list[dict]:
    import django

    django.setup()
    from asgiref.sync import sync_to_async

    from notifications.bus import Published, get_bus

    bus = get_bus()
    rows = []
    for path in ("loop", "thread"):
        arrived = Arrivals()
        followers = [CountingFollower(arrived) for _ in range(topics)]
        for i, follower in enumerate(followers):
            bus.follow(f"visit:bench{i}", follower)
        for _ in range(600):  # until the bus carries every topic
            if getattr(bus, "connected", True) and len(getattr(bus, "joined", followers)) == topics:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)
        frame = json.dumps({"type": "notification", "channel": "bench", "data": {"n": 1}})
        pushes = [
            [Published(f"visit:bench{n % topics}", 1, frame, None, "id")]
            for n in range(BUS_ALONE_MESSAGES)
        ]
        arrived.expected = len(pushes)
        cpu_before, started = time.process_time(), time.perf_counter()
        if path == "loop":
            for items in pushes:
                await bus.apublish(items)
        else:

            def publish_all(pushes: list) -> None:
                for items in pushes:
                    bus.publish(items)

            await sync_to_async(publish_all, thread_sensitive=False)(pushes)
        await asyncio.wait_for(arrived.wait(), timeout=120)
        cpu, wall = time.process_time() - cpu_before, time.perf_counter() - started
        for i, follower in enumerate(followers):
            bus.unfollow(f"visit:bench{i}", follower)
        rows.append(
            {
                "bus": bus.name,
                "path": path,
                "cpu_us_per_msg": round(cpu * 1e6 / len(pushes), 1),
                "wall_us_per_msg": round(wall * 1e6 / len(pushes), 1),
            }
        )
    return rows


if __name__ == "__main__" and sys.argv[1:2] == ["bus-alone"]:
    import uvloop

    print(json.dumps(uvloop.run(measure_bus_alone(int(sys.argv[2])))))
