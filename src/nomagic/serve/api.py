"""The REST API under ``/api/v1``: scores with reasons, CLV, recommendations, evaluation records, health.

Every route names the least role it needs (see :mod:`nomagic.serve.keys`); every answer other than 2xx is an
:class:`~nomagic.serve.schemas.Error` with a reason. Bandit decide/reward, FAQ answers and sentiment join
through :data:`EXTENSIONS` (a module with a ``router`` is mounted when it exists).
"""

from __future__ import annotations

import importlib
import json
import math
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from nomagic import __version__
from nomagic.serve import schemas as S
from nomagic.serve.i18n import pick as pick_lang
from nomagic.serve.schemas import errors
from nomagic.serve.security import require
from nomagic.words import in_lang, pick, say

router = APIRouter(prefix="/api/v1")

#: optional route modules, mounted under /api/v1 when importable (each defines ``router: APIRouter``)
EXTENSIONS = (
    "nomagic.serve.routes_bandits",
    "nomagic.serve.routes_language",
    "nomagic.serve.routes_privacy",
    "nomagic.serve.routes_rtb",
)


def _json(payload: dict) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), media_type="application/json")


def clean(x):
    """JSON-safe: non-finite floats become null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [clean(v) for v in x]
    return x


def client_lang(request: Request) -> str:
    """The client's language: ``?lang=de`` or ``Accept-Language: de``; English by default."""
    return pick_lang(None, request.query_params.get("lang"), request.headers.get("accept-language"))


def _state(request: Request):
    return request.app.state.nm


_UNKNOWN_CUSTOMER = say(
    "unknown customer: no such customer_id in the customers table",
    "unbekannter Kunde: keine solche customer_id in der Tabelle customers",
)


def _unknown(st, customer_id: str, what: str) -> HTTPException:
    if customer_id in st.customers:
        return HTTPException(
            404,
            say(
                "the customer has no {w}: not in its population, or not scored yet",
                "der Kunde hat keinen Wert für {w}: nicht in der Zielgruppe oder noch nicht bewertet",
                w=what,
            ),
        )
    return HTTPException(404, _UNKNOWN_CUSTOMER)


#: what a 403 means on the routes that answer about one customer
_403_CONSENT = {
    403: "The key's role may not use this route, or the customer may not be profiled (no consent, or an "
    "objection): the reason says which"
}


def _refuse_unless_allowed(request: Request, customer_id: str, use_case: str) -> None:
    """403 with the reason when the privacy policy does not allow an answer about this customer (asked per request,
    so a withdrawal counts even for scores computed at startup)."""
    why = request.app.state.decisions.refusal(use_case, customer_id)
    if why is not None:
        raise HTTPException(
            403, say("no answer about this customer: {why}", "keine Auskunft über diesen Kunden: {why}", why=why)
        )


# ------------------------------------------------------------------------------------ health


@router.get("/health", response_model=S.Health, tags=["health"], summary="Liveness: the process answers")
async def health() -> S.Health:
    return S.Health(version=__version__)


@router.get("/ready", response_model=S.Readiness, tags=["health"], summary="Readiness: what is loaded")
async def ready(request: Request) -> S.Readiness:
    from datetime import UTC, datetime

    st = _state(request)
    comps = []
    for name in sorted(set(st.records) | {"churn", "propensity"}):
        if name in ("churn", "propensity"):
            sc = st.scores.get(name)
            if sc is not None:
                comps.append(
                    S.Component(name=name, status="ready", version=sc.version, detail=f"{len(sc.rows)} scored")
                )
            elif f"score:{name}" in st.problems:
                comps.append(S.Component(name=name, status="failed", detail=st.problems[f"score:{name}"]))
            else:
                comps.append(S.Component(name=name, status="absent", detail=f"run `nomagic train {name}`"))
    comps.append(
        S.Component(
            name="clv",
            status="ready" if st.clv else "absent",
            version=st.clv_info.get("model") or None,
            detail=f"{len(st.clv)} customers" if st.clv else "run `nomagic score clv`",
        )
    )
    comps.append(
        S.Component(
            name="recommend",
            status=st.recommender_status,
            version=st.recommender_version,
            detail=st.problems.get("recommend", ""),
        )
    )
    log = request.app.state.decisions
    return S.Readiness(
        ready=all(c.status in ("ready", "absent") for c in comps),
        components=comps,
        loaded_at=datetime.fromtimestamp(st.loaded_at, UTC).isoformat(timespec="seconds"),
        load_seconds=round(st.load_seconds, 3),
        decisions_pending=log.pending,
        decisions_written=log.written,
    )


@router.get(
    "/whoami", response_model=S.WhoAmI, tags=["health"], responses=errors(401, 403), summary="The key's id and role"
)
async def whoami(key=Depends(require("viewer"))) -> S.WhoAmI:
    return S.WhoAmI(key_id=key.key_id, role=key.role, name=key.name)


# ------------------------------------------------------------------------------------ scores


@router.post(
    "/score/{use_case}",
    response_model=S.Score,
    tags=["scores"],
    responses=errors(400, 401, 403, 404, 413, 422, words=_403_CONSENT),
    summary="A customer's churn risk or purchase propensity, with reasons",
)
async def score(
    use_case: Literal["churn", "propensity"], body: S.ScoreRequest, request: Request, key=Depends(require("analyst"))
):
    """The champion's probability for the customer, its decile and the top reasons in plain words.

    Scores are computed at startup for every customer of the use case's population (as ``nomagic score``
    does) with the model, or with the baseline when the model did not beat it; ``scorer`` says which."""
    st = _state(request)
    sc = st.scores.get(use_case)
    if sc is None:
        raise HTTPException(
            404,
            say(
                "no trained {uc} model is loaded: run `nomagic train {uc}` and reload",
                "kein trainiertes Modell für {uc} geladen: `nomagic train {uc}` ausführen und neu laden",
                uc=use_case,
            ),
        )
    _refuse_unless_allowed(request, body.customer_id, use_case)
    row = sc.rows.get(body.customer_id)
    if row is None:
        raise _unknown(st, body.customer_id, use_case)
    return _json(
        {
            "customer_id": body.customer_id,
            "use_case": use_case,
            "score": row[0],
            "decile": row[1],
            "reasons": [in_lang(r, client_lang(request)) for r in row[2]],  # in the language the client asks for
            "scorer": sc.scorer,
            "model_version": sc.version,
            "as_of": sc.as_of,
        }
    )


@router.post(
    "/clv",
    response_model=S.Clv,
    tags=["scores"],
    responses=errors(400, 401, 403, 404, 413, 422, words=_403_CONSENT),
    summary="A customer's lifetime value (from the clv_scores table)",
)
async def clv(body: S.ScoreRequest, request: Request, key=Depends(require("analyst"))):
    st = _state(request)
    if not st.clv:
        raise HTTPException(
            404,
            say(
                "no CLV scores are loaded: run `nomagic score clv` and reload",
                "keine CLV-Werte geladen: `nomagic score clv` ausführen und neu laden",
            ),
        )
    _refuse_unless_allowed(request, body.customer_id, "clv")
    row = st.clv.get(body.customer_id)
    if row is None:
        raise _unknown(st, body.customer_id, "CLV score")
    return _json(clean({"customer_id": body.customer_id, **row}))


# ------------------------------------------------------------------------------------ recommendations


@router.post(
    "/recommendations",
    response_model=S.Recommendations,
    tags=["decisions"],
    responses=errors(400, 401, 403, 404, 413, 422, words=_403_CONSENT),
    summary="Products for a customer; each one served is logged in the decisions table",
)
async def recommendations(body: S.RecommendRequest, request: Request, key=Depends(require("analyst"))):
    """Up to ``n`` products, best first, each with a reason. Business rules apply (profiling consent, in stock,
    not bought before, category diversity); new customers get what is popular in their segment. The ranking is
    deterministic, so each item is logged with propensity 1 and the recommender's version."""
    st = _state(request)
    rec = st.recommender
    if rec is None:
        if st.recommender_status == "loading":
            why = say("still being fitted; retry in a few seconds", "wird noch trainiert; in ein paar Sekunden erneut")
        else:
            why = say("not available", "nicht verfügbar")
        raise HTTPException(
            404,
            say(
                "the recommender is {why} (it needs orders, order_lines and products)",
                "das Empfehlungsmodell ist {why} (es braucht orders, order_lines und products)",
                why=why,
            ),
        )
    cid = body.customer_id
    if cid not in st.customers:
        raise HTTPException(404, _UNKNOWN_CUSTOMER)
    _refuse_unless_allowed(request, cid, "recommend")
    items = rec.recommend(cid, body.n)
    note = ""
    if not items:
        note = "no recommendations: no profiling consent, or the business rules removed every candidate"
    ids = request.app.state.decisions.add(
        "recommend", cid, [str(i["product_id"]) for i in items], [1.0] * len(items), st.recommender_version or ""
    )
    names = st.product_names
    out = [
        {
            "product_id": str(i["product_id"]),
            "name": names.get(str(i["product_id"]), {}).get("en", ""),
            "name_de": names.get(str(i["product_id"]), {}).get("de", ""),
            "score": float(i["score"]),
            "reason": in_lang(i["reason"], client_lang(request)),
            "decision_id": d,
        }
        for i, d in zip(items, ids, strict=True)
    ]
    return _json(
        clean(
            {
                "customer_id": cid,
                "items": out,
                "model_version": st.recommender_version or "",
                "propensity": 1.0,
                "note": note,
            }
        )
    )


# ------------------------------------------------------------------------------------ records


def _summary(name: str, record: dict, meta: dict, lang: str = "en") -> dict:
    pm = record.get("primary_metric", "")
    imp = (record.get("metrics", {}).get("improvement") or {}).get(pm) or {}
    ci = imp.get("ci")
    return clean(
        {
            "use_case": name,
            "version": str(meta.get("version", "")),
            "verdict": str(record.get("verdict", "")),
            "scorer": str(meta.get("scorer", record.get("scorer", ""))),
            "primary_metric": str(pm),
            "model_value": meta.get("model_value"),
            "baseline_value": meta.get("baseline_value"),
            "improvement": imp.get("value"),
            "improvement_ci": list(ci) if ci else None,
            "explanation": str(pick(record, "explanation", lang)),
            "created_at": str(meta.get("created_at", "")),
        }
    )


@router.get(
    "/records",
    response_model=S.Records,
    tags=["records"],
    responses=errors(401, 403),
    summary="The champions' evaluation records (the reality check)",
)
async def records(request: Request, key=Depends(require("viewer"))):
    st = _state(request)
    return _json(
        {"records": [_summary(n, st.records[n], st.metas.get(n, {}), client_lang(request)) for n in st.use_cases]}
    )


@router.get(
    "/records/{use_case}",
    response_model=S.RecordDetail,
    tags=["records"],
    responses=errors(401, 403, 404),
    summary="One champion's full evaluation record",
)
async def record(use_case: str, request: Request, key=Depends(require("viewer"))):
    st = _state(request)
    if use_case not in st.records:
        known = ", ".join(st.use_cases) or "none"
        raise HTTPException(
            404,
            say(
                "no trained use case '{uc}'; trained: {k}",
                "kein trainierter Anwendungsfall '{uc}'; trainiert: {k}",
                uc=use_case,
                k=known,
            ),
        )
    meta = st.metas.get(use_case, {})
    return _json(clean({"use_case": use_case, "version": str(meta.get("version", "")), "record": st.records[use_case]}))


# ------------------------------------------------------------------------------------ admin


@router.post(
    "/admin/reload",
    response_model=S.Reloaded,
    tags=["admin"],
    responses=errors(401, 403),
    summary="Load the champions and tables again (after `nomagic train` or `nomagic score`)",
)
def reload(request: Request, key=Depends(require("admin"))) -> S.Reloaded:
    st = request.app.state.reload()
    return S.Reloaded(use_cases=st.use_cases, load_seconds=round(st.load_seconds, 3))


def extension_routers() -> list[APIRouter]:
    """The routers of :data:`EXTENSIONS` that exist."""
    out = []
    for name in EXTENSIONS:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        out.append(mod.router)
    return out


# ------------------------------------------------------------------------------------ monitoring


@router.get("/monitor/alerts", tags=["records"], responses=errors(401, 403), summary="The monitor's logged alerts")
async def monitor_alerts(request: Request, key=Depends(require("viewer"))):
    """The alerts ``nomagic monitor models`` logged in the warehouse (newest first, at most 200), each with its
    severity, evidence, meaning and action in the language the client asks for; and each use case's registry
    history (retraining, promotions, rollbacks)."""
    st = _state(request)
    lang = client_lang(request)
    alerts = [
        {
            **{k: str(a.get(k, "")) for k in ("use_case", "version", "period", "severity", "kind", "evidence")},
            "meaning": str(pick(a, "meaning", lang)),
            "action": str(pick(a, "action", lang)),
            "created_at": str(a.get("created_at", "")),
        }
        for a in st.alerts
    ]
    history = {n: [{**h, "why": pick(h, "why", lang)} for h in hs] for n, hs in st.history.items()}
    return _json(clean({"alerts": alerts, "history": history}))


def _known_use_case(st, use_case: str | None) -> None:
    """404 with the known names for a use case nobody trained or monitored (a known one may have no rows yet)."""
    if use_case is None:
        return
    known = set(st.records) | set(st.history)
    for frame in (st.periods, st.features):
        if frame is not None and len(frame):
            known |= set(frame["use_case"].astype(str))
    if use_case not in known:
        raise HTTPException(
            404,
            say(
                "unknown use case '{uc}': not trained and not monitored; known: {k}",
                "unbekannter Anwendungsfall '{uc}': weder trainiert noch überwacht; bekannt: {k}",
                uc=use_case,
                k=", ".join(sorted(known)) or "-",
            ),
        )


def _rows(frame, use_case: str | None, order: list[str], ascending: list[bool] | None = None) -> list[dict]:
    """A logged table's rows (of one use case) as JSON records, in a stable order; [] when nothing was logged."""
    if frame is None or not len(frame):
        return []
    if use_case is not None:
        frame = frame[frame["use_case"] == use_case]
    frame = frame.sort_values(order, ascending=ascending or True, kind="stable")
    return json.loads(frame.to_json(orient="records", date_format="iso"))


@router.get(
    "/monitor/periods",
    tags=["records"],
    responses=errors(401, 403, 404, words={404: "Unknown use case"}),
    summary="The monitor's periods: estimated against realized performance",
)
async def monitor_periods(request: Request, use_case: str | None = None, key=Depends(require("viewer"))):
    """The rows of the warehouse table ``monitor_periods`` that ``nomagic monitor models`` keeps (the figures of the
    Monitoring page's estimated-against-realized charts): per use case, version and period, the label-free
    positive rate with its interval and ROC-AUC, the realized ones once the labels arrived (null before), and the
    number of alerts. ``use_case`` keeps one use case; an empty list when nothing was monitored yet."""
    st = _state(request)
    _known_use_case(st, use_case)
    return _json(clean({"periods": _rows(st.periods, use_case, ["use_case", "version", "period"])}))


@router.get(
    "/monitor/features",
    tags=["records"],
    responses=errors(400, 401, 403, 404, words={400: "The period is not a date", 404: "Unknown use case"}),
    summary="The monitor's drift by feature, with importance",
)
async def monitor_features(
    request: Request, use_case: str | None = None, period: str | None = None, key=Depends(require("viewer"))
):
    """The rows of the warehouse table ``monitor_features`` (the figures of the Monitoring page's drift by
    feature): per use case, version, period (its end, YYYY-MM-DD) and column, the column's importance (share of
    the model's use of it), how far its contribution to the log-odds moved against the reference (``shift``)
    with the reference's noise (``shift_noise``), its PSI with its noise, and ``beyond_noise``. ``use_case`` and
    ``period`` filter (``period=latest``: each use case's latest period); most important columns first."""
    from datetime import date

    st = _state(request)
    _known_use_case(st, use_case)
    frame = st.features
    if period is not None and period != "latest":
        try:
            date.fromisoformat(period)
        except ValueError:
            raise HTTPException(
                400,
                say(
                    "period {p!r} is not a date: use YYYY-MM-DD (the period's end) or 'latest'",
                    "period {p!r} ist kein Datum: JJJJ-MM-TT (das Ende des Zeitraums) oder 'latest' angeben",
                    p=period[:40],
                ),
            ) from None
    if frame is not None and len(frame) and period is not None:
        days = frame["period"].astype(str).str[:10]
        if period == "latest":
            frame = frame[days == days.groupby(frame["use_case"]).transform("max")]
        else:
            frame = frame[days == period]
    order = ["use_case", "version", "period", "importance"]
    return _json(clean({"features": _rows(frame, use_case, order, [True, True, True, False])}))


# ------------------------------------------------------------------------------------ human review


class ReviewItem(BaseModel):
    review_id: str
    created_at: str
    use_case: str
    unit_id: str
    action: str = Field(..., description="The proposed action, held until a person decides.")
    reasons: str = Field(..., description="Why the model proposed it, in the language asked for.")
    model_version: str | None
    status: Literal["pending", "approved", "overridden"]
    decided_by: str | None = None
    decided_at: str | None = None
    note: str | None = None


class ReviewList(BaseModel):
    items: list[ReviewItem]


class ReviewDecision(S.Strict):
    decision: Literal["approve", "override"] = Field(
        ..., description="approve: the proposed action is taken; override: it is not."
    )
    note: str | None = Field(None, max_length=2000, description="Why (kept in the queue, not in the audit log).")


_REVIEW_ERRORS = errors(
    400,
    401,
    403,
    404,
    409,
    413,
    422,
    503,
    words={
        404: "No such review item",
        409: "The item was decided already (a decision is final)",
        503: "The warehouse is busy; retry shortly",
    },
)


def _iso(v) -> str | None:
    import pandas as pd

    return None if v is None or pd.isna(v) else pd.Timestamp(v).isoformat()


def review_item(row: dict, lang: str) -> dict:
    """One queue row as the API and the dashboard show it (reasons in ``lang``)."""
    reasons = row.get("reasons_de") if lang == "de" and row.get("reasons_de") else row.get("reasons")
    return {
        "review_id": str(row["review_id"]),
        "created_at": _iso(row.get("created_at")) or "",
        "use_case": str(row["use_case"]),
        "unit_id": str(row["unit_id"]),
        "action": str(row["action"]),
        "reasons": str(reasons or ""),
        "model_version": None if row.get("model_version") is None else str(row["model_version"]),
        "status": str(row["status"]),
        "decided_by": row.get("decided_by"),
        "decided_at": _iso(row.get("decided_at")),
        "note": row.get("note"),
    }


def request_warehouse(request: Request):
    """The warehouse, opened for one request (the server holds no lock), with the decisions held in memory
    written first; 404 without a warehouse, 503 while another command holds it."""
    from nomagic.warehouse import connect

    url = request.app.state.url
    if url is None:
        raise HTTPException(404, say("this server has no warehouse", "dieser Server hat kein Warehouse"))
    request.app.state.decisions.flush()  # online decisions held a moment ago are in the queue
    try:
        return connect(url)
    except Exception as exc:
        raise HTTPException(
            503,
            say(
                "the warehouse is busy (another nomagic command holds it); retry shortly",
                "das Warehouse ist belegt (ein anderer nomagic-Befehl hält es); gleich erneut versuchen",
            ),
        ) from exc


def pending_reviews(request: Request, lang: str) -> list[dict]:
    """The items waiting for a person, oldest first (for the API and the dashboard)."""
    from nomagic.privacy import review

    with request_warehouse(request) as wh:
        df = review.pending(wh)
    return [review_item(r, lang) for r in df.to_dict("records")]


def decide_review(request: Request, review_id: str, approve: bool, note: str | None, key) -> dict:
    """Approve or override one item as the key's holder; 404 unknown, 409 decided already (reasons EN/DE)."""
    from nomagic.privacy import audit, review

    with request_warehouse(request) as wh:
        try:
            review.get(wh, review_id)
        except review.ReviewError as exc:
            raise HTTPException(404, say("{e}", "{e}", e=error_words(exc))) from exc
        try:
            out = review.decide(wh, review_id, approve, by=audit.key_actor(key.key_id, key.name), note=note)
        except review.ReviewError as exc:  # decided already (a decision is final)
            raise HTTPException(409, say("{e}", "{e}", e=error_words(exc))) from exc
    request.app.state.decisions.decided(str(review_id), out["status"])
    return out


def error_words(exc: Exception):
    """A nomagic error's message in both languages (a plain exception's text as it is)."""
    from nomagic.words import Text

    return Text(exc.lang("en"), exc.lang("de")) if hasattr(exc, "lang") else str(exc)


@router.get(
    "/review",
    response_model=ReviewList,
    tags=["review"],
    responses=_REVIEW_ERRORS,
    summary="Decisions held for human review (Art. 22), oldest first, with their reasons",
)
def review_list(request: Request, key=Depends(require("analyst"))) -> ReviewList:
    return ReviewList(items=[ReviewItem(**i) for i in pending_reviews(request, client_lang(request))])


@router.post(
    "/review/{review_id}",
    response_model=ReviewItem,
    tags=["review"],
    responses=_REVIEW_ERRORS,
    summary="Approve (act on) or override (do not act on) a held decision; logged in the audit log",
)
def review_decide(
    review_id: str, body: ReviewDecision, request: Request, key=Depends(require("analyst"))
) -> ReviewItem:
    out = decide_review(request, review_id, body.decision == "approve", body.note, key)
    return ReviewItem(**review_item(out, client_lang(request)))
