"""Judge recommenders honestly: temporal split, full-catalogue ranking, every model next to popularity.

Protocol
--------
* **Test split**: train = interactions up to the 80th percentile of times; test = later interactions of
  users known in train, minus the items they already have in train (or a given test table).
* **Validation split**: the same rule applied inside the training period only; the hyperparameters
  (EASE lambda, item-kNN k and shrinkage, the time-decay half-life) are chosen there by NDCG@10, then the
  chosen model is refitted on the whole training period and judged once on the test period.
* **Ranking**: over the whole catalogue, the user's train items excluded; never sampled negatives.
* **Metrics**: ``ndcg@10`` (primary), ``recall@10``, ``novelty@10``, ``coverage@10`` (and ``@20``), paired
  bootstrap 95% intervals over test users for the model, popularity and the difference.
* **Gate**: *promoted* only when the lower end of the interval of the NDCG@10 improvement is above 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.lifecycle.gate import NOT_BETTER, NOT_READY, PROMOTED
from nomagic.lifecycle.record import fingerprint_frame, make_record
from nomagic.usecases.recommend.data import Interactions, Split, temporal_split
from nomagic.usecases.recommend.metrics import bootstrap, ndcg_at_k, user_metrics
from nomagic.usecases.recommend.models import EASE, ItemKNN, Popularity, top_n

__all__ = ["GRID", "METRICS", "PRIMARY", "RecommendEvaluation", "evaluate", "evaluate_split", "make_model", "tune"]

Progress = Callable[[float, str], None]
PRIMARY = "ndcg@10"
KS = (10, 20)
#: name -> (higher is better, words)
METRICS: dict[str, tuple[bool, str]] = {
    "ndcg@10": (True, "NDCG@10: held-out items near the top of the 10 recommended, 1 = all at the top"),
    "recall@10": (True, "Recall@10: share of the held-out items among the 10 recommended"),
    "coverage@10": (True, "share of the catalogue recommended to at least one user"),
    "novelty@10": (True, "mean self-information of recommended items (higher = less obvious)"),
    "ndcg@20": (True, "NDCG@20"),
    "recall@20": (True, "Recall@20"),
}
#: half-lives as fractions of the training span (None = no decay)
HALF_LIVES = (None, 0.05, 0.1, 0.2)
GRID: dict[str, list[dict]] = {
    "ease": [{"lam": lam, "half_life": h} for lam, h in product((25, 50, 100, 200, 500, 1000, 2000), HALF_LIVES)],
    "item_knn": [
        {"k": k, "shrink": s, "half_life": h} for k, s, h in product((50, 100, 200, 400), (0, 10, 50), HALF_LIVES)
    ],
}
MIN_TEST_USERS = 10


def make_model(kind: str, params: dict):
    p = {k: v for k, v in params.items() if k != "half_life"}
    if kind == "ease":
        return EASE(**p)
    if kind == "item_knn":
        return ItemKNN(**p)
    if kind == "popularity":
        return Popularity()
    raise InputError(f"unknown recommender {kind!r}; use ease, item_knn or popularity")


def _matrix(train: Interactions, half_life: float | None):
    if not half_life:
        return train.matrix()
    span = float(train.times.max() - train.times.min()) or 1.0
    return train.matrix(half_life=half_life * span)


def rank(model, train: Interactions, half_life, users: np.ndarray, n: int, exclude=None) -> np.ndarray:
    """Top ``n`` items for ``users`` (codes); the users' train items excluded."""
    Xw = _matrix(train, half_life)
    X = train.matrix() if exclude is None else exclude
    out = np.empty((len(users), n), dtype=np.int64)
    for s in range(0, len(users), 2048):
        u = users[s : s + 2048]
        out[s : s + len(u)] = top_n(model.scores(Xw[u]), n, X[u])[0]
    return out


def _fit_score(kind: str, params: dict, split: Split, k: int = 10) -> np.ndarray:
    """Per-user validation NDCG@k."""
    users = split.test_users
    X = _matrix(split.train, params.get("half_life"))
    model = make_model(kind, params).fit(X)
    rec = rank(model, split.train, params.get("half_life"), users, k)
    return ndcg_at_k(rec, split.test[users], k)


def tune(
    train: Interactions,
    kinds=("ease", "item_knn"),
    quantile: float = 0.8,
    progress: Progress | None = None,
    grid: dict | None = None,
):
    """Choose each kind's hyperparameters by validation NDCG@10 on a split carved from ``train`` by the same rule.

    Validation sets can be small (MovieLens 100k: about 100 users); the standard error of the best value is
    recorded so that the noise of the choice is visible.

    Returns ``{kind: {"params": best, "validation_ndcg@10": value, "tried": n}}``.
    """
    GRID_ = {**GRID, **(grid or {})}
    val = temporal_split(train, quantile)
    if len(val.test_users) < MIN_TEST_USERS:
        return {kind: {"params": GRID_[kind][0], "validation_ndcg@10": None, "tried": 0} for kind in kinds}
    out = {}
    total = sum(len(GRID_[k]) for k in kinds)
    done = 0
    for kind in kinds:
        vals = []
        for params in GRID_[kind]:
            vals.append(_fit_score(kind, params, val))
            done += 1
            if progress:
                progress(done / total, f"tuning {kind}")
        means = np.array([v.mean() for v in vals])
        top = int(means.argmax())
        se = float(vals[top].std(ddof=1) / np.sqrt(len(vals[top])))
        out[kind] = {
            "params": GRID_[kind][top],
            "validation_ndcg@10": float(means[top]),
            "standard_error": se,
            "tried": len(GRID_[kind]),
        }
    out["popularity"] = {"validation_ndcg@10": float(_fit_score("popularity", {}, val).mean())}
    out["validation"] = {"cutoff": val.cutoff, "users": int(len(val.test_users)), "interactions": len(val.train)}
    return out


@dataclass
class RecommendEvaluation:
    record: dict
    model: object = None
    half_life: float | None = None
    per_user: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return self.record["verdict"]


def _words(kind: str, params: dict) -> str:
    m = make_model(kind, params).describe()
    h = params.get("half_life")
    return m + (f", time-decayed weights (half-life {h:g} of the training span)" if h else "")


def _f(m: dict) -> str:
    lo, hi = m["ci"]
    return f"{m['value']:.3f} [{lo:.3f}, {hi:.3f}]" if lo is not None else f"{m['value']:.3f}"


def evaluate_split(
    split: Split,
    *,
    kinds=("ease", "item_knn"),
    n_boot: int = 1000,
    seed: int = 0,
    data: dict | None = None,
    grid: dict | None = None,
    progress: Progress | None = None,
) -> RecommendEvaluation:
    """Tune on validation (inside train), fit the best of ``kinds`` on train, judge it against popularity.

    ``grid`` replaces the search grid of a kind (``{"ease": [{"lam": 200, "half_life": None}, ...]}``)."""
    tick = progress or (lambda f, m: None)
    tr = split.train
    users = split.test_users
    split_info = {
        "kind": "temporal",
        "quantile": split.quantile,
        "cutoff": split.cutoff,
        "train_interactions": len(tr),
        "test_users": int(len(users)),
        "test_interactions": int(split.test.nnz),
        "users": tr.n_users,
        "items": tr.n_items,
        "ranking": "full catalogue, the user's train items excluded",
        "validation": "same rule inside the training period",
    }
    if len(users) < MIN_TEST_USERS:
        rec = make_record(
            use_case="recommend",
            data=data or {},
            split=split_info,
            primary_metric=PRIMARY,
            metrics={},
            verdict=NOT_READY,
            explanation=f"only {len(users)} users have later interactions to predict; at least {MIN_TEST_USERS} needed",
        )
        return RecommendEvaluation(rec)
    tuned = tune(tr, kinds, progress=lambda f, m: tick(0.7 * f, m), grid=grid)
    chosen = max(kinds, key=lambda k: tuned[k]["validation_ndcg@10"] or -1.0)
    params = tuned[chosen]["params"]
    tick(0.72, f"fitting {chosen}")
    t0 = time.perf_counter()
    model = make_model(chosen, params).fit(_matrix(tr, params.get("half_life")))
    fit_s = time.perf_counter() - t0
    base = Popularity().fit(tr.matrix())
    n = max(KS)
    rec_m = rank(model, tr, params.get("half_life"), users, n)
    rec_b = rank(base, tr, None, users, n)
    X = tr.matrix()
    share = np.asarray((X > 0).sum(axis=0)).ravel() / max(len(np.unique(tr.users)), 1)
    share = np.where(share > 0, share, 1.0 / (tr.n_users + 1))
    T = split.test[users]
    um, ub = user_metrics(rec_m, T, share, KS), user_metrics(rec_b, T, share, KS)
    tick(0.8, "bootstrap intervals")
    metrics = bootstrap(um, ub, rec_m, rec_b, tr.n_items, KS, n_boot=n_boot, seed=seed)
    alternatives = {}
    for kind in kinds:
        if kind == chosen:
            continue
        p = tuned[kind]["params"]
        alt = make_model(kind, p).fit(_matrix(tr, p.get("half_life")))
        ra = rank(alt, tr, p.get("half_life"), users, n)
        ua = user_metrics(ra, T, share, KS)
        alternatives[kind] = {k: float(v.mean()) for k, v in ua.items()} | {"params": p}
    imp = metrics["improvement"][PRIMARY]
    verdict = PROMOTED if imp["ci"][0] is not None and imp["ci"][0] > 0 else NOT_BETTER
    words = _words(chosen, params)
    mm, bb = metrics["model"][PRIMARY], metrics["baseline"][PRIMARY]
    if verdict == PROMOTED:
        expl = (
            f"{words} beats popularity on the later interactions of {len(users):,} users: NDCG@10 {_f(mm)} against "
            f"{_f(bb)}, an improvement of {_f(imp)} (95% interval above zero), so it is promoted."
        )
    else:
        expl = (
            f"{words} is not surely better than recommending the most popular items: NDCG@10 {_f(mm)} against "
            f"{_f(bb)}, improvement {_f(imp)} (the interval reaches zero or below); keep the popularity list."
        )
    expl += (
        " Hyperparameters were chosen on a validation split inside the training period; the test period was used once."
    )
    record = make_record(
        use_case="recommend",
        data=data or {},
        split=split_info,
        primary_metric=PRIMARY,
        metrics=metrics,
        verdict=verdict,
        explanation=expl,
        params={"model": chosen, **params},
        model={"kind": chosen, "words": words, "fit_seconds": fit_s},
        baseline={"kind": "popularity", "words": "the most popular items (users with an interaction), same for all"},
        tuning=tuned,
        alternatives=alternatives,
        bootstrap={"resamples": n_boot, "seed": seed, "unit": "user"},
    )
    return RecommendEvaluation(record, model, params.get("half_life"), {"model": um, "baseline": ub})


def evaluate(
    df: pd.DataFrame,
    user: str,
    item: str,
    time_col: str,
    test: pd.DataFrame | None = None,
    *,
    quantile: float = 0.8,
    kinds=("ease", "item_knn"),
    n_boot: int = 1000,
    seed: int = 0,
    grid: dict | None = None,
    source: str | None = None,
    fingerprint: str | None = None,
    progress: Progress | None = None,
) -> RecommendEvaluation:
    """Evaluate on an interaction table (one row per user-item interaction).

    Without ``test`` the last 20% of the time span (by the ``quantile`` of times) is held out; with ``test``,
    ``df`` is all train and ``test`` holds the later interactions to predict.

    Examples
    --------
    >>> ev = evaluate(frame, "user", "item", "time", n_boot=200)  # doctest: +SKIP
    >>> ev.record["metrics"]["model"]["ndcg@10"]  # doctest: +SKIP
    """
    if test is not None:
        for col in (user, item, time_col):
            if col not in test.columns:
                raise InputError(f"the test table has no column {col!r}")
        both = pd.concat([df[[user, item, time_col]], test[[user, item, time_col]]], ignore_index=True)
        mask = np.r_[np.zeros(len(df), bool), np.ones(len(test), bool)]
    else:
        both, mask = df, None
    x = Interactions.from_frame(both, user, item, time_col)
    if mask is not None:
        mask = mask[both[[user, item, time_col]].notna().all(axis=1).to_numpy()]
    split = temporal_split(x, quantile, test_mask=mask)
    data = {
        "source": source,
        "fingerprint": fingerprint or fingerprint_frame(df),
        "rows": int(len(df) + (0 if test is None else len(test))),
        "users": x.n_users,
        "items": x.n_items,
    }
    return evaluate_split(split, kinds=kinds, n_boot=n_boot, seed=seed, data=data, progress=progress, grid=grid)
