"""Guards: request size limit, security headers, a log without personal data, API-key roles, dashboard sessions.

* Bodies larger than ``max_body`` bytes are refused with 413 before the app reads them (by
  ``Content-Length``, or counted while streaming when there is none).
* The access log names the route's template (``POST /api/v1/score/{use_case}``), the status and the time;
  never the path's values, the query string, the body or the key.
* API: the key in the ``X-API-Key`` header; every route declares the least role it needs.
* Dashboard: logging in with a key opens a server-side session (random id in an HttpOnly, SameSite=Strict
  cookie); every form carries a CSRF token bound to the session (the login form: to a pre-login cookie).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.security import APIKeyHeader

from nomagic.serve.keys import KeyInfo, KeyStore, allows
from nomagic.words import say

access_log = logging.getLogger("nomagic.serve.access")

CSP = (
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CSP.encode()),
    (b"cache-control", b"no-store"),
]


def _json(status: int, error: str, detail: str) -> tuple[list, bytes]:
    body = json.dumps({"error": error, "detail": detail, "problems": []}).encode()
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())], body


class GuardMiddleware:
    """Pure ASGI (no per-request task switching): size limit, headers, access log."""

    def __init__(self, app, *, max_body: int = 64 * 1024):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        status = {"code": 0}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = list(message.get("headers", [])) + HEADERS
            await send(message)

        length = None
        for k, v in scope.get("headers", ()):
            if k == b"content-length":
                try:
                    length = int(v)
                except ValueError:
                    length = -1
                break
        too_big = length is not None and (length < 0 or length > self.max_body)
        if length is None and scope.get("method") in ("POST", "PUT", "PATCH"):
            # no Content-Length (chunked): read up to the limit here, then hand the body on
            chunks, size, more = [], 0, True
            while more:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                chunk = msg.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    too_big = True
                    break
                chunks.append(chunk)
                more = msg.get("more_body", False)
            if not too_big:
                body = b"".join(chunks)
                sent = {"done": False}

                async def replay():
                    if not sent["done"]:
                        sent["done"] = True
                        return {"type": "http.request", "body": body, "more_body": False}
                    return await receive()

                receive = replay
        if too_big:
            headers, body = _json(413, "too_large", f"the request body is larger than {self.max_body} bytes")
            await send_with_headers({"type": "http.response.start", "status": 413, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            self._log(scope, 413, t0)
            return
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self._log(scope, status["code"] or 500, t0)

    @staticmethod
    def _log(scope, code: int, t0: float) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        route = scope.get("route")
        path = getattr(route, "path", None) or ("/static/..." if scope.get("path", "").startswith("/static/") else "-")
        access_log.info("%s %s %d %.1fms", scope.get("method"), path, code, 1000 * (time.perf_counter() - t0))


# ----------------------------------------------------------------------------------- API keys

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="An API key from `nomagic keys create --role viewer|analyst|admin`.",
)


def require(role: str):
    """A dependency: the request's key must be active and allow ``role``; returns its :class:`KeyInfo`."""
    from fastapi import Security

    async def check(request: Request, key: str | None = Security(api_key_header)) -> KeyInfo:
        store: KeyStore = request.app.state.keys
        if not key:
            raise HTTPException(
                401,
                say(
                    "missing API key: send it in the X-API-Key header",
                    "API-Schlüssel fehlt: im Header X-API-Key senden",
                ),
                {"WWW-Authenticate": "ApiKey"},
            )
        info = store.verify(key)
        if info is None:
            raise HTTPException(
                401,
                say("unknown or revoked API key", "unbekannter oder widerrufener API-Schlüssel"),
                {"WWW-Authenticate": "ApiKey"},
            )
        if not allows(info.role, role):
            raise HTTPException(
                403,
                say(
                    "this route needs the role {r}; the key has the role {k}",
                    "diese Route braucht die Rolle {r}; der Schlüssel hat die Rolle {k}",
                    r=role,
                    k=info.role,
                ),
            )
        return info

    check.__name__ = f"require_{role}"
    return check


# ----------------------------------------------------------------------------------- sessions

SESSION_COOKIE = "nm_session"
LOGIN_CSRF_COOKIE = "nm_login_csrf"
LANG_COOKIE = "nm_lang"


@dataclass
class Session:
    key_id: str
    csrf: str
    expires: float


class Sessions:
    """Server-side sessions: a random id -> the key it was opened with (checked again on every request)."""

    def __init__(self, store: KeyStore, *, hours: float = 8.0, max_sessions: int = 10_000):
        self.store = store
        self.seconds = hours * 3600
        self.max_sessions = max_sessions
        self._s: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, info: KeyInfo) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        s = Session(info.key_id, secrets.token_urlsafe(24), time.time() + self.seconds)
        with self._lock:
            now = time.time()
            if len(self._s) >= self.max_sessions:
                for k in [k for k, v in self._s.items() if v.expires < now] or list(self._s)[: self.max_sessions // 10]:
                    self._s.pop(k, None)
            self._s[sid] = s
        return sid, s

    def close(self, sid: str | None) -> None:
        with self._lock:
            self._s.pop(sid or "", None)

    def get(self, sid: str | None) -> tuple[Session, KeyInfo] | None:
        """The session and its key while both are valid (a revoked key ends its sessions)."""
        s = self._s.get(sid or "")
        if s is None:
            return None
        if s.expires < time.time():
            self.close(sid)
            return None
        self.store._refresh()
        info = self.store._keys.get(s.key_id)
        if info is None or not info.active:
            self.close(sid)
            return None
        return s, info
