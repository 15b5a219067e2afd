"""Fairness audit per sensitive attribute: selection rate, true-positive rate and calibration per group.

The decision audited is the one the profit figure assumes: contact the top ``top_share`` (10 %) of
scores. For each group of a sensitive attribute (gender, age band, ...):

* **selection rate** — share of the group that is contacted;
* **true-positive rate** — share of the group's positives that are contacted (equal opportunity);
* **calibration** — mean predicted probability minus the observed rate (0 is perfect).

A ratio of the smallest to the largest group value below 0.8 (the "four-fifths rule") is flagged.
A flag is a question for people, not a verdict: selection rates differ when base rates differ.

A group of fewer than k customers (``[privacy] k_anonymity``, default 10; :mod:`nomagic.privacy.groups`)
keeps its name and size in the record but none of its figures: they are ``None``, ``suppressed`` is true
and ``shown_as`` says "fewer than 10" (a rate about three people tells about each of them).

fairlearn's ``MetricFrame`` computes the group figures when the ``fairness`` extra is installed
(``pip install 'nomagic[fairness]'``); otherwise the same figures come from plain numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nomagic.privacy import groups as small
from nomagic.words import say

RATIO_FLAG = 0.8
MIN_GROUP = 100


def _selected(p: np.ndarray, top_share: float) -> np.ndarray:
    n = len(p)
    k = max(1, int(round(top_share * n)))
    order = np.argsort(-p, kind="mergesort")
    sel = np.zeros(n, dtype=bool)
    sel[order[:k]] = True
    return sel


def _group_table_numpy(y, p, sel, groups) -> pd.DataFrame:
    df = pd.DataFrame({"y": y, "p": p, "sel": sel, "g": groups})
    g = df.groupby("g", sort=True, observed=True)
    out = pd.DataFrame(
        {
            "count": g.size(),
            "positives": g["y"].sum(),
            "selection_rate": g["sel"].mean(),
            "true_positive_rate": df[df.y == 1].groupby("g", observed=True)["sel"].mean(),
            "mean_predicted": g["p"].mean(),
            "observed_rate": g["y"].mean(),
        }
    )
    return out


def _group_table_fairlearn(y, p, sel, groups) -> pd.DataFrame:
    from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate

    mf = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate,
            "count": lambda yt, yp: len(yt),
            "positives": lambda yt, yp: int(np.sum(yt)),
            "observed_rate": lambda yt, yp: float(np.mean(yt)),
        },
        y_true=y.astype(int),
        y_pred=sel.astype(int),
        sensitive_features=pd.Series(groups, name="g"),
    )
    out = mf.by_group.copy()
    out["mean_predicted"] = pd.Series(p).groupby(np.asarray(groups)).mean()
    return out


def audit(
    y,
    p,
    attributes: dict[str, np.ndarray] | pd.DataFrame,
    *,
    top_share: float = 0.1,
    min_group: int = MIN_GROUP,
    engine: str = "auto",
    k: int | None = None,
) -> dict:
    """Group figures and flags for each sensitive attribute.

    Parameters
    ----------
    y, p : labels and probabilities of the evaluated rows.
    attributes : one array of group values per sensitive attribute (same rows).
    top_share : share of rows contacted.
    min_group : groups smaller than this are reported but not used for the ratios.
    engine : ``"fairlearn"``, ``"numpy"`` or ``"auto"`` (fairlearn when installed).
    k : groups smaller than this show no figures (k-anonymity); None: ``[privacy] k_anonymity`` of the
        default warehouse's ``.nomagic/config.toml``, else 10.

    Returns
    -------
    ``{"top_share", "engine", "attributes": {name: {"groups": [...], "ratios": {...}, "flags": [...]}}}``

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400); p = rng.random(400); g = np.where(rng.random(400) < .5, "a", "b")
    >>> res = audit(y, p, {"gender": g}, engine="numpy")
    >>> sorted(res["attributes"]["gender"]["ratios"])
    ['selection_rate', 'true_positive_rate']
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    sel = _selected(p, top_share)
    if engine == "auto":
        try:
            import fairlearn  # noqa: F401

            engine = "fairlearn"
        except ImportError:
            engine = "numpy"
    items = attributes.items() if isinstance(attributes, dict) else attributes.items()
    k = small.threshold() if k is None else k
    result = {"top_share": top_share, "engine": engine, "ratio_flag": RATIO_FLAG, "k_anonymity": k, "attributes": {}}
    for name, values in items:
        g = pd.Series(np.asarray(values, dtype=object)).map(_group_name).to_numpy()
        table = (_group_table_fairlearn if engine == "fairlearn" else _group_table_numpy)(y, p, sel, g)
        table["calibration_gap"] = table["mean_predicted"] - table["observed_rate"]
        groups = []
        for level, row in table.iterrows():
            groups.append(
                {
                    "group": str(level),
                    "count": int(row["count"]),
                    "positives": int(row["positives"]),
                    "selection_rate": _r(row["selection_rate"]),
                    "true_positive_rate": _r(row["true_positive_rate"]),
                    "mean_predicted": _r(row["mean_predicted"]),
                    "observed_rate": _r(row["observed_rate"]),
                    "calibration_gap": _r(row["calibration_gap"]),
                    "small": bool(row["count"] < min_group),
                }
            )
            if small.small_group(row["count"], k):  # k-anonymity: the size stays, the figures go
                word = small.fewer_than(k)
                groups[-1].update(dict.fromkeys(_FIGURES), suppressed=True, shown_as=str(word), shown_as_de=word.de)
        big = table[(table["count"] >= min_group) & (table["count"] >= k)]
        ratios, flags = {}, []
        for metric in ("selection_rate", "true_positive_rate"):
            vals = big[metric].dropna()
            if len(vals) >= 2 and vals.max() > 0:
                ratio = float(vals.min() / vals.max())
                ratios[metric] = round(ratio, 4)
                if ratio < RATIO_FLAG:
                    flags.append(
                        say(
                            "{a}: {m} of group {lo} is {r:.0%} of group {hi}'s (below {flag:.0%})",
                            "{a}: {m} der Gruppe {lo} beträgt {r:.0%} der Gruppe {hi} (unter {flag:.0%})",
                            a=name,
                            m=_RATE_WORDS[metric],
                            lo=str(vals.idxmin()),
                            hi=str(vals.idxmax()),
                            r=ratio,
                            flag=RATIO_FLAG,
                        )
                    )
        gaps = big["calibration_gap"].abs()
        if len(gaps) and gaps.max() > 0.05:
            flags.append(
                say(
                    "{a}: probabilities of group {g} are off by {gap:+.1%} on average",
                    "{a}: die Wahrscheinlichkeiten der Gruppe {g} liegen im Mittel um {gap:+.1%} daneben",
                    a=name,
                    g=str(gaps.idxmax()),
                    gap=float(big.loc[gaps.idxmax(), "calibration_gap"]),
                )
            )
        result["attributes"][name] = {"groups": groups, "ratios": ratios, "flags": flags}
    return result


_FIGURES = ("positives", "selection_rate", "true_positive_rate", "mean_predicted", "observed_rate", "calibration_gap")

_RATE_WORDS = {
    "selection_rate": say("selection rate", "Auswahlquote"),
    "true_positive_rate": say("true positive rate", "Trefferquote"),
}


def _group_name(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return "(blank)"
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def flags(result: dict) -> list[str]:
    """All flags of an audit, one line each."""
    return [f for a in result.get("attributes", {}).values() for f in a["flags"]]


def _r(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return round(x, 5) if np.isfinite(x) else None
