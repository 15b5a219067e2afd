"""``nomagic evaluate`` on a user's plain table: an honest first answer without a warehouse.

One row per unit, a 0/1-ish label column, any other columns as features (categories, blanks and
numbers stored as text are handled). The split is the honest one for the table:

* ``--test FILE``: train on the data, judge on the test file alone;
* ``--time COLUMN``: time-ordered — the last 30 % of the time range in three blocks, each judged by
  a model trained on everything before it;
* otherwise 5-fold stratified cross-validation with seed 0.

The model is compared with the best single column (chosen inside each training part), with
bootstrap 95 % intervals for both and their difference, and judged by the no-magic gate.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.lifecycle import explain as ex
from nomagic.lifecycle import fairness as fair
from nomagic.lifecycle.gate import NOT_READY, gate
from nomagic.lifecycle.metrics import DEFAULT_METRICS, ProfitParams, bootstrap, lift_curve, reliability_curve
from nomagic.lifecycle.models import AutoClassifier, BestColumnBaseline
from nomagic.lifecycle.record import fingerprint_file, fingerprint_frame, make_record
from nomagic.lifecycle.tabular import binary_label

Progress = Callable[[float, str], None]


@dataclass
class PlainResult:
    """The record, plus the out-of-sample predictions behind it (one row per evaluated row)."""

    record: dict
    predictions: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def read_table(path) -> pd.DataFrame:
    """A CSV / Parquet / JSON-lines file with numbers and dates stored as text typed."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"file {path} does not exist")
    from nomagic.warehouse.readiness import read_table as _read
    from nomagic.warehouse.readiness import type_columns

    df, _ = type_columns(_read(path))
    return df


def _need(df: pd.DataFrame, col: str | None, what: str, source: str) -> None:
    if col is not None and col not in df.columns:
        raise InputError(f"{source}: has no column {col!r} (given as {what}); its columns are: {', '.join(df.columns)}")


def cv_folds(y, n_folds: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """The stratified folds ``nomagic evaluate`` uses without a time column (shuffled, seeded)."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y)
    return list(StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def time_folds(t: pd.Series, y, n_blocks: int = 3, test_share: float = 0.3) -> list[tuple[np.ndarray, np.ndarray]]:
    """Time-ordered folds: the last ``test_share`` of rows (by time) in ``n_blocks`` blocks, each
    trained on every row strictly earlier than the block."""
    t = pd.to_datetime(t)
    if t.isna().any():
        raise InputError(f"the time column has {int(t.isna().sum())} blank or unreadable value(s); fill or drop them")
    y = np.asarray(y)
    qs = np.quantile(t.astype("int64"), np.linspace(1 - test_share, 1, n_blocks + 1))
    ti = t.astype("int64").to_numpy()
    folds = []
    for i in range(n_blocks):
        lo, hi = qs[i], qs[i + 1]
        te = np.flatnonzero((ti >= lo) & ((ti < hi) if i < n_blocks - 1 else (ti <= hi)))
        tr = np.flatnonzero(ti < lo)
        if te.size and tr.size and np.unique(y[tr]).size == 2:
            folds.append((tr, te))
    if not folds:
        raise InputError("the time column leaves no earlier rows with both outcomes to train on")
    return folds


def prepare(
    df: pd.DataFrame, *, label: str, id: str | None, time: str | None, sensitive=(), drop=(), source: str = "data"
) -> tuple[pd.DataFrame, list[str]]:
    """The feature columns of a plain table, and notes on what was left out and why."""
    for col, what in ((label, "--label"), (id, "--id"), (time, "--time")):
        _need(df, col, what, source)
    for col in (*sensitive, *drop):
        _need(df, col, "--sensitive/--drop", source)
    skip = {label, id, time, *sensitive, *drop} - {None}
    notes = []
    keep = []
    n = len(df)
    for col in df.columns:
        if col in skip:
            continue
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            notes.append(f"{col}: a date column, left out (give it as --time to split by time)")
            continue
        known = s.dropna()
        if known.empty:
            notes.append(f"{col}: empty, left out")
            continue
        if known.nunique() <= 1:
            notes.append(f"{col}: a single value, left out")
            continue
        is_text = not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))
        if n >= 20 and known.nunique() == len(known) and len(known) >= 0.95 * n:
            if is_text or (known % 1 == 0).all():
                notes.append(f"{col}: unique per row (an id), left out; name it with --id")
                continue
        if is_text and known.nunique() > max(50, 0.5 * len(known)):
            notes.append(f"{col}: free text or a code with {known.nunique():,} values, left out")
            continue
        keep.append(col)
    if sensitive:
        notes.append(f"sensitive attribute(s) {', '.join(sensitive)}: audited for fairness, not used as features")
    if not keep:
        raise InputError(f"{source}: no usable feature columns remain ({'; '.join(notes) or 'none given'})")
    return df[keep], notes


def evaluate_table(
    data: pd.DataFrame,
    *,
    label: str,
    use_case: str = "churn",
    test: pd.DataFrame | None = None,
    time: str | None = None,
    id: str | None = None,
    positive=None,
    baseline_column: str | None = None,
    sensitive=(),
    drop=(),
    words: ex.Words = ex.Words(),
    texts: dict[str, ex.FeatureText] | None = None,
    profit: ProfitParams | None = None,
    n_folds: int = 5,
    seed: int = 0,
    n_boot: int = 1000,
    source: str | None = None,
    test_source: str | None = None,
    readiness=None,
    model_params: dict | None = None,
    progress: Progress | None = None,
) -> PlainResult:
    """Evaluate the model against the naive baseline on a plain table; returns the record.

    Parameters
    ----------
    data : the table (typed: see :func:`read_table`).
    label : the outcome column (Yes/No, 1/0, true/false, ... or name the positive value).
    use_case : name written into the record ("churn", "propensity").
    test : optional separate test table with the same columns.
    time : optional time column: a time-ordered split instead of cross-validation.
    id : optional id column, carried into the predictions.
    positive : the label value that counts as positive, when it cannot be guessed.
    baseline_column : force the baseline's column instead of choosing it by validation.
    sensitive : columns audited for fairness (and not used as features).
    drop : columns to leave out.
    words, texts : how to word reasons.
    profit : money assumptions for ``profit_at_10``.
    n_folds, seed : the cross-validation without a time column.
    n_boot : bootstrap resamples.
    readiness : an optional readiness result (``nomagic check``); *not ready* stops before training.
    model_params : overrides for :class:`~nomagic.lifecycle.models.AutoClassifier`.
    progress : ``progress(fraction, message)``.
    """
    tick = progress or (lambda f, m: None)
    profit = profit or ProfitParams()
    source = source or "data"
    t0 = _time.perf_counter()
    data = data.reset_index(drop=True)
    X, notes = prepare(data, label=label, id=id, time=time, sensitive=sensitive, drop=drop, source=source)
    y, pos_name = binary_label(data[label], positive, column=label)
    fp = fingerprint_file(source) if source and Path(source).is_file() else fingerprint_frame(data)
    data_info = {"source": str(source), "fingerprint": fp, "rows": int(len(data)), "label": label, "positive": pos_name}
    if readiness is not None and getattr(readiness, "verdict", None) == "not ready":
        reasons = [f.message for f in readiness.reasons if f.level == "blocker"]
        text = "The data is not ready, so nothing was trained: " + "; ".join(reasons)
        return PlainResult(
            make_record(
                use_case=use_case,
                data=data_info,
                split={"kind": "none"},
                primary_metric="roc_auc",
                metrics={},
                verdict=NOT_READY,
                explanation=text,
                warnings=notes,
            ),
            pd.DataFrame(),
            notes,
        )
    if test is not None:
        test = test.reset_index(drop=True)
        missing = [c for c in [*X.columns, label] if c not in test.columns]
        if missing:
            raise InputError(f"{test_source or 'test'}: lacks the column(s) {', '.join(missing)} of the training data")
        y_test, _ = binary_label(test[label], pos_name, column=label)
        full = pd.concat([data, test], ignore_index=True)
        Xall = full[X.columns]
        yall = np.concatenate([y, y_test])
        folds = [(np.arange(len(data)), np.arange(len(data), len(full)))]
        split = {"kind": "given-test", "test": str(test_source or "test"), "test_rows": int(len(test))}
        if test_source and Path(test_source).is_file():
            split["test_fingerprint"] = fingerprint_file(test_source)
    else:
        full, Xall, yall = data, X, y
        if time is not None:
            folds = time_folds(data[time], y)
            split = {"kind": "time-rolling", "folds": len(folds), "time_column": time, "test_share": 0.3}
        else:
            folds = cv_folds(y, n_folds, seed)
            split = {"kind": "stratified-kfold", "folds": n_folds, "seed": seed}
    times = pd.to_datetime(full[time]) if time is not None else None
    pm = np.full(len(full), np.nan)
    pb = np.full(len(full), np.nan)
    fold_of = np.full(len(full), -1)
    contribs, displays, choices, kinds, rules, base_cols = [], [], [], [], [], []
    for i, (tr, te) in enumerate(folds):
        tick(i / len(folds), f"fold {i + 1} of {len(folds)}")
        Xtr, Xte = Xall.iloc[tr], Xall.iloc[te]
        base = BestColumnBaseline(column=baseline_column, random_state=seed).fit(Xtr, yall[tr])
        pb[te] = base.predict_proba(Xte)[:, 1]
        model = AutoClassifier(random_state=seed, **(model_params or {}))
        model.fit(Xtr, yall[tr], time=None if times is None else times.iloc[tr].to_numpy())
        c, bias = model.contributions(Xte)
        pm[te] = 1.0 / (1.0 + np.exp(-(c.to_numpy().sum(axis=1) + bias)))
        fold_of[te] = i
        contribs.append(c)
        displays.append(model.preprocessor_.display_values(Xte))
        choices.append(model.choice_.describe())
        kinds.append(model.choice_.kind)
        rules.append(base.describe())
        base_cols.append(base.column_)
    tick(0.9, "confidence intervals")
    ev = np.flatnonzero(fold_of >= 0)
    ye, me, be = yall[ev], pm[ev], pb[ev]
    metrics = bootstrap(ye, me, be, metrics=DEFAULT_METRICS, n_boot=n_boot, seed=seed, profit=profit)
    split_words = {
        "given-test": f"the {len(ev):,} rows of the test file",
        "time-rolling": f"the latest {len(ev):,} rows in {len(folds)} time-ordered blocks",
        "stratified-kfold": f"{len(ev):,} rows ({n_folds}-fold stratified cross-validation, seed {seed})",
    }[split["kind"]]
    result = gate(
        metrics,
        "roc_auc",
        model_words=f"the model ({_kinds(kinds, choices)})",
        baseline_words=f"the baseline ({_rules(rules, base_cols)})",
        compared_on=split_words,
    )
    C = pd.concat(contribs).sort_index().loc[ev]
    V = pd.concat(displays).sort_index().loc[ev]
    drivers = ex.global_drivers(C, V, texts, words, top=10)
    preds = pd.DataFrame(
        {
            "row": ev,
            **({id: full[id].to_numpy()[ev]} if id else {}),
            "label": ye,
            "score": me,
            "baseline_score": be,
            "fold": fold_of[ev],
        }
    )
    preds = pd.concat([preds, ex.reasons(C, V, texts, words).reset_index(drop=True)], axis=1)
    fairness = None
    if sensitive:
        attrs = {s: full[s].to_numpy()[ev] for s in sensitive}
        fairness = fair.audit(ye, me, attrs)
    record = make_record(
        use_case=use_case,
        data=data_info,
        split=split,
        primary_metric="roc_auc",
        metrics=metrics,
        verdict=result.verdict,
        explanation=result.explanation,
        params={},
        model={"description": choices, "features": list(X.columns)},
        baseline={"description": rules},
        curves={
            "model": {"reliability": reliability_curve(ye, me), "lift": lift_curve(ye, me)},
            "baseline": {"reliability": reliability_curve(ye, be), "lift": lift_curve(ye, be)},
        },
        drivers=drivers,
        fairness=fairness,
        profit={"cost_per_contact": profit.cost_per_contact, "value_per_success": profit.value_per_success},
        warnings=notes + (fair.flags(fairness) if fairness else []),
        seconds=round(_time.perf_counter() - t0, 2),
    )
    tick(1.0, "done")
    return PlainResult(record, preds, notes)


def _kinds(kinds: list[str], choices: list[str]) -> str:
    if len(kinds) == 1:
        return choices[0].split(", chosen by")[0]
    counts = pd.Series(kinds).value_counts()
    return "chosen in each fold: " + ", ".join(f"{k} in {n}" for k, n in counts.items())


def _rules(rules: list[str], columns: list[str]) -> str:
    if len(set(rules)) == 1:
        return rules[0]
    counts = pd.Series(columns).value_counts()
    return "the single best column, chosen in each fold: " + ", ".join(f"{c!r} in {n}" for c, n in counts.items())
