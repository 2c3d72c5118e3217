"""`make bench`: run the benchmarks and print their figures as ratios to same-run baselines.

Results are also written to tests/bench/results/ (JSON, one file per run).
"""

import json
import os
import platform
import time
from pathlib import Path

from tests.bench import ingest

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {1})  # the servers get core 0
    started = time.strftime("%Y-%m-%dT%H-%M-%S")
    print(f"Ingestion: {ingest.PAGES} pages, {ingest.SECONDS:.0f} s per measurement")
    rows = ingest.run()
    print(f"{'database':<11} {'transport':<10} {'events/s':>9} {'baseline/s':>11} {'ratio':>6}")
    for row in rows:
        print(
            f"{row['database']:<11} {row['transport']:<10} {row['events_per_s']:>9} "
            f"{row['baseline_per_s']:>11} {row['ratio']:>6.3f}"
        )
    RESULTS.mkdir(exist_ok=True)
    report = {"machine": platform.platform(), "cpus": os.cpu_count(), "ingest": rows}
    (RESULTS / f"bench-{started}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gwe.settings")
    main()
