"""Small helpers shared by the simulator: random streams, the clock, ids and Arrow tables."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nomagic.warehouse.schema import CANONICAL

DAY_US = 86_400_000_000
MINUTE = 1.0 / 1440.0  # in days
HOUR = 1.0 / 24.0

_ARROW = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


def rng_for(seed: int, stream: str, *key: int) -> np.random.Generator:
    """An independent generator for one named stream (and chunk), reproducible from ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(stream.encode()), *key]))


@dataclass(frozen=True)
class Clock:
    """The simulated period: times are float days since ``start`` (midnight UTC, naive)."""

    start: datetime
    days: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    @property
    def start_us(self) -> int:
        return int((self.start.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))

    def timestamps(self, t: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        """Float days since start as a naive timestamp column; ``mask`` (or NaN) marks nulls."""
        t = np.asarray(t, dtype=np.float64)
        nan = np.isnan(t)
        if mask is not None:
            nan = nan | mask
        us = self.start_us + np.round(np.where(nan, 0.0, t) * DAY_US).astype(np.int64)
        return pa.array(us, type=pa.timestamp("us"), mask=nan if nan.any() else None)

    def dates(self, day: np.ndarray) -> pa.Array:
        base = (self.start.date() - date(1970, 1, 1)).days
        return pa.array((base + np.asarray(day, dtype=np.int64)).astype(np.int32), type=pa.date32())


def ids(prefix: str, index: np.ndarray, width: int = 8) -> pa.Array:
    """``prefix`` + zero-padded number, e.g. ``C00000042``."""
    s = pc.cast(pa.array(np.asarray(index, dtype=np.int64)), pa.string())
    s = pc.utf8_lpad(s, width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), s, "")


def take(values: pa.Array | np.ndarray | list, index: np.ndarray) -> pa.Array:
    """Look up ``values[index]`` (e.g. ids of customers by row)."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    return arr.take(pa.array(np.asarray(index, dtype=np.int64)))


def choice_index(rng: np.random.Generator, n: int, shares: np.ndarray) -> np.ndarray:
    """``n`` draws of a category index with the given shares."""
    shares = np.asarray(shares, dtype=np.float64)
    return np.searchsorted(np.cumsum(shares / shares.sum()), rng.random(n), side="right").clip(0, len(shares) - 1)


def gumbel_argmax(rng: np.random.Generator, logits: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``logits`` (the Gumbel-max trick)."""
    g = -np.log(-np.log(np.maximum(rng.random(logits.shape), 1e-300)))
    return np.argmax(logits + g, axis=1)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def canonical(name: str, columns: dict[str, object]) -> pa.Table:
    """An Arrow table of canonical table ``name``: its columns first, typed as the schema says.

    Columns not in the schema are kept after them as attributes (their type as given).
    """
    table = CANONICAL[name]
    arrays: dict[str, pa.Array] = {}
    for col in table.columns:
        if col.name in columns:
            arrays[col.name] = _typed(columns[col.name], _ARROW[col.dtype])
    for key, value in columns.items():
        if key not in arrays:
            arrays[key] = value if isinstance(value, pa.Array | pa.ChunkedArray) else pa.array(value)
    return pa.table(arrays)


def _typed(value: object, dtype: pa.DataType) -> pa.Array:
    arr = value if isinstance(value, pa.Array | pa.ChunkedArray) else pa.array(value)
    return arr if arr.type == dtype else arr.cast(dtype)


def table(columns: dict[str, object]) -> pa.Table:
    """An Arrow table from numpy arrays, lists and Arrow arrays."""
    return pa.table({k: v if isinstance(v, pa.Array | pa.ChunkedArray) else pa.array(v) for k, v in columns.items()})


def nullable(values: np.ndarray, mask: np.ndarray, dtype: pa.DataType | None = None) -> pa.Array:
    """A column with nulls where ``mask`` is true."""
    return pa.array(values, type=dtype, mask=np.asarray(mask, dtype=bool))
