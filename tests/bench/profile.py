"""Where a server's time goes under a benchmark's load: GWE under uvicorn, profiled.

    python -m tests.bench.profile notify     # pages + notifications, as tests/bench/notify.py
    python -m tests.bench.profile ingest     # tracker events, as tests/bench/ingest.py
    python -m tests.bench.profile pages      # pages started (connect, page, subscribe, close)

The server runs in a process of its own on core 0 under yappi, which counts the CPU time of
every thread (the event loop, the writer of gwe/commits.py, the database threads) and slows
the server about twice: read the shares, not the times. The load runs here, on core 1.
Printed: the share of the server's profiled time by area (GWE's own code per app, Django's
ORM, the rest of Django, Channels, the ASGI server and its WebSocket library, JSON, the
database driver, Redis, the event loop), GWE's functions by inclusive time, and the
functions that take most time themselves.
"""

import asyncio
import os
import pstats
import signal
import sys
import tempfile
import time
from pathlib import Path

from tests.support.servers import (
    AS_IN_PRODUCTION,
    GweServer,
    RedisServer,
    fresh_database,
    gwe_server,
)

AREAS = [
    ("GWE: tracker (gwe/)", "/gwe/"),
    ("GWE: notifications/", "/notifications/"),
    ("GWE: invitations/", "/invitations/"),
    ("GWE: media_adapters/", "/media_adapters/"),
    ("Django ORM", "django/db/"),
    ("Django, other", "django/"),
    ("Channels, asgiref", "channels/"),
    ("Channels, asgiref", "asgiref/"),
    ("REST framework", "rest_framework/"),
    ("uvicorn, websockets, h11/httptools", "uvicorn/"),
    ("uvicorn, websockets, h11/httptools", "websockets/"),
    ("uvicorn, websockets, h11/httptools", "httptools"),
    ("uvicorn, websockets, h11/httptools", "h11/"),
    ("Redis client", "redis/"),
    ("database driver", "sqlite3"),
    ("database driver", "psycopg"),
    ("JSON", "json/"),
    ("JSON", "orjson"),
    ("event loop, threads, selectors", "asyncio/"),
    ("event loop, threads, selectors", "threading"),
    ("event loop, threads, selectors", "selectors"),
    ("event loop, threads, selectors", "uvloop"),
    ("event loop, threads, selectors", "concurrent/"),
]


class ProfiledServer(GweServer):
    """A GWE server whose process runs uvicorn under yappi, writing the stats on SIGTERM."""

    stats_path: Path = Path("server.prof")

    def command(self) -> list[str]:
        return ["-m", "tests.bench.profile", "serve", str(self.port), str(self.stats_path)]


def serve(port: int, stats_path: str) -> None:
    """`manage.py gwe_serve --server uvicorn`, as production runs it, under yappi."""
    import django
    import yappi
    from django.core.management import call_command

    def dump(*_: object) -> None:
        yappi.stop()
        yappi.get_func_stats().save(stats_path, type="pstat")
        os._exit(0)

    signal.signal(signal.SIGTERM, dump)
    signal.signal(signal.SIGUSR1, lambda *_: yappi.clear_stats())  # from here on only
    yappi.set_clock_type("cpu")
    yappi.start()
    django.setup()
    call_command("gwe_serve", server="uvicorn", host="127.0.0.1", port=port, verbosity=0)


def area_of(filename: str) -> str:
    for area, marker in AREAS:
        if marker in filename:
            return area
    return "other (builtins, C calls)"


def report(stats_path: Path, top: int = 25) -> list[dict]:
    stats = pstats.Stats(str(stats_path))
    by_area: dict[str, float] = {}
    total = 0.0
    own: list[tuple[float, str]] = []
    ours: list[tuple[float, str]] = []
    for (filename, line, name), (_, _, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        area = area_of(filename)
        by_area[area] = by_area.get(area, 0.0) + tottime
        where = f"{Path(filename).name}:{line}({name})"
        own.append((tottime, where))
        if area.startswith("GWE"):
            ours.append((cumtime, f"{Path(filename).parent.name}/{where}"))
    rows = [
        {"area": area, "share_%": round(100 * seconds / total, 1)}
        for area, seconds in sorted(by_area.items(), key=lambda item: -item[1])
    ]
    print("\nServer time by area (profiled, shares of its own time):")
    for row in rows:
        print(f"  {row['share_%']:5.1f} %  {row['area']}")
    print("\nGWE's functions by the time spent in them and what they call:")
    for seconds, where in sorted(ours, reverse=True)[:top]:
        print(f"  {100 * seconds / total:5.1f} %  {where}")
    print(f"\nFunctions taking most time themselves (of {total:.1f} s):")
    for seconds, where in sorted(own, reverse=True)[:top]:
        print(f"  {100 * seconds / total:5.1f} %  {where}")
    return rows


def profiled(tmp: Path, load) -> list[dict]:
    """As production runs it (tests/support/servers.benchmark_server), with Redis."""
    with fresh_database(tmp) as database, RedisServer(tmp).start() as redis_server:
        base = gwe_server(
            tmp,
            database,
            **AS_IN_PRODUCTION,
            GWE_LOG_LEVEL="WARNING",
            GWE_BENCHMARK_ENDPOINTS="1",
            REDIS_URL=redis_server.url,
        )
        base.manage("collectstatic", "--noinput", "--verbosity", "0")
        server = ProfiledServer(env=base.env, log_path=tmp / "server.log")
        server.stats_path = tmp / "server.prof"
        server.cpu = 0
        server.kind = "uvicorn"
        server.start()
        try:
            load(server)
        finally:
            assert server.process is not None
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=60)
    return report(server.stats_path)


def notify_load(server) -> None:
    from tests.bench import notify

    pages = notify.PAGE_COUNTS[0]
    rate = notify.RATES[0]
    print(f"notify: {pages} pages, {rate} msg/s for {notify.SECONDS:.0f} s")

    # The pages' start-up is left out: profiled from the first notification on.
    def from_here() -> None:
        server.process.send_signal(signal.SIGUSR1)
        time.sleep(0.2)

    run = asyncio.run(notify.run_gwe(pages, rate, server, notify.Clock(), from_here))
    print(run.row())


def ingest_load(server) -> None:
    from tests.bench import ingest

    ingest.install(server, int(os.environ.get("BENCH_PROFILE_RULES", "100")))
    time.sleep(1.5)
    server.process.send_signal(signal.SIGUSR1)
    rate = asyncio.run(ingest.websocket_rate(server.ws_url, noop=False))
    print(f"ingest: {ingest.PAGES} pages, {rate.per_second:.0f} events/s (profiled)")


def pages_load(server) -> None:
    from tests.bench import ingest

    server.process.send_signal(signal.SIGUSR1)
    rate = asyncio.run(ingest.pages_started_rate(server.ws_url, noop=False))
    print(f"pages: {ingest.PAGES} clients, {rate.per_second:.0f} pages started/s (profiled)")


LOADS = {"notify": notify_load, "ingest": ingest_load, "pages": pages_load}


def main(name: str) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    with tempfile.TemporaryDirectory() as tmp:
        profiled(Path(tmp), LOADS[name])


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gwe.settings")
        main(sys.argv[1] if len(sys.argv) > 1 else "notify")
