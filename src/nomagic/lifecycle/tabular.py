"""Plain tables in, model matrices out: column kinds, text-typed numbers, blanks, categories.

:class:`TabularPreprocessor` learns, on the training rows only, what each column is and how to
turn it into numbers:

* **numeric** columns (also text columns whose values are numbers, like Telco's ``TotalCharges``
  with its blank cells): for the linear model, blanks get the training median plus a 0/1 "was
  blank" column, values beyond the training range are held at its edge (no straight line is
  extrapolated into a world the data never showed), long-tailed non-negative columns are
  log-transformed, everything is standardised; for LightGBM they stay as they are (blanks as NaN).
* **categorical** columns (text, booleans, few distinct values): the frequent levels are kept, rare
  and unseen ones pooled as ``(other)``, blanks become ``(blank)``. One-hot for the linear model,
  integer codes for LightGBM's native categorical splits.

It never looks at the label. Everything it learned is plain JSON (:meth:`to_dict`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.words import say

BLANK = "(blank)"
OTHER = "(other)"
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?$")
_TRUE_WORDS = ("yes", "true", "1", "1.0", "y", "ja", "j", "t", "churn", "churned", "positive", "wahr")
_FALSE_WORDS = ("no", "false", "0", "0.0", "n", "nein", "f", "negative", "falsch")


def is_blank(s: pd.Series) -> pd.Series:
    """Missing values and empty/whitespace-only text."""
    blank = s.isna()
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        text = s.astype("string").str.strip()
        blank = blank | (text == "").fillna(True)
    return blank.astype(bool)


def text_numbers(s: pd.Series, min_share: float = 0.95) -> pd.Series | None:
    """A text column as numbers when at least ``min_share`` of its non-blank cells are numbers, else None.

    Blanks become NaN; a decimal comma is read as a point when no value has both.
    """
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    text = s.astype("string").str.strip()
    filled = text[(text != "").fillna(False)]
    if filled.empty:
        return None
    ok = filled.str.match(_NUMBER).fillna(False)
    if ok.mean() < min_share:
        return None
    cleaned = text.str.rstrip("%")
    if not cleaned.str.contains(r"\.", regex=True).fillna(False).any():
        cleaned = cleaned.str.replace(",", ".", regex=False)
    return pd.to_numeric(cleaned.where(~is_blank(s)), errors="coerce").astype(float)


def parse_times(s: pd.Series, column: str = "time", source: str | None = None, *, blank_ok: bool = True) -> pd.Series:
    """Dates or timestamps from a user's column: datetimes, text (ISO and common formats) or ``YYYYMMDD``.

    Naive, in UTC where the values carry a zone. An unreadable value (or a blank one, unless
    ``blank_ok``) is an :class:`InputError` naming the file, the column and the first bad data row
    (1 = the first row after the header).
    """
    where = f"{source}: " if source else ""
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
    else:
        text = s.astype("string").str.strip().replace("", pd.NA)
        if text.dropna().str.fullmatch(r"\d{8}").all() and text.notna().any():
            out = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
        elif pd.api.types.is_numeric_dtype(s):
            raise InputError(
                f"{where}column {column!r} holds numbers, not dates; give dates such as 2024-03-01 or 20240301"
            )
        else:
            try:
                out = pd.to_datetime(text, errors="coerce", format="mixed")
            except (ValueError, TypeError):
                out = pd.to_datetime(text, errors="coerce")
        bad = out.isna() & text.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{where}column {column!r} has {int(bad.sum())} value(s) that are not dates (first in data row "
                f"{i + 1}: {s.iloc[i]!r}); use e.g. 2024-03-01 or 2024-03-01 08:15:00"
            )
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    if not blank_ok and out.isna().any():
        i = int(np.flatnonzero(out.isna().to_numpy())[0])
        raise InputError(
            say(
                "{w}column '{c}', data row {i}: the value is blank; it is required",
                "{w}Spalte '{c}', Datenzeile {i}: der Wert ist leer; er ist Pflicht",
                w=where,
                c=column,
                i=i + 1,
            )
        )
    return out.astype("datetime64[us]")


def binary_label(s: pd.Series, positive=None, *, column: str = "label") -> tuple[np.ndarray, str]:
    """A label column as 0/1 plus the name of the positive class.

    ``Yes``/``No``, ``true``/``false``, ``1``/``0``, ``churned``/... are read as you would; any other
    two-valued column needs ``positive``. Blank labels are an error (drop those rows first).
    """
    blank = is_blank(s)
    if blank.any():
        rows = list(np.flatnonzero(blank.to_numpy())[:5] + 2)
        raise InputError(
            say(
                "label column '{c}' is blank in {n:,} row(s) (file lines {rows}...); remove those rows or fill the label",
                "Zielspalte '{c}' ist in {n:,} Zeile(n) leer (Dateizeilen {rows}...); diese Zeilen entfernen oder das Ziel "
                "füllen",
                c=column,
                n=int(blank.sum()),
                rows=", ".join(str(int(r)) for r in rows),
            )
        )
    text = s.astype("string").str.strip()
    values = sorted(text.unique().tolist())
    if positive is not None:
        pos = str(positive).strip()
        if pos not in values:
            raise InputError(
                say(
                    "label column '{c}' has no value '{p}'; its values are {v}",
                    "Zielspalte '{c}' hat keinen Wert '{p}'; ihre Werte sind {v}",
                    c=column,
                    p=pos,
                    v=", ".join(map(str, values[:10])),
                )
            )
        return (text == pos).to_numpy().astype(int), pos
    if len(values) == 1:
        raise InputError(
            say(
                "label column '{c}' has only one value ('{v}'); nothing to predict",
                "Zielspalte '{c}' hat nur einen Wert ('{v}'); nichts vorherzusagen",
                c=column,
                v=values[0],
            )
        )
    if len(values) > 2:
        raise InputError(
            say(
                "label column '{c}' has {n} values ({v}...); a churn or propensity label has two: name the positive "
                "one with --positive VALUE",
                "Zielspalte '{c}' hat {n} Werte ({v}...); ein Abwanderungs- oder Kaufziel hat zwei: den positiven mit "
                "--positive WERT nennen",
                c=column,
                n=len(values),
                v=", ".join(values[:6]),
            )
        )
    low = [v.lower() for v in values]
    for i, v in enumerate(low):
        if v in _TRUE_WORDS and low[1 - i] in _FALSE_WORDS:
            return (text == values[i]).to_numpy().astype(int), values[i]
    raise InputError(
        say(
            "label column '{c}' has the values '{a}' and '{b}'; say which one is the positive outcome with "
            "--positive VALUE",
            "Zielspalte '{c}' hat die Werte '{a}' und '{b}'; mit --positive WERT sagen, welcher der positive "
            "Ausgang ist",
            c=column,
            a=values[0],
            b=values[1],
        )
    )


@dataclass
class ColumnPlan:
    """What the preprocessor learned about one column."""

    name: str
    kind: str  # "numeric" or "categorical"
    # numeric
    median: float = 0.0
    mean: float = 0.0
    std: float = 1.0
    log: bool = False
    blank_flag: bool = False
    add_log: bool = False  # a second, log1p column for the linear model (a bend in the curve)
    log_mean: float = 0.0
    log_std: float = 1.0
    low: float = -np.inf  # the training range: the linear model holds values beyond it at its edge
    high: float = np.inf
    # categorical
    levels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = {"name": self.name, "kind": self.kind}
        if self.kind == "numeric":
            d.update(median=self.median, mean=self.mean, std=self.std, log=self.log, blank_flag=self.blank_flag)
            if np.isfinite(self.low):
                d.update(low=self.low, high=self.high)
            if self.add_log:
                d.update(add_log=True, log_mean=self.log_mean, log_std=self.log_std)
        else:
            d["levels"] = list(self.levels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ColumnPlan:
        return cls(**d)


class TabularPreprocessor:
    """Learns column kinds and transformations on training rows; produces model matrices.

    Parameters
    ----------
    max_levels : at most this many levels of a categorical column are kept (most frequent first).
    min_count : a level seen fewer times than this is pooled into ``(other)``.
    categorical : names of columns to treat as categorical even when numeric.
    curves : give the linear model a log1p column next to each non-negative numeric column with
        many values, so that it can bend (days since the last order matter more early than late).

    Examples
    --------
    >>> X = pd.DataFrame({"plan": ["a", "b", "a", None], "spend": ["1.5", " ", "3", "4"]})
    >>> pre = TabularPreprocessor(min_count=1).fit(X)
    >>> [c.kind for c in pre.plans_]
    ['categorical', 'numeric']
    >>> pre.linear_matrix(X).shape
    (4, 6)
    """

    def __init__(
        self, max_levels: int = 30, min_count: int = 10, categorical: tuple[str, ...] = (), curves: bool = True
    ):
        self.max_levels = max_levels
        self.min_count = min_count
        self.categorical = tuple(categorical)
        self.curves = curves

    # ------------------------------------------------------------------ fit
    def fit(self, X: pd.DataFrame) -> TabularPreprocessor:
        if X.shape[1] == 0:
            raise InputError("no feature columns are left to learn from")
        plans = []
        for name in X.columns:
            s = X[name]
            num = None if name in self.categorical else text_numbers(s)
            if num is not None and (num.nunique() > 2 or pd.api.types.is_numeric_dtype(s)):
                plans.append(self._numeric_plan(str(name), num))
            else:
                plans.append(self._categorical_plan(str(name), s))
        self.plans_ = plans
        self.feature_names_in_ = [p.name for p in plans]
        self._build_linear_index()
        return self

    def _numeric_plan(self, name: str, x: pd.Series) -> ColumnPlan:
        v = x.to_numpy(dtype=float)
        ok = np.isfinite(v)
        med = float(np.median(v[ok])) if ok.any() else 0.0
        vals = v[ok]
        log = False
        if vals.size and vals.min() >= 0:
            q50, q99 = np.quantile(vals, [0.5, 0.99])
            log = bool(q99 > 10 * max(q50, 1e-9) and q99 > 10)
        t = np.log1p(np.where(ok, v, med)) if log else np.where(ok, v, med)
        std = float(t.std()) or 1.0
        plan = ColumnPlan(
            name, "numeric", median=med, mean=float(t.mean()), std=std, log=log, blank_flag=bool((~ok).any())
        )
        if vals.size:
            plan.low, plan.high = float(vals.min()), float(vals.max())
        if self.curves and not log and vals.size and vals.min() >= 0 and np.unique(vals[:5000]).size >= 10:
            lt = np.log1p(np.where(ok, v, med))
            plan.add_log, plan.log_mean, plan.log_std = True, float(lt.mean()), float(lt.std()) or 1.0
        return plan

    def _categorical_plan(self, name: str, s: pd.Series) -> ColumnPlan:
        text = self._as_text(s)
        counts = text.value_counts()
        keep = [str(v) for v, c in counts.items() if c >= self.min_count and v != OTHER][: self.max_levels]
        return ColumnPlan(name, "categorical", levels=keep)

    @staticmethod
    def _as_text(s: pd.Series) -> pd.Series:
        blank = is_blank(s)
        text = s.astype("string").str.strip()
        return text.where(~blank, BLANK).astype(object)

    def _build_linear_index(self) -> None:
        names, sources = [], []
        for p in self.plans_:
            if p.kind == "numeric":
                names.append(p.name)
                sources.append(p.name)
                if p.add_log:
                    names.append(f"log1p({p.name})")
                    sources.append(p.name)
                if p.blank_flag:
                    names.append(f"{p.name}={BLANK}")
                    sources.append(p.name)
            else:
                for lv in [*p.levels, OTHER]:
                    names.append(f"{p.name}={lv}")
                    sources.append(p.name)
        self.linear_names_ = names
        self.linear_sources_ = np.array(sources, dtype=object)

    # ------------------------------------------------------------------ transform
    def _check_columns(self, X: pd.DataFrame) -> None:
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise InputError(
                say(
                    "the data lacks the column(s) the model was trained with: {c}",
                    "den Daten fehlen Spalten, mit denen das Modell trainiert wurde: {c}",
                    c=", ".join(missing),
                )
            )

    def numeric_values(self, X: pd.DataFrame, plan: ColumnPlan) -> np.ndarray:
        num = text_numbers(X[plan.name], min_share=0.0)
        if num is None:
            return np.full(len(X), np.nan)
        return num.to_numpy(dtype=float)

    def category_codes(self, X: pd.DataFrame, plan: ColumnPlan) -> np.ndarray:
        """Codes 0..k-1 for the kept levels, k for (other); blanks are a level when frequent."""
        codes, uniques = pd.factorize(X[plan.name], use_na_sentinel=True)
        lookup = {lv: i for i, lv in enumerate(plan.levels)}
        other = len(plan.levels)
        texts = self._as_text(pd.Series(uniques, dtype=object)) if len(uniques) else pd.Series([], dtype=object)
        lut = np.array([lookup.get(t, other) for t in texts] + [lookup.get(BLANK, other)], dtype=np.int64)
        return lut[np.where(codes < 0, len(uniques), codes)]

    def linear_matrix(self, X: pd.DataFrame) -> np.ndarray:
        """Standardised numbers, blank flags and one-hot levels for the linear model."""
        self._check_columns(X)
        cols = []
        for p in self.plans_:
            if p.kind == "numeric":
                v = self.numeric_values(X, p)
                ok = np.isfinite(v)
                # never extrapolate a straight line beyond the values seen in training: when the
                # world moves out of that range (a macro rate falls to a new low), a linear model
                # would otherwise push the new rows to extremes that nothing in the data supports
                v = np.clip(np.where(ok, v, p.median), p.low, p.high)
                if p.log:
                    v = np.log1p(np.clip(v, 0, None))
                cols.append(((v - p.mean) / p.std)[:, None])
                if p.add_log:
                    cols.append(((np.log1p(np.clip(v, 0, None)) - p.log_mean) / p.log_std)[:, None])
                if p.blank_flag:
                    cols.append((~ok).astype(float)[:, None])
            else:
                codes = self.category_codes(X, p)
                onehot = np.zeros((len(X), len(p.levels) + 1))
                onehot[np.arange(len(X)), codes] = 1.0
                cols.append(onehot)
        return np.hstack(cols) if cols else np.zeros((len(X), 0))

    def tree_matrix(self, X: pd.DataFrame) -> np.ndarray:
        """Raw numbers (NaN for blanks) and category codes for LightGBM."""
        self._check_columns(X)
        out = np.empty((len(X), len(self.plans_)), dtype=float)
        for j, p in enumerate(self.plans_):
            out[:, j] = self.numeric_values(X, p) if p.kind == "numeric" else self.category_codes(X, p)
        return out

    @property
    def categorical_indices_(self) -> list[int]:
        return [j for j, p in enumerate(self.plans_) if p.kind == "categorical"]

    def display_values(self, X: pd.DataFrame) -> pd.DataFrame:
        """The values as the model saw them (numbers as numbers, categories as their level), for reasons."""
        out = {}
        for p in self.plans_:
            if p.kind == "numeric":
                out[p.name] = self.numeric_values(X, p)
            else:
                names = np.array([*p.levels, OTHER], dtype=object)
                out[p.name] = names[self.category_codes(X, p)]
        return pd.DataFrame(out, index=X.index)

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        return {
            "max_levels": self.max_levels,
            "min_count": self.min_count,
            "categorical": list(self.categorical),
            "curves": self.curves,
            "plans": [p.to_dict() for p in self.plans_],
        }

    @classmethod
    def from_dict(cls, d: dict) -> TabularPreprocessor:
        pre = cls(d["max_levels"], d["min_count"], tuple(d.get("categorical", ())), d.get("curves", False))
        pre.plans_ = [ColumnPlan.from_dict(p) for p in d["plans"]]
        pre.feature_names_in_ = [p.name for p in pre.plans_]
        pre._build_linear_index()
        return pre
