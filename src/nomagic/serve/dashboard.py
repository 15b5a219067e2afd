"""The web dashboard: server-rendered pages (Jinja2), no JavaScript, no CDN; English and German.

Pages: overview (data health + reality check), one page per trained use case (drivers, lift, calibration,
fairness, metrics, model card), customer value (CLV), recommendations for a chosen customer, segments,
budget what-if, bandit experiments, brand monitoring of the social mentions, and the human review queue.
Logging in with an API key opens a session; viewers see the summaries, analysts also the per-customer pages.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from markupsafe import Markup

from nomagic import __version__
from nomagic.report.glossary import link
from nomagic.serve.i18n import LANGUAGES, translator
from nomagic.serve.i18n import pick as pick_lang
from nomagic.serve.keys import allows
from nomagic.serve.security import LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE
from nomagic.words import date_text, in_lang, money, pick, say, verdict

router = APIRouter(include_in_schema=False)

env = Environment(loader=PackageLoader("nomagic.serve", "templates"), autoescape=select_autoescape(["html"]))


def _fmt(v, digits: int = 3, lang: str = "en") -> str:
    """A number as people read it: 10,000.5 in English, 10.000,5 in German."""
    if v is None:
        return "-"
    if isinstance(v, float):
        text = f"{v:,.{digits}f}"
    elif isinstance(v, int):
        text = f"{v:,}"
    else:
        return str(v)
    return text.translate(str.maketrans(",.", ".,")) if lang == "de" else text


@pass_context
def _num(ctx, v, digits: int = 3) -> str:
    return _fmt(v, digits, ctx.get("lang", "en"))


@pass_context
def _pct(ctx, v) -> str:
    if v is None:
        return "-"
    return f"{_fmt(100 * float(v), 1, 'de')} %" if ctx.get("lang") == "de" else f"{100 * float(v):.1f}%"


@pass_context
def _money(ctx, v, digits: int = 2) -> str:
    """An amount in the shop's currency: €1,234.56 in English, 1.234,56 € in German."""
    return "-" if v is None else money(v, ctx.get("currency", "EUR"), ctx.get("lang", "en"), digits)


@pass_context
def _pick(ctx, obj, key: str, default=""):
    """A record's field in the page's language (its ``<key>_de`` sibling on German pages)."""
    return pick(obj or {}, key, ctx.get("lang", "en"), default)


@pass_context
def _alert_kind(ctx, code: str) -> str:
    """A monitor alert's kind (an English code in the log) in the page's language."""
    from nomagic.monitor.alerts import kind_words

    return kind_words(str(code)).lang(ctx.get("lang", "en"))


@pass_context
def _verdict(ctx, code: str) -> str:
    return verdict(code, ctx.get("lang", "en"))


@pass_context
def _date(ctx, value) -> str:
    """A date (or the date part of an ISO time) as people of the page's language write it."""
    if not value:
        return "-"
    text = str(value)
    return date_text(text[:10], ctx.get("lang", "en")) + (text[10:16].replace("T", " ") if len(text) > 10 else "")


@pass_context
def _lang_text(ctx, value) -> str:
    """A sentence (Text) in the page's language; anything else as it is."""
    return in_lang(value, ctx.get("lang", "en"))


env.filters["pick"] = _pick
env.filters["verdict"] = _verdict
env.filters["alert_kind"] = _alert_kind
env.filters["date"] = _date
env.filters["say"] = _lang_text
env.filters["glossary"] = lambda metric: "/dashboard/glossary" + link(metric)
env.filters["num"] = _num
env.filters["pct"] = _pct
env.filters["money"] = _money
env.filters["vclass"] = lambda v: str(v).replace(" ", "-")


def _lang(request: Request) -> str:
    return pick_lang(
        request.cookies.get(LANG_COOKIE), request.query_params.get("lang"), request.headers.get("accept-language")
    )


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.app.state.config.secure_cookies


def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    lang = _lang(request)
    st = request.app.state.nm
    other = "de" if lang == "en" else "en"
    ctx.setdefault("session", None)
    ctx.setdefault("key", None)
    html = env.get_template(template).render(
        t=translator(lang),
        lang=lang,
        switch_url=str(request.url.include_query_params(lang=other).path)
        + "?"
        + str(request.url.include_query_params(lang=other).query),
        use_cases=st.use_cases,
        currency=request.app.state.config.currency,
        version=__version__,
        path=request.url.path,
        **ctx,
    )
    resp = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        resp.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="strict", secure=_secure(request)
        )
    return resp


def _logged_in(request: Request):
    return request.app.state.sessions.get(request.cookies.get(SESSION_COOKIE))


def _guard(request: Request, role: str = "viewer"):
    """(session, key) or a response: the login page (not logged in) or 403 (role too low)."""
    got = _logged_in(request)
    if got is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    s, info = got
    if not allows(info.role, role):
        return render(request, "error.html", 403, session=s, key=info, message_key="forbidden", extra=role, code=403)
    return got


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    return target


# ----------------------------------------------------------------------------------- login


@router.get("/", response_class=HTMLResponse)
async def root(request: Request):
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/dashboard"):
    if _logged_in(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", next=_safe_next(next), csrf=token, failed=None)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict", secure=_secure(request))
    return resp


async def _form(request: Request) -> dict[str, str]:
    raw = await request.body()
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items()}


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request):
    form = await _form(request)
    nxt = _safe_next(form.get("next"))
    if not _same(form.get("csrf"), request.cookies.get(LOGIN_CSRF_COOKIE)):
        token = secrets.token_urlsafe(24)
        resp = render(request, "login.html", 403, next=nxt, csrf=token, failed="csrf_failed")
        resp.set_cookie(
            LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict", secure=_secure(request)
        )
        return resp
    info = request.app.state.keys.verify(form.get("api_key", "").strip())
    if info is None:
        return render(request, "login.html", 401, next=nxt, csrf=form.get("csrf"), failed="login_failed")
    sid, _ = request.app.state.sessions.open(info)
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", secure=_secure(request))
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
async def logout(request: Request):
    got = _logged_in(request)
    form = await _form(request)
    if got is None:
        return RedirectResponse("/login", status_code=303)
    if not _same(form.get("csrf"), got[0].csrf):
        return render(
            request, "error.html", 403, session=got[0], key=got[1], message_key="csrf_failed", extra="", code=403
        )
    request.app.state.sessions.close(request.cookies.get(SESSION_COOKIE))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


# ----------------------------------------------------------------------------------- pages


@router.get("/dashboard", response_class=HTMLResponse)
async def overview(request: Request):
    got = _guard(request)
    if isinstance(got, Response):
        return got
    from nomagic.report import reality_rows

    st = request.app.state.nm
    records = [st.records[n] for n in st.use_cases]
    return render(
        request,
        "overview.html",
        session=got[0],
        key=got[1],
        health=st.health,
        reality=reality_rows(records, _lang(request)),
        problems=st.problems,
    )


def _charts(st, name: str, lang: str = "en") -> list[tuple[str, Markup]]:
    """The use case's charts as inline SVG, drawn once per loaded record and language."""
    if (name, lang) in st.charts:
        return st.charts[(name, lang)]
    from nomagic.report import charts

    record = st.records[name]
    try:
        out = charts.use_case_charts(record, lang)
    except Exception:  # the report extra is missing or a chart cannot be drawn: the tables still show
        out = []
    st.charts[(name, lang)] = [(kind, Markup(svg)) for kind, svg in out if svg]
    return st.charts[(name, lang)]


@router.get("/dashboard/use-case/{name}", response_class=HTMLResponse)
async def use_case(request: Request, name: str):
    got = _guard(request)
    if isinstance(got, Response):
        return got
    st = request.app.state.nm
    if name not in st.records:
        return render(
            request, "error.html", 404, session=got[0], key=got[1], message_key="not_found", extra=name, code=404
        )
    from nomagic.lifecycle.card import html_body, metric_rows, profit_assumptions
    from nomagic.report import reality_rows
    from nomagic.report.advice import advice, fairness_note, not_advice

    record = st.records[name]
    meta = st.metas.get(name, {})
    lang = _lang(request)
    return render(
        request,
        "usecase.html",
        session=got[0],
        key=got[1],
        name=name,
        record=record,
        meta=meta,
        row=reality_rows([record], lang)[0],
        charts=_charts(st, name, lang),
        metrics=[(key, *(c.replace("`", "") for c in r)) for key, r in metric_rows(record, lang, keys=True)]
        if record.get("metrics", {}).get("model")
        else [],
        profit_note=profit_assumptions(record, lang),
        drivers=record.get("drivers") or [],
        fairness=record.get("fairness") or {},
        advice=advice(record, lang),
        not_advice=not_advice(record, lang),
        fairness_note=fairness_note(record, lang),
        card=Markup(html_body(record, meta or {"version": ""}, level=3, lang=lang)),
        bidding=_bidding_rows(record) if name == "bidding" else [],
    )


def _bidding_rows(record: dict) -> list[dict]:
    """One row per budget and strategy of a bidding record's replay: wins, win rate, spend, clicks, eCPC."""
    from nomagic.report.bidding import _NAMES

    rows = []
    for b in record.get("budgets") or []:
        for key, s in b["strategies"].items():
            en, de = _NAMES.get(key, (key, key))
            rows.append(
                {
                    "budget": f"1/{1 / b['share']:.0f}",
                    "strategy": en,
                    "strategy_de": de,
                    **{k: s.get(k) for k in ("wins", "win_rate", "spend", "clicks", "ecpc")},
                }
            )
    return rows


@router.get("/dashboard/clv", response_class=HTMLResponse)
async def clv_page(request: Request, customer_id: str = ""):
    got = _guard(request, "analyst")
    if isinstance(got, Response):
        return got
    st = request.app.state.nm
    cid = customer_id.strip()[:128]
    found = st.clv.get(cid) if cid else None
    return render(
        request,
        "clv.html",
        session=got[0],
        key=got[1],
        info=st.clv_info,
        has=bool(st.clv),
        customer_id=cid,
        found=found,
        unknown=bool(cid) and found is None,
    )


@router.get("/dashboard/recommendations", response_class=HTMLResponse)
async def recs_page(request: Request, customer_id: str = ""):
    got = _guard(request, "analyst")
    if isinstance(got, Response):
        return got
    st = request.app.state.nm
    cid = customer_id.strip()[:128]
    items, unknown = None, False
    if cid and st.recommender is not None:
        if cid in st.customers:
            items = st.recommender.recommend(cid, 10)  # a preview for the analyst: not a decision, not logged
            lang = _lang(request)
            items = [{**i, "name": st.product_names.get(str(i["product_id"]), {}).get(lang, "")} for i in items]
        else:
            unknown = True
    return render(
        request,
        "recommendations.html",
        session=got[0],
        key=got[1],
        customer_id=cid,
        items=items,
        unknown=unknown,
        rec_status=st.recommender_status,
        rec_version=st.recommender_version,
        examples=sorted(st.customers)[:3],
    )


@router.get("/dashboard/segments", response_class=HTMLResponse)
async def segments_page(request: Request):
    got = _guard(request)
    if isinstance(got, Response):
        return got
    st = request.app.state.nm
    seg = st.segments
    rows = [] if seg is None or seg.empty else seg.to_dict("records")
    return render(request, "segments.html", session=got[0], key=got[1], rows=rows)


@router.get("/dashboard/budget", response_class=HTMLResponse)
async def budget_page(request: Request):
    """The budget champion's response curves and a what-if: spend per channel in, media response out."""
    got = _guard(request)
    if isinstance(got, Response):
        return got
    st = request.app.state.nm
    record = st.records.get("budget")
    ctx = {"has": bool(record and (record.get("curves") or {}).get("response")), "result": None, "error": ""}
    if ctx["has"]:
        from nomagic.errors import NomagicError
        from nomagic.usecases.budget.optimise import what_if_from_record

        asked = {}
        for k, v in request.query_params.items():
            if k.startswith("spend_") and v.strip():
                try:
                    asked[k[len("spend_") :]] = float(v.replace(",", "."))
                except ValueError:
                    ctx["error"] = say(
                        "{c}: '{v}' is not a number", "{c}: '{v}' ist keine Zahl", c=k[len("spend_") :], v=v[:40]
                    ).lang(_lang(request))
        try:
            ctx["result"] = what_if_from_record(record, {} if ctx["error"] else asked)
        except NomagicError as exc:
            ctx["error"] = exc.lang(_lang(request))
            ctx["result"] = what_if_from_record(record, {})
        ctx["charts"] = [(k, svg) for k, svg in _charts(st, "budget", _lang(request)) if k in ("response", "shift")]
        ctx["allocation"] = record.get("allocation") or {}
        from nomagic.report.advice import not_advice

        ctx["not_advice"] = not_advice(record, _lang(request))
        ctx["verdict"] = record.get("verdict", "")
        ctx["evidence"] = pick(record.get("roi_check") or {}, "words", _lang(request))  # what decided the verdict
    return render(request, "budget.html", session=got[0], key=got[1], **ctx)


@router.get("/dashboard/experiments", response_class=HTMLResponse)
async def experiments_page(request: Request):
    got = _guard(request)
    if isinstance(got, Response):
        return got
    from nomagic.serve.routes_bandits import summaries

    return render(request, "experiments.html", session=got[0], key=got[1], experiments=summaries(request))


@router.get("/dashboard/monitor", response_class=HTMLResponse)
def monitor_page(request: Request, brands: str = ""):
    """Brand monitoring of the warehouse's social mentions (no topics here: they take the embedder's time).

    A plain ``def``: FastAPI runs it in its thread pool, so the first (uncached) computation does not
    hold up the other requests."""
    got = _guard(request)
    if isinstance(got, Response):
        return got
    from nomagic.errors import NomagicError

    ctx = {"rec": None, "error": "", "brands": brands[:500], "chart": None}
    try:
        ctx["rec"] = _monitor_record(request, brands[:500])
    except NomagicError as exc:
        ctx["error"] = exc.lang(_lang(request))
    if ctx["rec"]:
        from nomagic.usecases.language.monitor import describe_peak

        for a in ctx["rec"]["alerts"]:
            a["peak_words"] = describe_peak(a)
        from nomagic.report.monitor import svgs

        volume = dict(svgs(ctx["rec"], lang=_lang(request))).get("volume")
        ctx["chart"] = Markup(volume) if volume else None
    return render(request, "monitor.html", session=got[0], key=got[1], **ctx)


def _monitor_record(request: Request, brands: str) -> dict | None:
    """The record for these brands, computed once per brand list and kept for ten minutes."""
    import time

    cache = getattr(request.app.state, "monitor_cache", None)
    if cache is None:
        cache = request.app.state.monitor_cache = {}
    hit = cache.get(brands)
    if hit and time.time() - hit[0] < 600:
        return hit[1]
    from nomagic.serve.routes_language import _sentiment_model
    from nomagic.usecases.language.monitor import monitor, parse_brands, warehouse_mentions
    from nomagic.warehouse import connect

    with connect(request.app.state.url) as wh:
        df = warehouse_mentions(wh)
    if df is None:
        return None
    model, scorer, version = _sentiment_model(request)
    rec = monitor(
        df,
        text="text",
        time_col="created_at",
        brands=parse_brands(brands) if brands.strip() else None,
        predictor=model if scorer == "model" else None,
        predictor_words=say(
            "the registry's sentiment champion ({v})",
            "das Champion-Sentiment-Modell der Registry ({v})",
            v=str(version),
        )
        if scorer == "model"
        else "",
        topics=False,
    )
    cache[brands] = (time.time(), rec)
    return rec


def _monitoring_charts(st, name: str, lang: str) -> list[tuple[str, Markup]]:
    """Estimated against realized for the use case's monitored periods (none before `nomagic monitor models`)."""
    if st.periods is None or not len(st.periods):
        return []
    from nomagic.report.monitoring import monitoring_svgs

    mine = st.periods[st.periods["use_case"] == name]
    try:
        return [(k, Markup(svg)) for k, svg in monitoring_svgs(mine, lang)] if len(mine) else []
    except Exception:  # the report extra is missing: the tables still show
        return []


def _drift_section(st, name: str, lang: str) -> dict | None:
    """Drift by feature in the use case's latest monitored period: chart, top columns, and what it means in words
    (None before `nomagic monitor models` logged any)."""
    if st.features is None or not len(st.features):
        return None
    from nomagic.report.monitoring import drift_frame, drift_svg, drift_words

    top = drift_frame(st.features, name)
    if top.empty:
        return None
    try:
        svg = drift_svg(st.features, name, lang)
    except Exception:  # the report extra is missing: the table and the words still show
        svg = None
    return {
        "period": top["period"].iloc[0],
        "rows": top.to_dict("records"),
        "words": drift_words(st.features, name).lang(lang),
        "chart": None if svg is None else Markup(svg),
    }


@router.get("/dashboard/monitoring", response_class=HTMLResponse)
async def monitoring_page(request: Request):
    """Per champion: estimated against realized performance, drift by feature with importance, its alerts from
    the monitor (``nomagic monitor models``) and its registry history (retraining, promotions, rollbacks)."""
    got = _guard(request)
    if isinstance(got, Response):
        return got
    st = request.app.state.nm
    names = sorted(set(st.use_cases) | set(st.history))
    rows = [
        {
            "name": n,
            "version": st.metas.get(n, {}).get("version", ""),
            "alerts": [a for a in st.alerts if a.get("use_case") == n],
            "history": st.history.get(n, [])[:10],
            "charts": _monitoring_charts(st, n, _lang(request)),
            "drift": _drift_section(st, n, _lang(request)),
        }
        for n in names
    ]
    return render(request, "monitoring.html", session=got[0], key=got[1], rows=rows, any_alerts=bool(st.alerts))


@router.get("/dashboard/review", response_class=HTMLResponse)
def review_page(request: Request, done: str = ""):
    """Decisions held for human review (Art. 22) with their reasons; approve / override per item (analyst)."""
    got = _guard(request, "analyst")
    if isinstance(got, Response):
        return got
    return _review_render(request, got, done=done if done in ("approved", "overridden") else "")


def _review_render(request: Request, got, status: int = 200, done: str = "", error: str = "") -> HTMLResponse:
    from fastapi import HTTPException

    from nomagic.serve.api import pending_reviews

    lang = _lang(request)
    items, configured = [], bool(request.app.state.decisions.review_config)
    try:
        items = pending_reviews(request, lang)
    except HTTPException as exc:
        error, status = in_lang(exc.detail, lang), exc.status_code
    return render(
        request,
        "review.html",
        status,
        session=got[0],
        key=got[1],
        items=items,
        configured=configured,
        done=done,
        error=error,
    )


@router.post("/dashboard/review/{review_id}", response_class=HTMLResponse)
async def review_decide(request: Request, review_id: str):
    """A form's approve / override (CSRF token bound to the session), then back to the list."""
    got = _guard(request, "analyst")
    if isinstance(got, Response):
        return got
    form = await _form(request)
    if not _same(form.get("csrf"), got[0].csrf):
        return render(
            request, "error.html", 403, session=got[0], key=got[1], message_key="csrf_failed", extra="", code=403
        )
    from fastapi import HTTPException
    from starlette.concurrency import run_in_threadpool

    from nomagic.serve.api import decide_review

    choice = form.get("decision")
    if choice not in ("approve", "override"):
        words = say("choose approve or override", "Freigeben oder Verwerfen wählen")
        return await run_in_threadpool(_review_render, request, got, 422, "", words.lang(_lang(request)))
    try:
        out = await run_in_threadpool(
            decide_review, request, review_id[:64], choice == "approve", form.get("note"), got[1]
        )
    except HTTPException as exc:
        return await run_in_threadpool(
            _review_render, request, got, exc.status_code, "", in_lang(exc.detail, _lang(request))
        )
    return RedirectResponse(f"/dashboard/review?done={out['status']}", status_code=303)


@router.get("/dashboard/glossary", response_class=HTMLResponse)
async def glossary_page(request: Request):
    """Every metric and method in the page's language; metric names elsewhere link here."""
    got = _guard(request)
    if isinstance(got, Response):
        return got
    from nomagic.report.glossary import entries

    return render(request, "glossary.html", session=got[0], key=got[1], entries=entries(_lang(request)))


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request):
    """The API reference, drawn from the OpenAPI document (offline: no Swagger assets from a CDN)."""
    spec = request.app.openapi()
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = (((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get("schema")
            ok = next((r for c, r in op.get("responses", {}).items() if str(c).startswith("2")), {})
            out = ((ok.get("content") or {}).get("application/json") or {}).get("schema")
            ops.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "auth": bool(op.get("security")),
                    "body": (body or {}).get("$ref", "").rsplit("/", 1)[-1],
                    "response": (out or {}).get("$ref", "").rsplit("/", 1)[-1],
                    "codes": ", ".join(str(c) for c in op.get("responses", {})),
                }
            )
    schemas = spec.get("components", {}).get("schemas", {})
    return render(request, "docs.html", ops=ops, schemas=schemas)
