"""``monitor backtest`` on streams with known truth and on real tables, side by side with the usual tools.

Figures (written to bench/results/monitor_backtest.json):

(a) **simulated drift with a known change point** (chunk 6 of 12, 500 rows each, 3,000 first rows,
    labels one chunk late), three kinds, 5 seeds each: ``prior`` (the outcome's rate jumps 0.2 ->
    0.4, each outcome's customers look as before), ``covariate`` (the most important column's mean
    moves by one standard deviation), ``coefficient`` (the most important column's effect flips
    sign: invisible without labels). Delay = first alert at or after the change minus the change
    chunk (0 = alerted on the chunk where it starts); alerts before the change are false alarms.
(b) **20 stationary seeds** of the same logistic world (with a calendar column that moves all the
    time and that the outcome ignores): share of chunks that alert.
(c) **a stationary real table**: Telco churn (../shared/data/telco_churn), rows shuffled (3 seeds),
    2,000 first rows, chunks of 500: share of chunks that alert.
(d) **real drifting tables** in time order (bench/shift_data.py): CDNOW repeat purchase (3,000
    customers x 12 monthly cutoffs, one cutoff per chunk, labels 3 chunks late: the 90-day horizon),
    MovieLens 100k (30,000 ratings, chunks of 2,000) and the simulated direct-marketing calls whose
    rate climbs (30,000 rows, one month per chunk): mean absolute error over chunks of the reported
    label-free positive rate against the naive "positive rate of the last labelled chunk"; the alert
    share, and the alarms judged by what each chunk's own labels later showed
    (``nomagic_alarms_vs_realized``: a chunk *changed* when its realized positive rate moved or its
    realized ROC-AUC dropped beyond the label checks' noise against the reference it was monitored
    against, or the baseline ranked it surely better; precision = alarms on a changed chunk or on the
    one whose labels arrived with it, recall = changes alarmed within the label delay; the chunks that
    alarmed against those that did not; the label-free pages alone on their own chunk).

Side by side, on the same chunks, each against the first rows as reference and a static model
(the first champion, never retrained):

* **NannyML** 0.13.1 (the real package) where ``$NANNYML_PYTHON`` (default /tmp/h7_nannyml/bin/python,
  a separate virtual environment: NannyML pins LightGBM 4.5, the project uses 4.7) runs it:
  univariate drift (Jensen-Shannon, thresholds from the chunks of the reference = all first rows)
  -- an alert when any column alerts -- and CBPE's label-free ROC-AUC (reference: the static
  model's out-of-sample rows; MAE against the realized one, and how often it is NaN or outside 0..1).
* **Evidently's data-drift preset, re-implemented here** (Evidently 0.7.23 installs but does not
  import with pandas 3): per column, for a reference of at most 1,000 rows a two-sample KS test
  (numbers) or a chi-square test (categories) at p < 0.05, else the normed Wasserstein distance
  (numbers) or the Jensen-Shannon distance (categories) above 0.1; the data set drifts when half
  the columns do. Labelled ``evidently_method_reimplemented``.

Run: ``nice .venv/bin/python bench/monitor_backtest.py [--quick]`` (--quick: fewer seeds).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
OUT = HERE / "results" / "monitor_backtest.json"
TELCO = HERE.parent.parent / "shared" / "data" / "telco_churn" / "Telco-Customer-Churn_IBM.csv"
NANNYML = os.environ.get("NANNYML_PYTHON", "/tmp/h7_nannyml/bin/python")
#: the models of the replay: all three candidates, fewer trees (20+ replays on two shared cores)
MODEL = {"max_trees": 400, "early_stopping": 50}


def _log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ simulated worlds


def world(n: int, *, seed: int, change_row: int | None = None, kind: str | None = None) -> pd.DataFrame:
    """A logistic churn world (numbers, a category, a calendar column the outcome ignores); from
    ``change_row`` on, ``kind`` changes: ``prior``, ``covariate`` or ``coefficient``."""
    rng = np.random.default_rng(seed)
    after = np.arange(n) >= (change_row if change_row is not None else n)
    if kind == "prior":  # outcome first, then each outcome's customers as before
        y = (rng.random(n) < np.where(after, 0.4, 0.2)).astype(int)
        a = rng.normal(size=n) + 1.2 * y
        b = rng.normal(size=n) - 0.6 * y
        c = rng.normal(size=n)
        plan = np.where(rng.random(n) < 0.3 + 0.3 * y, "monthly", "yearly")
    else:
        a = rng.normal(size=n) + np.where(after & (kind == "covariate"), 1.0, 0.0)
        b, c = rng.normal(size=n), rng.normal(size=n)
        plan = np.where(rng.random(n) < 0.45, "monthly", "yearly")
        coef_a = np.where(after & (kind == "coefficient"), -1.2, 1.2)
        logit = -1.4 + coef_a * a - 0.6 * b + 0.3 * c + 0.5 * (plan == "monthly")
        y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"a": a, "b": b, "c": c, "plan": plan, "week": np.arange(n) // 500, "churned": y})


# ------------------------------------------------------------------ the usual tools


def _evidently_like(ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[bool, float]:
    """Evidently's DataDriftPreset defaults, re-implemented: (data set drift, share of drifted columns)."""
    from scipy import stats
    from scipy.spatial.distance import jensenshannon

    drifted = []
    for col in ref.columns:
        a, b = ref[col], cur[col]
        numeric = pd.api.types.is_numeric_dtype(a) and a.nunique() > 5
        if len(ref) <= 1000:
            if numeric:
                p = stats.ks_2samp(a.dropna(), b.dropna()).pvalue
            else:
                levels = sorted(set(a.astype(str)) | set(b.astype(str)))
                fa = a.astype(str).value_counts().reindex(levels, fill_value=0).to_numpy()
                fb = b.astype(str).value_counts().reindex(levels, fill_value=0).to_numpy()
                expected = fa / fa.sum() * fb.sum()
                ok = expected > 0
                p = stats.chisquare(fb[ok], expected[ok] * fb[ok].sum() / expected[ok].sum()).pvalue
            drifted.append(p < 0.05)
        elif numeric:
            d = stats.wasserstein_distance(a.dropna(), b.dropna()) / max(float(np.std(a.dropna())), 1e-9)
            drifted.append(d >= 0.1)
        else:
            levels = sorted(set(a.astype(str)) | set(b.astype(str)))
            fa = a.astype(str).value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy()
            fb = b.astype(str).value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy()
            drifted.append(jensenshannon(fa, fb) >= 0.1)
    share = float(np.mean(drifted)) if drifted else 0.0
    return share >= 0.5, share


_NANNYML_SCRIPT = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd, nannyml as nml
out = {}
for job in json.load(open(sys.argv[1])):
    ref = pd.read_parquet(job["ref"]); ana = pd.read_parquet(job["ana"])
    cols = job["columns"]; m = job["chunk_rows"]
    drift = nml.UnivariateDriftCalculator(column_names=cols, chunk_size=m).fit(pd.read_parquet(job["ref_all"]))
    r = drift.calculate(ana.drop(columns="y")).filter(period="analysis").to_df()
    alerts = np.zeros(len(r), bool)
    for c in cols:
        alerts |= r[(c, "jensen_shannon", "alert")].to_numpy(bool)
    cbpe = nml.CBPE(y_pred_proba="p", y_pred="pred", y_true="y", metrics=["roc_auc"], chunk_size=m,
                    problem_type="classification_binary").fit(ref)
    e = cbpe.estimate(ana.drop(columns="y")).filter(period="analysis").to_df()
    est = e[("roc_auc", "value")].to_numpy(float)
    out[job["name"]] = {"univariate_alerts": alerts.tolist(), "cbpe_roc_auc": [None if not np.isfinite(x) else float(x) for x in est]}
json.dump(out, open(sys.argv[2], "w"))
"""


def _static_scores(df, label, initial_rows, chunk_rows):
    """The first champion, never retrained: its scores on the reference rows and on every chunk."""
    from nomagic.lifecycle.models import AutoClassifier
    from nomagic.lifecycle.plain import prepare
    from nomagic.lifecycle.tabular import binary_label

    y, _ = binary_label(df[label])
    X, _ = prepare(df.iloc[:initial_rows], label=label, id=None, time=None)
    X = df[X.columns]
    ref_rows = min(max(2 * chunk_rows, 200), initial_rows // 3)
    fit_end = initial_rows - ref_rows
    model = AutoClassifier(random_state=0, **MODEL).fit(
        X.iloc[:fit_end], y[:fit_end], time=np.arange(fit_end, dtype=float)
    )
    return X, y, model.predict_proba(X)[:, 1], fit_end


def competitors(name, df, label, initial_rows, chunk_rows, jobs, tmp) -> dict:
    """Evidently-like drift per chunk now; a NannyML job queued for the separate environment."""
    from nomagic.lifecycle.metrics import roc_auc

    X, y, p, fit_end = _static_scores(df, label, initial_rows, chunk_rows)
    n_chunks = (len(df) - initial_rows) // chunk_rows
    ref = X.iloc[fit_end:initial_rows]
    ev, realized = [], []
    for k in range(n_chunks):
        lo, hi = initial_rows + k * chunk_rows, initial_rows + (k + 1) * chunk_rows
        ev.append(_evidently_like(ref, X.iloc[lo:hi])[0])
        yk = y[lo:hi]
        realized.append(float(roc_auc(yk, p[lo:hi])) if 0 < yk.sum() < yk.size else None)
    frame = X.copy()
    for c in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[c]):
            frame[c] = frame[c].astype(str)
    frame["p"], frame["pred"], frame["y"] = p, (p >= 0.5).astype(int), y
    end = initial_rows + n_chunks * chunk_rows
    frame.iloc[fit_end:initial_rows].to_parquet(Path(tmp) / f"{name}_ref.parquet")
    # NannyML's drift thresholds come from the reference's own chunks: give it all the first rows
    frame.iloc[:initial_rows].to_parquet(Path(tmp) / f"{name}_ref_all.parquet")
    frame.iloc[initial_rows:end].to_parquet(Path(tmp) / f"{name}_ana.parquet")
    jobs.append(
        {
            "name": name,
            "ref": str(Path(tmp) / f"{name}_ref.parquet"),
            "ref_all": str(Path(tmp) / f"{name}_ref_all.parquet"),
            "ana": str(Path(tmp) / f"{name}_ana.parquet"),
            "columns": list(X.columns),
            "chunk_rows": chunk_rows,
        }
    )
    return {
        "evidently_method_reimplemented": {"alerts": ev},
        "static_model_realized_roc_auc": realized,
        "static_model_mean_score": [
            float(np.mean(p[initial_rows + k * chunk_rows : initial_rows + (k + 1) * chunk_rows]))
            for k in range(n_chunks)
        ],
    }


def run_nannyml(jobs, tmp) -> dict | None:
    if not Path(NANNYML).exists():
        _log("NannyML environment not found:", NANNYML)
        return None
    spec, out, script = Path(tmp) / "jobs.json", Path(tmp) / "nml.json", Path(tmp) / "nml.py"
    spec.write_text(json.dumps(jobs))
    script.write_text(_NANNYML_SCRIPT)
    t = time.perf_counter()
    res = subprocess.run([NANNYML, str(script), str(spec), str(out)], capture_output=True, text=True)
    if res.returncode:
        _log("NannyML failed:", res.stderr[-2000:])
        return None
    _log(f"NannyML: {time.perf_counter() - t:.0f} s")
    return json.loads(out.read_text())


# ------------------------------------------------------------------ one replay


def replay(name, df, label, *, initial_rows, chunk_rows, label_delay=1, seed=0, jobs=None, tmp=None) -> dict:
    from nomagic.monitor import backtest

    t = time.perf_counter()
    doc = backtest(
        df,
        label=label,
        initial_rows=initial_rows,
        chunk_rows=chunk_rows,
        label_delay=label_delay,
        model_params=MODEL,
        seed=seed,
        source=name,
    )
    s = doc["summary"]
    row = {
        "name": name,
        "rows": len(df),
        "chunks": s["chunks"],
        "seconds": round(time.perf_counter() - t, 1),
        "nomagic": {
            "alerted_chunks": s["alerted_chunks"],
            "alert_share": s["alert_share"],
            "actions": s["actions"],
            "positive_rate_mae": s["positive_rate_mae"],
            "roc_auc_estimate": s["roc_auc_estimate"],
            "alert_kinds": [[a["kind"] for a in c["alert_reasons"]] for c in doc["chunks"]],
            "drift_shown_not_paged": [[a["kind"] for a in c["drift_info"]] for c in doc["chunks"]],
            "realized_change": [c["realized_change"] for c in doc["chunks"]],
            "against_realized": s["against_realized"],
            "rate_method": [c["rate_method"] for c in doc["chunks"]],
            "estimated_positive_rate": [c["estimated_positive_rate"] for c in doc["chunks"]],
            "realized_positive_rate": [c["realized_positive_rate"] for c in doc["chunks"]],
            "estimated_roc_auc": [c["estimated_roc_auc"] for c in doc["chunks"]],
            "realized_roc_auc": [c["realized_roc_auc"] for c in doc["chunks"]],
        },
    }
    if jobs is not None:
        row.update(competitors(name, df, label, initial_rows, chunk_rows, jobs, tmp))
    _log(name, f"{row['seconds']} s", "alerts", s["alerted_chunks"], "rate MAE", s["positive_rate_mae"])
    return row


def _delay(alerts: list[int], change: int) -> tuple[int | None, int]:
    after = [k for k in alerts if k >= change]
    return (after[0] - change if after else None), sum(k < change for k in alerts)


def main(quick: bool = False) -> dict:
    from nomagic.lifecycle.metrics import roc_auc  # noqa: F401  (imported early: fail fast)

    t0 = time.perf_counter()
    rows: dict[str, list] = {"drift": [], "stationary": [], "telco": [], "real": []}
    jobs: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        init, m, n_chunks, change = 3000, 500, 12, 6
        for kind in ("prior", "covariate", "coefficient"):
            for seed in range(2 if quick else 5):
                df = world(init + n_chunks * m, seed=100 + seed, change_row=init + change * m, kind=kind)
                r = replay(
                    f"{kind}_{seed}", df, "churned", initial_rows=init, chunk_rows=m, seed=seed, jobs=jobs, tmp=tmp
                )
                r["kind"], r["change_chunk"] = kind, change
                rows["drift"].append(r)
        for seed in range(5 if quick else 20):
            df = world(init + 10 * m, seed=seed)
            rows["stationary"].append(
                replay(
                    f"stationary_{seed}", df, "churned", initial_rows=init, chunk_rows=m, seed=seed, jobs=jobs, tmp=tmp
                )
            )
        telco = pd.read_csv(TELCO).drop(columns=["customerID"])
        for seed in range(1 if quick else 3):
            df = telco.sample(frac=1.0, random_state=seed).reset_index(drop=True)
            rows["telco"].append(
                replay(
                    f"telco_shuffled_{seed}",
                    df,
                    "Churn",
                    initial_rows=2000,
                    chunk_rows=500,
                    seed=seed,
                    jobs=jobs,
                    tmp=tmp,
                )
            )
        import shift_data as sd

        real = [
            ("cdnow", lambda: sd.cdnow(max_rows=36_000), 9000, 3000, 3),
            ("movielens", lambda: sd.movielens(max_rows=30_000), 6000, 2000, 1),
            ("simulated_shift", lambda: sd.simulated_shift(n=30_000), 6000, 1000, 1),
        ]
        for name, build, init_r, m_r, k in real:
            d = build()
            df = pd.concat([d["train"], d["test"]], ignore_index=True)
            r = replay(name, df, d["label"], initial_rows=init_r, chunk_rows=m_r, label_delay=k, jobs=jobs, tmp=tmp)
            r["label_delay"] = k
            rows["real"].append(r)
        nml = run_nannyml(jobs, tmp)
    for group in rows.values():
        for r in group:
            if nml and r["name"] in nml:
                r["nannyml"] = nml[r["name"]]
    return {"results": rows, "summary": summarise(rows, nml is not None), "seconds": round(time.perf_counter() - t0, 1)}


def _share(xs) -> float:
    xs = list(xs)
    return round(float(np.mean(xs)), 4) if xs else None


def _count(xs) -> dict:
    out: dict = {}
    for x in xs:
        out[x] = out.get(x, 0) + 1
    return out


def _auc_mae(est, real):
    pairs = [(e, r) for e, r in zip(est, real, strict=True) if e is not None and r is not None and np.isfinite(e)]
    return round(float(np.mean([abs(e - r) for e, r in pairs])), 4) if pairs else None


def summarise(rows: dict, with_nml: bool) -> dict:
    out: dict = {"drift": {}}
    for kind in ("prior", "covariate", "coefficient"):
        rs = [r for r in rows["drift"] if r["kind"] == kind]
        ours = [_delay(r["nomagic"]["alerted_chunks"], r["change_chunk"]) for r in rs]
        entry = {
            "seeds": len(rs),
            "nomagic_delay_chunks": [d for d, _ in ours],
            "nomagic_alerted_within_2_chunks": sum(d is not None and d <= 1 for d, _ in ours),
            "nomagic_false_alarms_before_change": sum(f for _, f in ours),
            "nomagic_chunks_before_change": sum(r["change_chunk"] for r in rs),
        }
        for tool, get in (
            ("evidently_method_reimplemented", lambda r: r["evidently_method_reimplemented"]["alerts"]),
            ("nannyml_univariate", lambda r: r.get("nannyml", {}).get("univariate_alerts")),
        ):
            lists = [get(r) for r in rs]
            if any(x is None for x in lists):
                continue
            d = [_delay([k for k, a in enumerate(x) if a], r["change_chunk"]) for x, r in zip(lists, rs, strict=True)]
            entry[f"{tool}_delay_chunks"] = [x for x, _ in d]
            entry[f"{tool}_false_alarms_before_change"] = sum(f for _, f in d)
        out["drift"][kind] = entry
    for group in ("stationary", "telco"):
        rs = rows[group]
        entry = {
            "streams": len(rs),
            "chunks": sum(r["chunks"] for r in rs),
            "nomagic_alert_share": _share(
                a for r in rs for a in [k in r["nomagic"]["alerted_chunks"] for k in range(r["chunks"])]
            ),
            "evidently_method_reimplemented_alert_share": _share(
                a for r in rs for a in r["evidently_method_reimplemented"]["alerts"]
            ),
        }
        if with_nml:
            entry["nannyml_univariate_alert_share"] = _share(a for r in rs for a in r["nannyml"]["univariate_alerts"])
        entry["nomagic_streams_over_limit"] = sum(
            r["nomagic"]["alert_share"] > (0.05 if group == "stationary" else 0.1) for r in rs
        )
        out[group] = entry
    out["real"] = {}
    for r in rows["real"]:
        mae = r["nomagic"]["positive_rate_mae"]
        entry = {
            "chunks": r["chunks"],
            "label_delay": r["label_delay"],
            "positive_rate_mae_reported": mae["used"],
            "positive_rate_mae_last_labelled_chunk": mae["last_labelled_chunk"],
            "positive_rate_mae_adjusted_classify_and_count": mae["adjusted_classify_and_count"],
            "positive_rate_mae_em": mae["em"],
            "positive_rate_mae_static_model_mean_score": round(
                float(
                    np.mean(
                        np.abs(
                            np.array(r["static_model_mean_score"]) - np.array(r["nomagic"]["realized_positive_rate"])
                        )
                    )
                ),
                4,
            ),
            "never_worse_than_naive": bool(mae["used"] <= mae["last_labelled_chunk"] + 1e-9),
            "nomagic_roc_auc_estimate_mae": r["nomagic"]["roc_auc_estimate"]["mae"],
            "nomagic_roc_auc_withheld": r["nomagic"]["roc_auc_estimate"]["chunks_withheld"],
            "nomagic_alert_share": r["nomagic"]["alert_share"],
            "nomagic_alerted_chunks": r["nomagic"]["alerted_chunks"],
            "nomagic_alert_kinds": _count(k for ks in r["nomagic"]["alert_kinds"] for k in ks),
            "nomagic_drift_shown_not_paged_share": _share(bool(x) for x in r["nomagic"]["drift_shown_not_paged"]),
            "nomagic_alarms_vs_realized": r["nomagic"]["against_realized"],
            "nomagic_actions": r["nomagic"]["actions"],
            "evidently_method_reimplemented_alert_share": _share(r["evidently_method_reimplemented"]["alerts"]),
        }
        if "nannyml" in r:
            cb = r["nannyml"]["cbpe_roc_auc"]
            entry["nannyml_univariate_alert_share"] = _share(r["nannyml"]["univariate_alerts"])
            entry["nannyml_cbpe_roc_auc_mae"] = _auc_mae(cb, r["static_model_realized_roc_auc"])
            entry["nannyml_cbpe_nan_or_outside_0_1"] = sum(x is None or not 0 <= x <= 1 for x in cb)
        out["real"][r["name"]] = entry
    return out


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    res = main(quick)
    res["command"] = "nice .venv/bin/python bench/monitor_backtest.py" + (" --quick" if quick else "")
    res["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    OUT.write_text(json.dumps(res, indent=1, default=str) + "\n")
    print(json.dumps(res["summary"], indent=1))
