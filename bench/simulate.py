"""The demo world at three sizes: wall time and peak memory of ``nomagic.simulate``.

Each size runs in its own process (so that peak memory is that size's alone), writing a fresh
DuckDB file in a temporary folder: 10 thousand, 100 thousand and 1 million customers over one year.
Written to bench/results/simulate.json: seconds, peak resident memory (max RSS of the process,
DuckDB included), rows written and rows per second.

Memory: the simulator holds one chunk of customers (20,000) at a time, so its own memory does not
grow with the number of customers. DuckDB caches the table blocks it writes, up to its
``memory_limit`` (80 % of RAM by default); ``--memory-limit 512MB`` caps that cache and shows the
bound (a row per size with ``duckdb_memory_limit`` set).

Run: ``python bench/simulate.py`` (about 3 minutes on 2 cores), or e.g.
``python bench/simulate.py --sizes 10000 100000 --memory-limit 512MB``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "simulate.json"
TARGET_SECONDS_100K = 60.0


def child(customers: int, days: int, path: str, memory_limit: str | None) -> dict:
    from nomagic import connect
    from nomagic.simulate import simulate

    wh = connect(path)
    if memory_limit:
        wh.con.raw_sql(f"SET memory_limit = '{memory_limit}'")
    t0 = time.perf_counter()
    sim = simulate(wh, customers=customers, days=days, seed=0)
    seconds = time.perf_counter() - t0
    wh.close()
    rows = sum(sim.rows.values())
    return {
        "customers": customers,
        "days": days,
        "duckdb_memory_limit": memory_limit,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rows_total": rows,
        "rows_per_second": round(rows / seconds),
        "warehouse_mb": round(os.path.getsize(path) / 2**20, 1),
        "rows": sim.rows,
    }


def run(customers: int, days: int, memory_limit: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, __file__, "--child", str(customers), str(days), str(Path(tmp) / "sim.duckdb")]
        if memory_limit:
            cmd.append(memory_limit)
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--memory-limit", default=None, help="also run each size with this DuckDB memory_limit")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    results = []
    for size in args.sizes:
        for limit in [None, args.memory_limit] if args.memory_limit else [None]:
            r = run(size, args.days, limit)
            results.append(r)
            print(
                f"{size:>10,} customers x {args.days} days: {r['seconds']:7.1f} s, peak RSS {r['peak_rss_mb']:7.0f} MB, "
                f"{r['rows_total']:>11,} rows ({r['rows_per_second']:,.0f}/s)"
                + (f", DuckDB limit {limit}" if limit else ""),
                flush=True,
            )
    at_100k = [r["seconds"] for r in results if r["customers"] == 100_000 and r["days"] == 365]
    doc = {
        "benchmark": "simulate",
        "command": "python " + " ".join([f"bench/{Path(__file__).name}", *sys.argv[1:]]),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "target": {"customers": 100_000, "days": 365, "seconds": TARGET_SECONDS_100K},
        "target_met": (min(at_100k) < TARGET_SECONDS_100K) if at_100k else None,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        limit = sys.argv[5] if len(sys.argv) > 5 else None
        print(json.dumps(child(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], limit)))
    else:
        main()
