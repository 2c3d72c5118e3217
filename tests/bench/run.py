"""`make bench`: run the benchmarks and print their figures next to same-run baselines.

    python -m tests.bench.run [ingest] [notify] [engage] [scaleout] [pacing] [workspace]
                                                        (all when none is named)

Results are also written to tests/bench/results/ (JSON, one file per run). Knobs:
BENCH_SECONDS, BENCH_PAGES (ingestion), BENCH_PAGES_LIST, BENCH_RATES, BENCH_SERVERS and
BENCH_BUSES (notifications),
BENCH_RULES, BENCH_EVENTS, BENCH_ENGAGE_RATE, BENCH_SERVER_RULES, BENCH_BACKGROUND_RATE
(engagement), BENCH_SCALE_PAGES, BENCH_SCALE_RULES, BENCH_SCALE_SERVER (scale-out;
docs/benchmarks.md lists them all).
"""

import json
import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def table(rows: list[dict]) -> str:
    columns = list(rows[0])
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in columns]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines += [
        "  ".join(str(r[c]).rjust(w) for c, w in zip(columns, widths, strict=True)) for r in rows
    ]
    return "\n".join(lines)


def ingestion() -> list[dict]:
    from tests.bench import ingest

    print(f"\nIngestion: {ingest.PAGES} pages, {ingest.SECONDS:.0f} s per measurement")
    rows = ingest.run()
    print(table(rows))
    return rows


def notifications() -> list[dict]:
    from tests.bench import notify

    print(
        f"\nNotifications: {', '.join(map(str, notify.RATES))} msg/s for {notify.SECONDS:.0f} s "
        f"to {', '.join(map(str, notify.PAGE_COUNTS))} pages, GWE under "
        f"{' and '.join(notify.SERVERS)} on the {' and the '.join(notify.BUSES)} bus"
    )
    rows = notify.run()
    print(table(rows))
    baselines = {(r["pages"], r["rate"]): r for r in rows if r["server"] == "baseline"}
    for row in rows:
        base = baselines.get((row["pages"], row["rate"]))
        if row["server"] != "baseline" and base:
            print(
                f"{row['server']} on {row['bus']}, {row['pages']} pages, {row['rate']} msg/s: "
                f"p99 {row['p99_ms']} ms = {row['p99_ms'] / base['p99_ms']:.1f}x baseline, "
                f"CPU {row['server_cpu_ms_per_msg']} ms/msg = "
                f"{row['server_cpu_ms_per_msg'] / base['server_cpu_ms_per_msg']:.1f}x baseline, "
                f"lost {row['lost']}, {row['rss_per_page_kib']} KiB per page"
            )
    if notify.BUS_ALONE:
        rows += bus_alone(notify)
    return rows


def bus_alone(notify) -> list[dict]:
    print(
        f"\nThe bus alone: {notify.BUS_ALONE_MESSAGES} pushes to as many topics as pages, "
        f"from the event loop and from a worker thread, median of {notify.BUS_ALONE_REPEATS}"
    )
    rows = notify.bus_alone()
    print(table(rows))
    return rows


def engagement() -> dict:
    from tests.bench import engagement as bench

    print(
        f"\nRule evaluation: {bench.EVENTS} events on one visit per rule count, in-process, "
        "SQLite; baseline: the same events and no rule"
    )
    evaluation = bench.evaluation()
    print(table(evaluation))
    print(
        f"\nEvent → invitation: {bench.PAGES} pages, {bench.RATE} business events/s, "
        f"{bench.SERVER_RULES} rules, {bench.BACKGROUND_PAGES} other pages sending "
        f"{bench.BACKGROUND_RATE} events/s, GWE under {bench.SERVER}; baseline: notify round "
        "trip, interleaved"
    )
    latency = bench.latency()
    print(table(latency))
    measured = latency[-1]
    print(
        f"event → invitation: p50 {measured['p50_ms']} ms = {measured['ratio_p50']}x, "
        f"p99 {measured['p99_ms']} ms = {measured['ratio_p99']}x the notify round trip"
    )
    return {"evaluation": evaluation, "latency": latency}


def scaleout() -> list[dict]:
    from tests.bench import scaleout as bench
    from tests.bench.ingest import SECONDS

    print(
        f"\nScale-out: {bench.PAGES} tracker pages, {SECONDS:.0f} s, {bench.KIND}, "
        "PostgreSQL and Redis shared; one process on core 0, then one on each core"
    )
    rows = bench.run()
    print(table(rows))
    return rows


def pacing() -> list[dict]:
    from tests.bench import pacing as bench

    print(
        f"\nPacing, simulated: {bench.MINUTES:.0f} minutes per row, one chat per agent, "
        f"{bench.HANDLE_SECONDS:.0f} s per chat, {bench.ACCEPT:.0%} of offers accepted, "
        f"{bench.LOAD:g}x as many visitors to invite as the agents can answer"
    )
    rows = bench.run()
    print(table(rows))
    return rows


def workspace() -> list[dict]:
    from tests.bench import workspace as bench

    print(
        f"\nVisitors on the site: {bench.VISITORS} tracker sockets, {bench.EVENT_RATE} events/s, "
        f"one agent console; {bench.ARRIVALS} new visitors timed until the console lists them; "
        "baselines: the 1 s refresh period, and the server's CPU with nobody watching"
    )
    rows = bench.run()
    print(table(rows))
    return rows


BENCHES = {
    "ingest": ingestion,
    "notify": notifications,
    "engage": engagement,
    "scaleout": scaleout,
    "pacing": pacing,
    "workspace": workspace,
}


def main(names: list[str]) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the servers get core 0
    started = time.strftime("%Y-%m-%dT%H-%M-%S")
    report: dict = {"machine": platform.platform(), "cpus": os.cpu_count()}
    for name in names or list(BENCHES):
        report[name] = BENCHES[name]()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"bench-{started}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gwe.settings")
    main(sys.argv[1:])
