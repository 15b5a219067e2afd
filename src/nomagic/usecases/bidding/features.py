"""Ad features as numbers: per-column codes, one-hot and hashed pairwise crosses, out-of-fold target statistics.

Ad logs are wide in levels, not in columns: a dozen columns, one of which (the site or app) has
thousands of levels, most of them seen a few times. So:

* :class:`Encoder` gives every column one small integer code per row, learnt on the training rows:
  a categorical column keeps its levels seen at least ``min_count`` times, pools the rest and unseen
  ones as *other*, and gives blanks their own code; a numeric column (floor price, hour) is cut at
  training quantiles (each value its own bin when it has few). One-hot of these codes is the
  baseline's design matrix; :func:`hashed_crosses` adds one hashed column per pair of codes (poly2).
* :class:`TargetStats` turns a high-cardinality column into its smoothed click rate, computed out
  of fold over time blocks so that no training row sees its own outcome, plus its log frequency.

A numeric column whose name ends in ``id`` or ``code`` (``region_id``, ``site_code``) is a
categorical code, not a quantity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from nomagic.errors import InputError
from nomagic.words import say

CATEGORICAL, NUMERIC = "categorical", "numeric"
_CODE_NAME = re.compile(r"(id|code)$", re.IGNORECASE)
#: a numeric column with at most this many distinct values gets one bin per value
FEW_VALUES = 32


def need_columns(frame: pd.DataFrame, features: list[str]) -> None:
    """An InputError naming the feature columns a frame to score lacks."""
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise InputError(
            say(
                "the rows to score have no column {m}; the model was trained on: {f}",
                "den zu bewertenden Zeilen fehlt die Spalte {m}; das Modell wurde trainiert mit: {f}",
                m=", ".join(repr(c) for c in missing),
                f=", ".join(features),
            )
        )


def column_kind(s: pd.Series, name: str) -> str:
    """``"numeric"`` for quantities, ``"categorical"`` for text, booleans and numeric codes (``*_id``)."""
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s) or _CODE_NAME.search(str(name)):
        return CATEGORICAL
    return NUMERIC


#: below this many rows, plain Python per value beats pandas' per-column overhead (measured: ~3 µs a value
#: against ~100 µs a column)
FEW_ROWS = 32


def _one_text(v) -> str | None:
    """:func:`as_text` of one value, without pandas (a few microseconds instead of a hundred)."""
    if v is None or v is pd.NA or (isinstance(v, float | np.floating) and np.isnan(v)):
        return None
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def as_text(s: pd.Series) -> np.ndarray:
    """Levels as text, the same whichever way a file typed them (17, 17.0 and "17" are one level); blank = None."""
    if len(s) <= FEW_ROWS:
        # a few requests at a time (the real-time bidder): pandas' conversions cost ~0.1 ms per column
        return np.array([_one_text(v) for v in s.tolist()], dtype=object)
    if pd.api.types.is_float_dtype(s):
        filled = s.dropna()
        if len(filled) and (filled % 1 == 0).all():
            s = s.astype("Int64")
    text = s.astype("string")
    return text.to_numpy(dtype=object, na_value=None)


@dataclass
class Column:
    """How one column becomes a code: its kind, kept levels or bin edges, and the number of codes."""

    name: str
    kind: str
    levels: list = field(default_factory=list)  # categorical: kept levels (code = position)
    edges: list = field(default_factory=list)  # numeric: inner bin edges
    cardinality: int = 0  # distinct values in training

    @property
    def size(self) -> int:
        """Codes: kept levels + other + blank, or bins + blank."""
        return len(self.levels) + 2 if self.kind == CATEGORICAL else len(self.edges) + 2

    def code_of(self, value) -> int:
        """The code of one value (the real-time bidder's path: no pandas at all)."""
        if self.kind == CATEGORICAL:
            text = _one_text(value)
            if text is None:
                return len(self.levels) + 1
            lookup = self.__dict__.setdefault("_lookup", {v: i for i, v in enumerate(self.levels)})
            return lookup.get(text, len(self.levels))
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = float("nan")
        if np.isnan(x):
            return len(self.edges) + 1
        return int(np.searchsorted(np.asarray(self.edges, dtype=float), x, side="right"))

    def codes(self, s: pd.Series) -> np.ndarray:
        if self.kind == CATEGORICAL:
            text = as_text(s)
            if len(text) <= FEW_ROWS:  # a few requests at a time (the real-time bidder): a dict beats pandas
                lookup = self.__dict__.setdefault("_lookup", {v: i for i, v in enumerate(self.levels)})
                blank, other = len(self.levels) + 1, len(self.levels)
                return np.array([blank if v is None else lookup.get(v, other) for v in text], dtype=np.int32)
            index = self.__dict__.setdefault("_index", pd.Index(self.levels, dtype=object))
            idx = index.get_indexer(text)
            out = np.where(idx < 0, len(self.levels), idx)  # rare or unseen: "other"
            return np.where(pd.isna(text), len(self.levels) + 1, out).astype(np.int32)
        x = pd.to_numeric(s, errors="coerce").astype(float).to_numpy()
        out = np.searchsorted(np.asarray(self.edges, dtype=float), x, side="right")
        return np.where(np.isnan(x), len(self.edges) + 1, out).astype(np.int32)


class Encoder:
    """Per-column integer codes learnt on training rows; one-hot of them as a sparse matrix.

    Parameters
    ----------
    min_count : a level seen fewer times in training is pooled as *other* (its own estimate
        would be noise).
    n_bins : quantile bins of a numeric column with many values.

    Examples
    --------
    >>> df = pd.DataFrame({"site": ["a", "a", "b", None], "floor": [1.0, 2.0, 3.0, 4.0]})
    >>> enc = Encoder(min_count=2).fit(df, ["site", "floor"])
    >>> enc.codes(df)[:, 0].tolist()  # a, a, other, blank
    [0, 0, 1, 2]
    >>> enc.onehot(df).shape  # site: a, other, blank; floor: four values, blank
    (4, 8)
    """

    def __init__(self, min_count: int = 20, n_bins: int = 10):
        self.min_count = min_count
        self.n_bins = n_bins

    def fit(self, frame: pd.DataFrame, features: list[str], kinds: dict[str, str] | None = None) -> Encoder:
        self.columns_ = []
        for name in features:
            s = frame[name]
            kind = (kinds or {}).get(name) or column_kind(s, name)
            if kind == CATEGORICAL:
                counts = pd.Series(as_text(s)).value_counts()
                kept = counts[counts >= self.min_count].index.tolist()
                self.columns_.append(Column(name, kind, levels=sorted(kept), cardinality=len(counts)))
            else:
                x = pd.to_numeric(s, errors="coerce").astype(float).dropna().to_numpy()
                values = np.unique(x)
                if len(values) <= FEW_VALUES:
                    edges = (values[1:] + values[:-1]) / 2
                else:
                    edges = np.unique(np.quantile(x, np.linspace(0, 1, self.n_bins + 1)[1:-1]))
                self.columns_.append(Column(name, kind, edges=edges.tolist(), cardinality=len(values)))
        sizes = [c.size for c in self.columns_]
        self.offsets_ = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
        self.width_ = int(sum(sizes))
        return self

    @property
    def features(self) -> list[str]:
        return [c.name for c in self.columns_]

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """(rows, columns) int32 codes."""
        if not self.columns_:
            return np.zeros((len(frame), 0), dtype=np.int32)
        return np.column_stack([c.codes(frame[c.name]) for c in self.columns_])

    def codes_of_row(self, row: dict) -> np.ndarray:
        """One row's codes, shape (1, columns), from a mapping of column to value (missing = blank)."""
        return np.array([[c.code_of(row.get(c.name)) for c in self.columns_]], dtype=np.int32)

    def onehot(self, frame: pd.DataFrame | None = None, *, codes: np.ndarray | None = None) -> sparse.csr_matrix:
        """One column per code of every column (main effects): ``width_`` columns."""
        codes = self.codes(frame) if codes is None else codes
        return _rows_of_ones(codes + self.offsets_, self.width_)


def _rows_of_ones(index: np.ndarray, width: int) -> sparse.csr_matrix:
    """A 0/1 matrix with ``index[i]`` the columns of row ``i`` (the same number of ones per row)."""
    n, k = index.shape
    if k == 0:
        return sparse.csr_matrix((n, width))
    small = n * k < 2**31 and width < 2**31  # int32 indices: scipy would otherwise copy them down
    itype = np.int32 if small else np.int64
    data = np.ones(n * k, dtype=np.float64)
    indptr = np.arange(0, n * k + 1, k, dtype=itype)
    return sparse.csr_matrix((data, index.ravel().astype(itype), indptr), shape=(n, width), copy=False)


_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves about half the output bits."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def hashed_crosses(codes: np.ndarray, bits: int) -> np.ndarray:
    """For every pair of columns, a hashed index in ``[0, 2**bits)`` of the pair of codes: (rows, pairs).

    The pair number and the two codes are packed into one 64-bit key (exact while codes stay below
    2^20) and mixed by splitmix64. Done in numpy rather than with scikit-learn's FeatureHasher, which
    hashes one Python string at a time: a million rows of 45 pairs would take minutes, this seconds.
    """
    n, k = codes.shape
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    out = np.empty((n, len(pairs)), dtype=np.int64)
    c = codes.astype(np.uint64)
    mask = np.uint64((1 << bits) - 1)
    with np.errstate(over="ignore"):
        for p, (i, j) in enumerate(pairs):
            key = (np.uint64(p + 1) << np.uint64(40)) | (c[:, i] << np.uint64(20)) | c[:, j]
            out[:, p] = (_mix(key) & mask).astype(np.int64)
    return out


def poly2_matrix(encoder: Encoder, codes: np.ndarray, bits: int) -> sparse.csr_matrix:
    """Main effects one-hot (exact) next to the hashed pairwise crosses: the poly2 model's design."""
    main = codes + encoder.offsets_
    cross = hashed_crosses(codes, bits) + encoder.width_
    return _rows_of_ones(np.hstack([main, cross]), encoder.width_ + (1 << bits))


class TargetStats:
    """Smoothed outcome rate per level of high-cardinality columns, out of fold in time order.

    The training rows (in time order) are cut into ``folds`` contiguous blocks; a row's statistic
    comes from the other blocks only, so the model never learns from a rate that contains its own
    click (the leak that makes naive target encoding look great and bid badly). Rates are shrunk to
    the overall rate with ``prior`` pseudo-rows: ``(clicks + prior · rate) / (rows + prior)``; the
    default prior is worth about one expected click, so a site seen a few hundred times at a 0.1 %
    click rate stays close to the overall rate. Rows to predict use all training rows.
    """

    def __init__(self, columns: list[str], folds: int = 5, prior: float | None = None):
        self.columns = columns
        self.folds = folds
        self.prior = prior

    def fit_transform(self, frame: pd.DataFrame, y: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Out-of-fold statistics of the training rows (in time order): (rows, 2 · columns)."""
        n = len(frame)
        self.rate_ = float(np.sum(w * y) / np.sum(w))
        self.m_ = self.prior if self.prior is not None else float(np.clip(1.0 / max(self.rate_, 1e-9), 10, 10_000))
        block = np.minimum(np.arange(n) * self.folds // max(n, 1), self.folds - 1)
        self.levels_, self.sums_, self.counts_ = [], [], []
        out = np.empty((n, 2 * len(self.columns)))
        for j, col in enumerate(self.columns):
            codes, levels = pd.factorize(as_text(frame[col]), use_na_sentinel=False)
            L = len(levels)
            s_all = np.bincount(codes, weights=w * y, minlength=L)
            n_all = np.bincount(codes, weights=w, minlength=L)
            te = np.empty(n)
            for b in range(self.folds):
                rows = block == b
                s_b = np.bincount(codes[rows], weights=(w * y)[rows], minlength=L)
                n_b = np.bincount(codes[rows], weights=w[rows], minlength=L)
                te[rows] = self._smooth(s_all - s_b, n_all - n_b)[codes[rows]]
            out[:, 2 * j] = te
            out[:, 2 * j + 1] = np.log1p(n_all[codes])
            self.levels_.append(pd.Index(levels, dtype=object))
            self.sums_.append(s_all)
            self.counts_.append(n_all)
        return out

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), 2 * len(self.columns)))
        for j, col in enumerate(self.columns):
            idx = self.levels_[j].get_indexer(as_text(frame[col]))
            known = idx >= 0
            s = np.where(known, self.sums_[j][idx], 0.0)
            c = np.where(known, self.counts_[j][idx], 0.0)
            out[:, 2 * j] = self._smooth(s, c)
            out[:, 2 * j + 1] = np.log1p(c)
        return out

    def _smooth(self, s: np.ndarray, c: np.ndarray) -> np.ndarray:
        return (s + self.m_ * self.rate_) / (c + self.m_)

    def names(self) -> list[str]:
        return [f"{c}{suffix}" for c in self.columns for suffix in ("__rate", "__log_count")]
