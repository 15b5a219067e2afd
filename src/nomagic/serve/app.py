"""The ASGI application: the API (``/api/v1``), the dashboard (``/dashboard``), the API reference (``/docs``)."""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from nomagic import __version__
from nomagic.serve import api, dashboard
from nomagic.serve.decisions import DecisionLog
from nomagic.serve.i18n import pick as pick_lang
from nomagic.serve.keys import KeyStore, keys_path
from nomagic.serve.security import GuardMiddleware, Sessions
from nomagic.serve.state import load
from nomagic.words import in_lang, say

log = logging.getLogger("nomagic.serve")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
}


@dataclass
class ServeConfig:
    """How the server runs (``nomagic serve`` fills it from its options).

    Parameters
    ----------
    warehouse : warehouse URL or DuckDB path (default: ``$NOMAGIC_WAREHOUSE`` or ``./nomagic.duckdb``).
    registry : registry folder (default: next to the warehouse, as for ``nomagic train``).
    keys : key file (default: ``.nomagic/keys.json`` next to the registry, or ``$NOMAGIC_KEYS``).
    max_body : largest request body in bytes; larger ones get 413.
    cors_origins : origins allowed to call the API from a browser; none by default (CORS closed).
    secure_cookies : mark session cookies Secure (set it behind an HTTPS proxy).
    fit_recommender : fit the online recommender at startup (in the background); when off, the
        ``recommendations`` table is served if present.
    flush_seconds : how often logged decisions are written to the warehouse.
    currency : the shop's currency for money on the dashboard (ISO code; default ``$NOMAGIC_CURRENCY``
        or EUR).
    """

    warehouse: str | None = None
    registry: str | Path | None = None
    keys: str | Path | None = None
    max_body: int = 64 * 1024
    cors_origins: list[str] = field(default_factory=list)
    secure_cookies: bool = False
    fit_recommender: bool = True
    flush_seconds: float = 2.0
    currency: str = field(default_factory=lambda: os.environ.get("NOMAGIC_CURRENCY", "EUR"))
    health: bool = True
    background: bool = True


def _error(status: int, detail: str, problems: list | None = None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": CODES.get(status, "error"), "detail": detail, "problems": problems or []},
        status_code=status,
        headers=headers,
    )


def create_app(config: ServeConfig | None = None) -> FastAPI:
    """Load the warehouse's state and build the app (see :class:`ServeConfig`)."""
    from nomagic.warehouse.connection import resolve_url

    cfg = config or ServeConfig()
    url = resolve_url(cfg.warehouse)

    def _load():
        return load(
            url,
            registry_root=cfg.registry,
            fit_recommender=cfg.fit_recommender,
            health=cfg.health,
            background=cfg.background,
        )

    decisions = DecisionLog(url, flush_seconds=cfg.flush_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        decisions.start()
        try:
            yield
        finally:
            decisions.stop()

    app = FastAPI(
        title="nomagic",
        version=__version__,
        description=(
            "Marketing AI without the magic: scores with reasons, customer value, recommendations and the evidence "
            "(evaluation records) behind them. Send an API key in the `X-API-Key` header."
        ),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.config = cfg
    app.state.url = url
    app.state.keys = KeyStore(cfg.keys or keys_path(url))
    app.state.sessions = Sessions(app.state.keys)
    app.state.decisions = decisions
    app.state.nm = _load()

    def reload():
        app.state.nm = _load()
        return app.state.nm

    app.state.reload = reload

    def lang(request: Request) -> str:  # the API answers in the language the client asks for (Accept-Language)
        return pick_lang(None, request.query_params.get("lang"), request.headers.get("accept-language"))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return _error(exc.status_code, in_lang(exc.detail, lang(request)), headers=getattr(exc, "headers", None))

    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def starlette_error(request: Request, exc: StarletteHTTPException):
        words = {
            404: say("no such page or route", "keine solche Seite oder Route"),
            405: say("method not allowed on this route", "Methode auf dieser Route nicht erlaubt"),
        }.get(exc.status_code)
        detail = in_lang(words, lang(request)) if words else in_lang(exc.detail, lang(request))
        return _error(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            words = say(
                "malformed JSON: the body is not valid JSON", "fehlerhaftes JSON: der Inhalt ist kein gültiges JSON"
            )
            return _error(400, words.lang(lang(request)))
        problems = [{"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")} for e in errs]
        detail = "; ".join(f"{p['where']}: {p['problem']}" for p in problems[:5])
        words = say("invalid request: {d}", "ungültige Anfrage: {d}", d=detail)  # pydantic's own words stay English
        return _error(422, words.lang(lang(request)), problems)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception):  # logged without request data
        log.error("internal error %s on %s", type(exc).__name__, getattr(request.scope.get("route"), "path", "-"))
        words = say("internal error; the server keeps running", "interner Fehler; der Server läuft weiter")
        return _error(500, words.lang(lang(request)))

    app.include_router(api.router)
    for router in api.extension_routers():
        app.include_router(router, prefix="/api/v1")
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cfg.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Content-Type"],
        )
    app.add_middleware(GuardMiddleware, max_body=cfg.max_body)
    return app


def run(config: ServeConfig, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve with uvicorn (one process; the access log is nomagic's own, without personal data)."""
    import uvicorn

    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO), format="%(asctime)s %(name)s %(message)s"
    )
    app = create_app(config)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level=log_level, server_header=False)
