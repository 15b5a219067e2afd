"""The usual drift tools on the worlds of ``bench/monitor_models.py``: do they alarm on the stationary worlds, and when
on the competitor world?

Issue #18 asks for the monitor's figures "side by side with NannyML and Evidently where they install; otherwise their
documented methods re-implemented in the bench only and labelled as such". Same worlds as ``monitor_models.py``
(``--customers`` customers over 500 days, seeds 0..N-1, the first ``--drift`` also with ``competitor(400)``), the
churn use case's own point-in-time datasets, the model's input columns:

* **Evidently** (``evidently_method_reimplemented``, Evidently is not installed here): the DataDriftPreset defaults
  of ``bench/monitor_backtest.py`` (per column: normed Wasserstein or Jensen-Shannon >= 0.1 on samples above
  1,000 rows; data set drift when half the columns drift), reference = the dataset at the go-live day (370).
* **NannyML** 0.13.1 (the real package, in its own environment at ``$NANNYML_PYTHON``, default
  /tmp/h7_nannyml/bin/python; skipped where it is missing): ``UnivariateDriftCalculator`` with its defaults
  (Jensen-Shannon for every column, thresholds from the reference chunks), reference = the datasets of the five
  months before going live (days 250 to 370), analysis = one chunk per period (days 400, 430, 460, 490). A period
  alarms when any column alerts, as a person reading its dashboard would see it.

An alarm on a period ending on or before day 400 is a false alarm (the change starts on day 400); on the stationary
worlds every alarm is false. nomagic's own figures for the same worlds are in ``bench/results/monitor_models.json``.

Run: ``nice .venv/bin/python bench/monitor_models_anchors.py [--customers 10000] [--stationary 10] [--drift 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from monitor_backtest import _evidently_like  # noqa: E402
from monitor_models import CHANGE_DAY, DAYS, START  # noqa: E402

OUT = HERE / "results" / "monitor_models_anchors.json"
NANNYML = os.environ.get("NANNYML_PYTHON", "/tmp/h7_nannyml/bin/python")
REFERENCE_DAYS = (250, 280, 310, 340, 370)
PERIOD_DAYS = (400, 430, 460, 490)

_NANNYML_SCRIPT = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd, nannyml as nml
out = {}
for job in json.load(open(sys.argv[1])):
    ref = pd.read_parquet(job["ref"]); ana = pd.read_parquet(job["ana"])
    calc = nml.UnivariateDriftCalculator(column_names=job["columns"], chunk_size=job["chunk_rows"]).fit(ref)
    r = calc.calculate(ana).filter(period="analysis").to_df()
    alerts = np.zeros(len(r), bool)
    for c in job["columns"]:
        alerts |= r[(c, "jensen_shannon", "alert")].to_numpy(bool)
    out[job["name"]] = alerts.tolist()
json.dump(out, open(sys.argv[2], "w"))
"""


def _log(*a):
    print(*a, file=sys.stderr, flush=True)


def _frames(wh, days) -> list[pd.DataFrame]:
    from nomagic.usecases.churn import Churn

    uc = Churn()
    out = []
    for d in days:
        df = uc.dataset(wh, START + pd.Timedelta(days=d), label=False)
        out.append(df[uc.feature_columns(df)])
    return out


def _world(seed: int, customers: int, drift: bool, folder: Path) -> dict:
    from nomagic.simulate import drift as dr
    from nomagic.simulate import simulate
    from nomagic.warehouse import connect

    wh = connect(str(folder / f"{'moved' if drift else 'quiet'}-{seed}.duckdb"))
    simulate(
        wh,
        customers=customers,
        days=DAYS,
        seed=seed,
        start=START,
        drift=[dr.competitor(CHANGE_DAY, share=0.6)] if drift else None,
    )
    ref, periods = _frames(wh, REFERENCE_DAYS), _frames(wh, PERIOD_DAYS)
    wh.close()
    return {"ref": ref, "periods": periods}


def _nannyml(jobs: list[dict], tmp: Path) -> dict | None:
    if not Path(NANNYML).exists():
        _log("NannyML environment not found:", NANNYML)
        return None
    spec, out, script = tmp / "jobs.json", tmp / "nml.json", tmp / "nml.py"
    spec.write_text(json.dumps(jobs))
    script.write_text(_NANNYML_SCRIPT)
    res = subprocess.run([NANNYML, str(script), str(spec), str(out)], capture_output=True, text=True)
    if res.returncode:
        _log("NannyML failed:", res.stderr[-3000:])
        return None
    return json.loads(out.read_text())


def _job(name: str, world: dict, tmp: Path) -> dict:
    """A NannyML job: the reference months and the periods, each period one chunk of equal size."""
    rows = min(len(f) for f in world["periods"])
    ref = pd.concat([f.sample(rows, random_state=0) if len(f) > rows else f for f in world["ref"]], ignore_index=True)
    ana = pd.concat([f.sample(rows, random_state=0) for f in world["periods"]], ignore_index=True)
    for frame in (ref, ana):  # text columns as plain objects: NannyML's categorical handling expects them
        for c in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[c]):
                frame[c] = frame[c].astype(object)
    ref.to_parquet(tmp / f"{name}-ref.parquet")
    ana.to_parquet(tmp / f"{name}-ana.parquet")
    return {
        "name": name,
        "ref": str(tmp / f"{name}-ref.parquet"),
        "ana": str(tmp / f"{name}-ana.parquet"),
        "columns": list(ana.columns),
        "chunk_rows": rows,
        "ref_sizes": [len(f) for f in world["ref"]],
    }


def _delay(alarms: list[bool]) -> int | None:
    after = [a for d, a in zip(PERIOD_DAYS, alarms, strict=True) if d > CHANGE_DAY]
    return next((k + 1 for k, a in enumerate(after) if a), None)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--stationary", type=int, default=10)
    ap.add_argument("--drift", type=int, default=5)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows, jobs = [], []
    with tempfile.TemporaryDirectory(prefix="nomagic-bench-anchors-") as tmp:
        tmp = Path(tmp)
        for seed in range(args.stationary):
            for drift in (False, True) if seed < args.drift else (False,):
                world = _world(seed, args.customers, drift, tmp)
                name = f"{'moved' if drift else 'quiet'}-{seed}"
                ev = [_evidently_like(world["ref"][-1], cur)[0] for cur in world["periods"]]
                rows.append({"name": name, "seed": seed, "drift": drift, "evidently_method_reimplemented": ev})
                jobs.append(_job(name, world, tmp))
                _log(f"{name}: evidently-like {ev} ({time.perf_counter() - t0:.0f} s)")
        nml = _nannyml(jobs, tmp)
    for r in rows:
        r["nannyml_univariate"] = None if nml is None else nml.get(r["name"])
    summary = {}
    for tool in ("evidently_method_reimplemented", "nannyml_univariate"):
        quiet = [a for r in rows if not r["drift"] and r[tool] is not None for a in r[tool]]
        moved = [r for r in rows if r["drift"] and r[tool] is not None]
        summary[tool] = {
            "stationary_periods": len(quiet),
            "stationary_share_alarmed": None if not quiet else round(sum(quiet) / len(quiet), 4),
            "drift_delays": {str(r["seed"]): _delay(r[tool]) for r in moved},
            "drift_alarms_before_change": sum(
                a for r in moved for d, a in zip(PERIOD_DAYS, r[tool], strict=True) if d <= CHANGE_DAY
            ),
        }
    doc = {
        "bench": "monitor_models_anchors",
        "issue": 18,
        "command": "nice .venv/bin/python bench/monitor_models_anchors.py " + " ".join(sys.argv[1:]),
        "setup": {
            "customers": args.customers,
            "days": DAYS,
            "reference_days": REFERENCE_DAYS,
            "periods_end_on_days": PERIOD_DAYS,
            "drift": f"competitor({CHANGE_DAY}, share=0.6)",
            "nannyml_python": NANNYML if nml is not None else None,
        },
        "summary": summary,
        "worlds": rows,
        "seconds": round(time.perf_counter() - t0, 1),
        "machine": {
            "nproc": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    _log(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
