"""Ingestion speed and memory: nomagic's contract-checked load next to DuckDB's own read_csv.

Both read the same synthetic CSV of N order rows (default 10 million) into a fresh DuckDB file,
each in its own subprocess so that peak memory (max RSS) is measured per run. nomagic runs with
every contract check on: types, ranges, no future dates, unique keys and the foreign key to a
customers table loaded beforehand. Runs alternate and repeat; medians and ratios are reported.

    python bench/ingest.py [--rows 10000000] [--repeats 3]

Writes bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "ingest.json"

_MAKE = """
import duckdb, sys
rows, customers, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
con = duckdb.connect()
con.execute(f'''COPY (SELECT 'c' || i AS customer_id, TIMESTAMP '2020-01-01' + to_seconds(i % 10000000) AS created_at,
  'DE' AS country, i % 2 = 0 AS consent_email, true AS consent_profiling FROM range({customers}) t(i))
  TO '{folder}/customers.csv' (HEADER)''')
con.execute(f'''COPY (SELECT 'o' || i AS order_id, 'c' || (hash(i) % {customers}) AS customer_id,
  TIMESTAMP '2022-01-01' + to_seconds(i % 90000000) AS ordered_at, round((hash(i * 7) % 20000) / 100.0, 2) AS revenue
  FROM range({rows}) t(i)) TO '{folder}/orders.csv' (HEADER)''')
"""

_DUCKDB = """
import duckdb, resource, sys, time
con = duckdb.connect(sys.argv[1])
t = time.perf_counter()
con.execute("CREATE TABLE orders AS SELECT * FROM read_csv(?)", [sys.argv[2]])
n = con.execute("SELECT count(*) FROM orders").fetchone()[0]
print(time.perf_counter() - t, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""

_NOMAGIC = """
import resource, sys, time
from nomagic.warehouse import connect, load
wh = connect(sys.argv[1])
load(wh, "customers", sys.argv[3])
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
r = load(wh, "orders", sys.argv[2])
assert r.quarantined == 0, r.describe_issues()
print(time.perf_counter() - t, r.inserted, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def run(code: str, *args: str) -> tuple[float, int, int]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    seconds, rows, rss = out.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(rows), int(rss)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"writing {args.rows:,} order rows ...", flush=True)
        subprocess.run([sys.executable, "-c", _MAKE, str(args.rows), str(args.customers), folder], check=True)
        csv, customers = f"{folder}/orders.csv", f"{folder}/customers.csv"
        size = Path(csv).stat().st_size
        duck, nomagic = [], []
        for i in range(args.repeats):
            for name, code, bucket in (("duckdb", _DUCKDB, duck), ("nomagic", _NOMAGIC, nomagic)):
                db = f"{folder}/{name}{i}.duckdb"
                seconds, rows, rss = run(code, db, csv, customers)
                assert rows == args.rows, (name, rows)
                bucket.append((seconds, rss))
                Path(db).unlink()
                print(
                    f"  {name:8s} run {i + 1}: {seconds:6.2f} s  {rows / seconds:>12,.0f} rows/s  peak {rss / 2**20:,.0f} MiB"
                )
    d_sec = statistics.median(s for s, _ in duck)
    n_sec = statistics.median(s for s, _ in nomagic)
    result = {
        "rows": args.rows,
        "file_bytes": size,
        "repeats": args.repeats,
        "duckdb_read_csv": {
            "median_seconds": d_sec,
            "rows_per_second": args.rows / d_sec,
            "peak_rss_bytes": max(r for _, r in duck),
        },
        "nomagic_load": {
            "median_seconds": n_sec,
            "rows_per_second": args.rows / n_sec,
            "peak_rss_bytes": max(r for _, r in nomagic),
            "checks": "types, ranges, not-future, unique key, foreign key to 1M customers",
        },
        "speed_ratio_vs_duckdb": d_sec / n_sec,
        "target": {"speed_ratio_vs_duckdb": ">= 0.5", "peak_rss_bytes": "< 2 GiB"},
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    result["meets_target"] = result["speed_ratio_vs_duckdb"] >= 0.5 and result["nomagic_load"]["peak_rss_bytes"] < 2**31
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(
        json.dumps({k: result[k] for k in ("speed_ratio_vs_duckdb", "meets_target")}),
        f"nomagic peak {result['nomagic_load']['peak_rss_bytes'] / 2**20:,.0f} MiB",
    )


if __name__ == "__main__":
    main()
