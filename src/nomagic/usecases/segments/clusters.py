"""Behavioural clusters: customers grouped by how they buy, with a plain profile and an action each.

The features (see :func:`~nomagic.usecases.segments.rfm.customer_features`) are log-transformed where
they are long-tailed (recency, frequency, spend, tenure, spend per purchase, days between purchases),
blanks filled (days between purchases for one-time buyers: their tenure), and standardised. Then

* ``method="kmeans"``: k-means for every k in ``k_range``, k chosen by the silhouette (on a fixed
  random sample, ties to the smaller k), or
* ``method="gmm"``: a Gaussian mixture for every k, k chosen by the BIC.

Clusters are numbered by descending median spend, so the numbering does not depend on the seed, and
each gets a name from its medians ("recent frequent buyers, high spend"), the RFM segment its median
customer falls in, and that segment's suggested action. :meth:`BehaviourClusters.stability` refits
with other seeds and reports the adjusted Rand index against the fitted labels (>= 0.9 is stable).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

from nomagic.errors import InputError, NotReadyError
from nomagic.privacy import groups
from nomagic.usecases.segments.rfm import SEGMENT_FIGURES, SEGMENTS, rfm_segment
from nomagic.words import Text, say

__all__ = ["BehaviourClusters", "cluster_matrix"]

_LOG = ("recency_days", "frequency", "monetary", "tenure_days", "avg_value", "days_between")
DEFAULT_FEATURES = ("recency_days", "frequency", "monetary", "avg_value", "days_between", "recent_share")


def cluster_matrix(features: pd.DataFrame, columns=DEFAULT_FEATURES) -> np.ndarray:
    """The unscaled model matrix: log1p of the long-tailed columns, blanks filled."""
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise InputError(
            say(
                "the cluster features lack {cols} (see customer_features)",
                "den Cluster-Merkmalen fehlen {cols} (siehe customer_features)",
                cols=", ".join(missing),
            )
        )
    X = features[list(columns)].astype(float).copy()
    if "days_between" in X.columns:
        fill = features["tenure_days"] if "tenure_days" in features.columns else X["days_between"].max()
        X["days_between"] = X["days_between"].fillna(fill)
    X = X.fillna(X.median()).fillna(0.0)
    for c in X.columns:
        if c in _LOG:
            X[c] = np.log1p(X[c].clip(lower=0))
    return X.to_numpy()


class BehaviourClusters:
    """Cluster customers by behaviour; k by silhouette (k-means) or BIC (Gaussian mixture).

    Parameters
    ----------
    k_range : smallest and largest k tried.
    method : ``"kmeans"`` or ``"gmm"``.
    random_state : seed of the clustering and of the samples.
    n_init : restarts per k.
    sample_size : at most this many customers are used to fit (the rest are assigned); None for all.
    silhouette_size : the silhouette is computed on a sample of this size.
    columns : feature columns.
    k_anonymity : a cluster of fewer customers shows no figures (its profile says "fewer than 10 customers");
        None: ``[privacy] k_anonymity`` of ``.nomagic/config.toml``, else 10.

    Attributes
    ----------
    k_, labels_, scores_ (k -> silhouette or BIC), profiles_ (one row per cluster), n_features_in_.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = pd.DataFrame({"recency_days": np.r_[rng.integers(1, 20, 200), rng.integers(200, 400, 200)],
    ...                   "frequency": np.r_[rng.integers(5, 12, 200), rng.integers(1, 2, 200)],
    ...                   "monetary": np.r_[rng.uniform(200, 400, 200), rng.uniform(10, 30, 200)]})
    >>> f["avg_value"] = f["monetary"] / f["frequency"]; f["tenure_days"] = 400.0
    >>> f["days_between"] = np.where(f["frequency"] > 1, 30.0, np.nan); f["recent_share"] = 0.5
    >>> BehaviourClusters(random_state=0).fit(f).k_
    2
    """

    def __init__(
        self,
        k_range: tuple[int, int] = (2, 8),
        method: str = "kmeans",
        random_state: int = 0,
        n_init: int = 4,
        sample_size: int | None = 20_000,
        silhouette_size: int = 4_000,
        columns: tuple[str, ...] = DEFAULT_FEATURES,
        k_anonymity: int | None = None,
    ):
        self.k_range = k_range
        self.method = method
        self.random_state = random_state
        self.n_init = n_init
        self.k_anonymity = k_anonymity
        self.sample_size = sample_size
        self.silhouette_size = silhouette_size
        self.columns = columns

    def _model(self, k: int, seed: int):
        if self.method == "kmeans":
            return KMeans(n_clusters=k, n_init=self.n_init, random_state=seed)
        if self.method == "gmm":
            return GaussianMixture(n_components=k, covariance_type="full", n_init=1, random_state=seed, reg_covar=1e-4)
        raise InputError(
            say(
                "unknown clustering method {m!r}; use 'kmeans' or 'gmm'",
                "unbekannte Clustermethode {m!r}; 'kmeans' oder 'gmm' angeben",
                m=self.method,
            )
        )

    def fit(self, features: pd.DataFrame) -> BehaviourClusters:
        lo, hi = self.k_range
        if lo < 2 or hi < lo:
            raise InputError(
                say(
                    "k_range must be (low, high) with 2 <= low <= high",
                    "k_range muss (klein, groß) mit 2 <= klein <= groß sein",
                )
            )
        X = cluster_matrix(features, self.columns)
        n = X.shape[0]
        if n < max(10, 5 * hi):
            raise NotReadyError(
                say(
                    "only {n:,} customers: clustering into up to {hi} groups needs at least {need:,}",
                    "nur {n:,} Kunden: eine Einteilung in bis zu {hi} Gruppen braucht mindestens {need:,}",
                    n=n,
                    hi=hi,
                    need=max(10, 5 * hi),
                )
            )
        self.scaler_ = StandardScaler().fit(X)
        Z = self.scaler_.transform(X)
        rng = np.random.default_rng(self.random_state)
        fit_idx = (
            np.arange(n)
            if not self.sample_size or n <= self.sample_size
            else np.sort(rng.choice(n, self.sample_size, replace=False))
        )
        sil_idx = (
            fit_idx
            if fit_idx.size <= self.silhouette_size
            else np.sort(rng.choice(fit_idx, self.silhouette_size, replace=False))
        )
        Zf = Z[fit_idx]
        distinct = np.unique(np.round(Zf, 9), axis=0).shape[0]
        self.scores_ = {}
        models = {}
        for k in range(lo, min(hi, distinct - 1) + 1):
            m = self._model(k, self.random_state).fit(Zf)
            models[k] = m
            if self.method == "kmeans":
                lab = m.predict(Z[sil_idx])
                self.scores_[k] = float(silhouette_score(Z[sil_idx], lab)) if len(np.unique(lab)) > 1 else -1.0
            else:
                self.scores_[k] = float(m.bic(Zf))
        if not models:
            raise NotReadyError(
                say(
                    "the customers' features take too few distinct values to form clusters",
                    "die Merkmale der Kunden haben zu wenige verschiedene Werte, um Cluster zu bilden",
                )
            )
        if self.method == "kmeans":
            best = max(self.scores_, key=lambda k: (round(self.scores_[k], 4), -k))
        else:
            best = min(self.scores_, key=lambda k: (self.scores_[k], k))
        self.k_ = int(best)
        self.model_ = models[best]
        raw = self.model_.predict(Z)
        # number the clusters by descending median spend (then frequency), independent of the seed
        key = pd.DataFrame(
            {"c": raw, "m": features["monetary"].to_numpy(float), "f": features["frequency"].to_numpy(float)}
        )
        med = key.groupby("c")[["m", "f"]].median().sort_values(["m", "f"], ascending=False)
        self.order_ = {int(c): i for i, c in enumerate(med.index)}
        self.labels_ = np.vectorize(self.order_.get)(raw)
        self.n_features_in_ = X.shape[1]
        self.profiles_ = self._profiles(features, self.labels_)
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        Z = self.scaler_.transform(cluster_matrix(features, self.columns))
        raw = self.model_.predict(Z)
        return np.array([self.order_.get(int(c), -1) for c in raw])

    def stability(self, features: pd.DataFrame, seeds=(1, 2, 3, 4, 5)) -> dict:
        """Refit with the chosen k and other seeds; adjusted Rand index of each against the fitted labels."""
        Z = self.scaler_.transform(cluster_matrix(features, self.columns))
        rng = np.random.default_rng(self.random_state)
        n = Z.shape[0]
        fit_idx = (
            np.arange(n)
            if not self.sample_size or n <= self.sample_size
            else np.sort(rng.choice(n, self.sample_size, replace=False))
        )
        aris = {}
        for s in seeds:
            lab = self._model(self.k_, int(s)).fit(Z[fit_idx]).predict(Z)
            aris[int(s)] = float(adjusted_rand_score(self.labels_, lab))
        worst = min(aris.values())
        return {"k": self.k_, "adjusted_rand": aris, "min_adjusted_rand": worst, "stable": bool(worst >= 0.9)}

    def _profiles(self, features: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
        f = features.copy()
        f["cluster"] = labels
        med_all = f[["recency_days", "frequency", "monetary", "avg_value"]].median()
        g = f.groupby("cluster")
        prof = pd.DataFrame(
            {
                "customers": g.size(),
                "share": g.size() / len(f),
                "median_recency_days": g["recency_days"].median(),
                "median_frequency": g["frequency"].median(),
                "median_monetary": g["monetary"].median(),
                "median_avg_value": g["avg_value"].median(),
                "revenue_share": g["monetary"].sum() / (float(f["monetary"].sum()) or 1.0),
            }
        )
        # the RFM cell of each cluster's median customer, scored against all customers
        r_rank = f["recency_days"].to_numpy(float)
        fr = f["frequency"].to_numpy(float)
        n = len(f)

        def score_of(value, arr, higher_is_better):
            worse = np.sum(arr < value) if higher_is_better else np.sum(arr > value)
            return int(np.clip(1 + np.floor(5 * worse / n), 1, 5))

        names, rfm, actions, describe = [], [], [], []
        k = groups.threshold() if self.k_anonymity is None else self.k_anonymity
        for _c, row in prof.iterrows():
            r = score_of(row["median_recency_days"], r_rank, False)
            fs = score_of(row["median_frequency"], fr, True)
            seg = str(rfm_segment([r], [fs])[0])
            rfm.append(seg)
            actions.append(SEGMENTS[seg].action)
            name = _name(row, med_all)
            names.append(name)
            if groups.small_group(row["customers"], k):  # k-anonymity: no figures about so few people
                describe.append(
                    say(
                        "{few} customers: no figures shown (k-anonymity)",
                        "{few} Kunden: keine Kennzahlen gezeigt (k-Anonymität)",
                        few=groups.fewer_than(k),
                    )
                )
                continue
            describe.append(
                say(
                    "{n:,.0f} customers ({share:.0%}), {rev:.0%} of revenue: typically last bought {r:,.0f} days ago, "
                    "{f:,.0f} purchase day(s), {m:,.2f} spent in total ({avg:,.2f} per purchase); closest RFM "
                    "segment: {seg}",
                    "{n:,.0f} Kunden ({share:.0%}), {rev:.0%} des Umsatzes: typischerweise letzter Kauf vor {r:,.0f} "
                    "Tagen, {f:,.0f} Kauftag(e), insgesamt {m:,.2f} ausgegeben ({avg:,.2f} je Kauf); nächstes "
                    "RFM-Segment: {seg}",
                    n=float(row["customers"]),
                    share=float(row["share"]),
                    rev=float(row["revenue_share"]),
                    r=float(row["median_recency_days"]),
                    f=float(row["median_frequency"]),
                    m=float(row["median_monetary"]),
                    avg=float(row["median_avg_value"]),
                    seg=SEGMENTS[seg].title,
                )
            )
        # object columns keep the Texts (their German with them); the _de columns hold it as plain text too
        for col, texts in (("name", names), ("profile", describe), ("action", actions)):
            prof[col] = pd.Series(texts, index=prof.index, dtype=object)
            prof[f"{col}_de"] = [x.de for x in texts]
        prof["rfm_segment"] = rfm
        prof = groups.suppress(prof, SEGMENT_FIGURES, k=k)
        prof.index.name = "cluster"
        return prof


_LEVELS = {  # (English, German) words of low, middle and high
    "recency": (("recent", "kürzlich aktive"), ("lapsing", "nachlassende"), ("long-gone", "lange inaktive")),
    "frequency": (("occasional", "Gelegenheitskäufer"), ("repeat", "Wiederkäufer"), ("frequent", "Vielkäufer")),
    "spend": (("low", "niedrige"), ("mid", "mittlere"), ("high", "hohe")),
}


def _level(value: float, typical: float, words: tuple, ratio: float = 2.0):
    if typical <= 0:
        return words[1] if value <= 0 else words[2]
    if value >= ratio * typical:
        return words[2]
    if value <= typical / ratio:
        return words[0]
    return words[1]


def _name(row: pd.Series, med: pd.Series) -> Text:
    """ "recent frequent buyers, high spend" / "kürzlich aktive Vielkäufer, hohe Ausgaben"."""
    rec = _level(row["median_recency_days"], med["recency_days"], _LEVELS["recency"])
    freq = (
        ("one-time", "Einmalkäufer")
        if row["median_frequency"] <= 1
        else _level(row["median_frequency"], max(med["frequency"], 2), _LEVELS["frequency"])
    )
    spend = _level(row["median_monetary"], med["monetary"], _LEVELS["spend"])
    return Text(f"{rec[0]} {freq[0]} buyers, {spend[0]} spend", f"{rec[1]} {freq[1]}, {spend[1]} Ausgaben")
