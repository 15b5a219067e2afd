"""Uplift benchmark: nomagic's automatically chosen learner next to scikit-uplift and causalml.

1. Hillstrom (../shared/data/hillstrom): Womens e-mail vs no e-mail and Mens e-mail vs no e-mail,
   target ``visit``, a 50/50 split stratified by treatment x visit (seed 42). Features: recency,
   history_segment, history, mens, womens, zip_code, newbie, channel (conversion and spend are
   outcomes and are left out). Qini AUC by scikit-uplift's ``qini_auc_score`` (the reference) for
   every contender, and nomagic's own implementation next to it. Anchors: scikit-uplift's
   SoloModel, ClassTransformation and TwoModels over LightGBM (defaults) and logistic regression
   (defaults, one-hot features), and causalml's X-learner over LightGBM. Paired bootstrap CIs
   (stratified by treatment) for nomagic minus the best anchor.
2. The simulated world: share of the oracle's incremental conversions (true effects known) that
   the uplift policy and response targeting reach when contacting the top 30 % of test messages.

Run: ``python bench/uplift.py [--seeds 1]``; writes bench/results/uplift.json.
Needs (bench only): scikit-uplift, causalml.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "hillstrom" / "hillstrom.csv"
OUT = ROOT / "bench" / "results" / "uplift.json"
FEATURES = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie", "channel"]


def anchors(Xtr, ttr, ytr, Xte):
    from causalml.inference.meta import BaseXClassifier
    from lightgbm import LGBMClassifier, LGBMRegressor
    from sklearn.linear_model import LogisticRegression
    from sklift.models import ClassTransformation, SoloModel, TwoModels

    D = pd.get_dummies(pd.concat([Xtr, Xte]), dtype=float)
    D.columns = [f"f{i}" for i in range(D.shape[1])]  # LightGBM refuses some characters in names
    Dtr, Dte = D.iloc[: len(Xtr)], D.iloc[len(Xtr) :]
    out = {}
    bases = {"lightgbm": lambda: LGBMClassifier(verbose=-1), "logistic": lambda: LogisticRegression(max_iter=3000)}
    for bname, mk in bases.items():
        for name, model in (
            ("sklift_solo", lambda mk=mk: SoloModel(mk())),
            ("sklift_class_transformation", lambda mk=mk: ClassTransformation(mk())),
            ("sklift_two_models", lambda mk=mk: TwoModels(mk(), mk(), method="vanilla")),
        ):
            t0 = time.perf_counter()
            u = model().fit(Dtr, ytr, ttr).predict(Dte)
            out[f"{name}_{bname}"] = (np.asarray(u, dtype=float), time.perf_counter() - t0)
    t0 = time.perf_counter()
    x = BaseXClassifier(outcome_learner=LGBMClassifier(verbose=-1), effect_learner=LGBMRegressor(verbose=-1))
    x.fit(Dtr.to_numpy(), ttr, ytr)
    u = x.predict(Dte.to_numpy(), p=np.full(len(Dte), ttr.mean())).ravel()
    out["causalml_x_learner_lightgbm"] = (u, time.perf_counter() - t0)
    return out


def hillstrom(arm: str, n_boot: int) -> dict:
    from sklearn.model_selection import train_test_split
    from sklift.metrics import qini_auc_score

    from nomagic.usecases.uplift.evaluate import evaluate_frames
    from nomagic.usecases.uplift.metrics import bootstrap_uplift, qini_auc

    df = pd.read_csv(DATA)
    d = df[df.segment.isin([arm, "No E-Mail"])].reset_index(drop=True)
    t = (d.segment == arm).astype(int).to_numpy()
    y = d.visit.to_numpy()
    X = d[FEATURES]
    itr, ite = train_test_split(np.arange(len(d)), test_size=0.5, stratify=t * 2 + y, random_state=42)
    t0 = time.perf_counter()
    ev = evaluate_frames(
        X.iloc[itr],
        t[itr],
        y[itr],
        X.iloc[ite],
        t[ite],
        y[ite],
        data={"source": str(DATA), "fingerprint": None, "rows": len(d)},
        split={"kind": "stratified-split"},
        n_boot=n_boot,
        seed=0,
    )
    fit_s = time.perf_counter() - t0
    u = ev.test["uplift"].to_numpy()
    res = {
        "nomagic": {
            "learner": ev.record["model"]["description"],
            "qini_auc_sklift": round(float(qini_auc_score(y[ite], u, t[ite])), 4),
            "qini_auc_nomagic": round(qini_auc(y[ite], u, t[ite]), 4),
            "record_qini_auc": ev.record["metrics"]["model"]["qini_auc"],
            "seconds": round(fit_s, 1),
            "note": "seconds include the learner choice (16 candidates x 3 folds x 2 repeats) and the bootstrap",
        },
        "nomagic_baseline_response_targeting": ev.record["metrics"]["baseline"]["qini_auc"],
    }
    scores = {}
    for name, (ua, sec) in anchors(X.iloc[itr], t[itr], y[itr], X.iloc[ite]).items():
        scores[name] = ua
        res[name] = {"qini_auc_sklift": round(float(qini_auc_score(y[ite], ua, t[ite])), 4), "seconds": round(sec, 1)}
    best = max(scores, key=lambda k: res[k]["qini_auc_sklift"])
    paired = bootstrap_uplift(
        y[ite],
        t[ite],
        {"nomagic": u, "best": scores[best]},
        metrics=("qini_auc",),
        n_boot=n_boot,
        seed=0,
        pair=("nomagic", "best"),
    )
    res["best_anchor"] = best
    res["nomagic_minus_best_anchor"] = paired["improvement"]["qini_auc"]
    res["meets_target"] = res["nomagic"]["qini_auc_sklift"] >= res[best]["qini_auc_sklift"]
    return res


def simulated(seed: int, customers: int, days: int) -> dict:
    from nomagic.simulate import simulate
    from nomagic.usecases.uplift import Uplift
    from nomagic.warehouse import connect

    with tempfile.TemporaryDirectory() as tmp, connect(str(Path(tmp) / "w.duckdb")) as wh:
        simulate(wh, customers=customers, days=days, seed=seed)
        t0 = time.perf_counter()
        ev = Uplift().evaluate(wh)
        secs = time.perf_counter() - t0
        ids = wh.table("messages").select("message_id", "customer_id", "campaign_id").execute()
        tau = wh.table("truth_uplift").select("message_id", "tau").execute()
        ceiling = information_ceiling(Uplift(), wh, ids, tau)
        truth = wh.table("truth_customers").select("customer_id", "email_affinity", "dropout_score").execute()
        active = wh.table("truth_uplift").select("message_id", "active").execute()
        with_truth = {
            name: information_ceiling(Uplift(), wh, ids, tau, extra=extra)
            for name, extra in (
                ("active", (active, "message_id", ["active"])),
                ("email_affinity", (truth, "customer_id", ["email_affinity"])),
                ("dropout_score", (truth, "customer_id", ["dropout_score"])),
            )
        }
    te = ev.test.merge(ids, on=["customer_id", "campaign_id"]).merge(tau, on="message_id")

    def share(col: str, budget: float) -> float:
        k = int(budget * len(te))
        return round(float(te.nlargest(k, col)["tau"].sum() / te.nlargest(k, "tau")["tau"].sum()), 4)

    budgets = (0.1, 0.3, 0.5)
    positive = te.loc[te["uplift"] > 0, "tau"].sum() / te.loc[te["tau"] > 0, "tau"].sum()
    return {
        "seed": seed,
        "test_messages": len(te),
        "learner": ev.record["model"]["description"],
        "verdict": ev.record["verdict"],
        "qini_auc": ev.record["metrics"]["model"]["qini_auc"],
        "baseline_qini_auc": ev.record["metrics"]["baseline"]["qini_auc"],
        "oracle_share_uplift_policy": share("uplift", 0.3),
        "oracle_share_response_targeting": share("response", 0.3),
        "oracle_share_random": round(
            float(0.3 * te["tau"].sum() / te.nlargest(int(0.3 * len(te)), "tau")["tau"].sum()), 4
        ),
        "oracle_share_by_budget": {
            f"{b:.0%}": {"uplift": share("uplift", b), "response": share("response", b)} for b in budgets
        },
        "oracle_share_contact_if_positive": round(float(positive), 4),
        "seconds": round(secs, 1),
        "information_ceiling_30": ceiling,
        "information_ceiling_30_with_hidden_truth": with_truth,
        "information_ceiling_note": "share reached by a LightGBM regression of the TRUE effects on the same features "
        "(trained on the training period's truth; a cheat no real model has): what these features can tell at best; "
        "with_hidden_truth: the same with one hidden variable of the simulator added as a feature (whether the "
        "customer is still active, their e-mail affinity, their dropout score) -- where the missing information lies",
    }


def information_ceiling(uc, wh, ids, tau, extra=None) -> float:
    import lightgbm as lgb

    a, b, c = uc.split_dates(wh)
    frames = []
    for lo, hi in ((a, b), (b, c)):
        f = uc.frame(wh, lo, hi).merge(ids, on=["customer_id", "campaign_id"]).merge(tau, on="message_id")
        if extra is not None:
            f = f.merge(extra[0][[extra[1], *extra[2]]], on=extra[1])
        frames.append(f)
    tr, te = frames
    cols = [x for x in uc.feature_columns(tr) if x not in ("message_id", "tau")]
    for x in cols:
        if tr[x].dtype == bool:
            tr[x], te[x] = tr[x].astype(int), te[x].astype(int)
    for x in cols:
        if not pd.api.types.is_numeric_dtype(tr[x]):
            tr[x] = tr[x].astype("category")
            te[x] = pd.Categorical(te[x], categories=tr[x].cat.categories)
    m = lgb.LGBMRegressor(verbose=-1, n_estimators=300, learning_rate=0.05).fit(tr[cols], tr["tau"])
    te["pred"] = m.predict(te[cols])
    k = int(0.3 * len(te))
    return round(float(te.nlargest(k, "pred")["tau"].sum() / te.nlargest(k, "tau")["tau"].sum()), 4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--bootstrap", type=int, default=500)
    a = ap.parse_args()
    import causalml  # noqa: F401  (fail early when the anchors are missing)
    import sklift

    from nomagic import __version__

    out = {
        "benchmark": "uplift",
        "versions": {"nomagic": __version__, "scikit-uplift": sklift.__version__, "python": platform.python_version()},
        "hillstrom": {
            "split": {"kind": "stratified-split", "test_share": 0.5, "stratify": "treatment x visit", "seed": 42},
            "target": "nomagic >= the best anchor's Qini AUC (scikit-uplift's qini_auc_score)",
        },
    }
    for arm in ("Womens E-Mail", "Mens E-Mail"):
        out["hillstrom"][arm] = hillstrom(arm, a.bootstrap)
        print(
            arm,
            json.dumps(
                {
                    k: v
                    for k, v in out["hillstrom"][arm].items()
                    if k in ("nomagic", "best_anchor", "nomagic_minus_best_anchor")
                }
            ),
        )
    sims = [simulated(s, a.customers, a.days) for s in range(a.seeds)]
    out["simulated"] = {
        "customers": a.customers,
        "days": a.days,
        "target": "uplift policy >= 90% of the oracle's incremental conversions (top 30% of test messages)",
        "runs": sims,
        "median_oracle_share": float(np.median([s["oracle_share_uplift_policy"] for s in sims])),
    }
    print(json.dumps(out["simulated"], indent=1))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
