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
from nomagic.lifecycle import shift as sh
from nomagic.lifecycle.gate import NOT_READY, gate
from nomagic.lifecycle.metrics import DEFAULT_METRICS, ProfitParams, bootstrap, lift_curve, reliability_curve
from nomagic.lifecycle.models import AutoClassifier, BestColumnBaseline, PlainLogistic
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


def time_folds(t, y, n_blocks: int = 3, test_share: float = 0.3) -> list[tuple[np.ndarray, np.ndarray]]:
    """Time-ordered folds: the last ``test_share`` of rows (by time) in ``n_blocks`` blocks, each
    trained on every row strictly earlier than the block. ``t`` holds times, or numbers giving each
    row's place in time (the row order, with ``--ordered``)."""
    t = pd.Series(t)
    if pd.api.types.is_numeric_dtype(t):
        ti = t.to_numpy(dtype=float)
    else:
        t = pd.to_datetime(t)
        if t.isna().any():
            raise InputError(
                f"the time column has {int(t.isna().sum())} blank or unreadable value(s); fill or drop them"
            )
        ti = t.astype("int64").to_numpy()
    y = np.asarray(y)
    qs = np.quantile(ti, np.linspace(1 - test_share, 1, n_blocks + 1))
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
    ordered: bool = False,
    id: str | None = None,
    positive=None,
    baseline_column: str | None = None,
    sensitive=(),
    drop=(),
    expected_rate: float | None = None,
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
    """Evaluate the model against the naive references on a plain table; returns the record.

    Parameters
    ----------
    data : the table (typed: see :func:`read_table`).
    label : the outcome column (Yes/No, 1/0, true/false, ... or name the positive value).
    use_case : name written into the record ("churn", "propensity").
    test : optional separate test table with the same columns; it is first compared with ``data``
        (prior shift, domain classifier, per-column shift: the record's ``shift``).
    time : optional time column: a time-ordered split and forward validation.
    ordered : the row order is time (no time column): as ``time``, by row number; the test file's
        rows come after the data's.
    id : optional id column, carried into the predictions.
    positive : the label value that counts as positive, when it cannot be guessed.
    baseline_column : force the baseline's column instead of choosing it by validation.
    sensitive : columns audited for fairness (and not used as features).
    drop : columns to leave out.
    expected_rate : with ``test``, the positive rate you expect there: the probabilities are also
        moved to it (without it, the rate is estimated from the unlabelled test rows).
    words, texts : how to word reasons.
    profit : money assumptions for ``profit_at_10``.
    n_folds, seed : the cross-validation without a time column.
    n_boot : bootstrap resamples.
    readiness : an optional readiness result (``nomagic check``); *not ready* stops before training.
    model_params : overrides for :class:`~nomagic.lifecycle.models.AutoClassifier`.
    progress : ``progress(fraction, message)``.

    The gate decides against the stronger (on the evaluated rows) of two references: the best
    single column (chosen by the same validation as the model) and a plain logistic regression on
    all columns, so that a rule that broke never makes a model look good.
    """
    tick = progress or (lambda f, m: None)
    profit = profit or ProfitParams()
    source = source or "data"
    t0 = _time.perf_counter()
    if time is not None and ordered:
        raise InputError("give either --time COLUMN or --ordered (the row order is time), not both")
    if expected_rate is not None and not 0 < expected_rate < 1:
        raise InputError(f"--expected-rate must be a rate between 0 and 1 (e.g. 0.3 for 30 %), not {expected_rate}")
    if expected_rate is not None and test is None:
        raise InputError("--expected-rate moves the probabilities to the test file's rate: give --test FILE too")
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
    shift_report, like_test, order_check = None, None, None
    if len(X) >= 300:
        tick(0.01, "does the world move along the rows?")
        by_time = X if time is None else X.iloc[np.argsort(pd.to_datetime(data[time]).to_numpy(), kind="stable")]
        order_check = sh.order_signal(by_time, seed=seed)
        if order_check["ordered"] and time is None and not ordered:
            notes.append(_order_note(order_check, source))
    if test is not None:
        test = test.reset_index(drop=True)
        missing = [c for c in [*X.columns, label] if c not in test.columns]
        if missing:
            raise InputError(f"{test_source or 'test'}: lacks the column(s) {', '.join(missing)} of the training data")
        y_test, _ = binary_label(test[label], pos_name, column=label)
        tick(0.03, "comparing the test file with the data")
        shift_report = sh.compare(X, y, test[X.columns], y_test, seed=seed)
        like_test = shift_report.pop("p_train")
        shift_report["notes"] = _shift_notes(shift_report, test_source or "the test file")
        notes.extend(shift_report["notes"])
        full = pd.concat([data, test], ignore_index=True)
        Xall = full[X.columns]
        yall = np.concatenate([y, y_test])
        folds = [(np.arange(len(data)), np.arange(len(data), len(full)))]
        split = {"kind": "given-test", "test": str(test_source or "test"), "test_rows": int(len(test))}
        if test_source and Path(test_source).is_file():
            split["test_fingerprint"] = fingerprint_file(test_source)
    else:
        full, Xall, yall = data, X, y
        if time is not None or ordered:
            folds = time_folds(np.arange(len(data)) if ordered else data[time], y)
            split = {"kind": "time-rolling", "folds": len(folds), "test_share": 0.3}
            split.update({"ordered": True} if ordered else {"time_column": time})
        else:
            folds = cv_folds(y, n_folds, seed)
            split = {"kind": "stratified-kfold", "folds": n_folds, "seed": seed}
    when = np.arange(len(full), dtype=float) if ordered else pd.to_datetime(full[time]) if time else None
    validation, why = _validation_rule(time, ordered, shift_report)
    split["validation"], split["validation_why"] = validation, why
    noise, split["choice_rule"] = _choice_rule(order_check, shift_report, time is not None or ordered)
    pm, pb, pr = (np.full(len(full), np.nan) for _ in range(3))
    fold_of = np.full(len(full), -1)
    contribs, displays, choices, kinds, rules, base_cols = [], [], [], [], [], []
    for i, (tr, te) in enumerate(folds):
        tick(0.05 + 0.8 * i / len(folds), f"fold {i + 1} of {len(folds)}")
        Xtr, Xte, ytr = Xall.iloc[tr], Xall.iloc[te], yall[tr]
        model = AutoClassifier(random_state=seed, **{"noise": noise, **(model_params or {})})
        inner = _most_like_test(like_test, ytr) if validation == "most-test-like" else None
        model.fit(
            Xtr,
            ytr,
            time=None if when is None else np.asarray(when)[tr],
            folds=inner,
            fold_kind="most test-like" if inner else None,
        )
        # the rule is chosen on the model's own validation folds: forward when the model's are
        base = BestColumnBaseline(column=baseline_column, random_state=seed).fit(
            Xtr, ytr, folds=model.validation_folds_
        )
        pb[te] = base.predict_proba(Xte)[:, 1]
        pr[te] = PlainLogistic().fit(Xtr, ytr).predict_proba(Xte)[:, 1]
        c, bias = model.contributions(Xte)
        pm[te] = 1.0 / (1.0 + np.exp(-(c.to_numpy().sum(axis=1) + bias)))
        fold_of[te] = i
        contribs.append(c)
        displays.append(model.preprocessor_.display_values(Xte))
        choices.append(model.choice_.describe())
        kinds.append(model.choice_.kind)
        rules.append(base.describe())
        base_cols.append(base.column_)
        if test is not None:  # one fold: what prior correction needs of the model
            assumed = float(model.predict_proba(Xtr)[:, 1].mean())
            valid_scores = model.validation_scores_
    tick(0.88, "confidence intervals")
    ev = np.flatnonzero(fold_of >= 0)
    ye, me = yall[ev], pm[ev]
    boot = {"metrics": DEFAULT_METRICS, "n_boot": n_boot, "seed": seed, "profit": profit}
    # the same seed: both comparisons use the same resampled rows
    vs_rule = bootstrap(ye, me, pb[ev], **boot)
    vs_plain = bootstrap(ye, me, pr[ev], **boot)
    split_words = {
        "given-test": f"the {len(ev):,} rows of the test file",
        "time-rolling": f"the latest {len(ev):,} rows in {len(folds)} time-ordered blocks",
        "stratified-kfold": f"{len(ev):,} rows ({n_folds}-fold stratified cross-validation, seed {seed})",
    }[split["kind"]]
    rule_words = _rules(rules, base_cols)
    plain_words = PlainLogistic().describe()
    refs = _references(vs_rule, vs_plain, rule_words, plain_words, split_words)
    decisive = refs["decisive"]
    decisive_words = plain_words if decisive == "plain_logistic" else f"the single-column rule ({rule_words})"
    metrics = vs_plain if decisive == "plain_logistic" else vs_rule
    pd_ = (pr if decisive == "plain_logistic" else pb)[ev]
    if refs["references"]["rule"]["below_chance"]:
        notes.append(_broken_rule_note(refs["references"]["rule"], split_words))
    result = gate(
        metrics,
        "roc_auc",
        model_words=f"the model ({_kinds(kinds, choices)})",
        baseline_words=f"the stronger reference, {decisive_words}",
        compared_on=split_words,
    )
    correction = None
    if test is not None:
        correction = _prior_correction(ye, me, assumed, valid_scores, expected_rate, shift_report, n_boot, seed)
        notes.extend(_calibration_notes(correction, shift_report))
    C = pd.concat(contribs).sort_index().loc[ev]
    V = pd.concat(displays).sort_index().loc[ev]
    drivers = ex.global_drivers(C, V, texts, words, top=10)
    preds = pd.DataFrame(
        {
            "row": ev,
            **({id: full[id].to_numpy()[ev]} if id else {}),
            "label": ye,
            "score": me,
            **({"score_prior_corrected": correction.pop("scores")} if correction and "scores" in correction else {}),
            "baseline_score": pd_,
            "rule_score": pb[ev],
            "plain_logistic_score": pr[ev],
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
        baseline={"description": decisive_words, **refs},
        curves={
            "model": {"reliability": reliability_curve(ye, me), "lift": lift_curve(ye, me)},
            "baseline": {"reliability": reliability_curve(ye, pd_), "lift": lift_curve(ye, pd_)},
        },
        drivers=drivers,
        fairness=fairness,
        shift=shift_report,
        prior_correction=correction,
        profit={"cost_per_contact": profit.cost_per_contact, "value_per_success": profit.value_per_success},
        warnings=notes + (fair.flags(fairness) if fairness else []),
        seconds=round(_time.perf_counter() - t0, 2),
    )
    tick(1.0, "done")
    return PlainResult(record, preds, notes)


def _validation_rule(time, ordered: bool, shift_report: dict | None) -> tuple[str, str]:
    """How the model and the rule are validated inside the training rows, and why."""
    if ordered or time is not None:
        by = "the row order" if ordered else f"the time column {time!r}"
        return (
            "forward",
            f"the rows are in time order ({by}): each candidate learns on earlier rows and is validated on later ones",
        )
    if shift_report is not None and shift_report["large"]:
        auc = shift_report["domain_classifier"]["roc_auc"]["value"]
        return "most-test-like", (
            f"the test file differs strongly from the data (domain classifier ROC-AUC {auc:.2f}): the candidates are "
            f"validated on the {1 - _LIKE_TEST_QUANTILE:.0%} of training rows that look most like the test file"
        )
    if shift_report is None:
        return "k-fold", "no time order is known: stratified k-fold inside the training rows"
    auc = shift_report["domain_classifier"]["roc_auc"]["value"]
    return "k-fold", (
        f"no time order is known and the test file is not strongly different (domain classifier ROC-AUC {auc:.2f}): "
        "stratified k-fold inside the training rows"
    )


def _choice_rule(order_check: dict | None, shift_report: dict | None, in_time: bool) -> tuple[str, str]:
    """Which standard error the one-standard-error rule allows (AutoClassifier's ``noise``), and why.

    Where the data shows its world moving (the test file differs strongly, or the first and the last
    rows do), the classic, wider error: there the extra structure a complex model learns is what
    breaks first (bench/shift.py). Elsewhere the paired, narrower one."""
    moving = []
    if shift_report is not None and shift_report["large"]:
        moving.append(
            f"the test file differs strongly (ROC-AUC {shift_report['domain_classifier']['roc_auc']['value']:.2f})"
        )
    if order_check is not None and order_check["ordered"]:
        rows = "the earliest and the latest rows" if in_time else "the first and the last rows"
        moving.append(f"{rows} differ (ROC-AUC {order_check['roc_auc']['value']:.2f})")
    if moving:
        return "best", (
            "the world moves (" + "; ".join(moving) + "): the simplest candidate within one standard error of the "
            "best one's validation ROC-AUC wins"
        )
    return "paired", (
        "no sign that the world moves: the simplest candidate within one standard error of its paired difference "
        "to the best wins"
    )


#: with a strongly different test file, validate on the training rows above this quantile of "looks like the test"
_LIKE_TEST_QUANTILE = 0.75


def _most_like_test(like_test, y) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """One validation fold: the training rows that look most like the test file; training on the rest."""
    va = like_test >= np.quantile(like_test, _LIKE_TEST_QUANTILE)
    if np.unique(y[va]).size < 2 or np.unique(y[~va]).size < 2:
        return None
    return [(np.flatnonzero(~va), np.flatnonzero(va))]


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _ci_pct(m: dict) -> str:
    return f"{_pct(m['value'])} (95% CI {_pct(m['ci'][0])}-{_pct(m['ci'][1])})"


def _order_note(check: dict, source: str) -> str:
    cols = ", ".join(repr(c["column"]) for c in check["columns"][:3])
    return (
        f"The rows of {Path(str(source)).name} look ordered in time: a classifier tells the first third of the rows "
        f"from the last third with ROC-AUC {check['roc_auc']['value']:.2f} (0.5 = no difference), most by {cols}. "
        "If the row order is time, rerun with --ordered, so that every candidate learns on earlier rows and is "
        "judged on later ones; a random split hides a drift that the future will not."
    )


def _shift_notes(report: dict, test_name: str) -> list[str]:
    """The shift between the data and the test file in plain words, with what it means."""
    out = []
    dom = report["domain_classifier"]
    auc = dom["roc_auc"]["value"]
    if report["large"]:
        cols = ", ".join(repr(c["column"]) for c in dom["columns"][:3])
        out.append(
            f"The test file comes from a different world: a classifier tells {Path(test_name).name}'s rows from the "
            f"training rows with ROC-AUC {auc:.2f} (0.5 = indistinguishable, 1 = always told apart), most by {cols}. "
            "What it means: this evaluation says how the model does in that new world, not how it did where it "
            "learned; a model that relies on the moved columns may rank and price customers wrongly until it is "
            "retrained on recent rows."
        )
    moved = [c for c in report["columns"] if c["psi"] >= sh.PSI_LARGE]
    if moved:
        out.append(
            "Columns that moved a lot (population stability index >= 0.25): "
            + "; ".join(f"{c['column']!r} {c['train']} -> {c['test']} (PSI {c['psi']:.2f})" for c in moved[:5])
            + (f"; and {len(moved) - 5} more" if len(moved) > 5 else "")
            + "."
        )
    beyond = [c for c in report["columns"] if c.get("outside_range", 0) >= sh.OUTSIDE_RANGE]
    if beyond:
        out.append(
            "Beyond anything seen in training: "
            + "; ".join(
                f"{c['outside_range']:.0%} of the test rows' {c['column']!r} lie outside its training range "
                f"({c['train_range'][0]:,.4g} to {c['train_range'][1]:,.4g})"
                for c in beyond[:5]
            )
            + ". No model learned what happens there; the trees and the linear model hold such values at the edge "
            "of the range, so their effect on the scores is that of the most extreme value seen."
        )
    prior = report["prior"]
    if prior["shifted"]:
        out.append(
            f"The positive rate differs: {_ci_pct(prior['test_rate'])} in the test file against "
            f"{_ci_pct(prior['train_rate'])} in the training data. Probabilities learned at the old rate are "
            f"{'too low' if prior['difference']['value'] > 0 else 'too high'} there (see the calibration on the test "
            "file); the ranking can still hold."
        )
    return out


def _references(vs_rule: dict, vs_plain: dict, rule_words: str, plain_words: str, on: str) -> dict:
    """The record's ``references`` (the rule, flagged when below chance, and the plain regression),
    ``decisive`` (which one the gate decides against) and ``why``."""
    rule_auc, plain_auc = vs_rule["baseline"]["roc_auc"], vs_plain["baseline"]["roc_auc"]
    below = rule_auc["ci"][1] is not None and rule_auc["ci"][1] < 0.5
    decisive = "plain_logistic" if plain_auc["value"] > rule_auc["value"] else "rule"
    first, second = ("plain logistic regression", "single-column rule")[:: 1 if decisive == "plain_logistic" else -1]
    hi, lo = sorted((plain_auc["value"], rule_auc["value"]), reverse=True)
    why = f"the {first} is the stronger reference on {on}: ROC-AUC {hi:.3f} against the {second}'s {lo:.3f}"
    rule = {
        "description": rule_words,
        "roc_auc": rule_auc,
        "improvement": vs_rule["improvement"]["roc_auc"],
        "below_chance": bool(below),
    }
    plain = {"description": plain_words, "roc_auc": plain_auc, "improvement": vs_plain["improvement"]["roc_auc"]}
    return {"references": {"rule": rule, "plain_logistic": plain}, "decisive": decisive, "why": why}


def _broken_rule_note(rule: dict, on: str) -> str:
    auc, words = rule["roc_auc"], rule["description"]
    return (
        f"The world changed: the rule that worked before now points the wrong way. {words[0].upper()}{words[1:]} "
        f"reaches ROC-AUC {auc['value']:.3f} (95% CI {auc['ci'][0]:.3f}-{auc['ci'][1]:.3f}) on {on}, below the 0.5 "
        "of a coin toss. An improvement over it would say nothing, so the model is judged against the stronger "
        "reference."
    )


def _prior_correction(y, p, assumed: float, valid_scores, expected, shift_report: dict, n_boot: int, seed: int) -> dict:
    """Calibration on the test rows as the model gave it, and with its probabilities moved to the
    test file's rate (given, or estimated from the unlabelled rows); the scores moved as well.

    The estimate assumes that only the rate moved; when the domain classifier finds the customers
    themselves changed, that assumption is broken and no rate is estimated (on CDNOW and MovieLens
    in bench/shift.py an estimate there made the calibration worse, not better)."""
    changed = shift_report["large"]
    estimated = None if changed else sh.estimate_rate(p, *valid_scores)
    target = expected if expected is not None else estimated
    out = {
        "assumed_rate": round(assumed, 6),
        "estimated_rate": None if estimated is None else round(estimated, 6),
        "actual_rate": round(float(np.mean(y)), 6),
        "used_rate": None if target is None else round(float(target), 6),
        "how": "given (--expected-rate)"
        if expected is not None
        else "estimated from the unlabelled test rows (adjusted classify and count)",
    }
    if target is None:
        auc = shift_report["domain_classifier"]["roc_auc"]["value"]
        out["how"] = (
            f"not moved to a new rate: the customers themselves changed (domain classifier ROC-AUC {auc:.2f}), not "
            "only the rate, so a rate read off the scores would mislead; give the rate you expect with --expected-rate"
            if changed
            else "not moved to a new rate: the test rows score unlike either outcome's rows in training (the "
            "customers changed, not only the rate); give the rate you expect with --expected-rate"
        )
        raw = bootstrap(y, p, metrics=("ece", "brier"), n_boot=n_boot, seed=seed)
        return {**out, "raw": raw["model"]}
    moved = sh.move_prior(p, assumed, target)
    cal = bootstrap(y, moved, p, metrics=("ece", "brier"), n_boot=n_boot, seed=seed)
    return {
        **out,
        "raw": cal["baseline"],
        "corrected": cal["model"],
        "improvement": cal["improvement"],
        "scores": moved,
    }


def _calibration_notes(c: dict, shift_report: dict | None) -> list[str]:
    raw = c["raw"]["ece"]["value"]
    prior_moved = shift_report is not None and shift_report["prior"]["shifted"]
    if c["used_rate"] is None:
        return (
            [f"Calibration on the test file: calibration error {raw:.3f} as given, {c['how']}."] if prior_moved else []
        )
    if not prior_moved and abs(c["used_rate"] - c["assumed_rate"]) < 0.2 * c["assumed_rate"]:
        return []
    cor = c["corrected"]["ece"]["value"]
    return [
        f"Calibration on the test file: the probabilities assume a positive rate of {_pct(c['assumed_rate'])}; "
        f"{c['how']}, the rate is {_pct(c['used_rate'])} (actual: {_pct(c['actual_rate'])}). "
        f"Calibration error {raw:.3f} as given, {cor:.3f} with the probabilities moved to that rate "
        "(score_prior_corrected in the scores file). The ranking (ROC-AUC, lift) is the same either way."
    ]


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
