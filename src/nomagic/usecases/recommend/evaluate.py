"""Judge recommenders honestly: temporal split, full-catalogue ranking, every model next to popularity.

Protocol
--------
* **Test split**: train = interactions up to the 80th percentile of times; test = later interactions of
  users known in train, minus the items they already have in train (or a given test table).
* **Validation splits**: the same rule applied inside the training period only, at several cutoffs
  (:data:`VALIDATION_QUANTILES` of the training times); the hyperparameters (EASE lambda, item-kNN k and
  shrinkage, the time-decay half-life, the weight and half-life of the blend with recent popularity) and the
  model kind are chosen there by NDCG@10 averaged over the cutoffs, then the chosen model is refitted on the
  whole training period and judged once on the test period.
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
from nomagic.usecases.recommend.models import EASE, ItemKNN, Popularity, RecencyBlend, blend_scores, top_n
from nomagic.words import Text, number, say

__all__ = [
    "GRID",
    "METRICS",
    "PRIMARY",
    "VALIDATION_QUANTILES",
    "RecommendEvaluation",
    "evaluate",
    "evaluate_split",
    "fit_model",
    "make_model",
    "tune",
]

Progress = Callable[[float, str], None]
PRIMARY = "ndcg@10"
KS = (10, 20)
#: name -> (higher is better, words)
METRICS: dict[str, tuple[bool, str]] = {
    "ndcg@10": (
        True,
        say(
            "NDCG@10: held-out items near the top of the 10 recommended, 1 = all at the top",
            "NDCG@10: zurückgehaltene Artikel weit oben unter den 10 empfohlenen, 1 = alle ganz oben",
        ),
    ),
    "recall@10": (
        True,
        say(
            "Recall@10: share of the held-out items among the 10 recommended",
            "Recall@10: Anteil der zurückgehaltenen Artikel unter den 10 empfohlenen",
        ),
    ),
    "coverage@10": (
        True,
        say(
            "share of the catalogue recommended to at least one user",
            "Anteil des Katalogs, der mindestens einem Nutzer empfohlen wird",
        ),
    ),
    "novelty@10": (
        True,
        say(
            "mean self-information of recommended items (higher = less obvious)",
            "mittlerer Informationsgehalt der empfohlenen Artikel (höher = weniger naheliegend)",
        ),
    ),
    "ndcg@20": (True, Text("NDCG@20", "NDCG@20")),
    "recall@20": (True, Text("Recall@20", "Recall@20")),
}
#: half-lives as shares of the training span (None = no decay)
HALF_LIVES = (None, 0.1, 0.2, 0.4)
#: blends with recent popularity: weight 0 = the item model alone; half-lives as shares of the training span
RECENT: tuple[dict, ...] = ({"recent": 0.0},) + tuple(
    {"recent": w, "recent_half_life": h} for w, h in product((0.3, 0.5, 0.7, 0.9), (0.01, 0.02, 0.05))
)
GRID: dict[str, list[dict]] = {
    "ease": [
        {"lam": lam, "half_life": h, **r} for lam, h, r in product((10, 25, 50, 100, 250, 1000), HALF_LIVES, RECENT)
    ],
    "item_knn": [
        {"k": k, "shrink": s, "half_life": h, **r}
        for k, s, h, r in product((50, 200, 400), (10, 50), HALF_LIVES, RECENT)
    ],
}
#: validation cutoffs: the split rule applied inside the training period at these quantiles of its times
VALIDATION_QUANTILES = (0.7, 0.75, 0.8, 0.85, 0.9)
MIN_TEST_USERS = 10
_BLEND_KEYS = ("recent", "recent_half_life")


def make_model(kind: str, params: dict):
    """An unfitted model of ``kind``; a ``recent`` weight above 0 wraps it in :class:`RecencyBlend`."""
    p = {k: v for k, v in params.items() if k != "half_life" and k not in _BLEND_KEYS}
    if kind == "ease":
        m = EASE(**p)
    elif kind == "item_knn":
        m = ItemKNN(**p)
    elif kind == "popularity":
        return Popularity()
    else:
        raise InputError(
            say(
                "unknown recommender {kind!r}; use ease, item_knn or popularity",
                "unbekannter Recommender {kind!r}; ease, item_knn oder popularity verwenden",
                kind=str(kind),
            )
        )
    w = params.get("recent") or 0.0
    return RecencyBlend(m, w) if w > 0 else m


def _span(train: Interactions) -> float:
    return float(train.times.max() - train.times.min()) if len(train) else 1.0


def _matrix(train: Interactions, half_life: float | None, span: float | None = None):
    """The (time-decayed) users x items matrix; ``half_life`` is a share of ``span`` (default: ``train``'s span).

    Validation folds pass the span of the whole training period, so that a half-life means the same number
    of seconds in every fold and in the final fit."""
    if not half_life:
        return train.matrix()
    span = span or _span(train) or 1.0
    return train.matrix(half_life=half_life * span)


def fit_model(kind: str, params: dict, train: Interactions, span: float | None = None):
    """Fit ``kind`` with ``params`` on ``train`` (half-lives as shares of ``span``, default ``train``'s span)."""
    model = make_model(kind, params)
    X = _matrix(train, params.get("half_life"), span)
    if isinstance(model, RecencyBlend):
        return model.fit(X, _matrix(train, params.get("recent_half_life") or 0.02, span))
    return model.fit(X)


def rank(model, train: Interactions, half_life, users: np.ndarray, n: int, exclude=None, span=None) -> np.ndarray:
    """Top ``n`` items for ``users`` (codes); the users' train items excluded."""
    Xw = _matrix(train, half_life, span)
    X = train.matrix() if exclude is None else exclude
    out = np.empty((len(users), n), dtype=np.int64)
    for s in range(0, len(users), 2048):
        u = users[s : s + 2048]
        out[s : s + len(u)] = top_n(model.scores(Xw[u]), n, X[u])[0]
    return out


def _recent(train: Interactions, half_life: float, span: float) -> np.ndarray:
    pop = np.asarray(_matrix(train, half_life, span).sum(axis=0), dtype=float).ravel()
    return pop / pop.max() if pop.size and pop.max() > 0 else np.zeros(train.n_items)


def _fold_scores(kind: str, entries: list[dict], fold: Split, span: float, k: int = 10) -> list[np.ndarray]:
    """Per-user validation NDCG@k of every grid entry on one fold; the item model is fitted once per setting
    and every recency blend of it reuses its scores."""
    users = fold.test_users
    tr = fold.train
    Xex, T = tr.matrix(), fold.test
    out: list[list[np.ndarray]] = [[] for _ in entries]
    groups: dict[tuple, list[int]] = {}
    for j, p in enumerate(entries):
        groups.setdefault(tuple(sorted((a, b) for a, b in p.items() if a not in _BLEND_KEYS)), []).append(j)
    recent: dict[float, np.ndarray] = {}
    for idx in groups.values():
        p0 = entries[idx[0]]
        model = make_model(kind, {a: b for a, b in p0.items() if a not in _BLEND_KEYS})
        model.fit(_matrix(tr, p0.get("half_life"), span))
        Xw = _matrix(tr, p0.get("half_life"), span)
        for s in range(0, len(users), 2048):
            u = users[s : s + 2048]
            S = model.scores(Xw[u])
            for j in idx:
                w = entries[j].get("recent") or 0.0
                if w > 0:
                    h = entries[j].get("recent_half_life") or 0.02
                    if h not in recent:
                        recent[h] = _recent(tr, h, span)
                    Sj = blend_scores(S, recent[h], w)
                else:
                    Sj = S
                out[j].append(ndcg_at_k(top_n(Sj, k, Xex[u])[0], T[u], k))
    return [np.concatenate(v) if v else np.zeros(0) for v in out]


def tune(
    train: Interactions,
    kinds=("ease", "item_knn"),
    quantiles=VALIDATION_QUANTILES,
    progress: Progress | None = None,
    grid: dict | None = None,
):
    """Choose each kind's hyperparameters by validation NDCG@10 on splits carved from ``train`` by the same rule.

    The split rule of the test (train up to a quantile of the times; validate on the later interactions of
    users known before, minus their earlier items) is applied inside ``train`` at each of ``quantiles``
    (a single number gives one split). A setting's validation value is the mean over these cutoffs of the mean
    NDCG@10 over the cutoff's users: one cutoff of a small data set holds few users (MovieLens 100k: about
    100), several cutoffs make the choice less noisy. Half-lives are shares of ``train``'s span, the same
    number of seconds in every fold. Cutoffs with fewer than ``MIN_TEST_USERS`` users are skipped.

    Returns ``{kind: {"params": best, "validation_ndcg@10": value, "standard_error": se, "folds": [...],
    "tried": n}, "popularity": {...}, "validation": {...}}``.
    """
    GRID_ = {**GRID, **(grid or {})}
    qs = (quantiles,) if np.isscalar(quantiles) else tuple(quantiles)
    span = _span(train) or 1.0
    folds = [f for f in (temporal_split(train, q) for q in qs) if len(f.test_users) >= MIN_TEST_USERS]
    info = {
        "rule": say(
            "the test split rule inside the training period, at several cutoffs",
            "die Regel der Testaufteilung innerhalb des Trainingszeitraums, an mehreren Stichtagen",
        ),
        "folds": [
            {"quantile": f.quantile, "cutoff": f.cutoff, "users": int(len(f.test_users)), "interactions": len(f.train)}
            for f in folds
        ],
    }
    if not folds:
        out = {kind: {"params": GRID_[kind][0], "validation_ndcg@10": None, "tried": 0} for kind in kinds}
        return out | {"validation": info}
    out = {}
    total = len(folds) * len(kinds)
    done = 0
    for kind in kinds:
        entries = GRID_[kind]
        per_fold = []
        for f in folds:
            per_fold.append(_fold_scores(kind, entries, f, span))
            done += 1
            if progress:
                progress(done / total, say("tuning {kind}", "{kind} wird abgestimmt", kind=kind))
        means = np.array([[v.mean() for v in fold] for fold in per_fold]).mean(axis=0)
        top = int(means.argmax())
        pooled = np.concatenate([fold[top] for fold in per_fold])
        out[kind] = {
            "params": entries[top],
            "validation_ndcg@10": float(means[top]),
            "standard_error": float(pooled.std(ddof=1) / np.sqrt(len(pooled))) if len(pooled) > 1 else None,
            "folds": [float(fold[top].mean()) for fold in per_fold],
            "tried": len(entries),
        }
    pop = [_fold_scores("popularity", [{}], f, span)[0] for f in folds]
    out["popularity"] = {
        "validation_ndcg@10": float(np.mean([v.mean() for v in pop])),
        "folds": [float(v.mean()) for v in pop],
    }
    out["validation"] = info
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


def _words(kind: str, params: dict) -> Text:
    m = make_model(kind, {k: v for k, v in params.items() if k not in _BLEND_KEYS}).describe()
    h = params.get("half_life")
    if h:
        m += say(
            ", time-decayed weights (half-life {h:g} of the training span)",
            ", zeitlich abklingende Gewichte (Halbwertszeit {h:g} der Trainingsspanne)",
            h=h,
        )
    w = params.get("recent") or 0.0
    if w > 0:
        m += say(
            ", blended with recent popularity (weight {w:g}, half-life {h:g} of the training span)",
            ", gemischt mit aktueller Popularität (Gewicht {w:g}, Halbwertszeit {h:g} der Trainingsspanne)",
            w=w,
            h=params.get("recent_half_life") or 0.02,
        )
    return m


def _f(m: dict) -> Text:
    """``value [low, high]`` in both languages' number formats."""
    lo, hi = m["ci"]

    def text(lang: str) -> str:
        v = number(m["value"], ".3f", lang)
        return v if lo is None else f"{v} [{number(lo, '.3f', lang)}, {number(hi, '.3f', lang)}]"

    return Text(text("en"), text("de"))


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
        "ranking": say(
            "full catalogue, the user's train items excluded",
            "ganzer Katalog, ohne die Artikel des Nutzers aus dem Training",
        ),
        "validation": say("same rule inside the training period", "dieselbe Regel innerhalb des Trainingszeitraums"),
    }
    if len(users) < MIN_TEST_USERS:
        rec = make_record(
            use_case="recommend",
            data=data or {},
            split=split_info,
            primary_metric=PRIMARY,
            metrics={},
            verdict=NOT_READY,
            explanation=say(
                "only {n:,} users have later interactions to predict; at least {need} needed",
                "nur {n:,} Nutzer haben spätere Interaktionen zum Vorhersagen; mindestens {need} nötig",
                n=len(users),
                need=MIN_TEST_USERS,
            ),
        )
        return RecommendEvaluation(rec)
    tuned = tune(tr, kinds, progress=lambda f, m: tick(0.7 * f, m), grid=grid)
    chosen = max(kinds, key=lambda k: tuned[k]["validation_ndcg@10"] or -1.0)
    params = tuned[chosen]["params"]
    tick(0.72, say("fitting {kind}", "{kind} wird angepasst", kind=chosen))
    t0 = time.perf_counter()
    model = fit_model(chosen, params, tr)
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
    tick(0.8, say("bootstrap intervals", "Bootstrap-Intervalle"))
    metrics = bootstrap(um, ub, rec_m, rec_b, tr.n_items, KS, n_boot=n_boot, seed=seed)
    alternatives = {}
    for kind in kinds:
        if kind == chosen:
            continue
        p = tuned[kind]["params"]
        alt = fit_model(kind, p, tr)
        ra = rank(alt, tr, p.get("half_life"), users, n)
        ua = user_metrics(ra, T, share, KS)
        alternatives[kind] = {k: float(v.mean()) for k, v in ua.items()} | {"params": p}
    imp = metrics["improvement"][PRIMARY]
    verdict = PROMOTED if imp["ci"][0] is not None and imp["ci"][0] > 0 else NOT_BETTER
    words = _words(chosen, params)
    mm, bb = metrics["model"][PRIMARY], metrics["baseline"][PRIMARY]
    values = {"words": words, "n": len(users), "mm": _f(mm), "bb": _f(bb), "imp": _f(imp)}
    if verdict == PROMOTED:
        expl = say(
            "{words} beats popularity on the later interactions of {n:,} users: NDCG@10 {mm} against {bb}, an "
            "improvement of {imp} (95% interval above zero), so it is promoted.",
            "{words} schlägt die Popularität bei den späteren Interaktionen von {n:,} Nutzern: NDCG@10 {mm} gegenüber "
            "{bb}, eine Verbesserung um {imp} (95-%-Intervall über null), daher wird es übernommen.",
            **values,
        )
    else:
        expl = say(
            "{words} is not surely better than recommending the most popular items: NDCG@10 {mm} against {bb}, "
            "improvement {imp} (the interval reaches zero or below); keep the popularity list.",
            "{words} ist nicht sicher besser, als die beliebtesten Artikel zu empfehlen: NDCG@10 {mm} gegenüber {bb}, "
            "Verbesserung {imp} (das Intervall reicht bis null oder darunter); die Popularitätsliste beibehalten.",
            **values,
        )
    expl += say(
        " Model and hyperparameters were chosen on validation splits at several cutoffs inside the training period;"
        " the test period was used once.",
        " Modell und Hyperparameter wurden auf Validierungsaufteilungen an mehreren Stichtagen innerhalb des "
        "Trainingszeitraums gewählt; der Testzeitraum wurde einmal verwendet.",
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
        baseline={
            "kind": "popularity",
            "words": say(
                "the most popular items (users with an interaction), same for all",
                "die beliebtesten Artikel (Nutzer mit einer Interaktion), für alle gleich",
            ),
        },
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
                raise InputError(
                    say(
                        "the test table has no column {col!r}; it has: {cols}",
                        "die Testtabelle hat keine Spalte {col!r}; sie hat: {cols}",
                        col=str(col),
                        cols=", ".join(map(str, test.columns[:20])),
                    )
                )
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
