"""`make bench`: run the benchmarks and print their figures next to same-run baselines.

    python -m tests.bench.run [ingest] [notify]      (both when none is named)

Results are also written to tests/bench/results/ (JSON, one file per run). Knobs:
BENCH_SECONDS, BENCH_PAGES (ingestion), BENCH_PAGES_LIST and BENCH_RATE (notifications).
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
        f"\nNotifications: {notify.RATE} msg/s for {notify.SECONDS:.0f} s to "
        f"{', '.join(map(str, notify.PAGE_COUNTS))} pages"
    )
    rows = notify.run()
    print(table(rows))
    by_pages: dict[int, dict] = {}
    for row in rows:
        by_pages.setdefault(row["pages"], {})[row["server"]] = row
    for pages, pair in by_pages.items():
        if {"GWE", "baseline"} <= pair.keys():
            gwe, base = pair["GWE"], pair["baseline"]
            print(
                f"{pages} pages: p99 ratio GWE/baseline {gwe['p99_ms'] / base['p99_ms']:.2f}, "
                f"lost {gwe['lost']}, {gwe['rss_per_page_kib']} KiB per page"
            )
    return rows


BENCHES = {"ingest": ingestion, "notify": notifications}


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
