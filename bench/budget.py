"""Marketing-mix model and budget optimiser, side by side in one run: nomagic vs PyMC-Marketing.

PyMC-Marketing is the anchor only (never used by the package); install it in its own venv so the
project's versions stay as they are::

    python3 -m venv /work/venv-mmm
    /work/venv-mmm/bin/pip install pymc-marketing numpyro
    /work/venv-mmm/bin/pip install -e /work/main
    /work/venv-mmm/bin/python bench/budget.py            # all parts; --skip-pymc, --seeds N, --parts a,b,c

Three parts, written to bench/results/budget.json:

1. ``pymc_example``: PyMC-Marketing's example data (179 weeks; generated with geometric adstock
   alpha 0.4 / 0.2, l_max 8, logistic saturation lambda 4 / 3 on the raw spend, betas 3 / 2 times an
   amplitude of 1000; seed 327 reproduces the file exactly, so the true contributions are known).
   Same model form on both sides (geometric adstock l_max 8, logistic saturation, 2 Fourier pairs,
   controls event_1, event_2, t). Recovered alpha and lambda (lambda on spend / max spend, the scale
   both libraries fit on: true value lambda * max x), the channel contributions' error against the
   truth, and the end-to-end fit time. Targets: nomagic at least as close, >= 5x faster. Like with
   like: posterior means on both sides (nomagic's Laplace + importance-sampling draws, its NUTS draws,
   PyMC-Marketing's NUTS draws); medians and nomagic's mode are recorded alongside.
2. ``robyn``: Robyn's simulated weekly data (208 weeks, 5 paid channels, competitor sales,
   newsletter and events as controls, t as trend), same model form; ROI with 90 % intervals on both
   sides, and the fit diagnostics (nomagic: Laplace checks, and NUTS when numpyro is installed;
   PyMC-Marketing: R-hat, divergences). Target: nomagic's NUTS with R-hat < 1.01 and no divergences.
3. ``simulated``: the demo world (10,000 customers, 730 days) over several seeds, through the use
   case (``Budget``, weekly by default; also daily), whose gate judges each fit against the
   simulator's true curves (``evidence: "truth"``; see ``nomagic.usecases.budget.evidence``): do the
   true channel ROIs fall inside the 90 % intervals (target >= 85 % of channels)? Does the optimiser's
   split (default bounds 0.5x-2x of today, today's total) earn, under the true curves (steady daily
   spend ``x / days per period`` through the true Hill curve), >= 95 % of the true optimum under the
   same bounds? How often does the new gate promote, against the old holdout-MAPE gate, and why
   (coverage, ranking, decision)? Weekly, the same world is also judged on two simulated lift tests
   (no truth): does the lift-test gate agree with the truth gate?
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "mmm"
OUT = HERE / "results" / "budget.json"


# ---------------------------------------------------------------------------------------------- truth
def pymc_example_truth() -> dict:
    """Regenerate PyMC-Marketing's example (seed 327) and check it matches the file."""
    d = pd.read_csv(DATA / "pymc_marketing" / "mmm_example.csv", parse_dates=["date_week"])
    rng = np.random.default_rng(327)
    n = len(d)
    x1 = rng.uniform(0, 1, n)
    x1 = np.where(x1 > 0.9, x1, x1 / 2)
    x2 = rng.uniform(0, 1, n)
    x2 = np.where(x2 > 0.8, x2, 0)

    def geo(x, a, lmax=8):
        w = a ** np.arange(lmax)
        w = w / w.sum()
        out = np.zeros_like(x)
        for lag in range(lmax):
            out[lag:] += w[lag] * x[: len(x) - lag]
        return out

    def logi(x, lam):
        return (1 - np.exp(-lam * x)) / (1 + np.exp(-lam * x))

    s1, s2 = logi(geo(x1, 0.4), 4.0), logi(geo(x2, 0.2), 3.0)
    doy = d["date_week"].dt.dayofyear.to_numpy()
    trend = (np.linspace(0, 50, n) + 10) ** 0.25 - 1
    seas = 0.5 * (-np.sin(4 * np.pi * doy / 365.5) + np.cos(2 * np.pi * doy / 365.5))
    e1 = (d["date_week"] == "2019-05-13").astype(float).to_numpy()
    e2 = (d["date_week"] == "2020-09-14").astype(float).to_numpy()
    eps = rng.normal(0, 0.25, n)
    y = 1000 * (2 + trend + seas + 1.5 * e1 + 2.5 * e2 + 3 * s1 + 2 * s2 + eps)
    assert np.allclose(x1, d["x1"]) and np.allclose(y, d["y"]), "the example file is not the one seed 327 makes"
    return {
        "data": d,
        "alpha": {"x1": 0.4, "x2": 0.2},
        "lam_raw": {"x1": 4.0, "x2": 3.0},
        "lam_scaled": {"x1": 4.0 * d["x1"].max(), "x2": 3.0 * d["x2"].max()},
        "contribution": {"x1": 3000 * s1, "x2": 2000 * s2},
    }


def contribution_errors(est: dict, truth: dict) -> dict:
    out = {}
    for c, t in truth.items():
        e = np.asarray(est[c])
        out[c] = {
            "total_relative_error": float(abs(e.sum() - t.sum()) / t.sum()),
            "weekly_mae": float(np.mean(np.abs(e - t))),
            "weekly_mape_of_nonzero": float(np.mean(np.abs(e - t)[t > 1] / t[t > 1])),
        }
    return out


# ---------------------------------------------------------------------------------------------- pymc
def pymc_fit(df, date_col, target, channels, controls, *, sampler="numpyro", seed=0):
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    t0 = time.perf_counter()
    mmm = MMM(
        date_column=date_col,
        channel_columns=channels,
        control_columns=controls,
        adstock=GeometricAdstock(l_max=8),
        saturation=LogisticSaturation(),
        yearly_seasonality=2,
    )
    X = df.drop(columns=[target])
    idata = mmm.fit(X, df[target], chains=4, nuts_sampler=sampler, random_seed=seed, progressbar=False)
    secs = time.perf_counter() - t0
    post = idata.posterior
    contrib = post["channel_contribution_original_scale"].stack(s=("chain", "draw")).transpose("s", ...).values
    div = int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else None
    import arviz as az

    rhat = az.rhat(idata, var_names=["adstock_alpha", "saturation_lam", "saturation_beta", "intercept", "y_sigma"])
    ess = az.ess(idata, var_names=["adstock_alpha", "saturation_lam", "saturation_beta", "intercept", "y_sigma"])
    rmax = float(max(float(rhat[v].max()) for v in rhat.data_vars))
    emin = float(min(float(ess[v].min()) for v in ess.data_vars))
    res = {"seconds": secs, "sampler": sampler, "r_hat_max": rmax, "ess_bulk_min": emin, "divergences": div}
    for i, c in enumerate(channels):
        a = post["adstock_alpha"].sel(channel=c).values.ravel()
        lam = post["saturation_lam"].sel(channel=c).values.ravel()
        spend = df[c].sum()
        roi = contrib[:, :, i].sum(axis=1) / spend
        res[c] = {
            k: {
                "median": float(np.median(v)),
                "mean": float(v.mean()),
                "interval_90": [float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95))],
            }
            for k, v in (("adstock_alpha", a), ("saturation_lam", lam), ("roi", roi))
        }
        res[c]["contribution_mean"] = contrib[:, :, i].mean(axis=0).tolist()
    return res


# ---------------------------------------------------------------------------------------------- nomagic
def nomagic_fit(df, date_col, target, channels, controls, *, inference="laplace", seed=0):
    from nomagic.usecases.budget.model import MMM

    t0 = time.perf_counter()
    m = MMM(
        channels,
        date=date_col,
        target=target,
        controls=controls,
        adstock="geometric",
        saturation="logistic",
        l_max=8,
        yearly_seasonality=2,
        trend=False,
        inference=inference,
        seed=seed,
    ).fit(df)
    secs = time.perf_counter() - t0
    contrib = m.contrib_draws_.mean(axis=0)
    res = {"seconds": secs, "inference": inference, "diagnostics": _plain(m.diagnostics_)}
    for i, c in enumerate(channels):
        p = m.params_[c]
        res[c] = {
            k: {
                "median": p[k]["value"],
                "mean": p[k]["mean"],
                "mode": p[k]["mode"],
                "interval_90": p[k]["interval_90"],
            }
            for k in ("adstock_alpha", "saturation_lam")
        }
        res[c]["roi"] = {"median": p["roi"]["value"], "mean": p["roi"]["mean"], "interval_90": p["roi"]["interval_90"]}
        res[c]["contribution_mean"] = contrib[i].tolist()
    return res


def _plain(d: dict) -> dict:
    return {k: v for k, v in d.items() if not isinstance(v, np.ndarray)}


def _strip(res: dict, channels) -> dict:
    return {
        k: ({kk: vv for kk, vv in v.items() if kk != "contribution_mean"} if k in channels else v)
        for k, v in res.items()
    }


def part_pymc_example(skip_pymc: bool) -> dict:
    truth = pymc_example_truth()
    d = truth["data"]
    ch, ctl = ["x1", "x2"], ["event_1", "event_2", "t"]
    out: dict = {"truth": {"adstock_alpha": truth["alpha"], "saturation_lam_scaled": truth["lam_scaled"]}}
    nm = nomagic_fit(d, "date_week", "y", ch, ctl)
    nm = nomagic_fit(d, "date_week", "y", ch, ctl)  # second run: no import / first-call costs
    fits = {"nomagic": nm}
    if _has_numpyro():
        fits["nomagic_nuts"] = nomagic_fit(d, "date_week", "y", ch, ctl, inference="nuts")
    if not skip_pymc:
        fits["pymc_marketing"] = pymc_fit(d, "date_week", "y", ch, ctl)
        # the same sampler with another seed: how often "at least as good" flips by Monte-Carlo noise alone
        fits["pymc_marketing_seed1"] = pymc_fit(d, "date_week", "y", ch, ctl, seed=1)
    for name, res in fits.items():
        out[name] = _strip(res, ch)
        out[name]["contribution_errors"] = contribution_errors(
            {c: res[c]["contribution_mean"] for c in ch}, truth["contribution"]
        )
        # like with like: posterior mean against posterior mean (and median against median)
        out[name]["parameter_abs_errors"] = {s: _param_errors(res, truth, s) for s in ("mean", "median")}
        if "mode" in res[ch[0]]["saturation_lam"]:
            out[name]["parameter_abs_errors"]["mode"] = _param_errors(res, truth, "mode")
    if "pymc_marketing" in fits:
        pm = fits["pymc_marketing"]
        out["speedup"] = pm["seconds"] / nm["seconds"]
        out["targets"] = {"speedup_at_least_5x": bool(out["speedup"] >= 5)}
        pe, ppar = out["pymc_marketing"]["contribution_errors"], out["pymc_marketing"]["parameter_abs_errors"]["mean"]
        for name in [k for k in fits if k != "pymc_marketing"]:
            ne, npar = out[name]["contribution_errors"], out[name]["parameter_abs_errors"]["mean"]
            out["targets"][name] = {
                "contribution_total_at_least_as_good": {
                    c: bool(ne[c]["total_relative_error"] <= pe[c]["total_relative_error"]) for c in ch
                },
                "contribution_weekly_mae_at_least_as_good": {
                    c: bool(ne[c]["weekly_mae"] <= pe[c]["weekly_mae"]) for c in ch
                },
                "posterior_mean_parameters_at_least_as_good": {k: bool(npar[k] <= ppar[k]) for k in npar},
            }
            t = out["targets"][name]
            out["targets"][name]["all_met"] = all(v for part in t.values() for v in part.values())
        # how far apart the two libraries' posterior means are, in PyMC-Marketing posterior sds
        # (a 90 % interval is about 3.29 sd wide)
        gap = {}
        for name in [k for k in fits if k != "pymc_marketing"]:
            gap[name] = {
                f"{c}.{k}": abs(fits[name][c][k]["mean"] - pm[c][k]["mean"])
                / ((pm[c][k]["interval_90"][1] - pm[c][k]["interval_90"][0]) / 3.29)
                for c in ch
                for k in ("adstock_alpha", "saturation_lam")
            }
        out["targets"]["mean_gap_in_pymc_posterior_sd"] = gap
        out["targets"]["truth_inside_every_90_interval"] = {
            name: all(
                fits[name][c][k]["interval_90"][0] <= tv[c] <= fits[name][c][k]["interval_90"][1]
                for c in ch
                for k, tv in (("adstock_alpha", truth["alpha"]), ("saturation_lam", truth["lam_scaled"]))
            )
            for name in fits
        }
    return out


def _param_errors(res, truth, key) -> dict:
    out = {}
    for c in ("x1", "x2"):
        out[f"{c}.adstock_alpha"] = abs(res[c]["adstock_alpha"][key] - truth["alpha"][c])
        out[f"{c}.saturation_lam"] = abs(res[c]["saturation_lam"][key] - truth["lam_scaled"][c])
    return out


def _has_numpyro() -> bool:
    try:
        import numpyro  # noqa: F401
    except ImportError:
        return False
    return True


def robyn_frame() -> tuple[pd.DataFrame, list[str], list[str]]:
    d = pd.read_csv(DATA / "robyn" / "dt_simulated_weekly.csv", parse_dates=["DATE"])
    ch = ["tv_S", "ooh_S", "print_S", "facebook_S", "search_S"]
    ev = pd.get_dummies(d["events"].fillna("na"), prefix="event", dtype=float)
    ev = ev.drop(columns=[c for c in ev.columns if c == "event_na"])
    df = pd.concat([d[["DATE", "revenue", *ch, "competitor_sales_B", "newsletter"]], ev], axis=1)
    df["t"] = np.arange(len(df), dtype=float) / (len(df) - 1)
    for c in ("competitor_sales_B", "newsletter"):  # PyMC-Marketing does not scale controls: give both the same
        df[c] = (df[c] - df[c].mean()) / df[c].std()  # standardised columns (nomagic standardises them anyway)
    ctl = ["competitor_sales_B", "newsletter", *ev.columns, "t"]
    return df, ch, ctl


def part_robyn(skip_pymc: bool) -> dict:
    df, ch, ctl = robyn_frame()
    out: dict = {"channels": ch, "controls": ctl}
    nm = nomagic_fit(df, "DATE", "revenue", ch, ctl)
    out["nomagic"] = _strip(nm, ch)
    if _has_numpyro():
        out["nomagic_nuts"] = _strip(nomagic_fit(df, "DATE", "revenue", ch, ctl, inference="nuts"), ch)
        dg = out["nomagic_nuts"]["diagnostics"]
        out["targets"] = {
            "nomagic_nuts_r_hat_below_1.01": bool(dg["r_hat_max"] < 1.01),
            "nomagic_nuts_no_divergences": dg["divergences"] == 0,
        }
    if not skip_pymc:
        pm = pymc_fit(df, "DATE", "revenue", ch, ctl)
        out["pymc_marketing"] = _strip(pm, ch)
        out["roi_side_by_side"] = {
            c: {
                "nomagic": nm[c]["roi"],
                **({"nomagic_nuts": out["nomagic_nuts"][c]["roi"]} if "nomagic_nuts" in out else {}),
                "pymc_marketing": pm[c]["roi"],
            }
            for c in ch
        }
    return out


def _lift_tests(wh, rec, seed: int, per: float):
    """Two lift tests from the true curves, as an experiment would measure them: the two largest channels,
    spend per period moved from today's average to 1.5x, the true steady-state lift plus noise with a
    standard error of 15 % of it (the size a region-split test of a few weeks typically gives)."""
    from nomagic.simulate.media import true_media
    from nomagic.usecases.budget.model import LiftTest

    truth = true_media(wh)
    a = rec["allocation"]
    rng = np.random.default_rng(1000 + seed)
    top = sorted(zip(a["current"], a["channels"], strict=True), reverse=True)[:2]
    out = []
    for x0, c in top:
        x1 = 1.5 * x0
        true = float(truth.response(c, x1, per) - truth.response(c, x0, per))
        se = 0.15 * abs(true)
        out.append(LiftTest(c, x0, x1, true + rng.normal(0.0, se), se))
    return out


def _gate_summary(rows: list[dict]) -> dict:
    """How often each gate promotes, and how the truth gate's parts came out."""
    checks = [r["roi_check"] for r in rows]
    dec = [c["decision"] for c in checks if c.get("decision")]
    promoted = [r["verdict"] == "promoted" for r in rows]
    old = [r["old_gate_mape_better"] for r in rows]
    return {
        "promoted_by_truth_gate": int(sum(promoted)),
        "promoted_by_old_mape_gate": int(sum(old)),
        "blocked_by_sanity": int(sum(r["roi_check"]["sanity"]["blocks"] for r in rows)),
        "roi_coverage_holds": int(sum(c["roi_coverage_holds"] for c in checks)),
        "ranking_agrees": int(sum(bool(c["ranking_agrees"]) for c in checks)),
        "decision_pays": int(sum(bool(c["decision_pays"]) for c in checks)),
        "rank_spearman_median": float(np.median([c["rank_spearman"] for c in checks])),
        "curve_error_mean_median": float(np.median([c["curve_error_mean"] for c in checks])),
        "share_of_best_proposed_mean": float(np.mean([d["share_of_best_proposed"] for d in dec])),
        "share_of_best_today_mean": float(np.mean([d["share_of_best_today"] for d in dec])),
        "promise_kept": int(sum(d["promise_kept"] for d in dec)),
        # the old gate's promotions that the truth does not support (and the other way round)
        "old_promoted_truth_not": int(sum(o and not p for o, p in zip(old, promoted, strict=True))),
        "truth_promoted_old_not": int(sum(p and not o for o, p in zip(old, promoted, strict=True))),
    }


def part_simulated(seeds: int, periods=("week", "day"), lift: bool = True) -> dict:
    from nomagic import connect
    from nomagic.simulate import simulate
    from nomagic.usecases.budget.usecase import Budget

    out: dict = {}
    for period in periods:
        rows = []
        for seed in range(seeds):
            wh = connect("duckdb://:memory:")
            simulate(wh, customers=10_000, days=730, seed=seed, start=date(2023, 1, 2))
            kw = {"period": "day", "l_max": 28, "holdout_weeks": 91} if period == "day" else {}
            t0 = time.perf_counter()
            tr = Budget(n_boot=200, **kw).train(wh)  # judged against the simulator's truth
            secs = time.perf_counter() - t0
            rec = tr.record
            per = 7.0 if period == "week" else 1.0
            check = rec["roi_check"]
            row = {
                "seed": seed,
                "seconds": secs,
                "verdict": rec["verdict"],
                "evidence": rec["evidence"],
                "old_gate_mape_better": check["sanity"]["better"],  # what the holdout-MAPE gate promoted
                "fit_verdict": rec["diagnostics"]["verdict"],
                "roi_check": {k: v for k, v in check.items() if k != "words"},
                "optimiser_share_of_true_optimum": (check["decision"] or {}).get("share_of_best_proposed"),
                "today_share_of_true_optimum": (check["decision"] or {}).get("share_of_best_today"),
            }
            if lift and period == "week":  # the same fit judged on held-out lift tests instead of the truth
                tests = _lift_tests(wh, rec, seed, per)
                lr = Budget(n_boot=200, judge_on_truth=False, lift_tests=tests, **kw).train(wh).record
                lc = lr["roi_check"]
                row["lift_tests"] = {
                    "verdict": lr["verdict"],
                    "evidence": lr["evidence"],
                    "passed": lc["passed"],
                    "p_value": lc["p_value"],
                    "inside_90": lc["inside_90"],
                    "n_tests": lc["n_tests"],
                    "tests": lc["tests"],
                }
            wh.close()
            rows.append(row)
            print(
                f"  {period} seed {seed}: {secs:.1f}s {rec['verdict']} (truth: coverage "
                f"{check['roi_inside_90']}/{check['roi_judged']}, rank {check['rank_spearman']:.2f}, optimiser "
                f"{row['optimiser_share_of_true_optimum']:.3f}; MAPE better: {row['old_gate_mape_better']})"
                + (f"; lift tests: {row['lift_tests']['verdict']}" if "lift_tests" in row else ""),
                flush=True,
            )
        inside = [v["inside"] for r in rows for v in r["roi_check"]["channels"].values()]
        share = [r["optimiser_share_of_true_optimum"] for r in rows]
        out[period] = {
            "seeds": seeds,
            "coverage_90": float(np.mean(inside)),
            "channels_judged": len(inside),
            "optimiser_share_min": float(np.min(share)),
            "optimiser_share_mean": float(np.mean(share)),
            "today_share_mean": float(np.mean([r["today_share_of_true_optimum"] for r in rows])),
            "seconds_median": float(np.median([r["seconds"] for r in rows])),
            "gate": _gate_summary(rows),
            "targets": {
                "coverage_at_least_85": float(np.mean(inside)) >= 0.85,
                "optimiser_at_least_95": float(np.min(share)) >= 0.95,
            },
            "runs": rows,
        }
        if any("lift_tests" in r for r in rows):
            lt = [(r["lift_tests"]["verdict"] == "promoted", r["verdict"] == "promoted") for r in rows]
            out[period]["lift_tests_gate"] = {
                "promoted": int(sum(a for a, _ in lt)),
                "agrees_with_truth_gate": int(sum(a == b for a, b in lt)),
                "tests_inside_90": int(sum(r["lift_tests"]["inside_90"] for r in rows)),
                "tests": int(sum(r["lift_tests"]["n_tests"] for r in rows)),
            }
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-pymc", action="store_true")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--parts", default="pymc_example,robyn,simulated")
    ap.add_argument("--periods", default="week,day")
    ap.add_argument("--no-lift", action="store_true", help="skip the lift-test gate of the simulated part")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    skip = args.skip_pymc
    if not skip:
        try:
            import pymc_marketing  # noqa: F401
        except ImportError:
            print("pymc-marketing is not installed here: running nomagic's parts only", flush=True)
            skip = True
    res: dict = {
        "command": " ".join([Path(sys.executable).as_posix(), "bench/budget.py", *(argv or sys.argv[1:])]),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }
    if not skip:
        import pymc_marketing

        res["machine"]["pymc_marketing"] = pymc_marketing.__version__
    out_path = Path(args.out)
    prev = json.loads(out_path.read_text()) if out_path.exists() else {}
    for part in args.parts.split(","):
        t0 = time.perf_counter()
        print(f"{part} ...", flush=True)
        if part == "pymc_example":
            res[part] = part_pymc_example(skip)
        elif part == "robyn":
            res[part] = part_robyn(skip)
        elif part == "simulated":
            res[part] = part_simulated(args.seeds, tuple(args.periods.split(",")), lift=not args.no_lift)
        res[part]["bench_seconds"] = time.perf_counter() - t0
        res[part]["command"] = res["command"]  # the parts of the file may come from different runs
        merged = {**prev, **res}
        out_path.write_text(json.dumps(merged, indent=2, default=float) + "\n")
        print(
            json.dumps({k: v for k, v in res[part].items() if k not in ("runs",)}, indent=1, default=float)[:3000],
            flush=True,
        )
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
