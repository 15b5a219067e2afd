"""``nomagic monitor models`` on the demo simulator: false alarms on stationary worlds, delay on injected drift.

Issue #18, Done-when: "on the simulator with injected drift: the injected change is alerted within 2
periods, and on 20 stationary seeds at most 5 % of periods alarm".

Setup: a world of ``--customers`` customers (default 10,000, the size of ``nomagic demo``'s world) over
500 days; the churn
champion (logistic, the registry's gate) learns on the first 370 days (as if it went live then) and
is monitored by :func:`nomagic.monitor.models.monitor_champion` in 30-day periods ending on days 400,
430, 460 and 490.

* **Stationary** (seeds 0..N-1): every period with an alarm (an alert of severity warning or
  critical; *info* entries are not pages) is a false alarm. Share of periods alarmed, overall and
  per seed.
* **Drift** (the first seeds): the same seed with ``competitor(400)`` (customers of FR, GB and US
  leave for a competitor from day 400, share 0.6 as in the test). The champion of the stationary
  world serves both (the orders of the two worlds agree up to day 400; some other draws, such as
  visits and order values, differ). Delay = the number of periods after the change until the first alarm (1 = the period ending
  on day 430, the first one that holds the change); alarms on periods ending on or before day 400
  are false alarms.

Each world lives in a DuckDB file in a temporary folder of its own; one process at a time. The
number of seeds is cut (and recorded) when a time budget runs out: ``--deadline HH:MM`` (UTC).

Which signal alerts first is recorded per period (``kinds``), with the early-outcome checks' z-scores
(:mod:`nomagic.monitor.early`). ``--customers 1500`` (the tests' world) shows what a small shop can
and cannot see: there the change moves the early outcomes by a few points, inside the binomial noise.

Run: ``nice .venv/bin/python bench/monitor_models.py [--customers 10000] [--stationary 20] [--drift 10]
[--deadline 17:25]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "monitor_models.json"

START = pd.Timestamp("2024-01-01")
CUSTOMERS, DAYS, LIVE_DAY, CHANGE_DAY, PERIOD = 10_000, 500, 370, 400, 30
ALARM = ("warning", "critical")


def _log(*a):
    print(*a, file=sys.stderr, flush=True)


def _champion_class():
    from nomagic.usecases.churn import Churn

    class ChurnUntil(Churn):
        """Churn trained on the data up to LIVE_DAY only: the champion of a model that went live then."""

        def time_range(self, wh):
            a, b = super().time_range(wh)
            return a, min(b, START + pd.Timedelta(days=LIVE_DAY))

    return ChurnUntil


def _brief(stat) -> dict | None:
    """A drift statistic without its per-feature list: value, noise levels."""
    if not isinstance(stat, dict):
        return None
    return {k: v for k, v in stat.items() if isinstance(v, (int, float, bool, str)) or v is None}


def _periods(doc: dict) -> list[dict]:
    """Per period: its last day, whether it alarmed, and the kinds of the alarms (info left out)."""
    rows = []
    for p in doc["periods"]:
        pages = [a for a in p["alerts"] if a["severity"] in ALARM]
        rows.append(
            {
                "day": int((pd.Timestamp(p["as_of"]) - START).days),
                "alarm": bool(pages),
                "kinds": sorted({f"{a['kind']} ({a['severity']})" for a in pages}),
                "info": sorted({a["kind"] for a in p["alerts"] if a["severity"] not in ALARM}),
                "gate": None if not p.get("gate") else p["gate"]["verdict"],
                "note": None if p.get("note") is None else str(p["note"]),
                # why a period did (not) alarm: the statistics against their noise
                "mean_score": p.get("mean_score"),
                "reference_rate": (p.get("reference") or {}).get("positive_rate"),
                "estimated_rate": p.get("estimated_positive_rate"),
                "early": [
                    {
                        **{
                            k: e[k] for k in ("days", "observed_rate", "expected_rate", "z", "dispersion", "p", "limit")
                        },
                        "segments": {
                            c: {"chi2": g["chi2"], "df": g["df"], "p": g["p"]} for c, g in e["segments"].items()
                        },
                    }
                    for e in p.get("early_outcomes") or []
                ],
                "stats": {
                    k: _brief(p.get(f))
                    for k, f in (("prediction", "prediction_drift"), ("prior", "prior_shift"), ("input", "input_drift"))
                },
            }
        )
    return rows


def _run_seed(seed: int, with_drift: bool) -> dict:
    """One seed: the stationary world (trains the champion), and optionally the competitor world."""
    from nomagic.lifecycle.registry import Registry
    from nomagic.monitor.models import monitor_champion
    from nomagic.simulate import drift as dr
    from nomagic.simulate import simulate
    from nomagic.usecases.churn import Churn
    from nomagic.warehouse import connect

    out: dict = {"seed": seed}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"nomagic-bench-mm-{seed}-") as tmp:
        folder = Path(tmp)
        quiet = connect(str(folder / "quiet.duckdb"))
        simulate(quiet, customers=CUSTOMERS, days=DAYS, seed=seed, start=START)
        t_sim = time.perf_counter()
        result = _champion_class()(model_params={"candidates": ("logistic",)}, n_boot=200, n_test=2, n_train=3).train(
            quiet
        )
        t_train = time.perf_counter()
        out["verdict"] = result.verdict
        reg = Registry(folder / "registry")
        if result.verdict != "promoted":
            # no champion to monitor: the seed is recorded, not counted
            out["stationary"] = None
            out["drift"] = None
            out["seconds"] = round(time.perf_counter() - t0, 1)
            quiet.close()
            return out
        reg.register(result)
        doc = monitor_champion(quiet, reg, "churn", period=PERIOD, uc=Churn())
        quiet.close()
        t_mon = time.perf_counter()
        rows = _periods(doc)
        out["stationary"] = {
            "periods": len(rows),
            "alarmed": sum(r["alarm"] for r in rows),
            "by_period": rows,
        }
        out["timing"] = {
            "simulate": round(t_sim - t0, 1),
            "train": round(t_train - t_sim, 1),
            "monitor": round(t_mon - t_train, 1),
        }
        if with_drift:
            moved = connect(str(folder / "moved.duckdb"))
            simulate(
                moved,
                customers=CUSTOMERS,
                days=DAYS,
                seed=seed,
                start=START,
                drift=[dr.competitor(CHANGE_DAY, share=0.6)],
            )
            reg_moved = Registry(folder / "moved-registry")
            reg_moved.register(result)
            doc_m = monitor_champion(moved, reg_moved, "churn", period=PERIOD, uc=Churn())
            moved.close()
            rows = _periods(doc_m)
            before = [r for r in rows if r["day"] <= CHANGE_DAY]
            after = [r for r in rows if r["day"] > CHANGE_DAY]
            first = next((k + 1 for k, r in enumerate(after) if r["alarm"]), None)
            out["drift"] = {
                "scenario": f"competitor({CHANGE_DAY}, share=0.6)",
                "periods": len(rows),
                "alarms_before_change": sum(r["alarm"] for r in before),
                "periods_before_change": len(before),
                "delay_periods": first,
                "within_2": first is not None and first <= 2,
                "by_period": rows,
            }
        else:
            out["drift"] = None
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _deadline(text: str | None) -> float | None:
    if not text:
        return None
    h, m = (int(x) for x in text.split(":"))
    now = datetime.now(UTC)
    return now.replace(hour=h, minute=m, second=0, microsecond=0).timestamp()


def _summary(rows: list[dict], n_stat_asked: int, n_drift_asked: int) -> dict:
    stat = [r for r in rows if r.get("stationary")]
    periods = sum(r["stationary"]["periods"] for r in stat)
    alarmed = sum(r["stationary"]["alarmed"] for r in stat)
    drift = [r for r in rows if r.get("drift")]
    delays = [r["drift"]["delay_periods"] for r in drift]
    share = alarmed / periods if periods else None
    return {
        "stationary": {
            "seeds_asked": n_stat_asked,
            "seeds_run": len(stat),
            "seeds_without_champion": [r["seed"] for r in rows if r.get("verdict") != "promoted"],
            "periods": periods,
            "periods_alarmed": alarmed,
            "share_alarmed": None if share is None else round(share, 4),
            "per_seed_share": {
                str(r["seed"]): round(r["stationary"]["alarmed"] / r["stationary"]["periods"], 4) for r in stat
            },
            "seeds_with_any_alarm": [r["seed"] for r in stat if r["stationary"]["alarmed"]],
            "target": "at most 5 % of periods alarm",
            "met": None if share is None else share <= 0.05,
        },
        "drift": {
            "seeds_asked": n_drift_asked,
            "seeds_run": len(drift),
            "delays": {str(r["seed"]): r["drift"]["delay_periods"] for r in drift},
            "alerted_within_2": sum(d is not None and d <= 2 for d in delays),
            "missed": sum(d is None for d in delays),
            "alarms_before_change": sum(r["drift"]["alarms_before_change"] for r in drift),
            "target": "the injected change is alerted within 2 periods",
            "met": bool(drift) and all(d is not None and d <= 2 for d in delays),
        },
    }


def main(argv=None) -> None:
    global CUSTOMERS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=CUSTOMERS, help="customers of each simulated world")
    ap.add_argument("--stationary", type=int, default=20, help="stationary seeds 0..N-1")
    ap.add_argument("--drift", type=int, default=10, help="of those, the first N also with competitor(400)")
    ap.add_argument("--deadline", default=None, help="HH:MM UTC: start no seed that would end after it")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    CUSTOMERS = args.customers
    stop = _deadline(args.deadline)
    t0 = time.perf_counter()
    rows: list[dict] = []
    cut = None
    cost = {True: None, False: None}  # seconds of the last seed with / without the drift world
    for seed in range(args.stationary):
        with_drift = seed < args.drift
        guess = cost[with_drift] or (cost[False] * 2 if with_drift and cost[False] else None)
        if stop is not None and guess is not None and time.time() + guess * 1.1 > stop:
            cut = f"seeds from {seed} on not run: the next one (~{guess:.0f} s) would end after {args.deadline} UTC"
            _log(cut)
            break
        r = _run_seed(seed, with_drift)
        cost[with_drift] = r["seconds"]
        rows.append(r)
        s, d = r.get("stationary"), r.get("drift")
        _log(
            f"seed {seed}: {r['seconds']} s, verdict {r['verdict']}, stationary "
            f"{s and s['alarmed']}/{s and s['periods']} alarmed"
            + (f", drift delay {d['delay_periods']}, before {d['alarms_before_change']}" if d else "")
        )
        _write(args, rows, cut, t0)
    _write(args, rows, cut, t0)
    _log(json.dumps(_summary(rows, args.stationary, min(args.drift, args.stationary)), indent=1))


def _write(args, rows, cut, t0) -> None:
    doc = {
        "bench": "monitor_models",
        "issue": 18,
        "command": "nice .venv/bin/python bench/monitor_models.py " + " ".join(sys.argv[1:]),
        "setup": {
            "customers": CUSTOMERS,
            "days": DAYS,
            "start": str(START.date()),
            "champion": "churn, logistic, trained on days 0-370 (n_boot=200, n_test=2, n_train=3)",
            "period_days": PERIOD,
            "periods_end_on_days": [400, 430, 460, 490],
            "alarm": "a period with at least one alert of severity warning or critical (info is not an alarm)",
            "drift": f"competitor({CHANGE_DAY}, share=0.6): delay 1 = the period ending on day 430",
        },
        "cut": cut,
        "summary": _summary(rows, args.stationary, min(args.drift, args.stationary)),
        "seeds": rows,
        "seconds": round(time.perf_counter() - t0, 1),
        "machine": {
            "nproc": len(os.sched_getaffinity(0)),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }
    Path(args.out).write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    main()
