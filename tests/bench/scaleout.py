"""Scale-out: tracker events stored per second by two server processes against one, sharing
PostgreSQL and Redis, as docs/deployment.md runs them.

One process: pinned to core 0, the load on core 1. Two processes: one on each core, the load
split evenly between them and free to run on either core (this machine has two: the load,
PostgreSQL and Redis then share the servers' cores). So the throughput ratio is what this
machine gives, and the server CPU per event, measured from each process's own counters, says
what a second process costs per event: equal means the shared database and bus add nothing.

Load: SCALE_PAGES pages in all, each a tracker socket sending events one at a time and
waiting for each acknowledgement (after commit), with 0 and 100 rules that look at every
event, for SECONDS.
"""

import asyncio
import dataclasses
import os
import tempfile
import time
from pathlib import Path

from tests.bench.ingest import install, websocket_rate
from tests.support.servers import GweServer, benchmark_server, fresh_database
from tests.support.services import free_port, require_tcp

PAGES = int(os.environ.get("BENCH_SCALE_PAGES", "100"))
RULE_COUNTS = [int(n) for n in os.environ.get("BENCH_SCALE_RULES", "0,100").split(",")]
KIND = os.environ.get("BENCH_SCALE_SERVER", "uvicorn")
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/gwe")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(servers: list[GweServer], rules: int) -> dict:
    pages_each = PAGES // len(servers)
    before = [cpu_seconds(s.process.pid) for s in servers if s.process]
    started = time.monotonic()

    async def load() -> list:
        return await asyncio.gather(
            *(websocket_rate(s.ws_url, noop=False, pages=pages_each) for s in servers)
        )

    rates = asyncio.run(load())
    elapsed = time.monotonic() - started
    cpu = sum(cpu_seconds(s.process.pid) for s in servers if s.process) - sum(before)
    events = sum(r.events for r in rates)
    return {
        "processes": len(servers),
        "rules": rules,
        "events_per_s": round(events / max(r.seconds for r in rates)),
        "server_cpu_ms_per_event": round(cpu * 1000 / events, 3),
        "server_cpu_share": round(cpu / elapsed / len(servers), 2),
    }


def run() -> list[dict]:
    require_tcp(POSTGRES, "PostgreSQL")
    require_tcp(REDIS, "Redis")
    os.environ["DATABASE_URL"] = POSTGRES
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(Path(tmp)) as database,
        benchmark_server(Path(tmp), database, kind=KIND, REDIS_URL=REDIS) as first,
    ):
        second = dataclasses.replace(first, port=free_port(), process=None, cpu=1)
        second.log_path = Path(tmp) / "second.log"
        with second.start():
            for rules in RULE_COUNTS:
                install(first, rules)
                time.sleep(1.5)  # both processes read the rules again within a second
                pinned = os.sched_getaffinity(0)
                rows.append(measure([first], rules))
                print(rows[-1], flush=True)
                os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
                try:
                    rows.append(measure([first, second], rules))
                finally:
                    os.sched_setaffinity(0, pinned)
                print(rows[-1], flush=True)
                one, two = rows[-2], rows[-1]
                one["ratio"] = one["cpu_per_event_ratio"] = 1.0
                two["ratio"] = round(two["events_per_s"] / one["events_per_s"], 2)
                two["cpu_per_event_ratio"] = round(
                    two["server_cpu_ms_per_event"] / one["server_cpu_ms_per_event"], 2
                )
    return rows
