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
from nomagic.words import Text, join, say

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
        raise InputError(say("file {p} does not exist", "Datei {p} existiert nicht", p=str(path)))
    from nomagic.warehouse.readiness import read_table as _read
    from nomagic.warehouse.readiness import type_columns

    df, _ = type_columns(_read(path))
    return df


def _need(df: pd.DataFrame, col: str | None, what: str, source: str) -> None:
    if col is not None and col not in df.columns:
        raise InputError(
            say(
                "{s}: has no column '{c}' (given as {w}); its columns are: {cols}",
                "{s}: hat keine Spalte '{c}' (angegeben als {w}); ihre Spalten sind: {cols}",
                s=source,
                c=col,
                w=what,
                cols=", ".join(map(str, df.columns)),
            )
        )


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
                say(
                    "the time column has {n:,} blank or unreadable value(s); fill or drop them",
                    "die Zeitspalte hat {n:,} leere oder unlesbare Werte; füllen oder entfernen",
                    n=int(t.isna().sum()),
                )
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
        raise InputError(
            say(
                "the time column leaves no earlier rows with both outcomes to train on",
                "die Zeitspalte lässt keine früheren Zeilen mit beiden Ausgängen zum Trainieren übrig",
            )
        )
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
            notes.append(
                say(
                    "{c}: a date column, left out (give it as --time to split by time)",
                    "{c}: eine Datumsspalte, weggelassen (mit --time angeben, um nach der Zeit zu teilen)",
                    c=col,
                )
            )
            continue
        known = s.dropna()
        if known.empty:
            notes.append(say("{c}: empty, left out", "{c}: leer, weggelassen", c=col))
            continue
        if known.nunique() <= 1:
            notes.append(say("{c}: a single value, left out", "{c}: nur ein Wert, weggelassen", c=col))
            continue
        is_text = not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))
        if n >= 20 and known.nunique() == len(known) and len(known) >= 0.95 * n:
            if is_text or (known % 1 == 0).all():
                notes.append(
                    say(
                        "{c}: unique per row (an id), left out; name it with --id",
                        "{c}: je Zeile eindeutig (eine ID), weggelassen; mit --id benennen",
                        c=col,
                    )
                )
                continue
        if is_text and known.nunique() > max(50, 0.5 * len(known)):
            notes.append(
                say(
                    "{c}: free text or a code with {n:,} values, left out",
                    "{c}: Freitext oder ein Code mit {n:,} Werten, weggelassen",
                    c=col,
                    n=known.nunique(),
                )
            )
            continue
        keep.append(col)
    if sensitive:
        notes.append(
            say(
                "sensitive attribute(s) {a}: audited for fairness, not used as features",
                "sensible(s) Merkmal(e) {a}: auf Fairness geprüft, nicht als Merkmale genutzt",
                a=", ".join(sensitive),
            )
        )
    if not keep:
        raise InputError(
            say(
                "{s}: no usable feature columns remain ({n})",
                "{s}: keine nutzbaren Merkmalsspalten übrig ({n})",
                s=source,
                n=join(notes, "; ") or say("none given", "keine angegeben"),
            )
        )
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
        raise InputError(
            say(
                "give either --time COLUMN or --ordered (the row order is time), not both",
                "entweder --time SPALTE oder --ordered (die Zeilenfolge ist die Zeit) angeben, nicht beides",
            )
        )
    if expected_rate is not None and not 0 < expected_rate < 1:
        raise InputError(
            say(
                "--expected-rate must be a rate between 0 and 1 (e.g. 0.3 for 30 %), not {r}",
                "--expected-rate muss eine Quote zwischen 0 und 1 sein (z. B. 0.3 für 30 %), nicht {r}",
                r=str(expected_rate),
            )
        )
    if expected_rate is not None and test is None:
        raise InputError(
            say(
                "--expected-rate moves the probabilities to the test file's rate: give --test FILE too",
                "--expected-rate verschiebt die Wahrscheinlichkeiten auf die Quote der Testdatei: auch --test DATEI "
                "angeben",
            )
        )
    data = data.reset_index(drop=True)
    X, notes = prepare(data, label=label, id=id, time=time, sensitive=sensitive, drop=drop, source=source)
    y, pos_name = binary_label(data[label], positive, column=label)
    fp = fingerprint_file(source) if source and Path(source).is_file() else fingerprint_frame(data)
    data_info = {"source": str(source), "fingerprint": fp, "rows": int(len(data)), "label": label, "positive": pos_name}
    if readiness is not None and getattr(readiness, "verdict", None) == "not ready":
        reasons = [f.message for f in readiness.reasons if f.level == "blocker"]
        text = say(
            "The data is not ready, so nothing was trained: {r}",
            "Die Daten sind nicht bereit, deshalb wurde nichts trainiert: {r}",
            r=join(reasons, "; "),
        )
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
        tick(0.01, say("does the world move along the rows?", "bewegt sich die Welt entlang der Zeilen?"))
        by_time = X if time is None else X.iloc[np.argsort(pd.to_datetime(data[time]).to_numpy(), kind="stable")]
        order_check = sh.order_signal(by_time, seed=seed)
        if order_check["ordered"] and time is None and not ordered:
            notes.append(_order_note(order_check, source))
    if test is not None:
        test = test.reset_index(drop=True)
        missing = [c for c in [*X.columns, label] if c not in test.columns]
        if missing:
            raise InputError(
                say(
                    "{s}: lacks the column(s) {c} of the training data",
                    "{s}: es fehlen die Spalte(n) {c} der Trainingsdaten",
                    s=test_source or "test",
                    c=", ".join(missing),
                )
            )
        y_test, _ = binary_label(test[label], pos_name, column=label)
        tick(0.03, say("comparing the test file with the data", "Testdatei wird mit den Daten verglichen"))
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
    contribs, displays, choices, whats, kinds, rules, base_cols = [], [], [], [], [], [], []
    for i, (tr, te) in enumerate(folds):
        tick(0.05 + 0.8 * i / len(folds), say("fold {i} of {n}", "Falte {i} von {n}", i=i + 1, n=len(folds)))
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
        whats.append(model.choice_.what())
        kinds.append(model.choice_.kind)
        rules.append(base.describe())
        base_cols.append(base.column_)
        if test is not None:  # one fold: what prior correction needs of the model
            assumed = float(model.predict_proba(Xtr)[:, 1].mean())
            valid_scores = model.validation_scores_
    tick(0.88, say("confidence intervals", "Konfidenzintervalle"))
    ev = np.flatnonzero(fold_of >= 0)
    ye, me = yall[ev], pm[ev]
    boot = {"metrics": DEFAULT_METRICS, "n_boot": n_boot, "seed": seed, "profit": profit}
    # the same seed: both comparisons use the same resampled rows
    vs_rule = bootstrap(ye, me, pb[ev], **boot)
    vs_plain = bootstrap(ye, me, pr[ev], **boot)
    split_words = {
        "given-test": lambda: say("the {n:,} rows of the test file", "den {n:,} Zeilen der Testdatei", n=len(ev)),
        "time-rolling": lambda: say(
            "the latest {n:,} rows in {k} time-ordered blocks",
            "den jüngsten {n:,} Zeilen in {k} zeitlich geordneten Blöcken",
            n=len(ev),
            k=len(folds),
        ),
        "stratified-kfold": lambda: say(
            "{n:,} rows ({k}-fold stratified cross-validation, seed {seed})",
            "{n:,} Zeilen ({k}-fache stratifizierte Kreuzvalidierung, Seed {seed})",
            n=len(ev),
            k=n_folds,
            seed=str(seed),
        ),
    }[split["kind"]]()
    rule_words = _rules(rules, base_cols)
    plain_words = PlainLogistic().describe()
    refs = _references(vs_rule, vs_plain, rule_words, plain_words, split_words)
    decisive = refs["decisive"]
    decisive_words = (
        plain_words
        if decisive == "plain_logistic"
        else say("the single-column rule ({r})", "die Ein-Spalten-Regel ({r})", r=rule_words)
    )
    metrics = vs_plain if decisive == "plain_logistic" else vs_rule
    pd_ = (pr if decisive == "plain_logistic" else pb)[ev]
    if refs["references"]["rule"]["below_chance"]:
        notes.append(_broken_rule_note(refs["references"]["rule"], split_words))
    result = gate(
        metrics,
        "roc_auc",
        model_words=say("the model ({k})", "das Modell ({k})", k=_kinds(kinds, whats)),
        baseline_words=say("the stronger reference, {d}", "die stärkere Referenz, {d}", d=decisive_words),
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
    tick(1.0, say("done", "fertig"))
    return PlainResult(record, preds, notes)


def _validation_rule(time, ordered: bool, shift_report: dict | None) -> tuple[str, Text]:
    """How the model and the rule are validated inside the training rows, and why."""
    if ordered or time is not None:
        by = (
            say("the row order", "die Zeilenfolge")
            if ordered
            else say("the time column '{t}'", "die Zeitspalte '{t}'", t=time)
        )
        return "forward", say(
            "the rows are in time order ({by}): each candidate learns on earlier rows and is validated on later ones",
            "die Zeilen sind zeitlich geordnet ({by}): jeder Kandidat lernt auf früheren Zeilen und wird auf späteren "
            "validiert",
            by=by,
        )
    if shift_report is not None and shift_report["large"]:
        return "most-test-like", say(
            "the test file differs strongly from the data (domain classifier ROC-AUC {auc:.2f}): the candidates are "
            "validated on the {q:.0%} of training rows that look most like the test file",
            "die Testdatei unterscheidet sich stark von den Daten (Domänen-Klassifikator ROC-AUC {auc:.2f}): die "
            "Kandidaten werden auf den {q:.0%} der Trainingszeilen validiert, die der Testdatei am ähnlichsten sind",
            auc=shift_report["domain_classifier"]["roc_auc"]["value"],
            q=1 - _LIKE_TEST_QUANTILE,
        )
    if shift_report is None:
        return "k-fold", say(
            "no time order is known: stratified k-fold inside the training rows",
            "keine zeitliche Ordnung bekannt: stratifizierte k-fache Kreuzvalidierung in den Trainingszeilen",
        )
    return "k-fold", say(
        "no time order is known and the test file is not strongly different (domain classifier ROC-AUC {auc:.2f}): "
        "stratified k-fold inside the training rows",
        "keine zeitliche Ordnung bekannt und die Testdatei unterscheidet sich nicht stark (Domänen-Klassifikator "
        "ROC-AUC {auc:.2f}): stratifizierte k-fache Kreuzvalidierung in den Trainingszeilen",
        auc=shift_report["domain_classifier"]["roc_auc"]["value"],
    )


def _choice_rule(order_check: dict | None, shift_report: dict | None, in_time: bool) -> tuple[str, Text]:
    """Which standard error the one-standard-error rule allows (AutoClassifier's ``noise``), and why.

    Where the data shows its world moving (the test file differs strongly, or the first and the last
    rows do), the classic, wider error: there the extra structure a complex model learns is what
    breaks first (bench/shift.py). Elsewhere the paired, narrower one."""
    moving = []
    if shift_report is not None and shift_report["large"]:
        moving.append(
            say(
                "the test file differs strongly (ROC-AUC {auc:.2f})",
                "die Testdatei unterscheidet sich stark (ROC-AUC {auc:.2f})",
                auc=shift_report["domain_classifier"]["roc_auc"]["value"],
            )
        )
    if order_check is not None and order_check["ordered"]:
        auc = order_check["roc_auc"]["value"]
        if in_time:
            moving.append(
                say(
                    "the earliest and the latest rows differ (ROC-AUC {auc:.2f})",
                    "die frühesten und die jüngsten Zeilen unterscheiden sich (ROC-AUC {auc:.2f})",
                    auc=auc,
                )
            )
        else:
            moving.append(
                say(
                    "the first and the last rows differ (ROC-AUC {auc:.2f})",
                    "die ersten und die letzten Zeilen unterscheiden sich (ROC-AUC {auc:.2f})",
                    auc=auc,
                )
            )
    if moving:
        return "best", say(
            "the world moves ({m}): the simplest candidate within one standard error of the best one's validation "
            "ROC-AUC wins",
            "die Welt bewegt sich ({m}): es gewinnt der einfachste Kandidat innerhalb eines Standardfehlers der "
            "Validierungs-ROC-AUC des besten",
            m=join(moving, "; "),
        )
    return "paired", say(
        "no sign that the world moves: the simplest candidate within one standard error of its paired difference "
        "to the best wins",
        "kein Zeichen, dass sich die Welt bewegt: es gewinnt der einfachste Kandidat innerhalb eines Standardfehlers "
        "seiner gepaarten Differenz zum besten",
    )


#: with a strongly different test file, validate on the training rows above this quantile of "looks like the test"
_LIKE_TEST_QUANTILE = 0.75


def _most_like_test(like_test, y) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """One validation fold: the training rows that look most like the test file; training on the rest."""
    va = like_test >= np.quantile(like_test, _LIKE_TEST_QUANTILE)
    if np.unique(y[va]).size < 2 or np.unique(y[~va]).size < 2:
        return None
    return [(np.flatnonzero(~va), np.flatnonzero(va))]


def _ci_pct(m: dict) -> Text:
    return say(
        "{v:.1%} (95% CI {lo:.1%}-{hi:.1%})",
        "{v:.1%} (95-%-KI {lo:.1%}–{hi:.1%})",
        v=m["value"],
        lo=m["ci"][0],
        hi=m["ci"][1],
    )


def _columns(items: list[dict]) -> str:
    return ", ".join(repr(c["column"]) for c in items[:3])


def _order_note(check: dict, source: str) -> Text:
    return say(
        "The rows of {f} look ordered in time: a classifier tells the first third of the rows from the last third "
        "with ROC-AUC {auc:.2f} (0.5 = no difference), most by {cols}. If the row order is time, rerun with "
        "--ordered, so that every candidate learns on earlier rows and is judged on later ones; a random split hides "
        "a drift that the future will not.",
        "Die Zeilen von {f} wirken zeitlich geordnet: ein Klassifikator unterscheidet das erste Drittel der Zeilen vom "
        "letzten mit ROC-AUC {auc:.2f} (0,5 = kein Unterschied), vor allem über {cols}. Ist die Zeilenfolge die Zeit, "
        "mit --ordered neu starten, damit jeder Kandidat auf früheren Zeilen lernt und auf späteren beurteilt wird; "
        "ein zufälliger Split verbirgt eine Drift, die die Zukunft nicht verbirgt.",
        f=Path(str(source)).name,
        auc=check["roc_auc"]["value"],
        cols=_columns(check["columns"]),
    )


def _shift_notes(report: dict, test_name: str) -> list[Text]:
    """The shift between the data and the test file in plain words, with what it means."""
    out = []
    dom = report["domain_classifier"]
    if report["large"]:
        out.append(
            say(
                "The test file comes from a different world: a classifier tells {f}'s rows from the training rows with "
                "ROC-AUC {auc:.2f} (0.5 = indistinguishable, 1 = always told apart), most by {cols}. What it means: "
                "this evaluation says how the model does in that new world, not how it did where it learned; a model "
                "that relies on the moved columns may rank and price customers wrongly until it is retrained on recent "
                "rows.",
                "Die Testdatei stammt aus einer anderen Welt: ein Klassifikator unterscheidet die Zeilen von {f} von den "
                "Trainingszeilen mit ROC-AUC {auc:.2f} (0,5 = nicht zu unterscheiden, 1 = immer unterschieden), vor "
                "allem über {cols}. Was das heißt: diese Auswertung zeigt, wie das Modell in dieser neuen Welt "
                "abschneidet, nicht wie es dort war, wo es gelernt hat; ein Modell, das auf die verschobenen Spalten "
                "baut, kann Kunden falsch reihen und bewerten, bis es auf jüngeren Zeilen neu trainiert ist.",
                f=Path(test_name).name,
                auc=dom["roc_auc"]["value"],
                cols=_columns(dom["columns"]),
            )
        )
    moved = [c for c in report["columns"] if c["psi"] >= sh.PSI_LARGE]
    if moved:
        each = join(
            [
                say(
                    "'{c}' {a} -> {b} (PSI {psi:.2f})",
                    "'{c}' {a} -> {b} (PSI {psi:.2f})",
                    c=c["column"],
                    a=c["train"],
                    b=c["test"],
                    psi=c["psi"],
                )
                for c in moved[:5]
            ],
            "; ",
        )
        if len(moved) > 5:
            each += say("; and {n} more", "; und {n} weitere", n=len(moved) - 5)
        out.append(
            say(
                "Columns that moved a lot (population stability index >= 0.25): {each}.",
                "Stark verschobene Spalten (Population Stability Index >= 0,25): {each}.",
                each=each,
            )
        )
    beyond = [c for c in report["columns"] if c.get("outside_range", 0) >= sh.OUTSIDE_RANGE]
    if beyond:
        each = join(
            [
                say(
                    "{p:.0%} of the test rows' '{c}' lie outside its training range ({lo:,.4g} to {hi:,.4g})",
                    "{p:.0%} der Test-Werte von '{c}' liegen außerhalb des Trainingsbereichs ({lo:,.4g} bis {hi:,.4g})",
                    p=c["outside_range"],
                    c=c["column"],
                    lo=c["train_range"][0],
                    hi=c["train_range"][1],
                )
                for c in beyond[:5]
            ],
            "; ",
        )
        out.append(
            say(
                "Beyond anything seen in training: {each}. No model learned what happens there; the trees and the "
                "linear model hold such values at the edge of the range, so their effect on the scores is that of the "
                "most extreme value seen.",
                "Jenseits von allem, was das Training sah: {each}. Kein Modell hat gelernt, was dort geschieht; Bäume "
                "und lineares Modell halten solche Werte am Rand des Bereichs fest, ihre Wirkung auf die Werte ist "
                "also die des extremsten gesehenen Werts.",
                each=each,
            )
        )
    prior = report["prior"]
    if prior["shifted"]:
        low = prior["difference"]["value"] > 0
        out.append(
            say(
                "The positive rate differs: {t} in the test file against {r} in the training data. Probabilities "
                "learned at the old rate are {how} there (see the calibration on the test file); the ranking can "
                "still hold.",
                "Die Positivquote unterscheidet sich: {t} in der Testdatei gegenüber {r} in den Trainingsdaten. "
                "Wahrscheinlichkeiten, die bei der alten Quote gelernt wurden, sind dort {how} (siehe die Kalibrierung "
                "auf der Testdatei); die Reihenfolge kann dennoch halten.",
                t=_ci_pct(prior["test_rate"]),
                r=_ci_pct(prior["train_rate"]),
                how=say("too low", "zu niedrig") if low else say("too high", "zu hoch"),
            )
        )
    return out


def _references(vs_rule: dict, vs_plain: dict, rule_words: str, plain_words: str, on: str) -> dict:
    """The record's ``references`` (the rule, flagged when below chance, and the plain regression),
    ``decisive`` (which one the gate decides against) and ``why``."""
    rule_auc, plain_auc = vs_rule["baseline"]["roc_auc"], vs_plain["baseline"]["roc_auc"]
    below = rule_auc["ci"][1] is not None and rule_auc["ci"][1] < 0.5
    decisive = "plain_logistic" if plain_auc["value"] > rule_auc["value"] else "rule"
    names = (
        say("plain logistic regression", "einfache logistische Regression"),
        say("single-column rule", "Ein-Spalten-Regel"),
    )
    first, second = names[:: 1 if decisive == "plain_logistic" else -1]
    hi, lo = sorted((plain_auc["value"], rule_auc["value"]), reverse=True)
    why = say(
        "the {a} is the stronger reference on {on}: ROC-AUC {hi:.3f} against the {b}'s {lo:.3f}",
        "die {a} ist die stärkere Referenz auf {on}: ROC-AUC {hi:.3f} gegenüber {lo:.3f} der {b}",
        a=first,
        b=second,
        on=on,
        hi=hi,
        lo=lo,
    )
    rule = {
        "description": rule_words,
        "roc_auc": rule_auc,
        "improvement": vs_rule["improvement"]["roc_auc"],
        "below_chance": bool(below),
    }
    plain = {"description": plain_words, "roc_auc": plain_auc, "improvement": vs_plain["improvement"]["roc_auc"]}
    return {"references": {"rule": rule, "plain_logistic": plain}, "decisive": decisive, "why": why}


def _broken_rule_note(rule: dict, on: str) -> Text:
    auc = rule["roc_auc"]
    return say(
        "The world changed: the rule that worked before now points the wrong way. The rule ({r}) reaches ROC-AUC "
        "{v:.3f} (95% CI {lo:.3f}-{hi:.3f}) on {on}, below the 0.5 of a coin toss. An improvement over it would say "
        "nothing, so the model is judged against the stronger reference.",
        "Die Welt hat sich verändert: die Regel, die vorher funktionierte, zeigt jetzt in die falsche Richtung. Die "
        "Regel ({r}) erreicht ROC-AUC {v:.3f} (95-%-KI {lo:.3f}–{hi:.3f}) auf {on}, unter den 0,5 eines Münzwurfs. "
        "Eine Verbesserung gegenüber ihr sagte nichts, deshalb wird das Modell an der stärkeren Referenz gemessen.",
        r=rule["description"],
        v=auc["value"],
        lo=auc["ci"][0],
        hi=auc["ci"][1],
        on=on,
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
        "how": say("given (--expected-rate)", "vorgegeben (--expected-rate)")
        if expected is not None
        else say(
            "estimated from the unlabelled test rows (adjusted classify and count)",
            "geschätzt aus den unbeschrifteten Testzeilen (adjusted classify and count)",
        ),
    }
    if target is None and changed:
        out["how"] = say(
            "not moved to a new rate: the customers themselves changed (domain classifier ROC-AUC {auc:.2f}), not only "
            "the rate, so a rate read off the scores would mislead; give the rate you expect with --expected-rate",
            "nicht auf eine neue Quote verschoben: die Kunden selbst haben sich verändert (Domänen-Klassifikator ROC-AUC "
            "{auc:.2f}), nicht nur die Quote, eine aus den Werten gelesene Quote führte also in die Irre; die erwartete "
            "Quote mit --expected-rate angeben",
            auc=shift_report["domain_classifier"]["roc_auc"]["value"],
        )
    elif target is None:
        out["how"] = say(
            "not moved to a new rate: the test rows score unlike either outcome's rows in training (the customers "
            "changed, not only the rate); give the rate you expect with --expected-rate",
            "nicht auf eine neue Quote verschoben: die Testzeilen erhalten Werte wie keine der beiden Ausgänge im "
            "Training (die Kunden haben sich verändert, nicht nur die Quote); die erwartete Quote mit --expected-rate "
            "angeben",
        )
    if target is None:
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
        if not prior_moved:
            return []
        return [
            say(
                "Calibration on the test file: calibration error {raw:.3f} as given, {how}.",
                "Kalibrierung auf der Testdatei: Kalibrierungsfehler {raw:.3f} wie geliefert, {how}.",
                raw=raw,
                how=c["how"],
            )
        ]
    if not prior_moved and abs(c["used_rate"] - c["assumed_rate"]) < 0.2 * c["assumed_rate"]:
        return []
    cor = c["corrected"]["ece"]["value"]
    return [
        say(
            "Calibration on the test file: the probabilities assume a positive rate of {a:.1%}; {how}, the rate is "
            "{u:.1%} (actual: {r:.1%}). Calibration error {raw:.3f} as given, {cor:.3f} with the probabilities moved "
            "to that rate (score_prior_corrected in the scores file). The ranking (ROC-AUC, lift) is the same either "
            "way.",
            "Kalibrierung auf der Testdatei: die Wahrscheinlichkeiten unterstellen eine Positivquote von {a:.1%}; "
            "{how}, beträgt die Quote {u:.1%} (tatsächlich: {r:.1%}). Kalibrierungsfehler {raw:.3f} wie geliefert, "
            "{cor:.3f} mit auf diese Quote verschobenen Wahrscheinlichkeiten (score_prior_corrected in der Ergebnisdatei). "
            "Die Reihenfolge (ROC-AUC, Lift) ist in beiden Fällen gleich.",
            a=c["assumed_rate"],
            how=c["how"],
            u=c["used_rate"],
            r=c["actual_rate"],
            raw=raw,
            cor=cor,
        )
    ]


def _kinds(kinds: list[str], whats: list[Text]) -> Text:
    if len(kinds) == 1:
        return whats[0]
    counts = pd.Series(kinds).value_counts()
    return say(
        "chosen in each fold: {each}",
        "in jeder Falte gewählt: {each}",
        each=join([say("{k} in {n}", "{k} in {n}", k=k, n=n) for k, n in counts.items()], ", "),
    )


def _rules(rules: list[Text], columns: list[str]) -> Text:
    if len(set(rules)) == 1:
        return rules[0]
    counts = pd.Series(columns).value_counts()
    return say(
        "the single best column, chosen in each fold: {each}",
        "die beste einzelne Spalte, in jeder Falte gewählt: {each}",
        each=join([say("'{c}' in {n}", "'{c}' in {n}", c=c, n=n) for c, n in counts.items()], ", "),
    )
