"""API keys: created by ``nomagic keys create``, stored hashed, checked on every request.

A key looks like ``nm_<id>_<secret>``: ``id`` (8 hex digits) names it in listings and logs, ``secret``
(32 random bytes, URL-safe base64) is shown once, at creation, and never stored: the key file keeps
``sha256(salt + key)`` with a random salt per key. The file (JSON, mode 0600) lives next to the model
registry, in ``.nomagic/keys.json`` (or ``$NOMAGIC_KEYS``).

Roles, each allowing what the ones before it allow:

* ``viewer``: health, evaluation records, the dashboard's summary pages;
* ``analyst``: per-customer scores, CLV and recommendations (API and dashboard);
* ``admin``: reloading the models.

Examples
--------
>>> import tempfile, pathlib
>>> store = KeyStore(pathlib.Path(tempfile.mkdtemp()) / "keys.json")
>>> key, info = store.create("analyst", name="crm")
>>> store.verify(key).role, store.verify(key + "x")
('analyst', None)
>>> store.revoke(info.key_id); store.verify(key) is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from nomagic.errors import InputError

ROLES = ("viewer", "analyst", "admin")
RANK = {r: i for i, r in enumerate(ROLES)}
PREFIX = "nm_"


def keys_path(url: str | None = None) -> Path:
    """Where the keys of the warehouse at ``url`` are kept: ``$NOMAGIC_KEYS`` or ``.nomagic/keys.json``."""
    env = os.environ.get("NOMAGIC_KEYS")
    if env:
        return Path(env)
    from nomagic.lifecycle.registry import registry_root

    return registry_root(url).parent / "keys.json"


def allows(role: str, needed: str) -> bool:
    """Whether ``role`` may do what ``needed`` may."""
    return RANK.get(role, -1) >= RANK[needed]


@dataclass(frozen=True)
class KeyInfo:
    """One key as stored (never the secret)."""

    key_id: str
    role: str
    name: str
    created_at: str
    salt: str
    hash: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("salt", "hash")}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _digest(salt: str, key: str) -> str:
    return hashlib.sha256((salt + key).encode()).hexdigest()


class KeyStore:
    """The hashed keys in a JSON file; re-read when the file changes (a revoked key stops working at once)."""

    def __init__(self, path: str | Path, *, recheck_seconds: float = 1.0):
        self.path = Path(path)
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._keys: dict[str, KeyInfo] = {}
        self._mtime: float | None = None
        self._checked = 0.0
        self._cache: dict[str, KeyInfo] = {}  # full key -> info, valid while the file is unchanged

    # ------------------------------------------------------------------ file
    def _load(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime == self._mtime and self._mtime is not None:
            return
        keys = {}
        if mtime is not None:
            try:
                data = json.loads(self.path.read_text())
                keys = {k["key_id"]: KeyInfo(**k) for k in data.get("keys", [])}
            except (ValueError, TypeError, KeyError) as exc:
                raise InputError(
                    f"{self.path} is not a nomagic key file ({exc}); move it away and create keys"
                ) from exc
        self._keys, self._mtime, self._cache = keys, mtime, {}

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked >= self.recheck_seconds or self._mtime is None:
            with self._lock:
                self._load()
                self._checked = now

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"schema": 1, "keys": [asdict(k) for k in self._keys.values()]}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys.")
        with os.fdopen(fd, "w") as fh:
            fh.write(text + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        self._mtime = None
        self._load()

    # ------------------------------------------------------------------ use
    def create(self, role: str, name: str = "") -> tuple[str, KeyInfo]:
        """A new key with ``role``; returns the key (shown once) and what is stored."""
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
        with self._lock:
            self._mtime = None
            self._load()
            key_id = secrets.token_hex(4)
            while key_id in self._keys:
                key_id = secrets.token_hex(4)
            key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
            salt = secrets.token_hex(16)
            info = KeyInfo(key_id, role, name, _now(), salt, _digest(salt, key))
            self._keys[key_id] = info
            self._save()
        return key, info

    def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key by its id (the part after ``nm_``); it stops working at once."""
        with self._lock:
            self._mtime = None
            self._load()
            info = self._keys.get(key_id)
            if info is None:
                known = ", ".join(self._keys) or "none"
                raise InputError(f"no key with id {key_id!r} in {self.path}; known ids: {known}")
            if info.active:
                info = KeyInfo(**{**asdict(info), "revoked_at": _now()})
                self._keys[key_id] = info
                self._save()
        return info

    def list(self) -> list[KeyInfo]:
        with self._lock:
            self._mtime = None
            self._load()
            return list(self._keys.values())

    def verify(self, key: str | None) -> KeyInfo | None:
        """The active key's info, or ``None`` (unknown, malformed or revoked)."""
        if not key or not key.startswith(PREFIX) or len(key) > 200:
            return None
        self._refresh()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        key_id = key[len(PREFIX) :].split("_", 1)[0]
        info = self._keys.get(key_id)
        if info is None or not info.active or not hmac.compare_digest(info.hash, _digest(info.salt, key)):
            return None
        if len(self._cache) < 10_000:
            self._cache[key] = info
        return info
