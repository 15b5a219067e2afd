"""What the server knows: loaded once at startup (and on ``POST /api/v1/admin/reload``), then read only.

Scoring is a dictionary lookup: at load, every customer of a use case's population is scored with the
champion (model or baseline, whichever the no-magic gate chose) together with its top reasons, exactly as
``nomagic score`` does. CLV comes from the ``clv_scores`` table (``nomagic score clv``), segments from the
``segments`` table, recommendations from the online recommender (fitted at startup when the warehouse has
orders) or, when ``recommendations`` exists and ``fit_recommender`` is off, from that table. The warehouse is
closed again after loading, so the server never holds its lock.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nomagic.privacy import groups
from nomagic.words import Text, say

log = logging.getLogger("nomagic.serve")

#: the yes/no use cases the API scores per customer
SCORED = ("churn", "propensity")


@dataclass
class Scores:
    """One use case's precomputed scores: customer id -> (score, decile, reasons)."""

    use_case: str
    version: str
    scorer: str
    as_of: str
    rows: dict[str, tuple[float, int, tuple[str, ...]]]
    population: str = ""


@dataclass
class TableRecommender:
    """Recommendations read from the ``recommendations`` table (``nomagic score recommend``)."""

    rows: dict[str, list[dict]]
    version: str

    def recommend(self, customer_id: str, n: int = 10) -> list[dict]:
        return self.rows.get(customer_id, [])[:n]


@dataclass
class State:
    url: str | None
    customers: set[str] = field(default_factory=set)
    #: product id -> {"en": name, "de": name} from the products table (German where it has name_de)
    product_names: dict[str, dict[str, str]] = field(default_factory=dict)
    scores: dict[str, Scores] = field(default_factory=dict)
    records: dict[str, dict] = field(default_factory=dict)
    metas: dict[str, dict] = field(default_factory=dict)
    clv: dict[str, dict] = field(default_factory=dict)
    clv_info: dict[str, Any] = field(default_factory=dict)
    segments: pd.DataFrame | None = None
    recommender: Any = None
    recommender_version: str | None = None
    recommender_status: str = "absent"
    health: list[dict] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    loaded_at: float = 0.0
    load_seconds: float = 0.0
    charts: dict = field(default_factory=dict)
    alerts: list[dict] = field(default_factory=list)  # the monitor's alerts (monitor_alerts), newest first
    history: dict[str, list[dict]] = field(default_factory=dict)  # use case -> the registry's status changes
    periods: pd.DataFrame | None = None  # the monitor's periods (monitor_periods): estimated against realized
    features: pd.DataFrame | None = None  # the monitor's drift by feature (monitor_features), per period and column

    @property
    def use_cases(self) -> list[str]:
        return sorted(self.records)


def _registry(url: str | None, registry_root=None):
    from nomagic.lifecycle.registry import Registry

    return Registry(registry_root) if registry_root else Registry.for_warehouse(url)


def _as_str(x) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    if isinstance(x, pd.Timestamp):
        return x.isoformat()
    return str(x)


def load(
    url: str | None,
    *,
    registry_root=None,
    fit_recommender: bool = True,
    health: bool = True,
    background: bool = True,
) -> State:
    """Load the state of the warehouse at ``url`` (see the module docstring).

    The recommender, the slowest part, is fitted in a background thread when ``background``; until it is
    ready the recommendations route answers 404 with a reason and readiness says ``loading``."""
    from nomagic.lifecycle.scoring import score
    from nomagic.usecases import REGISTRY
    from nomagic.warehouse import connect

    t0 = time.perf_counter()
    st = State(url)
    registry = _registry(url, registry_root)
    for name in registry.use_cases():
        st.history[name] = list(reversed(registry.history(name)))
        v = registry.champion(name)
        if v is not None:
            try:
                st.records[name] = v.record()
                st.metas[name] = dict(v.meta)
            except (OSError, ValueError) as exc:
                st.problems[f"record:{name}"] = f"cannot read the {name} record ({type(exc).__name__})"
    with connect(url) as wh:
        tables = set(wh.tables())
        if "customers" in tables:
            ids = wh.table("customers").select("customer_id").execute()["customer_id"]
            st.customers = set(ids.astype(str))
        if "products" in tables:
            st.product_names = _product_names(wh.table("products"))
        for name in SCORED:
            if name not in st.records or name not in REGISTRY:
                continue
            try:
                uc = REGISTRY[name]()
                frame = score(uc, wh, registry, k=3)
                reasons = [c for c in frame.columns if c.startswith("reason_") and not c.endswith("_de")]
                texts = frame[reasons].astype(object).where(frame[reasons].notna(), None).to_numpy()
                rows = {
                    cid: (float(s), int(d), tuple(r for r in rs if r))
                    for cid, s, d, rs in zip(
                        frame["customer_id"].astype(str), frame["score"], frame["decile"], texts, strict=True
                    )
                }
                first = frame.iloc[0] if len(frame) else None
                st.scores[name] = Scores(
                    name,
                    str(first["model_version"]) if first is not None else st.metas[name]["version"],
                    str(first["scorer"]) if first is not None else st.metas[name]["scorer"],
                    _as_str(first["as_of"]) if first is not None else "",
                    rows,
                    population=getattr(uc, "question", ""),
                )
            except Exception as exc:  # a broken model must not stop the server: readiness says so
                log.warning("cannot score %s: %s", name, type(exc).__name__)
                st.problems[f"score:{name}"] = f"cannot score {name}: {exc}"[:300]
        if "clv_scores" in tables:
            df = wh.table("clv_scores").execute()
            df["customer_id"] = df["customer_id"].astype(str)
            cols = [
                c
                for c in (
                    "p_alive",
                    "expected_orders_90d",
                    "expected_orders_365d",
                    "expected_spend",
                    "clv",
                    "clv_low",
                    "clv_high",
                )
                if c in df.columns
            ]
            st.clv = {
                cid: {c: (None if pd.isna(v) else float(v)) for c, v in zip(cols, vals, strict=True)}
                | {"as_of": _as_str(a), "model": _as_str(m)}
                for cid, vals, a, m in zip(
                    df["customer_id"],
                    df[cols].to_numpy(dtype=float),
                    df["as_of"] if "as_of" in df else [None] * len(df),
                    df["model"] if "model" in df else [None] * len(df),
                    strict=True,
                )
            }
            clv = df["clv"].astype(float) if "clv" in df else pd.Series(dtype=float)
            st.clv_info = {
                "customers": len(df),
                "total": float(clv.sum()),
                "mean": float(clv.mean()) if len(clv) else 0.0,
                "median": float(clv.median()) if len(clv) else 0.0,
                "top": df.sort_values("clv", ascending=False).head(20)[["customer_id", *cols]].to_dict("records")
                if "clv" in df
                else [],
                "as_of": _as_str(df["as_of"].iloc[0]) if "as_of" in df and len(df) else "",
                "model": _as_str(df["model"].iloc[0]) if "model" in df and len(df) else "",
                "deciles": _deciles(clv),
            }
        if "monitor_periods" in tables:
            st.periods = wh.table("monitor_periods").execute()
        if "monitor_features" in tables:
            st.features = wh.table("monitor_features").execute()
        if "monitor_alerts" in tables:
            alerts = wh.table("monitor_alerts").execute()
            st.alerts = alerts.sort_values("created_at", ascending=False).head(200).to_dict("records")
        if "segments" in tables:
            st.segments = _segment_summary(wh.table("segments").execute(), k=groups.threshold(wh.url))
        if health:
            try:
                from nomagic.warehouse.readiness import check_tables

                st.health = [_health_row(r) for r in check_tables(wh)]
            except Exception as exc:
                st.problems["health"] = f"cannot check the tables: {exc}"[:300]
        has_orders = {"orders", "order_lines", "products", "customers"} <= tables
        if not fit_recommender and "recommendations" in tables:
            st.recommender = _table_recommender(wh.table("recommendations").execute())
            st.recommender_version = st.recommender.version
            st.recommender_status = "ready"
    if fit_recommender and has_orders:
        st.recommender_status = "loading"
        if background:
            threading.Thread(target=_fit_recommender, args=(st,), name="nomagic-recommender", daemon=True).start()
        else:
            _fit_recommender(st)
    st.loaded_at = time.time()
    st.load_seconds = time.perf_counter() - t0
    return st


def _fit_recommender(st: State) -> None:
    from nomagic.usecases.recommend.usecase import Recommend
    from nomagic.warehouse import connect

    try:
        t0 = time.perf_counter()
        with connect(st.url) as wh:
            rec = Recommend().fit(wh)
        model = getattr(rec, "model_", {}) or {}
        desc = ",".join(f"{k}={v}" for k, v in sorted(model.items()))
        st.recommender_version = f"{model.get('kind', 'recommender')}-{hashlib.sha256(desc.encode()).hexdigest()[:8]}"
        st.recommender = rec
        st.recommender_status = "ready"
        log.info("recommender ready in %.1fs", time.perf_counter() - t0)
    except Exception as exc:
        st.recommender_status = "failed"
        st.problems["recommend"] = f"cannot fit the recommender: {exc}"[:300]
        log.warning("cannot fit the recommender: %s", type(exc).__name__)


def _product_names(products) -> dict[str, dict[str, str]]:
    """Product names in English and, where the table has ``name_de``, German (else the same name)."""
    cols = [c for c in ("product_id", "name", "name_de") if c in products.columns]
    if "name" not in cols:
        return {}
    df = products.select(cols).execute()
    de = df["name_de"] if "name_de" in df else df["name"]
    return {
        str(i): {"en": str(n), "de": str(d if isinstance(d, str) and d else n)}
        for i, n, d in zip(df["product_id"], df["name"], de, strict=True)
    }


def _table_recommender(df: pd.DataFrame) -> TableRecommender:
    df = df.sort_values(["customer_id", "rank"])
    rows: dict[str, list[dict]] = {}
    why_de = df["reason_de"] if "reason_de" in df else df["reason"]
    for cid, pid, sc, why, de in zip(
        df["customer_id"].astype(str), df["product_id"].astype(str), df["score"], df["reason"], why_de, strict=True
    ):
        reason = Text(_as_str(why), _as_str(de) or _as_str(why))
        rows.setdefault(cid, []).append({"product_id": pid, "score": float(sc), "reason": reason})
    digest = hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes()).hexdigest()[:8]
    return TableRecommender(rows, f"table-{digest}")


def _deciles(values: pd.Series) -> list[dict]:
    v = values.dropna().sort_values(ascending=False).to_numpy()
    if not len(v):
        return []
    parts = np.array_split(v, min(10, len(v)))
    total = max(float(v.sum()), 1e-12)
    return [
        {"decile": i + 1, "customers": len(p), "mean": float(p.mean()), "share": float(p.sum()) / total}
        for i, p in enumerate(parts)
    ]


def _segment_summary(df: pd.DataFrame, *, k: int = groups.K_DEFAULT) -> pd.DataFrame:
    """One row per segment: its size, share, mean recency / frequency / monetary value and its words; a segment of
    fewer than ``k`` customers keeps its size but shows no figures (k-anonymity, :mod:`nomagic.privacy.groups`)."""
    col = next((c for c in ("segment", "rfm_segment") if c in df.columns), None)
    if col is None:
        return pd.DataFrame()
    agg = {"customers": ("customer_id", "size")}
    for c in ("recency_days", "frequency", "monetary"):
        if c in df.columns:
            agg[c] = (c, "mean")
    for c in ("segment_de", "action", "action_de", "profile", "profile_de"):  # the words of each segment
        if c in df.columns and c != col:
            agg[c] = (c, "first")
    out = df.groupby(col, dropna=False).agg(**agg).reset_index().rename(columns={col: "segment"})
    out["share"] = out["customers"] / max(len(df), 1)
    out = groups.suppress(out, ("recency_days", "frequency", "monetary"), k=k)
    return out.sort_values("customers", ascending=False).reset_index(drop=True)


_LEVELS = {"warning": Text("warning", "Warnung"), "blocker": Text("blocker", "Blocker")}


def _health_row(r) -> dict:
    return {
        "table": r.name,
        "rows": int(r.rows),
        "first": r.first or "",
        "last": r.last or "",
        "freshness_days": r.freshness_days,
        "verdict": r.verdict,
        "findings": [
            say("{l}: {m}", "{l}: {m}", l=_LEVELS.get(f.level, Text(f.level)), m=f.message)
            for f in r.reasons
            if f.level != "info"
        ][:5],
    }
