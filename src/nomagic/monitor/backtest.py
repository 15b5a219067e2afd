"""Replay a monitoring policy on history: "how often should I retrain, and would monitoring have warned me?"

A time-ordered table (or a file in row order) is cut into the first ``initial_rows`` rows (the
champion learns on them) and then chunks of ``chunk_rows`` rows. For every chunk ``k``:

1. the current champion scores it (the champion is never changed by what happens in chunk k);
2. the labels of chunk ``k - label_delay`` arrive (with ``label_delay`` = 1, the previous chunk's),
   never those of chunk k: the label checks of :mod:`nomagic.monitor.alerts` run on them, and the
   rate estimators are validated on them;
3. chunk k is monitored without its labels: the positive rate (label-free, validated against the
   last labelled chunk's rate, :func:`nomagic.monitor.estimate.choose_rate`), the ROC-AUC
   (label-free, or null with a reason), drift against the champion's reference, the sequential
   alert rule;
4. the policy acts: on an alert and/or every ``every`` chunks a challenger learns on the latest
   labelled rows before a holdout window (the latest labelled rows the champion never saw), and
   champion, challenger and the naive baseline are judged on that window with paired DeLong
   intervals. Only a challenger that surely wins (or that passes the gate where the champion fails)
   is promoted; when neither beats the baseline, the baseline serves. Either way the reference
   moves to that window, so the monitor watches for drift from the world as it is now.

After the replay, each chunk gets what its own labels show: ``realized_positive_rate`` and
``realized_roc_auc`` of the scores actually served.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.lifecycle.metrics import delong, roc_auc
from nomagic.lifecycle.models import AutoClassifier, BestColumnBaseline
from nomagic.lifecycle.plain import prepare
from nomagic.lifecycle.record import now_iso
from nomagic.lifecycle.shift import wilson
from nomagic.lifecycle.tabular import binary_label
from nomagic.monitor import alerts as al
from nomagic.monitor import estimate as est
from nomagic.monitor.drift import DriftReference, build_reference
from nomagic.words import Text, join, say

Progress = Callable[[float, str], None]

KEEP, RETRAIN, PROMOTE, FALLBACK = "keep", "retrain", "promote challenger", "fall back to baseline"
ACTIONS = (KEEP, RETRAIN, PROMOTE, FALLBACK)
#: the least rows per chunk: fewer leave a chunk's rate and drift inside the noise
MIN_CHUNK_ROWS = 100
#: the least rows the first champion learns on
MIN_INITIAL_ROWS = 300
#: the least rows of each outcome in the first rows, and in a window that judges a challenger
MIN_CLASS = 10
#: the judging window: the latest labelled rows the champion never saw, at most this many chunks' worth
HOLDOUT_CHUNKS = 2
#: and at least this many rows in it
MIN_HOLDOUT = 200
#: the monitor's reference: the latest labelled rows, this many chunks' worth
SLIDING_CHUNKS = 2


@dataclass
class Policy:
    """When to train a challenger: on an alert, every ``every`` chunks, or both (``every`` None: never
    on schedule). ``train_rows``: the latest labelled rows a challenger learns on (default: as many
    as the first champion had)."""

    on_alert: bool = True
    every: int | None = None
    train_rows: int | None = None

    def describe(self) -> Text:
        parts = []
        if self.on_alert:
            parts.append(say("on every alert", "bei jeder Warnung"))
        if self.every:
            parts.append(say("every {n} chunks", "alle {n} Blöcke", n=self.every))
        if not parts:
            return say("never retrain", "nie neu trainieren")
        return say("retrain {w}", "neu trainieren {w}", w=join(parts, say(" and ", " und ")))


@dataclass
class _Champion:
    """What serves now, the baseline judged with it, and the reference the monitor compares with."""

    kind: str  # "model" or "baseline"
    scorer: object  # predict_proba(X)[:, 1]
    baseline: BestColumnBaseline
    version: int
    seen_end: int  # rows before this were learnt from (or judged it): never its holdout
    ref: DriftReference
    ref_auc: tuple[float, float]  # ROC-AUC and its standard error on the reference rows
    describe: Text
    rate_y: np.ndarray | None = None  # the outcomes a realized rate is compared with (the world it was chosen in)

    def predict(self, X) -> np.ndarray:
        return self.scorer.predict_proba(X)[:, 1]


def _auc_se(y, p) -> tuple[float, float]:
    (auc,), cov = delong(y, np.asarray(p)[None, :])
    return float(auc), float(np.sqrt(max(cov[0, 0], 0.0)))


def _contributions(kind: str, scorer):
    """Per-column contributions to the log-odds: the model's own; a baseline's score is its one column's."""
    if kind == "model":
        return lambda X: scorer.contributions(X)[0]

    def rule(X):
        p = np.clip(scorer.predict_proba(X)[:, 1], 1e-6, 1 - 1e-6)
        return pd.DataFrame({scorer.column_: np.log(p / (1 - p))}, index=X.index)

    return rule


def _champion(kind, scorer, baseline, version, seen_end, X_ref, y_ref, p_ref, chunk_rows, seed):
    rate = est.RateReference(np.asarray(y_ref).astype(int), np.asarray(p_ref, dtype=float))
    ref = build_reference(X_ref, rate, _contributions(kind, scorer), chunk_rows=chunk_rows, seed=seed)
    words = (
        scorer.choice_.what()
        if kind == "model"
        else say("the naive baseline: {b}", "die naive Baseline: {b}", b=scorer.describe())
    )
    return _Champion(kind, scorer, baseline, version, seen_end, ref, _auc_se(y_ref, p_ref), words, np.asarray(y_ref))


def _slide(champ: _Champion, X, y, labelled_end: int, M: int, seed: int) -> _Champion:
    """The reference moves to the latest labelled rows the champion never learnt from: drift is measured
    against the world just before, so that an alert says *when* something changed (a fixed reference
    makes every slow trend alarm on every chunk, which says nothing)."""
    lo = max(champ.seen_end, labelled_end - SLIDING_CHUNKS * M)
    yw = y[lo:labelled_end]
    if labelled_end - lo < MIN_HOLDOUT or min(yw.sum(), (1 - yw).sum()) < MIN_CLASS:
        return champ  # too few fresh labelled rows yet: keep the reference it has
    Xw = X.iloc[lo:labelled_end]
    return _champion(
        champ.kind, champ.scorer, champ.baseline, champ.version, champ.seen_end, Xw, yw, champ.predict(Xw), M, seed
    )


def _fit(X, y, order, model_params: dict | None, seed: int):
    """A model and its baseline on the given rows (forward validation in row order)."""
    model = AutoClassifier(random_state=seed, **(model_params or {})).fit(X, y, time=order)
    base = BestColumnBaseline(random_state=seed).fit(X, y, folds=model.validation_folds_)
    return model, base


def _check_inputs(df, label, time, initial_rows, chunk_rows, label_delay, source):
    if label not in df.columns:
        raise InputError(
            say(
                "{s}: has no label column '{c}' (given as --label); its columns are: {cols}",
                "{s}: hat keine Zielspalte '{c}' (angegeben als --label); ihre Spalten sind: {cols}",
                s=source,
                c=label,
                cols=", ".join(map(str, df.columns)),
            )
        )
    if time is not None and time == label:
        raise InputError(
            say(
                "{s}: column '{c}' is given as both --label and --time",
                "{s}: Spalte '{c}' ist sowohl als --label als auch als --time angegeben",
                s=source,
                c=label,
            )
        )
    if chunk_rows < MIN_CHUNK_ROWS:
        raise InputError(
            say(
                "--chunk-rows {m}: too few rows per chunk; a chunk needs at least {k} rows for its positive rate and "
                "drift to stand out from the sampling noise",
                "--chunk-rows {m}: zu wenige Zeilen je Block; ein Block braucht mindestens {k} Zeilen, damit seine "
                "Positivquote und Drift sich vom Stichprobenrauschen abheben",
                m=chunk_rows,
                k=MIN_CHUNK_ROWS,
            )
        )
    if initial_rows < max(MIN_INITIAL_ROWS, chunk_rows):
        raise InputError(
            say(
                "--initial-rows {n}: too few rows for the first champion; give at least {k} (and at least one chunk, "
                "--chunk-rows {m})",
                "--initial-rows {n}: zu wenige Zeilen für den ersten Champion; mindestens {k} angeben (und mindestens "
                "einen Block, --chunk-rows {m})",
                n=initial_rows,
                k=MIN_INITIAL_ROWS,
                m=chunk_rows,
            )
        )
    if label_delay < 1:
        raise InputError(
            say(
                "--label-delay {k}: labels never arrive with the rows they describe; give 1 (the previous chunk's "
                "labels are known) or more",
                "--label-delay {k}: Labels treffen nie mit den Zeilen ein, die sie beschreiben; 1 (die Labels des "
                "vorigen Blocks sind bekannt) oder mehr angeben",
                k=label_delay,
            )
        )
    if len(df) < initial_rows + chunk_rows:
        raise InputError(
            say(
                "{s}: {n:,} rows leave no chunk of {m:,} rows after the first {i:,}",
                "{s}: {n:,} Zeilen lassen nach den ersten {i:,} keinen Block von {m:,} Zeilen übrig",
                s=source,
                n=len(df),
                m=chunk_rows,
                i=initial_rows,
            )
        )


def backtest(
    df: pd.DataFrame,
    *,
    label: str,
    use_case: str = "churn",
    time: str | None = None,
    initial_rows: int,
    chunk_rows: int,
    label_delay: int = 1,
    policy: Policy | None = None,
    positive=None,
    drop=(),
    model_params: dict | None = None,
    seed: int = 0,
    source: str = "data",
    progress: Progress | None = None,
) -> dict:
    """Replay the monitor and the retraining policy on a table; returns the backtest document.

    Parameters
    ----------
    df : the table, one row per unit (typed: :func:`nomagic.lifecycle.plain.read_table`).
    label : the 0/1-ish outcome column (name the positive value with ``positive`` if needed).
    time : a time column; rows are replayed in its order (stable). Without it, in row order.
    initial_rows, chunk_rows : the first champion's rows; the rows per chunk.
    label_delay : labels arrive this many chunks late (1: the previous chunk's are known).
    policy : when to retrain (:class:`Policy`; default on every alert).
    drop : columns to leave out of the features.
    model_params : overrides for :class:`~nomagic.lifecycle.models.AutoClassifier`.

    Returns ``{"kind": "monitor-backtest", ..., "chunks": [...], "summary": {...}}``; every chunk
    has ``index``, ``rows``, ``estimated_positive_rate``, ``estimated_roc_auc`` (or null with
    ``estimated_roc_auc_reason``), ``alert``, ``alert_reasons``, ``action``,
    ``realized_positive_rate`` and ``realized_roc_auc``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=1500), "b": rng.normal(size=1500)})
    >>> X["y"] = (rng.random(1500) < 1 / (1 + np.exp(-X.a))).astype(int)
    >>> doc = backtest(X, label="y", initial_rows=600, chunk_rows=300, model_params={"candidates": ("logistic",)})
    >>> len(doc["chunks"])
    3
    """
    t0 = _time.perf_counter()
    tick = progress or (lambda f, m: None)
    policy = policy or Policy()
    _check_inputs(df, label, time, initial_rows, chunk_rows, label_delay, source)
    notes: list[Text] = []
    if time is not None:
        if time not in df.columns:
            raise InputError(
                say(
                    "{s}: has no time column '{c}' (given as --time); its columns are: {cols}",
                    "{s}: hat keine Zeitspalte '{c}' (angegeben als --time); ihre Spalten sind: {cols}",
                    s=source,
                    c=time,
                    cols=", ".join(map(str, df.columns)),
                )
            )
        when = pd.to_datetime(df[time], errors="coerce") if not pd.api.types.is_numeric_dtype(df[time]) else df[time]
        if when.isna().any():
            raise InputError(
                say(
                    "{s}: the time column '{c}' has {n:,} blank or unreadable value(s) (first at file line {r}); "
                    "fill or drop those rows",
                    "{s}: die Zeitspalte '{c}' hat {n:,} leere oder unlesbare Werte (erster in Dateizeile {r}); diese "
                    "Zeilen füllen oder entfernen",
                    s=source,
                    c=time,
                    n=int(when.isna().sum()),
                    r=int(np.flatnonzero(when.isna().to_numpy())[0]) + 2,
                )
            )
        df = df.iloc[np.argsort(when.to_numpy(), kind="stable")].reset_index(drop=True)
        when = when.sort_values(kind="stable").reset_index(drop=True)
    else:
        df = df.reset_index(drop=True)
        when = None
        notes.append(
            say(
                "no --time column: the rows are replayed in file order",
                "keine --time-Spalte: die Zeilen werden in Dateireihenfolge abgespielt",
            )
        )
    y, pos_name = binary_label(df[label], positive, column=label)
    y0 = y[:initial_rows]
    if min(y0.sum(), (1 - y0).sum()) < 2 * MIN_CLASS:
        raise InputError(
            say(
                "{s}: the first {n:,} rows hold {p:,} positive and {q:,} negative label(s) in '{c}'; the first champion "
                "needs at least {k} of each: raise --initial-rows or check the label column",
                "{s}: die ersten {n:,} Zeilen enthalten {p:,} positive und {q:,} negative Labels in '{c}'; der erste "
                "Champion braucht mindestens {k} von jedem: --initial-rows erhöhen oder die Zielspalte prüfen",
                s=source,
                n=initial_rows,
                p=int(y0.sum()),
                q=int((1 - y0).sum()),
                c=label,
                k=2 * MIN_CLASS,
            )
        )
    X, prep_notes = prepare(
        df.iloc[:initial_rows], label=label, id=None, time=time, drop=drop, source=source
    )  # columns chosen on the first rows only: nothing later decides what the model may see
    notes.extend(prep_notes)
    X = df[X.columns]
    order = np.arange(len(df), dtype=float)
    n_chunks = (len(df) - initial_rows) // chunk_rows
    left = len(df) - initial_rows - n_chunks * chunk_rows
    if left:
        notes.append(
            say(
                "the last {n:,} row(s) do not fill a chunk and are not replayed",
                "die letzten {n:,} Zeile(n) füllen keinen Block und werden nicht abgespielt",
                n=left,
            )
        )
    M, K = chunk_rows, label_delay
    train_rows = policy.train_rows or initial_rows

    # the first champion learns on the first rows but the last `ref_rows` of them: on those, which it never saw,
    # its own scores are the reference (scores on rows a model learnt from are more extreme than on new rows)
    ref_rows = min(max(HOLDOUT_CHUNKS * M, MIN_HOLDOUT), initial_rows // 3)
    fit_end = initial_rows - ref_rows

    def first_champion() -> _Champion:
        model, base = _fit(X.iloc[:fit_end], y[:fit_end], order[:fit_end], model_params, seed)
        Xr = X.iloc[fit_end:initial_rows]
        pr = model.predict_proba(Xr)[:, 1]
        first = _champion("model", model, base, 1, fit_end, Xr, y[fit_end:initial_rows], pr, M, seed)
        first.rate_y = y0  # a realized rate is compared with all the first rows' (more rows, less noise)
        return first

    tick(0.02, say("training the first champion", "der erste Champion wird trainiert"))
    champ = first_champion()
    rule = al.Sequential()
    served = np.full(len(df), np.nan)
    served_by = np.zeros(n_chunks, dtype=int)
    served_base = np.full(len(df), np.nan)  # the baseline judged with the champion, on the same rows
    served_ref: list[tuple] = []  # the reference each chunk was monitored against: (ROC-AUC and SE, outcomes)
    history: list[dict] = []
    chunks: list[dict] = []
    versions = 1
    for k in range(n_chunks):
        tick(0.05 + 0.9 * k / max(n_chunks, 1), say("chunk {k} of {n}", "Block {k} von {n}", k=k + 1, n=n_chunks))
        lo, hi = initial_rows + k * M, initial_rows + (k + 1) * M
        Xc = X.iloc[lo:hi]
        p = champ.predict(Xc)
        served[lo:hi], served_by[k] = p, champ.version
        j = k - K  # the chunk whose labels arrive now
        labelled_end = initial_rows + (j + 1) * M if j >= 0 else initial_rows
        found: list[dict] = []
        if j >= 0:
            jl, jh = initial_rows + j * M, initial_rows + (j + 1) * M
            history.append({"realized": float(y[jl:jh].mean()), "champion": int(served_by[j]), **chunks[j]["_rates"]})
            if served_by[j] == champ.version:
                found += al.label_alerts(
                    y[jl:jh],
                    served[jl:jh],
                    champ.baseline.predict_proba(X.iloc[jl:jh])[:, 1],
                    champ.ref_auc,
                    champ.rate_y,
                    j,
                )
            champ = _slide(champ, X, y, labelled_end, M, seed + k)
        last = y[labelled_end - M : labelled_end]
        rates = est.rate_estimates(p, champ.ref.rate, seed=seed + k)
        candidates = {
            "acc": rates["acc"],
            "em": rates["em"],
            "last_labelled": {"value": round(float(last.mean()), 6), "ci": wilson(last.sum(), last.size)},
        }
        # only the current champion's own past estimates validate its estimates (another model reads rates otherwise)
        own = [h for h in history if h["champion"] == champ.version]
        method, value, ci, why, mae = est.choose_rate(own, candidates)
        auc, auc_reason = est.auc_estimate(p, champ.ref.rate, value if rates["acc"] is not None else None)
        stats = champ.ref.stats(Xc, p, auc)
        states = rule.update(stats)
        # drift is evidence (info); a page needs a risk to the model's usefulness or calibration
        pages, info, why_not = al.assess(
            states,
            stats,
            rates,
            champ.ref.rate.rate,
            method,
            est.outside_share(p, champ.ref.rate),
            refuted=est.refuted(own, "acc"),
            needed=al.confirmable(champ.ref.rate.rate, champ.ref_auc[1], champ.ref.rate.y.size, M),
        )
        found = pages + found
        served_ref.append((champ.ref_auc, champ.rate_y))
        served_base[lo:hi] = champ.baseline.predict_proba(Xc)[:, 1]
        scheduled = bool(policy.every) and (k + 1) % policy.every == 0
        decision = None
        action = KEEP
        if (policy.on_alert and found) or scheduled:
            action, decision, new = _retrain(
                champ, X, y, order, labelled_end, train_rows, M, model_params, seed + k + 1, versions + 1
            )
            if new is not None:
                versions = max(versions, new.version)
                champ = new
                rule.reset()
            if decision is not None:
                decision["why_retrain"] = (
                    say("an alert", "eine Warnung") if found else say("the schedule", "der Zeitplan")
                )
        entry = {
            "index": k,
            "rows": int(hi - lo),
            "first_row": int(lo),
            "last_row": int(hi - 1),
            **(
                {
                    "start": when.iloc[lo].isoformat() if hasattr(when.iloc[lo], "isoformat") else when.iloc[lo],
                    "end": when.iloc[hi - 1].isoformat()
                    if hasattr(when.iloc[hi - 1], "isoformat")
                    else when.iloc[hi - 1],
                }
                if when is not None
                else {}
            ),
            "labels_known_through": int(j),
            "champion": int(served_by[k]),
            "estimated_positive_rate": round(float(value), 6),
            "estimated_positive_rate_ci": ci,
            "rate_method": method,
            "rate_why": why,
            "rate_estimates": candidates,
            "estimated_roc_auc": auc,
            "estimated_roc_auc_reason": auc_reason,
            "mean_score": round(float(np.mean(p)), 6),
            "drift": {
                **{s: stats[s] for s in ("input", "prediction", "prior", "auc", "fit")},
                "states": states,
                "features": sorted(stats["features"], key=lambda f: -f["shift"])[:5],
            },
            "alert": bool(found),
            "alert_reasons": found,
            "drift_info": info,
            "page_why": _page_why(found, why_not),
            "action": action,
            "decision": decision,
            "_rates": {
                "acc": None if rates["acc"] is None else rates["acc"]["value"],
                "em": rates["em"]["value"],
                "last_labelled": candidates["last_labelled"]["value"],
            },
        }
        chunks.append(entry)
    tick(0.97, say("what the labels showed", "was die Labels zeigten"))
    for c in chunks:
        lo, hi = c["first_row"], c["last_row"] + 1
        yk = y[lo:hi]
        c["realized_positive_rate"] = round(float(yk.mean()), 6)
        c["realized_roc_auc"] = round(float(roc_auc(yk, served[lo:hi])), 6) if 0 < yk.sum() < yk.size else None
        # what its own labels show against the reference it was monitored against: the truth an alarm is judged by
        (ref_auc, ref_y) = served_ref[c["index"]]
        moved = al.label_alerts(yk, served[lo:hi], served_base[lo:hi], ref_auc, ref_y, c["index"])
        c["realized_change"] = [a["kind"] for a in moved]
        c.pop("_rates")
    summary = _summary(chunks, K)
    doc = {
        "schema": 1,
        "kind": "monitor-backtest",
        "use_case": use_case,
        "nomagic_version": _version(),
        "created_at": now_iso(),
        "data": {"source": str(source), "rows": int(len(df)), "label": label, "positive": pos_name, "time": time},
        "settings": {
            "initial_rows": initial_rows,
            "chunk_rows": chunk_rows,
            "label_delay": label_delay,
            "policy": {"on_alert": policy.on_alert, "every": policy.every, "train_rows": train_rows},
            "policy_words": policy.describe(),
            "seed": seed,
        },
        "features": list(X.columns),
        "chunks": chunks,
        "summary": summary,
        "explanation": _explain(summary, len(chunks), policy),
        "warnings": notes,
        "seconds": round(_time.perf_counter() - t0, 2),
    }
    tick(1.0, say("done", "fertig"))
    return doc


def _version() -> str:
    from nomagic import __version__

    return __version__


def _retrain(champ, X, y, order, labelled_end, train_rows, M, model_params, seed, version):
    """Train a challenger, judge it against the champion and the baseline on the latest labelled rows the
    champion never saw; returns ``(action, decision, new champion or None)``."""
    hold_lo = max(champ.seen_end, labelled_end - max(HOLDOUT_CHUNKS * M, MIN_HOLDOUT))
    yh = y[hold_lo:labelled_end]
    train_lo = max(0, hold_lo - train_rows)
    ytr = y[train_lo:hold_lo]
    if (
        labelled_end - hold_lo < MIN_HOLDOUT
        or min(yh.sum(), (1 - yh).sum()) < MIN_CLASS
        or min(ytr.sum(), (1 - ytr).sum()) < MIN_CLASS
    ):
        return (
            KEEP,
            {
                "judged": False,
                "why": say(
                    "no challenger: only {n:,} labelled row(s) ({p:,} positive) arrived since the champion was "
                    "chosen; judging needs at least {k:,} rows with {c} of each outcome",
                    "kein Herausforderer: seit der Wahl des Champions kamen erst {n:,} beschriftete Zeile(n) ({p:,} "
                    "positiv); ein Urteil braucht mindestens {k:,} Zeilen mit je {c} pro Ausgang",
                    n=int(labelled_end - hold_lo),
                    p=int(yh.sum()),
                    k=MIN_HOLDOUT,
                    c=MIN_CLASS,
                ),
            },
            None,
        )
    Xtr, Xh = X.iloc[train_lo:hold_lo], X.iloc[hold_lo:labelled_end]
    challenger, base = _fit(Xtr, ytr, order[train_lo:hold_lo], model_params, seed)
    S = np.vstack([champ.predict(Xh), challenger.predict_proba(Xh)[:, 1], base.predict_proba(Xh)[:, 1]])
    aucs, cov = delong(yh, S)

    def diff(i, j) -> dict:
        d = float(aucs[i] - aucs[j])
        se = float(np.sqrt(max(cov[i, i] + cov[j, j] - 2 * cov[i, j], 0.0)))
        return {"value": round(d, 6), "ci": [round(d - 1.96 * se, 6), round(d + 1.96 * se, 6)]}

    d_cc, d_cb, d_hb = diff(1, 0), diff(1, 2), diff(0, 2)
    decision = {
        "judged": True,
        "window": {"first_row": int(hold_lo), "last_row": int(labelled_end - 1), "rows": int(labelled_end - hold_lo)},
        "challenger_trained_on": {"first_row": int(train_lo), "last_row": int(hold_lo - 1)},
        "roc_auc": {
            "champion": round(float(aucs[0]), 6),
            "challenger": round(float(aucs[1]), 6),
            "baseline": round(float(aucs[2]), 6),
        },
        "challenger_vs_champion": d_cc,
        "challenger_vs_baseline": d_cb,
        "champion_vs_baseline": d_hb,
    }
    on = say(
        "the latest {n:,} labelled rows, which neither model learnt from",
        "den neuesten {n:,} beschrifteten Zeilen, aus denen keines der Modelle gelernt hat",
        n=int(labelled_end - hold_lo),
    )
    seen = labelled_end  # the window chose the new champion: it is its reference, never again its holdout
    if d_cb["value"] <= 0 and d_hb["value"] <= 0:
        p_ref = base.predict_proba(Xh)[:, 1]
        new = _champion("baseline", base, base, version, seen, Xh, yh, p_ref, M, seed)
        decision["why"] = say(
            "neither the champion (ROC-AUC {a:.3f}) nor the challenger ({b:.3f}) beats the naive baseline ({c:.3f}) "
            "on {on}: the baseline serves until a challenger beats it",
            "weder der Champion (ROC-AUC {a:.3f}) noch der Herausforderer ({b:.3f}) schlägt die naive Baseline "
            "({c:.3f}) auf {on}: die Baseline dient, bis ein Herausforderer sie schlägt",
            a=aucs[0],
            b=aucs[1],
            c=aucs[2],
            on=on,
        )
        return FALLBACK, decision, new
    surely = d_cc["ci"][0] > 0
    gate = d_cc["value"] > 0 and d_hb["ci"][0] <= 0 < d_cb["ci"][0]
    if surely or gate:
        p_ref = challenger.predict_proba(Xh)[:, 1]
        new = _champion("model", challenger, base, version, seen, Xh, yh, p_ref, M, seed)
        new.rate_y = y[train_lo:labelled_end]
        decision["why"] = say(
            "the challenger ({b:.3f}) {how} the champion ({a:.3f}) on {on} (difference {d:+.3f}, 95% CI {lo:+.3f} to "
            "{hi:+.3f}): promoted",
            "der Herausforderer ({b:.3f}) {how} den Champion ({a:.3f}) auf {on} (Differenz {d:+.3f}, 95-%-KI "
            "{lo:+.3f} bis {hi:+.3f}): übernommen",
            a=aucs[0],
            b=aucs[1],
            on=on,
            d=d_cc["value"],
            lo=d_cc["ci"][0],
            hi=d_cc["ci"][1],
            how=say("surely beats", "schlägt sicher")
            if surely
            else say(
                "passes the gate against the baseline, unlike", "besteht die Schranke gegen die Baseline, anders als"
            ),
        )
        return PROMOTE, decision, new
    # the champion stays; its reference moves to the judged window (the world as it is now)
    kind = champ.kind
    p_ref = champ.predict(Xh)
    new = _champion(kind, champ.scorer, champ.baseline, champ.version, champ.seen_end, Xh, yh, p_ref, M, seed)
    decision["why"] = say(
        "the challenger ({b:.3f}) does not surely beat the champion ({a:.3f}) on {on} (difference {d:+.3f}, 95% CI "
        "{lo:+.3f} to {hi:+.3f}): the champion stays, watched from now against that window",
        "der Herausforderer ({b:.3f}) schlägt den Champion ({a:.3f}) auf {on} nicht sicher (Differenz {d:+.3f}, "
        "95-%-KI {lo:+.3f} bis {hi:+.3f}): der Champion bleibt und wird ab jetzt an diesem Fenster gemessen",
        a=aucs[0],
        b=aucs[1],
        on=on,
        d=d_cc["value"],
        lo=d_cc["ci"][0],
        hi=d_cc["ci"][1],
    )
    return RETRAIN, decision, new


def _mae(chunks, key) -> float | None:
    pairs = [(c[key], c["realized_positive_rate"]) for c in chunks if c.get(key) is not None]
    return round(float(np.mean([abs(a - b) for a, b in pairs])), 6) if pairs else None


def _page_why(found: list[dict], why_not: Text) -> Text:
    """Why a chunk paged someone or did not, in a sentence."""
    if found:
        out = say("paged: {k}", "gemeldet: {k}", k=join([al.kind_words(a["kind"]) for a in found], ", "))
        return join([out, say("also shown: {w}", "außerdem gezeigt: {w}", w=why_not)], "; ") if why_not else out
    if why_not:
        return say("no page: {w}", "keine Meldung: {w}", w=why_not)
    return say(
        "no page: nothing moved beyond the reference's noise",
        "keine Meldung: nichts hat sich über das Rauschen der Referenz hinaus bewegt",
    )


#: the alerts that need the chunk's labels (the others are read off the unlabelled chunk)
LABEL_KINDS = ("rate moved", "performance decay", "gate lost")


def _share(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _against_realized(chunks: list[dict], K: int) -> dict:
    """The alarms judged by what the labels later showed (``realized_change``: the chunk's realized rate
    moved or its ROC-AUC dropped beyond noise against the reference it was monitored against, or the
    baseline ranked it surely better).

    An alarm on chunk k is *right* when chunk k or a chunk whose labels arrived with it (k - K .. k)
    really changed; a real change on chunk j is *caught* when an alarm falls on chunks j .. j + K.
    ``changed_share_alarmed`` / ``_quiet``: the share of alarmed / quiet chunks whose own labels showed a
    change. The label-free pages alone are judged on their own chunk (they are what warns before labels)."""
    n = len(chunks)
    moved = [bool(c["realized_change"]) for c in chunks]
    alarm = [c["alert"] for c in chunks]
    free = [any(a["kind"] not in LABEL_KINDS for a in c["alert_reasons"]) for c in chunks]
    near = [any(moved[max(0, k - K) : k + 1]) for k in range(n)]
    right = sum(a and m for a, m in zip(alarm, near, strict=True))
    caught = sum(moved[j] and any(alarm[j : j + K + 1]) for j in range(n))
    quiet = n - sum(alarm)
    return {
        "realized_changed_chunks": [k for k in range(n) if moved[k]],
        "alarms": sum(alarm),
        "alarms_right": right,
        "precision": _share(right, sum(alarm)),
        "recall": _share(caught, sum(moved)),
        # plainly, chunk by chunk: did the chunks that alarmed change more often than those that did not?
        "changed_share_alarmed": _share(sum(a and m for a, m in zip(alarm, moved, strict=True)), sum(alarm)),
        "changed_share_quiet": _share(sum(m and not a for a, m in zip(alarm, moved, strict=True)), quiet),
        "label_free": {
            "alarms": sum(free),
            "precision": _share(sum(f and m for f, m in zip(free, moved, strict=True)), sum(free)),
            "recall": _share(sum(f and m for f, m in zip(free, moved, strict=True)), sum(moved)),
        },
    }


def _summary(chunks: list[dict], K: int = 1) -> dict:
    n = len(chunks)
    alerts = [c["index"] for c in chunks if c["alert"]]
    flat = [
        {
            "used": c["estimated_positive_rate"],
            "last_labelled": c["rate_estimates"]["last_labelled"]["value"],
            "acc": (c["rate_estimates"]["acc"] or c["rate_estimates"]["last_labelled"])["value"],
            "em": c["rate_estimates"]["em"]["value"],
            "realized_positive_rate": c["realized_positive_rate"],
        }
        for c in chunks
    ]
    aucs = [
        abs(c["estimated_roc_auc"] - c["realized_roc_auc"])
        for c in chunks
        if c["estimated_roc_auc"] is not None and c["realized_roc_auc"] is not None
    ]
    return {
        "chunks": n,
        "alerts": len(alerts),
        "alert_share": round(len(alerts) / n, 4) if n else 0.0,
        "first_alert": alerts[0] if alerts else None,
        "alerted_chunks": alerts,
        "actions": {a: sum(c["action"] == a for c in chunks) for a in ACTIONS},
        "positive_rate_mae": {
            "used": _mae(flat, "used"),
            "last_labelled_chunk": _mae(flat, "last_labelled"),
            "adjusted_classify_and_count": _mae(flat, "acc"),
            "em": _mae(flat, "em"),
        },
        "roc_auc_estimate": {
            "chunks_estimated": len(aucs),
            "chunks_withheld": sum(c["estimated_roc_auc"] is None for c in chunks),
            "mae": round(float(np.mean(aucs)), 6) if aucs else None,
        },
        "realized_roc_auc_mean": _mean([c["realized_roc_auc"] for c in chunks]),
        "against_realized": _against_realized(chunks, K),
    }


def _mean(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(float(np.mean(xs)), 6) if xs else None


def _explain(s: dict, n: int, policy: Policy) -> Text:
    mae = s["positive_rate_mae"]
    text = say(
        "{n} chunks replayed ({pol}): {a} alerted ({share:.0%}); {r} challenger(s) trained, {p} promoted, {f} "
        "fall-back(s) to the baseline.",
        "{n} Blöcke abgespielt ({pol}): {a} mit Warnung ({share:.0%}); {r} Herausforderer trainiert, {p} übernommen, "
        "{f}-mal auf die Baseline zurückgefallen.",
        n=n,
        pol=policy.describe(),
        a=s["alerts"],
        share=s["alert_share"],
        r=s["actions"][RETRAIN] + s["actions"][PROMOTE] + s["actions"][FALLBACK],
        p=s["actions"][PROMOTE],
        f=s["actions"][FALLBACK],
    )
    if mae["used"] is not None and mae["last_labelled_chunk"] is not None:
        text = join(
            [
                text,
                say(
                    "The reported positive rate missed the realized one by {u:.3f} on average (mean absolute error), "
                    "the naive last labelled chunk's rate by {b:.3f}.",
                    "Die berichtete Positivquote lag im Mittel {u:.3f} neben der tatsächlichen (mittlerer absoluter "
                    "Fehler), die Quote des letzten beschrifteten Blocks {b:.3f}.",
                    u=mae["used"],
                    b=mae["last_labelled_chunk"],
                ),
            ]
        )
    return text
