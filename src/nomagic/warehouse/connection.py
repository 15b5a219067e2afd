"""Open the warehouse: an embedded DuckDB file by default, any Ibis backend by URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from nomagic.errors import WarehouseError
from nomagic.words import Text, say

DEFAULT_PATH = "nomagic.duckdb"
ENV_VAR = "NOMAGIC_WAREHOUSE"


def resolve_url(url: str | None = None) -> str:
    """The warehouse URL to use: the argument, else ``$NOMAGIC_WAREHOUSE``, else the DuckDB file."""
    url = url or os.environ.get(ENV_VAR) or DEFAULT_PATH
    if "://" not in url:  # a bare path means a DuckDB file
        url = f"duckdb://{url}"
    return url


class Warehouse:
    """An Ibis connection plus the little that nomagic needs on top of it.

    Use :func:`connect` to get one. ``wh.con`` is the Ibis backend; every query outside this
    package is an Ibis expression built from ``wh.table(name)``.
    """

    def __init__(self, con: ibis.BaseBackend, url: str):
        self.con = con
        self.url = url

    @property
    def backend(self) -> str:
        return self.con.name

    def __repr__(self) -> str:
        return f"Warehouse({self.url!r})"

    def tables(self) -> list[str]:
        return list(self.con.list_tables())

    def has(self, name: str) -> bool:
        return name in self.con.list_tables()

    def table(self, name: str) -> ibis.Table:
        if not self.has(name):
            raise WarehouseError(
                say(
                    "the warehouse {url} has no table {name!r}; load it with `nomagic load {name} FILE` or fill a "
                    "demo world with `nomagic simulate`",
                    "das Warehouse {url} hat keine Tabelle {name!r}; sie mit `nomagic load {name} FILE` laden oder "
                    "eine Demo-Welt mit `nomagic simulate` füllen",
                    url=_redact(self.url),  # never a password in a message
                    name=name,
                )
            )
        return self.con.table(name)

    def write(self, name: str, data, *, overwrite: bool = True) -> None:
        """Write a whole table (pandas, Arrow or Ibis expression), replacing it by default."""
        if isinstance(data, pa.RecordBatchReader):
            data = data.read_all()
        if isinstance(data, (pa.Table, pd.DataFrame)):
            # wrap in-memory data ourselves and let go of it afterwards: Ibis keeps every
            # in-memory table registered until the process exits, which holds all chunks in memory
            data = ibis.memtable(data)
            try:
                self._write_expr(name, data, overwrite)
            finally:
                self._forget(data)
            return
        self._write_expr(name, data, overwrite)

    def _write_expr(self, name: str, data, overwrite: bool) -> None:
        if self.has(name) and not overwrite:
            self.con.insert(name, data)
        else:
            self.con.create_table(name, data, overwrite=True)

    def _forget(self, memtable) -> None:
        name = memtable.op().name
        for drop in (self.con.drop_view, self.con.drop_table):
            try:
                drop(name, force=True)
                return
            except Exception:  # registered the other way (view or table) on this backend
                continue

    def append(self, name: str, data) -> None:
        """Append rows to a table, creating it on first use."""
        self.write(name, data, overwrite=False)

    def drop(self, name: str) -> None:
        if self.has(name):
            self.con.drop_table(name)

    def close(self) -> None:
        disconnect = getattr(self.con, "disconnect", None)
        if disconnect:
            disconnect()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _duckdb_path(url: str) -> str | None:
    if url.startswith("duckdb://"):
        path = url[len("duckdb://") :].split("?")[0]
        return path or ":memory:"
    return None


def connect(url: str | None = None, *, read_only: bool = False) -> Warehouse:
    """Connect to the warehouse.

    Parameters
    ----------
    url : an Ibis backend URL (``duckdb://path.duckdb``, ``postgres://user:pw@host/db``, ...) or a
        plain path to a DuckDB file. Default: ``$NOMAGIC_WAREHOUSE``, else ``./nomagic.duckdb``.
    read_only : open a DuckDB file read-only (other processes may read it at the same time).

    Examples
    --------
    >>> wh = connect("duckdb://:memory:")
    >>> wh.backend
    'duckdb'
    """
    url = resolve_url(url)
    path = _duckdb_path(url)
    try:
        if path is not None:
            if path != ":memory:":
                parent = Path(path).expanduser().resolve().parent
                if not parent.exists():
                    raise WarehouseError(
                        say(
                            "cannot open warehouse {path}: folder {parent} does not exist",
                            "Warehouse {path} lässt sich nicht öffnen: der Ordner {parent} existiert nicht",
                            path=path,
                            parent=parent,
                        )
                    )
                if read_only and not Path(path).exists():
                    raise WarehouseError(
                        say(
                            "cannot open warehouse {path}: the file does not exist",
                            "Warehouse {path} lässt sich nicht öffnen: die Datei existiert nicht",
                            path=path,
                        )
                    )
            con = ibis.duckdb.connect(path, read_only=read_only)
        else:
            con = ibis.connect(url)
    except WarehouseError:
        raise
    except Exception as exc:  # the driver's own words, with what to do
        raise WarehouseError(_explain_connect_error(url, exc)) from exc
    return Warehouse(con, url)


def _explain_connect_error(url: str, exc: Exception) -> Text:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__  # the driver's words stay English
    hint = Text("")
    low = text.lower()
    if "lock" in low:
        hint = say(
            " Another process holds the warehouse file; close it (or its `nomagic serve`) and retry.",
            " Ein anderer Prozess hält die Warehouse-Datei; ihn (oder sein `nomagic serve`) beenden und erneut "
            "versuchen.",
        )
    elif "read-only" in low or "readonly" in low or "permission" in low:
        hint = say(
            " The file or its folder is not writable; fix its permissions or choose another --warehouse.",
            " Die Datei oder ihr Ordner ist nicht beschreibbar; die Rechte korrigieren oder ein anderes --warehouse "
            "wählen.",
        )
    elif "no module named" in low or "not installed" in low:
        hint = say(
            " Install the driver for this backend (e.g. `pip install 'ibis-framework[postgres]'`).",
            " Den Treiber für dieses Backend installieren (z. B. `pip install 'ibis-framework[postgres]'`).",
        )
    return say(
        "cannot open warehouse {url}: {text}.{hint}",
        "Warehouse {url} lässt sich nicht öffnen: {text}.{hint}",
        url=_redact(url),
        text=text,
        hint=hint,
    )


def _redact(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


@contextmanager
def opened(url: str | None = None, **kw) -> Iterator[Warehouse]:
    wh = connect(url, **kw)
    try:
        yield wh
    finally:
        wh.close()
