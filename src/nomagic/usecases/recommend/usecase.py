"""The recommend use case on the warehouse: evaluate on a time split, then top-N per customer.

* **Data**: purchases = ``order_lines`` joined to ``orders`` (customer_id, ordered_at, product_id), one Ibis
  expression; ``products`` (category, in_stock, texts) and ``customers`` (consent_profiling, country).
* **Evaluation**: :func:`~nomagic.usecases.recommend.evaluate.evaluate_split` on the purchases.
* **Scores** (table ``recommendations``): customer_id, rank, product_id, score, reason, for customers who may
  be profiled (:mod:`nomagic.privacy.consent` decides: consent and objections); rules as in
  :class:`~nomagic.usecases.recommend.online.Recommender`. ``attrs["left_out"]`` says how many were left out.

Examples
--------
>>> Recommend.name, Recommend.requires.tables["order_lines"]
('recommend', ('order_id', 'product_id'))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from nomagic.errors import NotReadyError
from nomagic.lifecycle.record import fingerprint_frame
from nomagic.privacy import consent
from nomagic.usecases.recommend.data import Interactions, temporal_split
from nomagic.usecases.recommend.evaluate import _matrix, evaluate_split, fit_model, tune
from nomagic.usecases.recommend.models import top_n
from nomagic.usecases.recommend.online import Recommender, content_similarity
from nomagic.warehouse.readiness import Requirements
from nomagic.words import Text, in_lang, join, say

__all__ = ["SCORES_TABLE", "Recommend", "build_recommender", "purchases"]

Progress = Callable[[float, str], None]
SCORES_TABLE = "recommendations"


def purchases(wh, as_of=None) -> pd.DataFrame:
    """``customer_id, product_id, time`` per order line, up to ``as_of`` (inclusive day)."""
    o, ol = wh.table("orders"), wh.table("order_lines")
    o = o.filter(o.customer_id.notnull() & o.ordered_at.notnull())
    if as_of is not None:
        end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
        o = o.filter(o.ordered_at < end.to_pydatetime())
    j = ol.join(o, ol.order_id == o.order_id).select(
        customer_id=o.customer_id.cast("string"), product_id=ol.product_id.cast("string"), time=o.ordered_at
    )
    return j.execute()


def build_recommender(
    x: Interactions,
    model,
    half_life: float | None = None,
    *,
    n: int = 100,
    exclude_bought: bool = True,
    products: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    segment: str = "country",
    max_per_category: int | None = None,
    blocked=(),
    boosted: dict | None = None,
    new_item_weight: float = 0.5,
    batch: int = 4096,
    no_consent=None,
) -> Recommender:
    """Precompute top-``n`` per user of ``x`` with a fitted ``model`` (items = ``x.item_ids``, which may include
    products without interactions: these are scored by content similarity when ``products`` has texts).

    ``no_consent``: the customer ids that must get nothing (default: those the privacy policy refuses in
    ``customers``; :meth:`Recommend.fit` passes the warehouse's answer, which includes objections)."""
    Xw = _matrix(x, half_life)
    X = x.matrix()
    n_items = x.n_items
    n = min(n, n_items)
    pop_counts = np.asarray((X > 0).sum(axis=0)).ravel()
    new = pop_counts == 0
    C = None
    if products is not None and new.any():
        p = products.set_index(products["product_id"].astype(str)).reindex(x.item_ids).reset_index(drop=True)
        C = content_similarity(p).tocsc()[:, np.flatnonzero(new)]
        C = sp.csr_matrix(C.multiply((~new)[:, None].astype(float)))  # similarity of known items to new ones
    W = getattr(model, "weights_", None)
    tops = np.full((x.n_users, n), -1, np.int32)
    scs = np.zeros((x.n_users, n), np.float32)
    why = np.full((x.n_users, n), -1, np.int32)
    kinds = np.zeros((x.n_users, n), np.int8)
    new_idx = np.flatnonzero(new)
    for s in range(0, x.n_users, batch):
        rows = slice(s, min(s + batch, x.n_users))
        S = model.scores(Xw[rows])
        if C is not None:
            hist_n = np.maximum(np.diff(X[rows].indptr), 1)[:, None]
            top1 = np.maximum(S.max(axis=1, keepdims=True), 1e-6)
            S[:, new_idx] = new_item_weight * top1 * np.asarray((X[rows] @ C).todense()) / hist_n
        it, sc = top_n(S, n, X[rows] if exclude_bought else None)
        tops[rows], scs[rows] = it, sc
        for r in range(it.shape[0]):  # the customer's item that contributes most
            u = s + r
            hist = X.indices[X.indptr[u] : X.indptr[u + 1]]
            if not hist.size:
                continue
            cand = np.maximum(it[r], 0)
            if W is not None:
                contrib = W[np.ix_(hist, cand)]
                why[u] = hist[contrib.argmax(axis=0)]
            if C is not None:
                isnew = new[cand] & (it[r] >= 0)
                if isnew.any():
                    cols = np.searchsorted(new_idx, cand[isnew])
                    sim = C[hist][:, cols].toarray()
                    why[u, isnew] = hist[sim.argmax(axis=0)]
                    kinds[u, isnew] = 1
    why = np.where(tops >= 0, why, -1)
    order = np.argsort(-pop_counts, kind="stable").astype(np.int32)
    seg_pop, seg_of = {}, {}
    cats = in_stock = None
    if no_consent is None:
        no_consent = consent.denied_in(customers, consent.PROFILING) if customers is not None else []
    if customers is not None and len(customers):
        c = customers.copy()
        c["customer_id"] = c["customer_id"].astype(str)
        if segment in c.columns:
            seg_of = dict(zip(c["customer_id"], c[segment], strict=False))
            code = pd.Series(seg_of).reindex(x.user_ids).to_numpy()
            for g in pd.unique(c[segment].dropna()):
                users = np.flatnonzero(code == g)
                cnt = np.asarray((X[users] > 0).sum(axis=0)).ravel() if users.size else pop_counts
                seg_pop[g] = np.lexsort((-pop_counts, -cnt)).astype(np.int32)
    names = None
    if products is not None:
        p = products.set_index(products["product_id"].astype(str)).reindex(x.item_ids)
        if "category" in p.columns:
            cats = p["category"].fillna("").to_numpy()
        if "in_stock" in p.columns:
            in_stock = p["in_stock"].fillna(False).astype(bool).to_numpy()
        names = product_names(products)
    return Recommender(
        x.user_ids,
        tops,
        scs,
        x.item_ids,
        reasons=why,
        reason_kinds=kinds,
        popular=order,
        segment_popular=seg_pop,
        segment_of=seg_of,
        segment_label=segment,
        categories=cats,
        in_stock=in_stock,
        no_consent=no_consent,
        max_per_category=max_per_category,
        blocked=blocked,
        boosted=boosted,
        names=names,
    )


def product_names(products: pd.DataFrame) -> dict[str, Text]:
    """Product id -> its name in English and German (``name_de`` where the catalogue has it), for the reasons."""
    if "name" not in products.columns:
        return {}
    en = products["name"]
    de = (
        products["name_de"].where(products["name_de"].notna() & (products["name_de"] != ""), en)
        if "name_de" in products.columns
        else en
    )
    return {
        str(i): Text(str(a), str(b))
        for i, a, b in zip(products["product_id"], en, de, strict=True)
        if isinstance(a, str) and a.strip()
    }


class Recommend:
    """Next products for the shop and for personalised e-mails.

    Parameters
    ----------
    kinds : models competing on validation (``ease``, ``item_knn``, each optionally time-decayed and blended
        with recent popularity); popularity is the baseline.
    n : recommendations per customer written by :meth:`write_scores`.
    exclude_bought : leave out items the customer already bought (``False`` for consumables).
    max_per_category : category diversity, ``None`` for no limit.
    blocked, boosted : product ids never recommended / moved up (``{product_id: score bonus}``).
    segment : customers column whose popular items new customers get.
    grid : replaces the validation search grid per kind (see :data:`~nomagic.usecases.recommend.evaluate.GRID`).
    """

    name: ClassVar[str] = "recommend"
    title: ClassVar[str] = say("Recommendations", "Empfehlungen")
    question: ClassVar[str] = say(
        "Which products will each customer buy next?", "Welche Produkte wird jeder Kunde als Nächstes kaufen?"
    )
    #: what the recommendations cannot tell, in plain words
    limitations: ClassVar[tuple[str, ...]] = (
        say(
            "Recommendations are judged on what customers bought later, not on what a recommendation made them buy: "
            "an A/B test measures the extra sales.",
            "Empfehlungen werden daran gemessen, was Kunden später kauften, nicht daran, was eine Empfehlung sie "
            "kaufen ließ: den Mehrumsatz misst ein A/B-Test.",
        ),
        say(
            "Only customers who allow profiling get personal recommendations; new customers get what is popular in "
            "their segment.",
            "Nur Kunden, die Profiling erlauben, bekommen persönliche Empfehlungen; neue Kunden bekommen, was in "
            "ihrem Segment beliebt ist.",
        ),
        say(
            "New products without sales are recommended by the similarity of their texts only.",
            "Neue Produkte ohne Verkäufe werden nur nach der Ähnlichkeit ihrer Texte empfohlen.",
        ),
    )
    requires: ClassVar[Requirements] = Requirements(
        tables={
            "orders": ("order_id", "customer_id", "ordered_at"),
            "order_lines": ("order_id", "product_id"),
            "products": ("product_id", "in_stock"),
            "customers": ("customer_id", "consent_profiling"),
        },
    )

    def __init__(
        self,
        kinds=("ease", "item_knn"),
        n: int = 10,
        exclude_bought: bool = True,
        max_per_category: int | None = 3,
        blocked=(),
        boosted: dict | None = None,
        segment: str = "country",
        grid: dict | None = None,
    ):
        self.kinds = tuple(kinds)
        self.n = n
        self.exclude_bought = exclude_bought
        self.max_per_category = max_per_category
        self.blocked = tuple(blocked)
        self.boosted = dict(boosted or {})
        self.segment = segment
        self.grid = grid

    def _interactions(self, wh, as_of=None, items=None) -> tuple[pd.DataFrame, Interactions]:
        df = purchases(wh, as_of)
        if df.empty:
            raise NotReadyError(
                say(
                    "no purchases in the warehouse (orders joined to order_lines); load or simulate some",
                    "keine Käufe im Warehouse (orders verbunden mit order_lines); welche laden oder simulieren",
                )
            )
        return df, Interactions.from_frame(df, "customer_id", "product_id", "time", item_ids=items)

    def evaluate(self, wh, as_of=None, n_boot: int = 1000, seed: int = 0, progress: Progress | None = None):
        df, x = self._interactions(wh, as_of)
        data = {"source": "warehouse: orders + order_lines", "fingerprint": fingerprint_frame(df), "rows": len(df)}
        return evaluate_split(
            temporal_split(x), kinds=self.kinds, n_boot=n_boot, seed=seed, data=data, progress=progress, grid=self.grid
        )

    def fit(self, wh, as_of=None, progress: Progress | None = None) -> Recommender:
        """Tune on validation (inside the history), fit the best model on all history, precompute top-N."""
        tick = progress or (lambda f, m: None)
        products = wh.table("products").execute()
        customers = wh.table("customers").execute()
        df, x = self._interactions(wh, as_of, items=products["product_id"].astype(str).unique())
        known = np.unique(x.items)
        sub = Interactions(x.users, np.searchsorted(known, x.items), x.times, x.user_ids, x.item_ids[known])
        tuned = tune(sub, self.kinds, progress=lambda f, m: tick(0.6 * f, m), grid=self.grid)
        kind = max(self.kinds, key=lambda k: tuned[k]["validation_ndcg@10"] or -1.0)
        params = tuned[kind]["params"]
        tick(0.65, say("fitting {kind}", "{kind} wird angepasst", kind=kind))
        model = fit_model(kind, params, x)
        tick(0.75, say("precomputing top-N", "Top-N wird vorberechnet"))
        rec = build_recommender(
            x,
            model,
            params.get("half_life"),
            n=max(100, 5 * self.n),
            exclude_bought=self.exclude_bought,
            products=products,
            customers=customers,
            segment=self.segment,
            max_per_category=self.max_per_category,
            blocked=self.blocked,
            boosted=self.boosted,
            no_consent=consent.denied_ids(wh, consent.PROFILING),
        )
        rec.model_ = {"kind": kind, **params}
        rec.tuning_ = tuned
        return rec

    def write_scores(self, wh, as_of=None, table: str = SCORES_TABLE, progress: Progress | None = None) -> pd.DataFrame:
        """Top-``n`` per customer who may be profiled into ``table`` (customer_id, rank, product_id, score, reason,
        reason_de: the reason in English and in German); ``attrs["left_out"]`` says how many were left out."""
        rec = self.fit(wh, as_of, progress)
        customers = wh.table("customers").select("customer_id").execute()
        ids = customers["customer_id"].astype(str)
        ids, left = consent.keep_allowed(wh, pd.DataFrame({"customer_id": ids}), consent.PROFILING)
        ids = ids["customer_id"]
        rows = []
        for cid in ids:
            for r, o in enumerate(rec.recommend(cid, self.n), start=1):
                why = o["reason"]
                rows.append((cid, r, o["product_id"], o["score"], str(why), in_lang(why, "de")))
        out = pd.DataFrame(rows, columns=["customer_id", "rank", "product_id", "score", "reason", "reason_de"])
        out, _ = consent.keep_allowed(wh, out, consent.PROFILING)  # the last gate before the table
        out.attrs["left_out"] = left.reasons
        if progress:
            what = say("writing {table}", "{table} wird geschrieben", table=table)
            progress(0.95, join([what, left.words], "; "))
        wh.write(table, out)
        out.attrs["model"] = rec.model_
        return out
