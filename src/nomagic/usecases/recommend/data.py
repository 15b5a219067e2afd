"""Interaction tables: reading, id encoding, the temporal split and the user x item matrix.

The split rule (used for the test split and, inside the training period, for the validation split):
train = interactions with time <= the ``quantile`` of all times; test = the later interactions of
users who appear in train, minus the items they already have in train.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from nomagic.errors import InputError
from nomagic.warehouse.sources import read_frame
from nomagic.words import say

__all__ = ["Interactions", "Split", "read_interactions", "temporal_split", "to_seconds"]


def read_interactions(path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read an interaction file (see :func:`nomagic.warehouse.sources.read_frame`).

    A file without a header (such as MovieLens ``u.data``) has columns named ``0``, ``1``, ... when the
    requested ``columns`` are all digits.
    """
    return read_frame(path, columns)


def to_seconds(s: pd.Series, column: str = "time") -> np.ndarray:
    """Times as float seconds: numbers are taken as they are (e.g. Unix seconds), text is parsed as dates."""
    num = pd.to_numeric(s, errors="coerce")
    if num.notna().all():
        return num.to_numpy(dtype=float)
    dt = pd.to_datetime(s, errors="coerce", utc=True, format="mixed")
    if dt.isna().any():
        i = int(np.argmax(dt.isna().to_numpy()))  # a position, not an index label
        raise InputError(
            say(
                "column {col!r}, data row {row}: {value!r} is neither a number nor a date ({n:,} such row(s))",
                "Spalte {col!r}, Datenzeile {row}: {value!r} ist weder eine Zahl noch ein Datum ({n:,} solche "
                "Zeile(n))",
                col=str(column),
                row=i + 1,
                value=str(s.iloc[i]),
                n=int(dt.isna().sum()),
            )
        )
    return (dt - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()


@dataclass
class Interactions:
    """Encoded interactions: integer user and item codes, times (seconds) and the id arrays."""

    users: np.ndarray  # code per interaction
    items: np.ndarray
    times: np.ndarray
    user_ids: np.ndarray  # code -> id
    item_ids: np.ndarray

    @classmethod
    def from_frame(cls, df: pd.DataFrame, user: str, item: str, time: str | None, item_ids=None) -> Interactions:
        """Encode a frame; ``item_ids`` fixes the catalogue (items outside it are an error)."""
        for col in (user, item) + ((time,) if time else ()):
            if col not in df.columns:
                raise InputError(
                    say(
                        "no column {col!r}; the table has: {cols}",
                        "keine Spalte {col!r}; die Tabelle hat: {cols}",
                        col=str(col),
                        cols=", ".join(map(str, df.columns[:20])),
                    )
                )
        d = df[[c for c in (user, item, time) if c]].dropna()
        u_codes, u_ids = pd.factorize(d[user].astype(str), sort=True)
        if item_ids is None:
            i_codes, i_ids = pd.factorize(d[item].astype(str), sort=True)
            i_ids = np.asarray(i_ids)
        else:
            i_ids = np.asarray(item_ids).astype(str)
            i_codes = pd.Index(i_ids).get_indexer(d[item].astype(str))
            if (i_codes < 0).any():
                first = int(np.argmax(i_codes < 0))
                raise InputError(
                    say(
                        "{n:,} interactions name items outside the catalogue (first: {item!r} in column {col!r})",
                        "{n:,} Interaktionen nennen Artikel außerhalb des Katalogs (zuerst: {item!r} in Spalte {col!r})",
                        n=int((i_codes < 0).sum()),
                        item=str(d[item].iloc[first]),
                        col=str(item),
                    )
                )
        t = to_seconds(d[time], time) if time else np.zeros(len(d))
        return cls(u_codes.astype(np.int64), np.asarray(i_codes, dtype=np.int64), t, np.asarray(u_ids), i_ids)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.users)

    def subset(self, mask: np.ndarray) -> Interactions:
        return Interactions(self.users[mask], self.items[mask], self.times[mask], self.user_ids, self.item_ids)

    def matrix(self, half_life: float | None = None, now: float | None = None) -> sp.csr_matrix:
        """Users x items; 1 per (user, item) pair, or the largest time-decayed weight
        ``0.5 ** (age / half_life)`` (age and half-life in seconds, age relative to ``now``)."""
        if half_life:
            now = self.times.max() if now is None else now
            w = 0.5 ** (np.maximum(now - self.times, 0.0) / half_life)
        else:
            w = np.ones(len(self))
        m = sp.coo_matrix((w, (self.users, self.items)), shape=(self.n_users, self.n_items)).tocsr()
        m.sum_duplicates()
        if half_life:  # duplicates were summed: cap at 1 so repeats count like the most recent one, not more
            m.data = np.minimum(m.data, 1.0)
        else:
            m.data[:] = 1.0
        return m


@dataclass
class Split:
    """Train matrix and the held-out items per user (``test`` as users x items binary CSR)."""

    train: Interactions
    test: sp.csr_matrix
    cutoff: float
    quantile: float

    @property
    def test_users(self) -> np.ndarray:
        return np.flatnonzero(np.diff(self.test.indptr) > 0)


def temporal_split(x: Interactions, quantile: float = 0.8, test_mask: np.ndarray | None = None) -> Split:
    """Train up to the ``quantile`` of times (inclusive); test = later interactions of train users minus their
    train items. With ``test_mask`` given, those interactions are the test set and all others are train."""
    if test_mask is None:
        cutoff = float(np.quantile(x.times, quantile))
        tr_mask = x.times <= cutoff
    else:
        tr_mask = ~np.asarray(test_mask, bool)
        cutoff = float(x.times[tr_mask].max()) if tr_mask.any() else 0.0
    tr, te = x.subset(tr_mask), x.subset(~tr_mask)
    seen = np.zeros(x.n_users, bool)
    seen[tr.users] = True
    keep = seen[te.users]
    tm = sp.coo_matrix(
        (np.ones(int(keep.sum())), (te.users[keep], te.items[keep])), shape=(x.n_users, x.n_items)
    ).tocsr()
    tm.sum_duplicates()
    tm.data[:] = 1.0
    trm = tr.matrix()
    tm = tm - tm.multiply(trm)  # minus items they already have in train
    tm.eliminate_zeros()
    return Split(tr, sp.csr_matrix(tm), cutoff, quantile)
