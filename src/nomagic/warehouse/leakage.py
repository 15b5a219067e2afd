"""Leakage suspects: columns that know the answer.

Two kinds of leak are looked for before anything trains on a labelled table:

* **a column that alone predicts the label almost perfectly**, or far better than every other column.
  Each column gets a *single-column ROC-AUC*: for numbers the better of their own ordering (blanks
  put at either end, so "blank only for churners" is caught) and an out-of-fold rate per quantile
  bin; for categories an out-of-fold target encoding (the label rate per category learned on the
  other folds), so that a column with many levels cannot score by memorising them. An AUC of 0.5 is
  no signal, 1.0 a perfect predictor. A real marketing signal rarely passes 0.85; a column recorded
  with or after the outcome (a cancellation date, a "reason for leaving", a refund amount) often
  does.
* **a time column recorded after the cutoff**: when the moment of prediction is known (a time
  column of the file, or the ``as_of`` of a use case), any other date later than it holds
  information the model could not have had.

The functions work on pandas frames: a labelled table for this check is a sample small enough for
one machine (at most ``max_rows`` rows are used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from nomagic.words import Text, date_text, join, say

#: Single-column AUC at or above which a column is a suspect on its own.
AUC_THRESHOLD = 0.95
#: A column whose AUC exceeds every other by this much (and is at least GAP_FLOOR) is a suspect too.
AUC_GAP = 0.15
GAP_FLOOR = 0.90
MAX_BINS = 20
MAX_CLASSES = 10

#: Why a column is a suspect; the English stays the code that records and tests compare.
_ALMOST_PERFECT = say("predicts the label almost perfectly on its own", "sagt das Label allein fast perfekt vorher")
_FAR_BETTER = say(
    "predicts the label far better than any other column", "sagt das Label weit besser vorher als jede andere Spalte"
)
_AFTER_CUTOFF = say("recorded after the cutoff", "wurde nach dem Stichtag erfasst")


def _next_best(runner: ColumnSignal) -> Text:
    return say("next best {col} {auc:.3f}", "nächstbeste {col} {auc:.3f}", col=runner.column, auc=runner.auc)


@dataclass
class ColumnSignal:
    """How well one column alone predicts the label."""

    column: str
    kind: str  # numeric, categorical, datetime, boolean
    auc: float
    rows: int  # rows with a label used for the figure
    evidence: str = ""


@dataclass
class LeakSuspect:
    """A column that may leak the outcome, with the evidence."""

    column: str
    reason: (
        str  # "predicts the label almost perfectly", "far better than any other column", "recorded after the cutoff"
    )
    level: str  # "blocker" or "warning"
    evidence: str
    auc: float | None = None
    share_after_cutoff: float | None = None


@dataclass
class LeakageReport:
    """Single-column signals (strongest first) and the suspects among them."""

    label: str
    label_kind: str  # binary, multiclass, numeric (split at its median)
    rows: int
    signals: list[ColumnSignal] = field(default_factory=list)
    suspects: list[LeakSuspect] = field(default_factory=list)
    threshold: float = AUC_THRESHOLD
    gap: float = AUC_GAP
    note: str = ""

    @property
    def best(self) -> ColumnSignal | None:
        return self.signals[0] if self.signals else None


# -- AUC primitives ----------------------------------------------------------------------------------


def auc_score(score: np.ndarray, y: np.ndarray) -> float:
    """ROC-AUC of ``score`` for binary ``y`` (0/1), ties counted half (Mann-Whitney)."""
    y = np.asarray(y, dtype=bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(score)
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _folds(y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A stratified fold number per row (cheap, no scikit-learn round trip)."""
    rng = np.random.default_rng(seed)
    out = np.empty(len(y), dtype=np.int64)
    for value in np.unique(y):
        idx = np.flatnonzero(y == value)
        rng.shuffle(idx)
        out[idx] = np.arange(len(idx)) % folds
    return out


def _oof_rate_auc(codes: np.ndarray, y: np.ndarray, fold: np.ndarray, smoothing: float = 1.0) -> float:
    """AUC of the out-of-fold label rate per code (codes are 0..k-1)."""
    k = int(codes.max()) + 1 if len(codes) else 1
    pred = np.empty(len(y), dtype=float)
    yf = y.astype(float)
    for f in np.unique(fold):
        train, test = fold != f, fold == f
        prior = yf[train].mean()
        pos = np.bincount(codes[train], weights=yf[train], minlength=k)
        cnt = np.bincount(codes[train], minlength=k)
        rate = (pos + smoothing * prior) / (cnt + smoothing)
        pred[test] = rate[codes[test]]
    return auc_score(pred, y)


def _monotone_auc(x: np.ndarray, y: np.ndarray) -> float:
    """AUC of the values themselves, either direction, blanks tried at both ends."""
    nan = np.isnan(x)
    if nan.all():
        return 0.5
    lo, hi = np.nanmin(x), np.nanmax(x)
    best = 0.5
    for fill in (lo - 1.0, hi + 1.0) if nan.any() else (lo,):
        a = auc_score(np.where(nan, fill, x), y)
        best = max(best, a, 1.0 - a)
    return best


def _bin_codes(x: np.ndarray) -> np.ndarray:
    """Quantile bins (at most MAX_BINS) with blanks as a bin of their own."""
    nan = np.isnan(x)
    codes = np.zeros(len(x), dtype=np.int64)
    if (~nan).any():
        edges = np.unique(np.quantile(x[~nan], np.linspace(0, 1, MAX_BINS + 1)[1:-1]))
        codes[~nan] = np.searchsorted(edges, x[~nan], side="right")
    codes[nan] = codes.max() + 1 if (~nan).any() else 0
    return codes


def _numeric_auc(x: np.ndarray, y: np.ndarray, fold: np.ndarray) -> float:
    return max(_monotone_auc(x, y), _oof_rate_auc(_bin_codes(x), y, fold))


def _category_codes(s: pd.Series) -> np.ndarray:
    codes, _ = pd.factorize(s.astype("string"), use_na_sentinel=True)
    codes = codes.astype(np.int64)
    codes[codes < 0] = codes.max() + 1  # blanks are a category of their own
    return codes


def _as_number(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.astype("int64").astype(float)
        out[s.isna().to_numpy()] = np.nan
        return out.to_numpy()
    return pd.to_numeric(s, errors="coerce").astype(float).to_numpy()


def column_kind(s: pd.Series) -> str:
    """numeric, boolean, datetime or categorical, as the leakage check treats the column."""
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "datetime"
    if pd.api.types.is_numeric_dtype(s):
        return "numeric"
    return "categorical"


# -- label handling --------------------------------------------------------------------------------


def binary_targets(y: pd.Series) -> tuple[str, list[tuple[str, np.ndarray]]]:
    """The label as one or more 0/1 targets: (kind, [(class name, target), ...]).

    A binary label gives one target (its positive class); a multi-class label one target per class
    (one-vs-rest, the most frequent MAX_CLASSES); a numeric label with many values is split at its
    median.
    """
    counts = y.value_counts()
    if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y) and len(counts) > MAX_CLASSES * 2:
        med = float(y.median())
        return "numeric (split at its median)", [(say("above {m:g}", "über {m:g}", m=med), (y > med).to_numpy())]
    if len(counts) <= 2:
        positive = positive_class(counts)
        return "binary", [(str(positive), (y == positive).to_numpy())]
    top = counts.index[:MAX_CLASSES]
    return "multiclass", [(str(c), (y == c).to_numpy()) for c in top]


_POSITIVE_WORDS = ("yes", "true", "1", "1.0", "y", "ja", "churn", "churned", "positive", "t")


def positive_class(counts: pd.Series):
    """The class to call positive: yes/true/1 where the label reads so, else the rarer one."""
    for value in counts.index:
        if str(value).strip().lower() in _POSITIVE_WORDS:
            return value
    return counts.index[-1]  # value_counts sorts descending: the last is the rarest


# -- the check --------------------------------------------------------------------------------------


def single_column_auc(values: pd.Series, target: np.ndarray, *, folds: int = 5, seed: int = 0) -> float:
    """Single-column ROC-AUC of ``values`` for the binary ``target`` (see the module docstring).

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> y = np.array([0, 0, 1, 1] * 25)
    >>> round(single_column_auc(pd.Series(y * 10.0), y), 2)
    1.0
    """
    target = np.asarray(target).astype(bool)
    fold = _folds(target, folds, seed)
    kind = column_kind(values)
    if kind == "categorical":
        return _oof_rate_auc(_category_codes(values), target, fold)
    return _numeric_auc(_as_number(values), target, fold)


def _evidence(s: pd.Series, target: np.ndarray, name: str, positive: str) -> Text:
    """A line a person can check: label rates per category, medians, or blanks by class."""
    t = pd.Series(target, index=s.index)
    blank = s.isna()
    parts = []
    kind = column_kind(s)
    if kind != "categorical" and blank.any() and not blank.all() and abs(blank[t].mean() - blank[~t].mean()) >= 0.05:
        parts.append(
            say(
                "blank in {a:.0%} of rows with {name} = {positive} and {b:.0%} of the others",
                "leer in {a:.0%} der Zeilen mit {name} = {positive} und in {b:.0%} der übrigen",
                a=blank[t].mean(),
                b=blank[~t].mean(),
                name=name,
                positive=positive,
            )
        )
    if kind in ("numeric", "datetime"):
        x = s if kind == "datetime" else pd.Series(_as_number(s), index=s.index)
        m1, m0 = x[t].median(), x[~t].median()

        def fmt(v) -> Text:
            if pd.isna(v):
                return say("blank", "leer")
            if kind == "datetime":
                return say("{d}", "{d}", d=pd.Timestamp(v).date())
            return say("{v:,.4g}", "{v:,.4g}", v=float(v))

        parts.append(
            say(
                "median {m1} where {name} = {positive}, {m0} elsewhere",
                "Median {m1} bei {name} = {positive}, sonst {m0}",
                m1=fmt(m1),
                m0=fmt(m0),
                name=name,
                positive=positive,
            )
        )
    else:
        rates = t.groupby(s.astype("string").fillna("(blank)")).agg(["mean", "size"])
        rates = rates.sort_values("size", ascending=False).head(3)
        parts.append(
            join(
                [
                    say(
                        "{cat!r}: {rate:.0%} {positive} (n={n:,})",
                        "{cat!r}: {rate:.0%} {positive} (n={n:,})",
                        cat=cat,
                        rate=r["mean"],
                        positive=positive,
                        n=int(r["size"]),
                    )
                    for cat, r in rates.iterrows()
                ],
                "; ",
            )
        )
    return join(parts, "; ")


def leakage_suspects(
    frame: pd.DataFrame,
    label: str,
    *,
    exclude: tuple[str, ...] | list[str] = (),
    cutoff: str | datetime | None = None,
    threshold: float = AUC_THRESHOLD,
    gap: float = AUC_GAP,
    max_rows: int = 100_000,
    folds: int = 5,
    seed: int = 0,
) -> LeakageReport:
    """Look for columns of ``frame`` that leak ``label``.

    Parameters
    ----------
    frame : one row per unit; the label and candidate features, typed (numbers as numbers, dates
        as datetimes; text stays text).
    label : the label column. Rows without a label are left out.
    exclude : columns not to judge (ids, the time column itself).
    cutoff : the moment of prediction: the name of a datetime column of ``frame`` (per row) or one
        timestamp for all rows. Any other datetime column later than it is a suspect.
    threshold : single-column AUC that makes a column a suspect on its own (a blocker).
    gap : a column this much above every other (and at least GAP_FLOOR, 0.9) is a suspect (a warning).
    max_rows : a stratified sample of at most this many rows is used.

    Returns
    -------
    LeakageReport with every column's signal (strongest first) and the suspects.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 1000)
    >>> df = pd.DataFrame({"y": y, "noise": rng.normal(size=1000), "leak": y + rng.normal(0, 0.1, 1000)})
    >>> [s.column for s in leakage_suspects(df, "y").suspects]
    ['leak']
    """
    if label not in frame.columns:
        raise KeyError(label)
    data = frame[frame[label].notna()]
    labelled = len(data)
    if labelled > max_rows:
        data = data.groupby(label, group_keys=False).sample(frac=max_rows / labelled, random_state=seed)
    kind, targets = binary_targets(data[label])
    report = LeakageReport(label=label, label_kind=kind, rows=len(data), threshold=threshold, gap=gap)
    if len(data) < labelled:
        report.note = say(
            "a stratified sample of {n:,} of {m:,} labelled rows was used",
            "eine geschichtete Stichprobe von {n:,} der {m:,} Zeilen mit Label wurde verwendet",
            n=len(data),
            m=labelled,
        )
    usable = [(name, t) for name, t in targets if 0 < t.sum() < len(t)]
    skip = set(exclude) | {label}
    candidates = [c for c in data.columns if c not in skip]
    if not usable:
        report.note = say(
            "the label has a single value: no column can be judged",
            "das Label hat nur einen Wert: keine Spalte lässt sich beurteilen",
        )
    else:
        positive_name = usable[0][0]
        fold_sets = [(name, t, _folds(t, folds, seed)) for name, t in usable]
        for col in candidates:
            s = data[col]
            ck = column_kind(s)
            if s.isna().all():
                continue
            aucs = []
            for _, t, fold in fold_sets:
                if ck == "categorical":
                    aucs.append(_oof_rate_auc(_category_codes(s), t, fold))
                else:
                    aucs.append(_numeric_auc(_as_number(s), t, fold))
            auc = float(np.nanmean(aucs))
            report.signals.append(
                ColumnSignal(
                    col,
                    ck,
                    round(auc, 4),
                    len(s),
                    _evidence(s, usable[0][1], label, positive_name) if kind != "multiclass" else "",
                )
            )
        report.signals.sort(key=lambda s: -s.auc)
        for i, sig in enumerate(report.signals):
            others = [o for j, o in enumerate(report.signals) if j != i]
            runner = others[0] if others else None
            if sig.auc >= threshold:
                report.suspects.append(
                    LeakSuspect(
                        sig.column,
                        _ALMOST_PERFECT,
                        "blocker",
                        join(
                            [
                                say(
                                    "single-column AUC {auc:.3f} (>= {t:g})",
                                    "Einzelspalten-AUC {auc:.3f} (>= {t:g})",
                                    auc=sig.auc,
                                    t=threshold,
                                ),
                                _next_best(runner) if runner else "",
                                sig.evidence,
                            ],
                            "; ",
                        ),
                        auc=sig.auc,
                    )
                )
            elif runner is not None and sig.auc >= GAP_FLOOR and sig.auc - runner.auc >= gap:
                report.suspects.append(
                    LeakSuspect(
                        sig.column,
                        _FAR_BETTER,
                        "warning",
                        join(
                            [
                                say("single-column AUC {auc:.3f}", "Einzelspalten-AUC {auc:.3f}", auc=sig.auc)
                                + say(", ", ", ")
                                + _next_best(runner),
                                sig.evidence,
                            ],
                            "; ",
                        ),
                        auc=sig.auc,
                    )
                )
    if cutoff is not None:
        report.suspects.extend(after_cutoff(data, cutoff, exclude=skip))
    return report


def after_cutoff(
    frame: pd.DataFrame, cutoff: str | datetime, *, exclude: set[str] | tuple[str, ...] = ()
) -> list[LeakSuspect]:
    """Datetime columns with values later than the cutoff (a column name or one timestamp)."""
    if isinstance(cutoff, str) and cutoff in frame.columns:
        ref = pd.to_datetime(frame[cutoff], errors="coerce")
        where = say("the row's {c}", "dem Wert von {c} in derselben Zeile", c=cutoff)
        skip = set(exclude) | {cutoff}
    else:
        ref = pd.Timestamp(cutoff)
        if ref.tzinfo is not None:
            ref = ref.tz_convert(None)
        # English as before (with the time of day); German with its own date
        where = say("the cutoff {at}", "dem Stichtag {at}", at=Text(str(ref), f"{date_text(ref, 'de')} {ref:%H:%M}"))
        skip = set(exclude)
    out = []
    for col in frame.columns:
        s = frame[col]
        if col in skip or not pd.api.types.is_datetime64_any_dtype(s):
            continue
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert(None)
        known = s.notna() & (ref.notna() if isinstance(ref, pd.Series) else True)
        n = int(known.sum())
        if not n:
            continue
        later = int((s[known] > (ref[known] if isinstance(ref, pd.Series) else ref)).sum())
        if later:
            share = later / n
            out.append(
                LeakSuspect(
                    col,
                    _AFTER_CUTOFF,
                    "blocker" if share >= 0.05 else "warning",
                    say(
                        "{later:,} of {n:,} values ({share:.1%}) lie after {where}: a model would use what it could not "
                        "have known at prediction time",
                        "{later:,} von {n:,} Werten ({share:.1%}) liegen nach {where}: ein Modell würde nutzen, was "
                        "zum Zeitpunkt der Vorhersage nicht bekannt sein konnte",
                        later=later,
                        n=n,
                        share=share,
                        where=where,
                    ),
                    share_after_cutoff=round(share, 4),
                )
            )
    return out
