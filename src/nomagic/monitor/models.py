"""Monitor the registry's champions on the warehouse, period by period after their training data ended.

For every champion of a customer-level yes/no use case (churn, propensity) and every period (a
day, a week, a month or N days) after the data it learnt from, the use case's own point-in-time
dataset is built at the period's end and scored by the champion, then:

* **drift** against a *reference*: the use case's dataset at the cutoff one label horizon before
  the period's end, whose labels are complete by then (so the reference moves with the world and
  an alert says *when* something changed; a fixed reference alarms on every slow trend). For a
  period after the champion's training data ended, that cutoff lies after its last training
  cutoff: rows it never learnt from. Input drift weighted by the model's own use of each column,
  prediction drift and prior shift, each against the reference's bootstrap noise
  (:mod:`nomagic.monitor.drift`), turned into alerts by the sequential rule
  (:mod:`nomagic.monitor.alerts`);
* **label-free estimates**: the positive rate with its interval, chosen by validation on the
  periods whose labels have arrived, and the ROC-AUC, or null with the reason
  (:mod:`nomagic.monitor.estimate`);
* **the gate again**: the champion against its baseline on the latest labelled cutoff (paired
  DeLong), with the label checks of :func:`nomagic.monitor.alerts.label_alerts`;
* **realized performance** with 95 % intervals once the period's own labels have arrived (one
  horizon after its end).

Alerts are appended to the warehouse table ``monitor_alerts`` (:func:`log_alerts`), once per
(use case, version, period, kind). Other use cases are listed as not monitored, with the reason.
"""

from __future__ import annotations

import json
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from nomagic.errors import InputError, NotReadyError
from nomagic.lifecycle.metrics import delong
from nomagic.lifecycle.record import now_iso
from nomagic.lifecycle.shift import wilson
from nomagic.lifecycle.usecase import LABEL, UNIT
from nomagic.monitor import alerts as al
from nomagic.monitor import early
from nomagic.monitor import estimate as est
from nomagic.monitor.drift import build_reference
from nomagic.words import Text, join, say

Progress = Callable[[float, str], None]

#: use cases whose champion is a customer-level yes/no score: what this monitor understands
MONITORED = ("churn", "propensity")
#: period names and their length in days
PERIODS = {"day": 1, "week": 7, "month": 30}
#: the least rows a period (or its reference) needs: fewer leave every statistic inside the noise
MIN_ROWS = 100
#: the least rows of each outcome in a reference or a labelled period
MIN_CLASS = 10
#: at most this many periods are monitored (the latest ones): a daily period over years would take hours
MAX_PERIODS = 120
ALERTS_TABLE = "monitor_alerts"

_NOT_YET = {
    "clv": (
        "customer lifetime value is a forecast of amounts, not a yes/no score: its monitor (forecast error as "
        "orders arrive) is not built yet",
        "der Kundenwert ist eine Prognose von Beträgen, kein Ja/Nein-Score: seine Überwachung (Prognosefehler, "
        "sobald Bestellungen eintreffen) gibt es noch nicht",
    ),
    "uplift": (
        "uplift is judged on experiments (treated against control), which drift checks on scores cannot replace: "
        "its monitor is not built yet",
        "Uplift wird an Experimenten beurteilt (behandelt gegen Kontrolle), was Driftprüfungen auf Scores nicht "
        "ersetzen können: seine Überwachung gibt es noch nicht",
    ),
}


def period_days(period: str | int) -> int:
    """``"week"`` → 7; ``"day"`` → 1; ``"month"`` → 30; ``"14"`` or ``"14d"`` → 14."""
    text = str(period).strip().lower()
    if text in PERIODS:
        return PERIODS[text]
    digits = text[:-1] if text.endswith("d") else text
    if digits.isdigit() and int(digits) >= 1:
        return int(digits)
    raise InputError(
        say(
            "--period {p!r}: use day, week, month or a number of days (e.g. 14)",
            "--period {p!r}: day, week, month oder eine Zahl von Tagen (z. B. 14) angeben",
            p=str(period),
        )
    )


@dataclass
class _Champion:
    """What scores for a use case: the model (or the baseline rule) of the registry's champion."""

    version: str
    kind: str  # "model" or "baseline"
    scorer: object
    baseline: object
    columns: list[str]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.scorer.predict_proba(frame[self.columns])[:, 1]

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-column contributions to the log-odds: the model's own; a rule's score is its one column's."""
        if self.kind == "model":
            return self.scorer.contributions(X)[0]
        p = np.clip(self.scorer.predict_proba(X)[:, 1], 1e-6, 1 - 1e-6)
        return pd.DataFrame({self.columns[0]: np.log(p / (1 - p))}, index=X.index)


def _load(version) -> _Champion:
    baseline = version.baseline()
    if version.scorer == "model":
        model = version.model()
        return _Champion(version.version, "model", model, baseline, list(model.feature_names_in_))
    return _Champion(version.version, "baseline", baseline, baseline, [baseline.column])


def _use_case(name: str, meta: dict):
    """The use case as the champion was trained (its configuration from the registry)."""
    from nomagic.usecases import REGISTRY

    cfg = meta.get("config") or {}
    keep = ("step_days", "n_test", "n_train", "warmup_days", "seed", "active_days")
    kwargs = {k: cfg[k] for k in keep if k in cfg}
    try:
        return REGISTRY[name](**kwargs)
    except TypeError:  # a configuration from another release: the defaults
        return REGISTRY[name]()


def _day(ts) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    return (ts.tz_convert(None) if ts.tzinfo else ts).ceil("D")


class _Frames:
    """The use case's point-in-time datasets, built once per cutoff (labelled ones only once complete)."""

    def __init__(self, uc, wh, labels_until: pd.Timestamp):
        self.uc, self.wh, self.labels_until = uc, wh, labels_until
        self.cache: dict[tuple[pd.Timestamp, bool], pd.DataFrame] = {}
        self.early_cache: dict[tuple[pd.Timestamp, int], pd.Series] = {}

    def early(self, as_of: pd.Timestamp, days: int) -> pd.Series:
        """The label ``days`` after ``as_of`` (by unit_id), as it stands then."""
        key = (as_of, int(days))
        if key not in self.early_cache:
            self.early_cache[key] = self.uc.early_labels(self.wh, as_of, days)
        return self.early_cache[key]

    def get(self, as_of: pd.Timestamp, label: bool) -> pd.DataFrame:
        # where the labels are complete anyway, one labelled frame serves both (a build costs seconds)
        label = label or as_of + pd.Timedelta(days=self.uc.horizon_days) <= self.labels_until
        key = (as_of, label)
        if key not in self.cache:
            self.cache[key] = self.uc.dataset(self.wh, as_of, label=label)
        return self.cache[key]


def _auc_ci(y, scores) -> tuple[np.ndarray, np.ndarray]:
    aucs, cov = delong(np.asarray(y).astype(int), np.vstack(scores))
    return np.asarray(aucs, dtype=float), np.asarray(cov, dtype=float)


def _both(y) -> bool:
    y = np.asarray(y)
    return min(int(y.sum()), int((1 - y).sum())) >= MIN_CLASS


def _gate(y, p, pb) -> dict:
    """The champion against its baseline on labelled rows: ROC-AUCs, paired difference, verdict."""
    aucs, cov = _auc_ci(y, [p, pb])
    d = float(aucs[0] - aucs[1])
    se = float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))
    lo, hi = d - 1.96 * se, d + 1.96 * se
    verdict = "holds" if lo > 0 else ("lost" if hi < 0 else "unsure")
    words = {
        "holds": say(
            "the champion still beats its baseline (ROC-AUC {a:.3f} against {b:.3f}, difference 95% CI {lo:+.3f} to "
            "{hi:+.3f})",
            "der Champion schlägt seine Baseline weiterhin (ROC-AUC {a:.3f} gegenüber {b:.3f}, Differenz 95-%-KI "
            "{lo:+.3f} bis {hi:+.3f})",
            a=aucs[0],
            b=aucs[1],
            lo=lo,
            hi=hi,
        ),
        "lost": say(
            "the baseline now ranks surely better than the champion (ROC-AUC {b:.3f} against {a:.3f}, difference 95% "
            "CI {lo:+.3f} to {hi:+.3f})",
            "die Baseline reiht jetzt sicher besser als der Champion (ROC-AUC {b:.3f} gegenüber {a:.3f}, Differenz "
            "95-%-KI {lo:+.3f} bis {hi:+.3f})",
            a=aucs[0],
            b=aucs[1],
            lo=lo,
            hi=hi,
        ),
        "unsure": say(
            "the champion is not surely better than its baseline on these rows (ROC-AUC {a:.3f} against {b:.3f}, "
            "difference 95% CI {lo:+.3f} to {hi:+.3f})",
            "der Champion ist auf diesen Zeilen nicht sicher besser als seine Baseline (ROC-AUC {a:.3f} gegenüber "
            "{b:.3f}, Differenz 95-%-KI {lo:+.3f} bis {hi:+.3f})",
            a=aucs[0],
            b=aucs[1],
            lo=lo,
            hi=hi,
        ),
    }
    return {
        "champion_roc_auc": round(float(aucs[0]), 6),
        "baseline_roc_auc": round(float(aucs[1]), 6),
        "difference": {"value": round(d, 6), "ci": [round(lo, 6), round(hi, 6)]},
        "verdict": verdict,
        "explanation": words[verdict],
    }


def _realized(y, p) -> dict:
    y = np.asarray(y).astype(int)
    out = {"rows": int(y.size), "positive_rate": round(float(y.mean()), 6), "positive_rate_ci": wilson(y.sum(), y.size)}
    if min(y.sum(), (1 - y).sum()) >= 2:
        aucs, cov = _auc_ci(y, [p])
        se = float(np.sqrt(max(cov[0, 0], 0.0)))
        a = float(aucs[0])
        out["roc_auc"] = {
            "value": round(a, 6),
            "ci": [round(max(0.0, a - 1.96 * se), 6), round(min(1.0, a + 1.96 * se), 6)],
        }
    else:
        out["roc_auc"] = None
    return out


def _reference_auc(record: dict) -> tuple[float, float] | None:
    """The champion's ROC-AUC on its backtest and its standard error (from the 95 % interval)."""
    m = (record.get("metrics") or {}).get("model", {}).get("roc_auc")
    if not m or m.get("value") is None:
        return None
    lo, hi = m.get("ci") or (m["value"], m["value"])
    return float(m["value"]), max((float(hi) - float(lo)) / 3.92, 1e-6)


def monitor_champion(
    wh,
    registry,
    use_case: str,
    *,
    period: str | int = "week",
    since=None,
    seed: int = 0,
    uc=None,
    progress: Progress | None = None,
) -> dict:
    """Monitor the champion of one use case period by period (see the module docstring).

    ``uc`` overrides the use case object (default: built from the registry's configuration);
    ``since`` starts the periods at that date instead of the end of the champion's training data.
    Returns ``{"use_case", "version", "monitored": True, "periods": [...], "alerts": n, ...}``.
    """
    tick = progress or (lambda f, m: None)
    version = registry.champion(use_case)
    if version is None:
        raise NotReadyError(
            say(
                "no {uc} champion in the registry; run `nomagic train {uc}` first",
                "kein Champion für {uc} im Register; zuerst `nomagic train {uc}` ausführen",
                uc=use_case,
            )
        )
    uc = uc or _use_case(use_case, version.meta)
    record = version.record()
    champ = _load(version)
    step = period_days(period)
    h = int(uc.horizon_days)
    trained_end = _day(record["data"]["end"])
    last_train_cutoff = trained_end - pd.Timedelta(days=h)
    data_end = _day(uc.time_range(wh)[1])
    start = _day(since) if since is not None else trained_end
    notes: list[Text] = []
    if since is not None and start < trained_end:
        notes.append(
            say(
                "periods before {e} lie inside the champion's training data: their drift and estimates flatter it",
                "Zeiträume vor {e} liegen in den Trainingsdaten des Champions: Drift und Schätzungen schmeicheln ihm "
                "dort",
                e=trained_end,
            )
        )
    ends = []
    t = start + pd.Timedelta(days=step)
    while t <= data_end:
        ends.append(t)
        t += pd.Timedelta(days=step)
    if len(ends) > MAX_PERIODS:
        notes.append(
            say(
                "{n} periods since {s}: only the latest {k} are monitored; use a longer --period or a later --since",
                "{n} Zeiträume seit {s}: nur die letzten {k} werden überwacht; eine längere --period oder ein späteres "
                "--since angeben",
                n=len(ends),
                s=start,
                k=MAX_PERIODS,
            )
        )
        ends = ends[-MAX_PERIODS:]
    frames = _Frames(uc, wh, data_end)
    ref_auc = _reference_auc(record)
    rule = al.Sequential()
    periods: list[dict] = []
    # the outcomes of the world the champion was chosen in: a realized rate is compared with them
    first_labels = frames.get(last_train_cutoff, True)[LABEL].to_numpy()
    first_labels = first_labels if len(first_labels) >= MIN_ROWS else None
    first = _day(uc.time_range(wh)[0])
    tick(0.03, say("{uc}: the world before going live", "{uc}: die Welt vor dem Livegang", uc=use_case))
    watch = _Watch(
        uc,
        frames,
        champ,
        rule,
        ref_auc,
        first_labels,
        last_train_cutoff,
        seed,
        step,
        h,
        _EarlyChecks(uc, frames, champ, step, trained_end, first),
        _between(frames, last_train_cutoff, step, first),
    )
    for i, t in enumerate(ends):
        tick(
            0.05 + 0.85 * i / max(len(ends), 1), say("{uc}: period to {t}", "{uc}: Zeitraum bis {t}", uc=use_case, t=t)
        )
        periods.append(_period(i, t, watch, periods))
    tick(0.92, say("{uc}: realized performance", "{uc}: tatsächliche Leistung", uc=use_case))
    for entry in periods:
        entry.pop("_rates", None)
        t = pd.Timestamp(entry["as_of"])
        arrive = t + pd.Timedelta(days=h)
        if arrive <= data_end:
            lab = frames.get(t, True)
            entry["realized"] = _realized(lab[LABEL], champ.predict(lab)) if len(lab) else None
            entry["realized_reason"] = None
        else:
            entry["realized"] = None
            entry["realized_reason"] = say(
                "the labels of this period arrive on {d} (its {h}-day horizon)",
                "die Labels dieses Zeitraums treffen am {d} ein (Horizont {h} Tage)",
                d=arrive,
                h=h,
            )
    n_alerts = sum(len(p["alerts"]) for p in periods)
    alerted = [p["as_of"] for p in periods if p["alerts"]]
    explanation = say(
        "{uc} {v} ({kind}) monitored over {n} period(s) of {d} day(s) from {s} to {e}: {a} alert(s) in {k} period(s).",
        "{uc} {v} ({kind}) über {n} Zeitraum/Zeiträume von {d} Tag(en) von {s} bis {e} überwacht: {a} Warnung(en) in "
        "{k} Zeitraum/Zeiträumen.",
        uc=use_case,
        v=version.version,
        kind=say("model", "Modell") if champ.kind == "model" else say("baseline rule", "Baseline-Regel"),
        n=len(periods),
        d=step,
        s=start,
        e=ends[-1] if ends else start,
        a=n_alerts,
        k=len(alerted),
    )
    if not ends:
        notes.append(
            say(
                "no full period of {d} day(s) lies between {s} and the end of the data ({e})",
                "zwischen {s} und dem Ende der Daten ({e}) liegt kein voller Zeitraum von {d} Tag(en)",
                d=step,
                s=start,
                e=data_end,
            )
        )
    return {
        "use_case": use_case,
        "version": version.version,
        "monitored": True,
        "scorer": champ.kind,
        "horizon_days": h,
        "period_days": step,
        "trained_through": trained_end.isoformat(),
        "data_end": data_end.isoformat(),
        "periods": periods,
        "alerts": n_alerts,
        "alerted_periods": alerted,
        "explanation": explanation,
        "warnings": notes,
    }


@dataclass
class _Watch:
    """What every period of one champion's monitor shares."""

    uc: object
    frames: _Frames
    champ: _Champion
    rule: al.Sequential
    ref_auc: tuple[float, float] | None
    first_labels: np.ndarray | None
    last_train_cutoff: pd.Timestamp
    seed: int
    step: int
    h: int
    early_checks: _EarlyChecks
    between: float  # the variance of a period's positive rate beyond the binomial, before going live


def _between(frames: _Frames, last_cutoff: pd.Timestamp, step: int, first: pd.Timestamp) -> float:
    """The positive rate's variance beyond the binomial over the champion's own labelled cutoffs (at
    least a month apart): the shocks common to a period, which a rate check must not take for a change."""
    gap = pd.Timedelta(days=max(step, 30))
    rates, rows = [], []
    for k in range(_EarlyChecks.PAST):
        cut = last_cutoff - k * gap
        if cut < first:
            break
        y = frames.get(cut, True)[LABEL].to_numpy()
        if len(y) < MIN_ROWS:
            break
        rates.append(float(y.mean()))
        rows.append(len(y))
    return al.between_variance(rates, rows)


def _period(i: int, t: pd.Timestamp, watch: _Watch, done: list[dict]) -> dict:
    """One period: scores at its end, drift and estimates against the reference, the gate again."""
    w = watch
    frames, champ, rule, seed, step, h = w.frames, w.champ, w.rule, w.seed, w.step, w.h
    ref_auc, first_labels, last_train_cutoff = w.ref_auc, w.first_labels, w.last_train_cutoff
    frame = frames.get(t, False)
    ref_cut = t - pd.Timedelta(days=h)
    entry: dict = {
        "index": i,
        "period_start": (t - pd.Timedelta(days=step)).isoformat(),
        "as_of": t.isoformat(),
        "rows": int(len(frame)),
        "alerts": [],
        "reference": {"cutoff": ref_cut.isoformat(), "out_of_sample": bool(ref_cut > last_train_cutoff)},
        "note": None,
    }
    ref = frames.get(ref_cut, True)
    entry["reference"]["rows"] = int(len(ref))
    if len(frame) < MIN_ROWS or len(ref) < MIN_ROWS or not _both(ref[LABEL]):
        entry["note"] = say(
            "too few rows to monitor: {n:,} scored, {r:,} in the reference at {c} (at least {k} each, with {m} of each "
            "outcome in the reference)",
            "zu wenige Zeilen für die Überwachung: {n:,} bewertet, {r:,} in der Referenz am {c} (mindestens je {k}, "
            "mit {m} je Ausgang in der Referenz)",
            n=len(frame),
            r=len(ref),
            c=ref_cut,
            k=MIN_ROWS,
            m=MIN_CLASS,
        )
        return entry
    p = champ.predict(frame)
    y_ref = ref[LABEL].to_numpy().astype(int)
    p_ref = champ.predict(ref)
    entry["mean_score"] = round(float(p.mean()), 6)
    entry["reference"]["positive_rate"] = round(float(y_ref.mean()), 6)
    rate_ref = est.RateReference(y_ref, p_ref)
    drift_ref = build_reference(ref[champ.columns], rate_ref, champ.contributions, chunk_rows=len(frame), seed=seed + i)
    rates = est.rate_estimates(p, rate_ref, seed=seed + i)
    candidates = {
        "acc": rates["acc"],
        "em": rates["em"],
        "last_labelled": {"value": round(float(y_ref.mean()), 6), "ci": wilson(y_ref.sum(), y_ref.size)},
    }
    # validation: earlier periods whose own labels have arrived by now (their cutoff + horizon <= t)
    history = []
    for e in done:
        te = pd.Timestamp(e["as_of"])
        if te + pd.Timedelta(days=h) <= t and e.get("_rates"):
            history.append({"realized": float(frames.get(te, True)[LABEL].mean()), **e["_rates"]})
    method, value, ci, why, _mae = est.choose_rate(history, candidates)
    auc, auc_reason = est.auc_estimate(p, rate_ref, value if rates["acc"] is not None else None)
    stats = drift_ref.stats(frame[champ.columns], p, auc=auc)
    states = rule.update(stats)
    # drift is evidence (info); a page needs a risk to the model's usefulness or calibration (as in the backtest)
    needed = None if ref_auc is None else al.confirmable(rate_ref.rate, ref_auc[1], len(y_ref), len(frame), w.between)
    found, info, page_why = al.assess(
        states,
        stats,
        rates,
        rate_ref.rate,
        method,
        est.outside_share(p, rate_ref),
        refuted=est.refuted(history, "acc"),
        needed=needed,
    )
    entry["drift_info"] = info
    entry["page_why"] = page_why
    # the gate again, on the latest labelled cutoff (the reference's rows; labels complete by t)
    pb_ref = champ.baseline.predict_proba(ref)[:, 1]
    entry["gate"] = {"labelled_cutoff": ref_cut.isoformat(), **_gate(y_ref, p_ref, pb_ref)}
    if ref_auc is not None and first_labels is not None:
        found += al.label_alerts(y_ref, p_ref, pb_ref, ref_auc, first_labels, i, w.between)
    entry["early_outcomes"], early_pages = w.early_checks.period(t)
    found += early_pages
    entry.update(
        {
            "estimated_positive_rate": round(float(value), 6),
            "estimated_positive_rate_ci": ci,
            "rate_method": method,
            "rate_why": why,
            "rate_estimates": candidates,
            "estimated_roc_auc": auc,
            "estimated_roc_auc_reason": auc_reason,
            "prediction_drift": stats["prediction"],
            "input_drift": {**stats["input"], "features": sorted(stats["features"], key=lambda f: -f["shift"])},
            "prior_shift": stats["prior"],
            "alerts": found,
            "_rates": {
                "acc": None if rates["acc"] is None else rates["acc"]["value"],
                "em": rates["em"]["value"],
                "last_labelled": candidates["last_labelled"]["value"],
            },
        }
    )
    return entry


def _view(champ: _Champion, frame: pd.DataFrame) -> np.ndarray:
    """The champion's view of each row: its log-odds (one column)."""
    p = np.clip(champ.predict(frame), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))[:, None]


class _EarlyChecks:
    """The early-outcome checks of each period (:mod:`nomagic.monitor.early`), judged against the same
    checks on the cohorts followed before the champion went live (computed once per window)."""

    #: at most this many past cohorts per window
    PAST = 12

    def __init__(self, uc, frames: _Frames, champ: _Champion, step: int, live: pd.Timestamp, first: pd.Timestamp):
        self.uc, self.frames, self.champ, self.step = uc, frames, champ, step
        self.live, self.first = live, first
        self.days = early.windows(step, int(uc.horizon_days))
        self._past: dict[int, list[dict]] = {}
        self.columns: list[str] | None = None

    def _check(self, cut: pd.Timestamp, d: int) -> dict | None:
        """The cohort scored at ``cut`` followed for ``d`` days, against the one scored ``d`` days before."""
        ref_cut = cut - pd.Timedelta(days=d)
        if ref_cut < self.first:
            return None
        now, ref = self.frames.get(cut, False), self.frames.get(ref_cut, True)
        if len(now) < MIN_ROWS or len(ref) < MIN_ROWS:
            return None
        y_ref = self.frames.early(ref_cut, d).reindex(ref[UNIT]).fillna(0).to_numpy()
        if min(y_ref.sum(), len(y_ref) - y_ref.sum()) < MIN_CLASS:
            return None
        if self.columns is None:  # the columns the model reads that name a segment (country, channel, ...)
            self.columns = [c for c in self.champ.columns if not pd.api.types.is_numeric_dtype(now[c])]
        y_now = self.frames.early(cut, d).reindex(now[UNIT]).fillna(0).to_numpy()
        segments = {c: now[c].to_numpy() for c in self.columns}
        segments_ref = {c: ref[c].to_numpy() for c in self.columns}
        found = early.check(_view(self.champ, ref), y_ref, _view(self.champ, now), y_now, segments, segments_ref)
        return {"cutoff": cut.isoformat(), "days": int(d), "reference_cutoff": ref_cut.isoformat(), **found}

    def past(self, d: int) -> list[dict]:
        """The checks of the cohorts whose d-day window closed before the champion went live."""
        if d not in self._past:
            out = []
            for j in range(self.PAST):
                cut = self.live - pd.Timedelta(days=d + j * self.step)
                found = self._check(cut, d)
                if found is None:
                    break
                out.append(found)
            self._past[d] = out
        return self._past[d]

    def period(self, t: pd.Timestamp) -> tuple[list[dict], list[dict]]:
        """(the judged checks of the period ending ``t``, their pages)."""
        found = {d: self._check(t - pd.Timedelta(days=d), d) for d in self.days}
        limit = early.ALPHA / early.n_tests(len(self.days), len(self.columns or []))
        checks, pages = [], []
        for d, f in found.items():
            if f is None:
                continue
            judged = early.judge(f, self.past(d), limit)
            checks.append(judged)
            shown = {
                **judged,
                "cutoff": pd.Timestamp(judged["cutoff"]),
                "reference_cutoff": pd.Timestamp(judged["reference_cutoff"]),
            }
            pages += early.alerts(shown, self.uc.so_far(d))
        return checks, pages


def _not_monitored(name: str) -> Text:
    if name in _NOT_YET:
        return say(*_NOT_YET[name])
    return say(
        "{uc} is not a customer-level yes/no score; its monitor is not built yet",
        "{uc} ist kein Ja/Nein-Score je Kunde; seine Überwachung gibt es noch nicht",
        uc=name,
    )


def monitor_models(
    wh,
    registry,
    use_cases=None,
    *,
    period: str | int = "week",
    since=None,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict:
    """Monitor every champion of the registry (or the named use cases); see the module docstring.

    Returns ``{"kind": "monitor-models", "use_cases": [...], "not_monitored": [{"use_case", "reason"}], ...}``.
    """
    t0 = _time.perf_counter()
    tick = progress or (lambda f, m: None)
    step = period_days(period)
    names = list(use_cases) if use_cases else registry.use_cases()
    out, skipped = [], []
    for j, name in enumerate(names):
        if name not in MONITORED:
            skipped.append({"use_case": name, "reason": _not_monitored(name)})
            continue
        if registry.champion(name) is None:
            skipped.append(
                {
                    "use_case": name,
                    "reason": say(
                        "no champion: run `nomagic train {uc}` first",
                        "kein Champion: zuerst `nomagic train {uc}` ausführen",
                        uc=name,
                    ),
                }
            )
            continue

        def sub(f, m, j=j):
            tick((j + f) / max(len(names), 1), m)

        out.append(monitor_champion(wh, registry, name, period=step, since=since, seed=seed, progress=sub))
    return {
        "schema": 1,
        "kind": "monitor-models",
        "created_at": now_iso(),
        "period_days": step,
        "since": None if since is None else _day(since).isoformat(),
        "use_cases": out,
        "not_monitored": skipped,
        "seconds": round(_time.perf_counter() - t0, 2),
    }


# ------------------------------------------------------------------------------------- the log


def alert_rows(doc: dict) -> pd.DataFrame:
    """One row per alert of a :func:`monitor_models` (or :func:`monitor_champion`) document."""
    docs = doc["use_cases"] if "use_cases" in doc else [doc]
    created = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)).floor("s")
    rows = []
    for d in docs:
        for p in d["periods"]:
            for a in p["alerts"]:
                evidence = {
                    "text": str(a["evidence"]),
                    "text_de": a["evidence"].de if isinstance(a["evidence"], Text) else a.get("evidence_de"),
                    "period_start": p["period_start"],
                    "reference_cutoff": p["reference"]["cutoff"],
                    "estimated_positive_rate": p.get("estimated_positive_rate"),
                    "estimated_roc_auc": p.get("estimated_roc_auc"),
                    "gate": None if not p.get("gate") else p["gate"]["verdict"],
                }
                rows.append(
                    {
                        "use_case": d["use_case"],
                        "version": d["version"],
                        "period": p["as_of"][:10],
                        "severity": a["severity"],
                        "kind": a["kind"],
                        "evidence": json.dumps(evidence, ensure_ascii=False),
                        "meaning": str(a["meaning"]),
                        "meaning_de": _de(a, "meaning"),
                        "action": str(a["what_to_do"]),
                        "action_de": _de(a, "what_to_do"),
                        "created_at": created,
                    }
                )
    return pd.DataFrame(rows, columns=list(_SCHEMA)).astype({"created_at": "datetime64[us]"})


#: the columns of ``monitor_alerts`` (typed, so that an empty first log still creates the table)
_SCHEMA = {
    **dict.fromkeys(
        ("use_case", "version", "period", "severity", "kind", "evidence", "meaning", "meaning_de", "action"),
        "string",
    ),
    "action_de": "string",
    "created_at": "timestamp",
}


def _arrow(rows: pd.DataFrame):
    import pyarrow as pa

    types = {"string": pa.string(), "timestamp": pa.timestamp("us")}
    schema = pa.schema([(k, types[v]) for k, v in _SCHEMA.items()])
    return pa.Table.from_pandas(rows, schema=schema, preserve_index=False)


def _de(alert: dict, key: str) -> str:
    v = alert[key]
    return v.de if isinstance(v, Text) else str(alert.get(f"{key}_de", v))


def log_alerts(wh, doc: dict) -> int:
    """Append the document's alerts to ``monitor_alerts``; returns how many were new.

    One insert per call (atomic in the warehouse); an alert already logged for the same use case,
    version, period and kind is not logged again, so re-running the monitor changes nothing."""
    rows = alert_rows(doc)
    key = ["use_case", "version", "period", "kind"]
    rows = rows.drop_duplicates(key)
    if wh.has(ALERTS_TABLE) and len(rows):
        t = wh.table(ALERTS_TABLE)
        seen = t.filter(t.use_case.isin(sorted(set(rows["use_case"])))).select(*key).execute()
        if len(seen):
            mark = rows.merge(seen.drop_duplicates(), on=key, how="left", indicator=True)["_merge"] == "both"
            rows = rows[~mark.to_numpy()]
    if len(rows) or not wh.has(ALERTS_TABLE):
        wh.append(ALERTS_TABLE, _arrow(rows.reset_index(drop=True)))
    return int(len(rows))


PERIODS_TABLE = "monitor_periods"


def period_rows(doc: dict) -> pd.DataFrame:
    """One row per monitored period: the estimates and, once labels arrived, what really happened."""
    docs = doc["use_cases"] if "use_cases" in doc else [doc]
    rows = []
    for d in docs:
        for p in d.get("periods", []):
            real = p.get("realized") or {}
            ci = p.get("estimated_positive_rate_ci") or [None, None]
            rows.append(
                {
                    "use_case": d["use_case"],
                    "version": d["version"],
                    "period": p["as_of"][:10],
                    "rows": int(p.get("rows", 0)),
                    "estimated_positive_rate": p.get("estimated_positive_rate"),
                    "estimated_positive_rate_low": ci[0],
                    "estimated_positive_rate_high": ci[1],
                    "realized_positive_rate": real.get("positive_rate"),
                    "estimated_roc_auc": p.get("estimated_roc_auc"),
                    "realized_roc_auc": (real.get("roc_auc") or {}).get("value"),
                    "alerts": len([a for a in p.get("alerts", []) if a.get("severity") != "info"]),
                }
            )
    cols = ["use_case", "version", "period", "rows", "estimated_positive_rate", "estimated_positive_rate_low"]
    cols += [
        "estimated_positive_rate_high",
        "realized_positive_rate",
        "estimated_roc_auc",
        "realized_roc_auc",
        "alerts",
    ]
    out = pd.DataFrame(rows, columns=cols)
    for c in cols[4:10]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out["rows"] = out["rows"].astype("int64")
    out["alerts"] = out["alerts"].astype("int64")
    return out


def log_periods(wh, doc: dict) -> int:
    """Keep the document's periods in ``monitor_periods``: a period monitored again replaces its row (its labels
    may have arrived since); the table is rewritten in one write, so a reader never sees half of it."""
    new = period_rows(doc)
    if not len(new):
        return 0
    key = ["use_case", "version", "period"]
    if wh.has(PERIODS_TABLE):
        old = wh.table(PERIODS_TABLE).execute()
        keep = old.merge(new[key], on=key, how="left", indicator=True)["_merge"] == "left_only"
        new = pd.concat([old[keep.to_numpy()], new], ignore_index=True)
    wh.write(PERIODS_TABLE, new.sort_values(key).reset_index(drop=True))
    return int(len(period_rows(doc)))


def summary_words(doc: dict) -> Text:
    """One sentence per monitored use case, and one per use case not monitored."""
    parts = [d["explanation"] for d in doc["use_cases"]]
    parts += [
        say("{uc}: not monitored yet ({r}).", "{uc}: noch nicht überwacht ({r}).", uc=s["use_case"], r=s["reason"])
        for s in doc["not_monitored"]
    ]
    return join(parts)
