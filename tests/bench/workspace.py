"""The agent's list of visitors on the site with thousands of them (docs/benchmarks.md).

`BENCH_WORKSPACE_VISITORS` tracker sockets (5,000) are on the site, each a visit with a page
open, sending an ordinary event now and then; one agent console watches *Visitors on the
site* over /server/ws/agent/visitors. Measured: how long a new visitor takes to appear in
the console (from the tracker's answer to its page until the console's frame lists it),
against the refresh period it waits for; and the server's CPU with the console watching,
against the same server with nobody watching (the same visitors, the same events)."""

import asyncio
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import websockets

from tests.bench.engagement import TrackerPage, open_pages
from tests.bench.notify import server_usage, settled
from tests.support.servers import benchmark_server, fresh_database

VISITORS = int(os.environ.get("BENCH_WORKSPACE_VISITORS", "5000"))
ARRIVALS = int(os.environ.get("BENCH_WORKSPACE_ARRIVALS", "40"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
EVENT_RATE = int(os.environ.get("BENCH_WORKSPACE_EVENT_RATE", "50"))  # ordinary events/s
AGENT = ("bench-agent", "bench-agent-pass-1")
MAKE_AGENT = """
from django.contrib.auth.models import Group, User
from media_adapters.gwe_chat.models import AgentStatus
user = User.objects.create_user({name!r}, password={password!r})
user.groups.add(Group.objects.get_or_create(name="agents")[0])
AgentStatus.objects.create(user=user)
"""


def session_cookie(server) -> str:
    """An agent who logged in through the console's form."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        form = client.get("/agent/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token, "no CSRF token on the login page"
        client.post(
            "/agent/login/",
            data={"username": AGENT[0], "password": AGENT[1], "csrfmiddlewaretoken": token[1]},
            headers={"Referer": f"{server.url}/agent/login/"},
        )
        return client.cookies["sessionid"]


class Console:
    """The console's visitors socket: the last list it was sent, and when."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.frames = 0
        self.listed: set[str] = set()
        self.changed = asyncio.Event()

    @classmethod
    async def open(cls, server, cookie: str) -> "Console":
        socket = await websockets.connect(
            f"{server.ws_url}/server/ws/agent/visitors",
            origin=server.url,
            additional_headers={"Cookie": f"sessionid={cookie}"},
            max_size=None,
        )
        return cls(socket)

    async def read(self) -> None:
        async for raw in self.socket:
            frame = json.loads(raw)
            if frame["type"] == "visitors":
                self.frames += 1
                self.listed = {row["visitID"] for row in frame["rows"]}
                self.changed.set()

    async def until_listed(self, visit_id: str, timeout: float = 30) -> None:
        deadline = time.perf_counter() + timeout
        while visit_id not in self.listed:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), max(0.01, deadline - time.perf_counter()))


async def events(pages: list[TrackerPage], stop: asyncio.Event) -> None:
    """Ordinary events from the visitors, EVENT_RATE a second, round the pages."""
    n = 0
    while not stop.is_set():
        await pages[n % len(pages)].event("Scroll", "/products/shoe-1")
        n += 1
        await asyncio.sleep(1 / EVENT_RATE)


async def cpu_over(pid: int, seconds: float) -> float:
    _, before = server_usage(pid)
    await asyncio.sleep(seconds)
    _, after = server_usage(pid)
    return (after - before) / seconds


async def measure(server) -> list[dict]:
    url = f"{server.ws_url}/server/ws/tracker"
    pages = await open_pages(url, VISITORS, "/products/shoe-1")
    readers = [asyncio.ensure_future(p.read()) for p in pages]
    await settled(server.process.pid, longest=120)
    stop = asyncio.Event()
    load = asyncio.ensure_future(events(pages, stop))
    unwatched = await cpu_over(server.process.pid, SECONDS)

    console = await Console.open(server, await asyncio.to_thread(session_cookie, server))
    reading = asyncio.ensure_future(console.read())
    await console.changed.wait()
    frames_before = console.frames
    watched = await cpu_over(server.process.pid, SECONDS)
    frames = console.frames - frames_before

    latencies = []
    for _ in range(ARRIVALS):
        began = time.perf_counter()
        [arrival] = await open_pages(url, 1, "/pricing")
        readers.append(asyncio.ensure_future(arrival.read()))
        await console.until_listed(arrival.visit_id)
        latencies.append(time.perf_counter() - began)
        await asyncio.sleep(0.2)
    stop.set()
    await load
    for task in [*readers, reading]:
        task.cancel()
    latencies.sort()
    refresh = 1.0  # GWE_VISITORS_REFRESH_SECONDS's default, the wait a change may have
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return [
        {
            "visitors": VISITORS,
            "arrivals": ARRIVALS,
            "p50_s": round(statistics.median(latencies), 3),
            "p99_s": round(p99, 3),
            "p99_per_refresh": round(p99 / refresh, 2),
            "server_cpu_idle_console": round(unwatched, 3),
            "server_cpu_console": round(watched, 3),
            "console_x": round(watched / unwatched, 2) if unwatched else None,
            "console_cpu_share": round(watched - unwatched, 3),
            "frames_per_s": round(frames / SECONDS, 2),
        }
    ]


def run() -> list[dict]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(Path(tmp)) as database,
        benchmark_server(Path(tmp), database, kind="uvicorn") as server,
    ):
        server.manage("shell", "-c", MAKE_AGENT.format(name=AGENT[0], password=AGENT[1]))
        return asyncio.run(measure(server))
