"""The segmentation use case on the warehouse: RFM segments and behavioural clusters per customer.

Reads the ``orders`` table (summed per customer-day with an Ibis expression) and writes the
``segments`` table: one row per customer with the RFM features and scores, the named RFM segment
with its profile and suggested action, and the behavioural cluster with its name and action -- the
words in English and German (``segment_de``, ``profile_de``, ``action_de``, ``cluster_name_de``,
``cluster_action_de``), the codes (``segment``) in English.

Segmentation has no label to predict, so there is no baseline to beat; what is checked is that
the clusters are real (silhouette) and stable (adjusted Rand index across seeds >= 0.9).

A segment is a profile: only customers who may be profiled are segmented (:mod:`nomagic.privacy.consent`
decides, before their orders are summed); ``info["left_out"]`` and the frame's ``attrs["left_out"]`` say
how many were left out, and ``info["left_out_words"]`` says it in words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import pandas as pd

from nomagic.errors import NotReadyError
from nomagic.privacy import consent, groups
from nomagic.usecases.segments.clusters import BehaviourClusters
from nomagic.usecases.segments.rfm import customer_features, rfm_scores
from nomagic.warehouse.readiness import Requirements
from nomagic.words import say

Progress = Callable[[float, str], None]
SEGMENTS_TABLE = "segments"


def _customer_days(wh, as_of=None) -> pd.DataFrame:
    o = wh.table("orders")
    o = o.filter(o.customer_id.notnull() & o.ordered_at.notnull())
    if as_of is not None:
        end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
        o = o.filter(o.ordered_at < end.to_pydatetime())
    t = o.mutate(day=o.ordered_at.truncate("D"), value=o.revenue.fill_null(0.0))
    df = t.group_by([t.customer_id, t.day]).aggregate(revenue=t.value.sum()).execute()
    if df.empty:
        raise NotReadyError(say("the orders table has no orders", "die Tabelle orders hat keine Bestellungen"))
    df["customer_id"] = df["customer_id"].astype(str)
    return df


class Segments:
    """RFM segments and behavioural clusters.

    Parameters
    ----------
    method : ``"kmeans"`` (k by silhouette) or ``"gmm"`` (k by BIC).
    k_range : the k tried.
    seed : random seed of the clustering.
    check_stability : refit with 5 other seeds and report the adjusted Rand index.
    """

    name: ClassVar[str] = "segments"
    title: ClassVar[str] = say("Customer segments", "Kundensegmente")
    question: ClassVar[str] = say(
        "Which groups of customers behave alike, and what should we do with each?",
        "Welche Kundengruppen verhalten sich ähnlich, und was sollten wir mit jeder tun?",
    )
    requires: ClassVar[Requirements] = Requirements(
        tables={"orders": ["customer_id", "ordered_at", "revenue"]},
        min_history_days=90,
        min_units=100,
        units="orders.customer_id",
        history_tables=("orders",),
        description=say(
            "orders of at least 100 customers over at least 90 days",
            "Bestellungen von mindestens 100 Kunden über mindestens 90 Tage",
        ),
    )

    def __init__(
        self, *, method: str = "kmeans", k_range: tuple[int, int] = (2, 8), seed: int = 0, check_stability: bool = True
    ):
        self.method = method
        self.k_range = k_range
        self.seed = seed
        self.check_stability = check_stability

    def dataset(self, wh, as_of=None) -> pd.DataFrame:
        """RFM features per customer who may be profiled (``attrs["left_out"]``: who was left out, and why)."""
        days, left = consent.keep_allowed(wh, _customer_days(wh, as_of), consent.PROFILING)
        if days.empty:
            raise consent.nobody_profilable(left, say("segments", "Segmente"))
        out = customer_features(days, "customer_id", "day", "revenue", as_of, source="orders")
        out.attrs["left_out"] = days.attrs["left_out"]
        return out

    def segment(
        self, features: pd.DataFrame, *, progress: Progress | None = None, k_anonymity: int | None = None
    ) -> tuple[pd.DataFrame, BehaviourClusters, dict]:
        """Scores + clusters per customer, the fitted clusters and a summary (k, silhouette, stability);
        ``k_anonymity`` as in :class:`BehaviourClusters`."""
        tick = progress or (lambda f, m: None)
        tick(0.1, say("RFM scores", "RFM-Scores"))
        scores = rfm_scores(features)
        tick(0.3, say("behavioural clusters", "Verhaltenscluster"))
        cl = BehaviourClusters(
            k_range=self.k_range, method=self.method, random_state=self.seed, k_anonymity=k_anonymity
        ).fit(features)
        info = {"k": cl.k_, "method": self.method, "scores": cl.scores_}
        if self.check_stability:
            tick(0.7, say("re-seeding to check stability", "prüfe die Stabilität mit neuen Startwerten"))
            info["stability"] = cl.stability(features)
        out = features.join(scores)
        out["cluster"] = cl.labels_
        for col in ("name", "name_de", "action", "action_de"):  # both languages: the table holds plain text
            out[f"cluster_{col}"] = out["cluster"].map(cl.profiles_[col])
        tick(1.0, say("done", "fertig"))
        return out, cl, info

    def score(
        self, wh, as_of=None, *, progress: Progress | None = None
    ) -> tuple[pd.DataFrame, BehaviourClusters, dict]:
        features = self.dataset(wh, as_of)
        # the small-group threshold of *this* warehouse's settings, not the default warehouse's
        out, cl, info = self.segment(features, progress=progress, k_anonymity=groups.threshold(wh.url))
        out = out.reset_index().rename(columns={out.index.name or "index": "customer_id"})
        out.insert(1, "as_of", pd.Timestamp(features.attrs["as_of"]))
        left = consent.LeftOut(features.attrs.get("left_out"))
        out.attrs["left_out"] = info["left_out"] = left.reasons
        info["left_out_words"] = left.words
        return out, cl, info

    def write_scores(self, wh, as_of=None, *, table: str = SEGMENTS_TABLE, progress: Progress | None = None):
        """Score and write ``table`` (replaced): only customers who may be profiled, asked again before writing."""
        out, cl, info = self.score(wh, as_of, progress=progress)
        out, _ = consent.keep_allowed(wh, out, consent.PROFILING)
        if progress and info["left_out_words"]:
            progress(1.0, info["left_out_words"])
        wh.write(table, out)
        return out, cl, info


__all__ = ["SEGMENTS_TABLE", "Segments"]
