"""Engagement: what rule evaluation adds to every event, and how long from a business event
to the invitation on the page.

1. Rule evaluation, in a Django process of its own on a fresh SQLite database: one visit
   stores EVENTS tracker events through the services, as the WebSocket does (the page's
   context cached), with RULES enabled rules of a realistic mix (URL patterns, categories,
   event counts, time on page, device and language, sequences, business hours, visitor),
   of which one fires, on the few Help events, and is refused by the policy after its first
   offer. Baseline: the same events with no rule. Figures: µs per stored event, the share
   spent in `engine.on_event`, and SQL queries per event inside it.
2. Latency, against a real server (pinned to core 0, Redis bus as in production) holding
   SERVER_RULES rules of the same mix plus one that invites on the business event "Bench":
   PAGES pages each send "Bench" once, at RATE a second (open loop), and the time until
   the page's socket receives `gpe.appendContent` is measured, while BACKGROUND_PAGES other
   pages send ordinary events at BACKGROUND_RATE a second. Baseline, interleaved with it on
   the same pages: the notify round trip (POST notify, until the page receives it).
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
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.servers import ROOT, SOCKET_ORIGIN, RedisServer, benchmark_server, fresh_database

RULE_COUNTS = [int(n) for n in os.environ.get("BENCH_RULES", "10,100,1000").split(",")]
EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))  # per rule count, on one visit
COUNTED = 200  # events whose queries are counted (a pass of its own: counting costs time)
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
RATE = int(os.environ.get("BENCH_ENGAGE_RATE", "20"))  # business events a second
PAGES = max(1, int(RATE * SECONDS))
SERVER_RULES = int(os.environ.get("BENCH_SERVER_RULES", "100"))
BACKGROUND_PAGES = int(os.environ.get("BENCH_BACKGROUND_PAGES", "50"))
BACKGROUND_RATE = int(os.environ.get("BENCH_BACKGROUND_RATE", "100"))  # ordinary events/s
SERVER = os.environ.get("BENCH_ENGAGE_SERVER", "daphne")
GRACE = 5.0
CONNECT_CONCURRENCY = 50
# What is measured is GWE deciding and pushing, not an agent answering: the templates'
# adapter always answers (the built-in chat would refuse with nobody signed in).
ANSWERING_ADAPTERS = json.dumps({"gwe-chat": {"BACKEND": "media_adapters.memory.InMemoryAdapter"}})

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
SECTIONS = 25
# What a visitor does on a shop, twenty events at a time: (event name, path).
STREAM = (
    [("ProductView", "/products/shoe-{n}")] * 8
    + [("Search", "/search?q=shoes")] * 3
    + [("AddToCart", "/products/shoe-{n}")] * 3
    + [("ScrollDepth", "/products/shoe-{n}")] * 5
    + [("Help", "/cart")]
)
BACKGROUND_STREAM = [step for step in STREAM if step[0] != "Help"]
SHOP = "https://shop.example"


# Configuration ---------------------------------------------------------------------------


def mixed_rule(i: int) -> dict:
    """Rule number i of the mix: none of them holds for the streams above."""
    kinds: list[dict] = [
        {"url_pattern": rf"/checkout/step-{i}(/|$)", "event_name": "PageEntered"},
        {"categories": [f"Section{i % SECTIONS}"], "event_name": "AddToCart"},
        {"event_name": f"Promo{i}", "event_min_count": 2, "event_within_seconds": 600},
        {"min_seconds_on_page": 3600, "event_name": "ProductView"},
        {"device": "mobile", "languages": "fr, de"},
        {"languages": "fr, de, es", "event_name": "Search"},
        {"sequence": f"Products > Pricing > Offer{i}", "event_name": "AddToCart"},
        {"business_hours": "Closed", "event_name": "Help"},
        {"visitor": "returning", "min_pages_viewed": 3},
        {"identity": "known", "referrer_pattern": rf"partner-{i}\.example"},
    ]
    return kinds[i % len(kinds)]


# Limits relaxed: each page may be invited once, whatever came before in its visit.
ONE_PER_PAGE = {
    "one_at_a_time": False,
    "max_per_page": 1,
    "max_per_visit": 0,
    "max_per_visitor_day": 0,
    "max_per_visitor": 0,
    "cooldown_after_reject": 0,
    "cooldown_after_timeout": 0,
    "cooldown_after_accept": 0,
}


def install_rules(count: int, *, firing: dict | None, mix=mixed_rule) -> None:
    """Replace every rule by `count` of the mix (the last one `firing`, when given), with
    the categories and business hours they name. Runs inside a Django process."""
    from datetime import time as clock

    from invitations.config import forget_configuration
    from invitations.models import (
        BusinessHours,
        Category,
        CategoryTag,
        EngagementRule,
        InvitationTemplate,
        OpeningHours,
    )

    EngagementRule.objects.all().delete()
    if not Category.objects.exists():
        for name, pattern in [
            ("Products", "/products/"),
            ("Search", "/search"),
            ("Cart", "/cart"),
            ("Pricing", "/pricing"),
            *((f"Section{k}", f"/section-{k}/") for k in range(SECTIONS)),
        ]:
            category = Category.objects.create(name=name)
            CategoryTag.objects.create(category=category, pattern=pattern)
        BusinessHours.objects.create(name="Closed")  # no opening hours: never open
        always = BusinessHours.objects.create(name="Always")
        OpeningHours.objects.bulk_create(
            OpeningHours(schedule=always, weekday=day, opens=clock(0), closes=clock(0))
            for day in range(7)
        )
    template = InvitationTemplate.objects.get(slug="invite")
    categories = {c.name: c for c in Category.objects.all()}
    hours = {h.name: h for h in BusinessHours.objects.all()}
    wanted = [mix(i) for i in range(count - (1 if firing else 0))]
    if firing:
        wanted.append({"priority": 10, **firing})
    for i, conditions in enumerate(wanted):
        conditions = dict(conditions)
        names = conditions.pop("categories", [])
        if "business_hours" in conditions:
            conditions["business_hours"] = hours[conditions["business_hours"]]
        rule = EngagementRule.objects.create(name=f"rule {i}", template=template, **conditions)
        rule.categories.set([categories[n] for n in names])
    forget_configuration()


# 1. Rule evaluation, in-process ------------------------------------------------------------


@dataclass
class EngineClock:
    """Wraps engine.on_event to time it and count its queries (when they are captured)."""

    calls: int = 0
    seconds: float = 0.0
    queries: int = 0

    def wrap(self, on_event):
        from django.db import connection

        def timed(event):
            before = len(connection.queries_log)
            started = time.perf_counter()
            try:
                return on_event(event)
            finally:
                self.seconds += time.perf_counter() - started
                self.queries += len(connection.queries_log) - before
                self.calls += 1

        return timed


def store_events(count: int, *, counting: bool, started, numbers) -> tuple[float, EngineClock]:
    """Store `count` events on the page as the WebSocket does; seconds spent, engine clock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gwe import services
    from gwe.protocol import parse_event
    from invitations import engine

    context = started.context
    clock = EngineClock()
    on_event = engine.on_event
    engine.on_event = clock.wrap(on_event)
    try:
        with CaptureQueriesContext(connection) if counting else nullcontext():
            began = time.perf_counter()
            for _ in range(count):
                n = next(numbers)
                name, path = STREAM[n % len(STREAM)]
                message = {
                    "type": "event",
                    "token": started.token,
                    "id": f"b-{n}",
                    "eventName": name,
                    "url": SHOP + path.format(n=n % 40),
                    "timestamp": time.time() * 1000,  # as the tracker sends it
                }
                services.event_record(message=parse_event(message), context=context)
            elapsed = time.perf_counter() - began
    finally:
        engine.on_event = on_event
    return elapsed, clock


def evaluate(rule_count: int) -> dict:
    from gwe import services
    from gwe.protocol import parse_page

    firing = {"event_name": "Help", "business_hours": "Always", **ONE_PER_PAGE}
    install_rules(rule_count, firing=firing if rule_count else None)
    started = services.page_start(
        message=parse_page({"type": "page", "url": f"{SHOP}/products/shoe-1", "title": "Shoe"}),
        user_agent=DESKTOP,
        live=True,
    )
    numbers = itertools.count()
    store_events(20, counting=False, started=started, numbers=numbers)  # warm up
    elapsed, clock = store_events(EVENTS, counting=False, started=started, numbers=numbers)
    _, counted = store_events(COUNTED, counting=True, started=started, numbers=numbers)
    return {
        "rules": rule_count,
        "events": EVENTS,
        "us_per_event": round(elapsed / EVENTS * 1e6),
        "on_event_us": round(clock.seconds / clock.calls * 1e6),
        "queries_per_event": round(counted.queries / counted.calls, 2),
    }


def evaluation_main() -> None:
    """In a process of its own (python -m tests.bench.engagement): JSON rows on stdout."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    rows = [evaluate(n) for n in [0, *RULE_COUNTS]]
    print(json.dumps(rows))


def evaluation() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gwe.settings",
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'gwe.sqlite3'}",
            "GWE_DEBUG": "0",
            "GWE_SECRET_KEY": "bench-" + "0" * 40,
            "GWE_ALLOWED_HOSTS": "127.0.0.1",
            "GWE_LOG_LEVEL": "WARNING",
            "GWE_MEDIA_ADAPTERS": ANSWERING_ADAPTERS,
        }
        result = subprocess.run(
            [sys.executable, "-m", "tests.bench.engagement"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"rule evaluation failed:\n{result.stderr[-4000:]}")
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    base = rows[0]
    for row in rows:
        row["ratio"] = round(row["us_per_event"] / base["us_per_event"], 2)
        row["engine_share"] = f"{row['on_event_us'] / row['us_per_event']:.0%}"
    return rows


# 2. Event → invitation on the page, against a server -----------------------------------------


@dataclass
class Latencies:
    sent: dict[int, float] = field(default_factory=dict)  # page number → send time
    arrived: dict[int, float] = field(default_factory=dict)
    errors: int = 0

    def row(self, name: str) -> dict:
        sent = {n: at for n, at in self.sent.items() if n >= 0}  # not the warm-up
        times = sorted(self.arrived[n] - sent[n] for n in self.arrived if n in sent)
        times = times or [float("nan")]
        return {
            "measure": name,
            "pages": len(sent),
            "received": len(times),
            "lost": len(sent) - len(times),
            "errors": self.errors,
            "p50_ms": round(statistics.median(times) * 1000, 2),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, 2),
        }


class TrackerPage:
    """A browser tab: a page view on the tracker socket, subscribed to its notifications,
    confirming what it receives."""

    def __init__(self, number: int, socket: ClientConnection, visit_id: str, token: str) -> None:
        self.number, self.socket, self.visit_id, self.token = number, socket, visit_id, token
        self.on_notification: Callable[[str], None] = lambda channel: None
        self.errors = self.acks = self.sent = 0

    @classmethod
    async def open(cls, number: int, url: str, path: str) -> "TrackerPage":
        socket = await websockets.connect(
            url,
            compression=None,
            max_queue=None,
            user_agent_header=DESKTOP,
            origin=SOCKET_ORIGIN,
        )
        await socket.send(json.dumps({"type": "page", "url": SHOP + path}))
        ids = json.loads(await socket.recv())
        await socket.send(json.dumps({"type": "subscribe", "token": ids["token"]}))
        while json.loads(await socket.recv())["type"] != "subscribed":
            pass
        return cls(number, socket, ids["visitID"], ids["token"])

    async def event(self, name: str, path: str) -> None:
        self.sent += 1
        message = {
            "type": "event",
            "token": self.token,
            "id": f"e-{self.sent}",
            "eventName": name,
            "url": SHOP + path,
            "timestamp": time.time() * 1000,
        }
        await self.socket.send(json.dumps(message))

    async def read(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            if message["type"] == "notification":
                self.on_notification(message["channel"])
                await self.socket.send(json.dumps({"type": "received", "ids": [message["id"]]}))
            elif message["type"] == "ack":
                self.acks += 1
            elif message["type"] == "error":
                self.errors += 1


async def open_pages(url: str, count: int, path: str) -> list[TrackerPage]:
    pages: list[TrackerPage] = []
    for start in range(0, count, CONNECT_CONCURRENCY):
        batch = range(start, min(count, start + CONNECT_CONCURRENCY))
        pages += await asyncio.gather(*(TrackerPage.open(n, url, path) for n in batch))
    return pages


async def background(pages: list[TrackerPage], stop: asyncio.Event) -> None:
    """Ordinary events from random pages at BACKGROUND_RATE a second (open loop)."""
    if not pages or BACKGROUND_RATE <= 0:
        return
    tasks: set[asyncio.Future] = set()  # held, or the loop may collect them mid-way
    start = time.perf_counter()
    for n in itertools.count():
        if stop.is_set():
            break
        delay = start + n / BACKGROUND_RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        name, path = BACKGROUND_STREAM[n % len(BACKGROUND_STREAM)]
        task = asyncio.ensure_future(random.choice(pages).event(name, path.format(n=n % 40)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)


async def measure_latency(server, auth: tuple[str, str]) -> list[dict]:
    url = f"{server.ws_url}/server/ws/tracker"
    invited, notified = Latencies(), Latencies()
    pages = await open_pages(url, PAGES + 1, "/products/shoe-1")
    pages[-1].number = -1  # warms up authentication, templates and connections
    others = await open_pages(url, BACKGROUND_PAGES, "/products/shoe-2")
    for page in pages:

        def arrived(channel: str, n: int = page.number) -> None:
            measured = {"gpe.appendContent": invited, "bench": notified}.get(channel)
            if measured is not None and n not in measured.arrived:
                measured.arrived[n] = time.perf_counter()

        page.on_notification = arrived
    readers = [asyncio.ensure_future(p.read()) for p in pages + others]
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(base_url=server.url, auth=auth, limits=limits) as api:

        async def notify(page: TrackerPage) -> None:
            notified.sent[page.number] = time.perf_counter()
            body = [{"channel": "bench", "data": {"page": page.number}}]
            try:
                reply = await api.post(
                    f"/server/data/notification/notify/{page.visit_id}", json=body
                )
                notified.errors += reply.status_code != 202
            except httpx.HTTPError:
                notified.errors += 1

        async def invite(page: TrackerPage) -> None:
            invited.sent[page.number] = time.perf_counter()
            await page.event("Bench", "/products/shoe-1")

        load = asyncio.ensure_future(background(others, stop))
        await asyncio.gather(notify(pages[-1]), invite(pages[-1]))
        while -1 not in invited.arrived or -1 not in notified.arrived:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)  # the background load settles
        gc.collect()
        gc.freeze()  # the load generator's own full collections are not the server's latency
        # Interleaved, one of each per page: both see the same load and the same moment.
        start = time.perf_counter()
        acks_before = sum(p.acks for p in others)
        sends = [send(page) for page in pages[:-1] for send in (notify, invite)]
        tasks = []
        for i, send in enumerate(sends):
            delay = start + i / (2 * RATE) - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(send))
        await asyncio.gather(*tasks)
        deadline = time.perf_counter() + GRACE
        while time.perf_counter() < deadline and (  # noqa: ASYNC110
            len(invited.arrived) < PAGES or len(notified.arrived) < PAGES
        ):
            await asyncio.sleep(0.05)
        background_rate = (sum(p.acks for p in others) - acks_before) / (
            time.perf_counter() - start
        )
        stop.set()
        await load
        gc.unfreeze()
    invited.errors = sum(p.errors for p in pages)
    background_errors = sum(p.errors for p in others)
    for page in pages + others:
        await page.socket.close()
    await asyncio.gather(*readers, return_exceptions=True)
    rows = [notified.row("notify round trip (baseline)"), invited.row("event → invitation")]
    for row in rows:
        row["ratio_p50"] = round(row["p50_ms"] / rows[0]["p50_ms"], 2)
        row["ratio_p99"] = round(row["p99_ms"] / rows[0]["p99_ms"], 2)
        row["background_ev_per_s"] = round(background_rate)
        row["background_errors"] = background_errors
    return rows


def latency() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        with (
            RedisServer(tmp_dir).start() as redis_server,
            fresh_database(tmp_dir) as database,
            benchmark_server(
                tmp_dir,
                database,
                kind=SERVER,
                REDIS_URL=redis_server.url,
                GWE_MEDIA_ADAPTERS=ANSWERING_ADAPTERS,
            ) as server,
        ):
            firing = json.dumps({"event_name": "Bench", **ONE_PER_PAGE})
            server.manage(
                "shell",
                "-c",
                "import json; from tests.bench.engagement import install_rules; "
                f"install_rules({SERVER_RULES}, firing=json.loads({firing!r}))",
            )
            auth = server.create_api_user()
            time.sleep(1.5)  # the server's configuration cache looks again every second
            return asyncio.run(measure_latency(server, auth))


if __name__ == "__main__":
    evaluation_main()
