"""Champion / challenger: retrain a use case on the latest data and let the evidence decide.

:func:`retrain` trains a challenger with the use case's normal lifecycle (:func:`~nomagic.lifecycle.
usecase.run`, with the champion's configuration), then judges the champion, the challenger and the
naive baseline on the **same recent labelled window** with paired bootstrap intervals:

* **promote challenger** when the challenger surely beats the champion (lower 95 % bound of the
  difference in the primary metric above zero) and surely beats the baseline, or when it surely beats
  the baseline and the champion no longer does (the gate again, on recent data);
* **fall back to baseline** when neither the champion nor the challenger surely beats the baseline on
  that window (the no-magic gate's rule: a model serves only with evidence): the challenger's freshly
  fitted baseline scores until a model beats it;
* **keep champion** otherwise; the challenger is registered with the status ``challenger``.

The decision and its evidence go into the challenger's record (``record["retrain"]``), with a
sentence in English and German. ``shadow=True`` changes nothing that is served: the challenger waits
as a challenger whatever the evidence says, and :func:`shadow_scores` scores it next to the champion.

Which window judges (the reason for the rule in :func:`judging_window`)
-------------------------------------------------------------------------
The champion learnt from the label windows ``[t, t + h)`` of its training cutoffs ``t <= T`` (its
record's ``split.final_train_cutoffs``), that is from outcomes up to ``T + h`` ("seen until"). The
window is every test cutoff ``c`` of the challenger's backtest with ``c >= T + h`` whose own label
window has closed: no outcome of it was known to the champion, and the challenger's backtest model at
``c`` learnt only from cutoffs ``<= c - h`` (labels closed by ``c``). Both predict the same customers
at the same moment, neither knowing their outcomes, both from data before ``c``. An earlier cutoff
(``T < c < T + h``) would let the champion have learnt part of its outcomes through its own training
labels, in the champion's favour. The challenger's *final* model learns from the latest cutoffs, the
window included, so it cannot be judged there: as in the gate, the recipe is judged out of sample and
its refit is what serves. At ``c = T + h`` the challenger's backtest model learnt from the champion's
own cutoffs (a tie by construction); later cutoffs carry what fresher data adds. The tie adds rows
that differ by nothing: the reported difference is an average over the whole window.

The retrain policy (:func:`load_policy`, :func:`is_due`) comes from ``.nomagic/config.toml`` next to
the registry::

    [retrain]
    policy = "both"     # on-alert | schedule | both | never
    every = "30d"       # for schedule / both: days ("30", "30d") or weeks ("4w")
    [retrain.propensity]
    every = "14d"       # a use case's own setting overrides the shared one
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.lifecycle.gate import PROMOTED, metric_text
from nomagic.lifecycle.metrics import DEFAULT_METRICS, ProfitParams, bootstrap
from nomagic.lifecycle.record import now_iso
from nomagic.lifecycle.registry import Registry, Version
from nomagic.lifecycle.usecase import CUTOFF, LABEL, UNIT, UseCase, run
from nomagic.privacy import config
from nomagic.words import Text, join, say

Progress = Callable[[float, str], None]

KEEP, PROMOTE, FALLBACK = "keep champion", "promote challenger", "fall back to baseline"
ACTIONS = (KEEP, PROMOTE, FALLBACK)
#: the least rows of each outcome in the judging window: fewer make every interval span zero
MIN_CLASS = 10
POLICIES = ("on-alert", "schedule", "both", "never")
ALERTS_TABLE = "monitor_alerts"


# --------------------------------------------------------------------------- the champion's configuration


def use_case_like(cls: type[UseCase], champion: Version, **overrides) -> UseCase:
    """The use case configured as the champion was (profit, fairness attributes, cutoffs, seed)."""
    cfg = champion.meta.get("config") or {}
    kw = {
        k: cfg[k]
        for k in ("step_days", "n_test", "n_train", "warmup_days", "model_params", "n_boot", "seed")
        if k in cfg
    }
    if "sensitive" in cfg:
        kw["sensitive"] = tuple(cfg["sensitive"])
    if isinstance(cfg.get("profit"), dict):
        kw["profit"] = ProfitParams(**cfg["profit"])
    kw.update({k: v for k, v in overrides.items() if v is not None})
    return cls(**kw)


def champion_of(registry: Registry, use_case: str) -> Version:
    """The champion, or an InputError that says how to get one."""
    champ = registry.champion(use_case)
    if champ is None:
        raise InputError(
            say(
                "{uc} has no champion yet in {root}, so there is nothing to retrain; run `nomagic train {uc}` first",
                "{uc} hat noch keinen Champion in {root}, also gibt es nichts neu zu trainieren; zuerst "
                "`nomagic train {uc}` ausführen",
                uc=use_case,
                root=str(registry.root),
            )
        )
    return champ


# --------------------------------------------------------------------------- the window


def seen_until(record: dict) -> pd.Timestamp:
    """The end of the last label window the champion learnt from (see the module docstring)."""
    split = record.get("split") or {}
    cuts, h = split.get("final_train_cutoffs"), split.get("horizon_days")
    if cuts and h is not None:
        return max(_naive(c) for c in cuts) + pd.Timedelta(days=int(h))
    end = (record.get("data") or {}).get("end")
    if end:
        return _naive(end)
    raise InputError(
        say(
            "the {uc} champion's record does not say which data it learnt from (no split.final_train_cutoffs, no "
            "data.end); retrain it with `nomagic train {uc}` first",
            "das Protokoll des {uc}-Champions sagt nicht, aus welchen Daten er gelernt hat (kein "
            "split.final_train_cutoffs, kein data.end); zuerst mit `nomagic train {uc}` neu trainieren",
            uc=record.get("use_case", "?"),
        )
    )


def judging_window(tests, seen: pd.Timestamp) -> list[pd.Timestamp]:
    """The test cutoffs whose outcomes the champion never saw: ``c >= seen`` (see the module docstring)."""
    return sorted(c for c in tests if _naive(c) >= seen)


def _no_window(uc: UseCase, champ: Version, seen: pd.Timestamp, end: pd.Timestamp) -> InputError:
    need = seen + pd.Timedelta(days=uc.horizon_days)
    return InputError(
        say(
            "no recent labelled window to judge {uc} on: the champion {v} learnt from outcomes up to {seen}; a fair "
            "comparison needs a cutoff on or after that date whose {h}-day label window has closed, that is data "
            "until {need} at least, and the data ends {end}. Load newer data, or retrain after {need}.",
            "kein neueres Fenster mit bekannten Ergebnissen, an dem {uc} beurteilt werden kann: der Champion {v} "
            "hat aus Ergebnissen bis {seen} gelernt; ein fairer Vergleich braucht einen Stichtag ab diesem Datum, "
            "dessen {h}-tägiges Ergebnisfenster abgeschlossen ist, also Daten mindestens bis {need}; die Daten enden "
            "am {end}. Neuere Daten laden oder nach dem {need} neu trainieren.",
            uc=uc.name,
            v=champ.version,
            seen=seen,
            h=uc.horizon_days,
            need=need,
            end=end,
        )
    )


# --------------------------------------------------------------------------- judging


def judge(
    y,
    champion,
    challenger,
    baseline,
    *,
    metric: str = "roc_auc",
    clusters=None,
    n_boot: int = 1000,
    seed: int = 0,
    profit: ProfitParams | None = None,
) -> dict:
    """Champion, challenger and baseline on the same rows, with paired bootstrap intervals.

    The three comparisons draw the same resamples (same seed, same rows), so every difference is paired.
    Returns ``{"primary_metric", "metrics": {champion, challenger, baseline}, "challenger_vs_champion",
    "challenger_vs_baseline", "champion_vs_baseline"}``; a difference is positive when the first is better.
    """
    if metric not in DEFAULT_METRICS:
        raise InputError(f"retraining judges yes/no scores; {metric!r} is not one of {', '.join(DEFAULT_METRICS)}")
    kw = {"metrics": DEFAULT_METRICS, "n_boot": n_boot, "seed": seed, "clusters": clusters, "profit": profit}
    cc = bootstrap(y, challenger, champion, **kw)
    cb = bootstrap(y, challenger, baseline, **kw)
    hb = bootstrap(y, champion, baseline, **kw)
    return {
        "primary_metric": metric,
        "metrics": {"champion": cc["baseline"], "challenger": cc["model"], "baseline": cb["baseline"]},
        "challenger_vs_champion": cc["improvement"],
        "challenger_vs_baseline": cb["improvement"],
        "champion_vs_baseline": hb["improvement"],
    }


def _surely(d: dict) -> bool:
    lo = d["ci"][0]
    return lo is not None and lo > 0


def decide(evidence: dict, *, champion_serves: str = "model", challenger_passed_gate: bool = True) -> str:
    """The action from :func:`judge`'s evidence (see the module docstring for the rule).

    ``champion_serves`` is the champion's scorer: a champion that serves its baseline is the baseline,
    so it never "beats the baseline". ``challenger_passed_gate``: the challenger's own backtest verdict;
    a challenger that failed its gate is never promoted, whatever the window says.

    >>> d = lambda lo, v=0.05: {"roc_auc": {"value": v, "ci": [lo, lo + 0.1]}}
    >>> ev = {"primary_metric": "roc_auc", "challenger_vs_champion": d(0.01),
    ...       "challenger_vs_baseline": d(0.02), "champion_vs_baseline": d(0.01)}
    >>> decide(ev)
    'promote challenger'
    >>> decide({**ev, "challenger_vs_champion": d(-0.02)})
    'keep champion'
    >>> decide({**ev, "challenger_vs_baseline": d(-0.05), "champion_vs_baseline": d(-0.04)})
    'fall back to baseline'
    """
    m = evidence["primary_metric"]
    cc, cb, hb = (evidence[k][m] for k in ("challenger_vs_champion", "challenger_vs_baseline", "champion_vs_baseline"))
    challenger_ok = _surely(cb)
    champion_ok = champion_serves == "model" and _surely(hb)
    if not challenger_ok and not champion_ok:
        return FALLBACK
    wins = _surely(cc) or (not champion_ok and (cc["value"] or 0) > 0)
    if challenger_ok and wins and challenger_passed_gate:
        return PROMOTE
    return KEEP


class _Value(float):
    """A metric value written as the metric is (profit in whole units, the others to 3 places)."""

    def __new__(cls, x, metric: str, signed: bool = False):
        obj = super().__new__(cls, x)
        obj.spec = ("+" if signed else "") + (",.0f" if metric == "profit_at_10" else ".3f")
        return obj

    def __format__(self, spec):
        return format(float(self), spec or self.spec)


def _v(x, metric: str, signed: bool = False):
    return say("n/a", "k. A.") if x is None else _Value(x, metric, signed)


def explain(
    evidence: dict,
    action: str,
    *,
    on: Text,
    champion: str,
    shadow: bool = False,
    challenger_passed_gate: bool = True,
) -> Text:
    """The decision in plain words, English and German."""
    m = evidence["primary_metric"]
    mv = evidence["metrics"]
    head = say(
        "Judged on {on}: the champion {v} reaches {name} {a}, the challenger {b}, the baseline {c}.",
        "Beurteilt an {on}: der Champion {v} erreicht {name} {a}, der Herausforderer {b}, die Baseline {c}.",
        on=on,
        v=champion,
        name=metric_text(m),
        a=_v(mv["champion"][m]["value"], m),
        b=_v(mv["challenger"][m]["value"], m),
        c=_v(mv["baseline"][m]["value"], m),
    )

    def diff(key: str, signed: bool = True) -> dict:
        d = evidence[key][m]
        return {"d": _v(d["value"], m, signed), "lo": _v(d["ci"][0], m, True), "hi": _v(d["ci"][1], m, True)}

    # a shadow run changes nothing: its sentence says what retraining *would* do
    if action == PROMOTE:
        then = (
            say("it would be promoted (shadow run)", "er würde übernommen (Schattenlauf)")
            if shadow
            else say("it is promoted and scores from now on", "er wird übernommen und bewertet ab jetzt")
        )
        tail = say(
            "The challenger is better than the champion by {d} (95% CI {lo} to {hi}) and surely beats the baseline: "
            "{then}.",
            "Der Herausforderer ist um {d} besser als der Champion (95-%-KI {lo} bis {hi}) und schlägt die Baseline "
            "sicher: {then}.",
            then=then,
            **diff("challenger_vs_champion", signed=False),
        )
    elif action == FALLBACK:
        then = (
            say(
                "the baseline, refitted on the latest data, would score (shadow run)",
                "die Baseline, neu angepasst an die neuesten Daten, würde bewerten (Schattenlauf)",
            )
            if shadow
            else say(
                "the baseline, refitted on the latest data, scores from now on until a model beats it",
                "ab jetzt bewertet die Baseline, neu angepasst an die neuesten Daten, bis ein Modell sie schlägt",
            )
        )
        tail = say(
            "Neither the champion ({hd}, 95% CI {hlo} to {hhi}) nor the challenger ({d}, 95% CI {lo} to {hi}) is "
            "surely better than the baseline here: {then}.",
            "Weder der Champion ({hd}, 95-%-KI {hlo} bis {hhi}) noch der Herausforderer ({d}, 95-%-KI {lo} bis "
            "{hi}) ist hier sicher besser als die Baseline: {then}.",
            then=then,
            **diff("challenger_vs_baseline"),
            **{"h" + k: v for k, v in diff("champion_vs_baseline").items()},
        )
    elif not challenger_passed_gate and _surely(evidence["challenger_vs_champion"][m]):
        tail = say(
            "The challenger wins on this window, but its own backtest did not pass the no-magic gate: the champion "
            "stays; the challenger waits as a challenger.",
            "Der Herausforderer gewinnt in diesem Fenster, hat aber im eigenen Backtest die No-Magic-Prüfung nicht "
            "bestanden: der Champion bleibt; der Herausforderer wartet als Challenger.",
        )
    else:
        tail = say(
            "The challenger is not surely better than the champion (difference {d}, 95% CI {lo} to {hi}): the "
            "champion stays; the challenger waits as a challenger.",
            "Der Herausforderer ist nicht sicher besser als der Champion (Differenz {d}, 95-%-KI {lo} bis {hi}): "
            "der Champion bleibt; der Herausforderer wartet als Challenger.",
            **diff("challenger_vs_champion"),
        )
    out = head + " " + tail
    if shadow:
        out = (
            out
            + " "
            + say(
                "Nothing served has changed; the challenger is scored next to the champion.",
                "An der Bewertung hat sich nichts geändert; der Herausforderer wird neben dem Champion bewertet.",
            )
        )
    return out


# --------------------------------------------------------------------------- retrain


@dataclass
class RetrainOutcome:
    """What :func:`retrain` did: the action, whether it was applied, the versions and the evidence."""

    action: str
    applied: bool
    explanation: Text
    champion: Version  # the champion before
    challenger: Version  # the version trained now
    serving: Version  # the champion after
    evidence: dict = field(default_factory=dict)


def _naive(ts) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    return ts.tz_convert(None) if ts.tzinfo else ts


def _served(uc: UseCase, champ: Version, frame: pd.DataFrame) -> np.ndarray:
    """The champion's scores as it serves them: its model, or its baseline when its scorer is the baseline."""
    if champ.scorer != "model":
        return champ.baseline().predict_proba(frame)[:, 1]
    model = champ.model()
    cols = list(model.feature_names_in_)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise InputError(
            say(
                "the {uc} champion {v} needs features the warehouse no longer has: {m}; it cannot be judged against a "
                "challenger (`nomagic rollback {uc} --to VERSION` or `nomagic train {uc}` start afresh)",
                "der {uc}-Champion {v} braucht Merkmale, die das Warehouse nicht mehr hat: {m}; er kann nicht gegen "
                "einen Herausforderer beurteilt werden (`nomagic rollback {uc} --to VERSION` oder `nomagic train "
                "{uc}` beginnen neu)",
                uc=uc.name,
                v=champ.version,
                m=", ".join(missing),
            )
        )
    return model.predict_proba(frame[cols])[:, 1]


def _window_rows(uc: UseCase, wh, champ: Version, predictions: pd.DataFrame, window) -> pd.DataFrame:
    """Per (customer, cutoff) of the window: label, champion, challenger (backtest) and baseline scores."""
    parts = []
    for c in window:
        frame = uc.dataset(wh, c)
        parts.append(pd.DataFrame({UNIT: frame[UNIT], CUTOFF: c, "champion": _served(uc, champ, frame)}))
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[UNIT, CUTOFF, "champion"])
    pred = predictions[predictions[CUTOFF].isin(window)][[UNIT, CUTOFF, LABEL, "score", "baseline_score"]]
    out = rows.merge(pred, on=[UNIT, CUTOFF], how="inner")  # the same dataset builder made both: same rows
    return out.rename(columns={"score": "challenger", "baseline_score": "baseline"})


def _window_words(rows: pd.DataFrame, window) -> Text:
    dates = join([say("{d}", "{d}", d=c) for c in window], ", ")
    return say(
        "{n:,} predictions at the cutoff(s) {dates} whose outcomes the champion never saw",
        "{n:,} Vorhersagen zu den Stichtagen {dates}, deren Ergebnisse der Champion nie gesehen hat",
        n=len(rows),
        dates=dates,
    )


def retrain(
    uc: UseCase,
    wh,
    registry: Registry,
    *,
    shadow: bool = False,
    progress: Progress | None = None,
    source: str | None = None,
) -> RetrainOutcome:
    """Train a challenger, judge it against the champion and the baseline, act (see the module docstring)."""
    tick = progress or (lambda f, m: None)
    champ = champion_of(registry, uc.name)
    seen = seen_until(champ.record())
    plan = uc.plan(wh)  # cheap: checked before the expensive training
    if not judging_window(plan.tests, seen):
        raise _no_window(uc, champ, seen, plan.end)
    result = run(uc, wh, progress=lambda f, m: tick(0.85 * f, m), source=source)
    window = judging_window(result.plan.tests, seen)
    tick(0.86, f"{uc.name}: champion and challenger on the recent window")
    rows = _window_rows(uc, wh, champ, result.predictions, window)
    y = rows[LABEL].to_numpy() if len(rows) else np.zeros(0)
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if min(pos, neg) < MIN_CLASS:
        raise InputError(
            say(
                "the recent labelled window of {uc} ({dates}) has {p:,} positive and {n:,} negative outcome(s); "
                "judging champion and challenger needs at least {k} of each. Wait for more labelled data.",
                "das neuere Fenster mit bekannten Ergebnissen von {uc} ({dates}) hat {p:,} positive und {n:,} "
                "negative Ergebnisse; ein Urteil über Champion und Herausforderer braucht mindestens {k} von jedem. "
                "Auf mehr Daten mit Ergebnissen warten.",
                uc=uc.name,
                dates=join([say("{d}", "{d}", d=c) for c in window], ", "),
                p=pos,
                n=neg,
                k=MIN_CLASS,
            )
        )
    evidence = judge(
        y,
        rows["champion"].to_numpy(),
        rows["challenger"].to_numpy(),
        rows["baseline"].to_numpy(),
        metric=uc.primary_metric,
        clusters=rows[UNIT].to_numpy(),
        n_boot=uc.n_boot,
        seed=uc.seed,
        profit=uc.profit,
    )
    passed = result.verdict == PROMOTED
    action = decide(evidence, champion_serves=champ.scorer, challenger_passed_gate=passed)
    words = explain(
        evidence,
        action,
        on=_window_words(rows, window),
        champion=champ.version,
        shadow=shadow,
        challenger_passed_gate=passed,
    )
    applied = action != KEEP and not shadow
    evidence.update(
        {
            "action": action,
            "applied": applied,
            "shadow": shadow,
            "champion": {"version": champ.version, "scorer": champ.scorer, "seen_until": seen.isoformat()},
            "window": {
                "rule": "test cutoffs on or after the end of the champion's last training label window",
                "cutoffs": [c.isoformat() for c in window],
                "rows": int(len(rows)),
                "customers": int(rows[UNIT].nunique()),
                "positive_rate": round(float(y.mean()), 4),
            },
            "challenger_gate": result.verdict,
            "n_boot": uc.n_boot,
            "seed": uc.seed,
            "explanation": words,
            "decided_at": now_iso(),
        }
    )
    result.record["retrain"] = evidence
    tick(0.95, f"{uc.name}: registering")
    if applied:
        result.record["scorer"] = "model" if action == PROMOTE else "baseline"
    new = registry.register(result, challenger=not applied, action=f"retrain: {action}", why=words)
    serving = registry.get(uc.name)
    tick(1.0, f"{uc.name}: {action}")
    return RetrainOutcome(action, applied, words, champ, new, serving, evidence)


# --------------------------------------------------------------------------- shadow scoring


def shadow_table(use_case: str) -> str:
    """The warehouse table of the challenger's shadow scores."""
    return f"scores_{use_case}_shadow"


def shadow_scores(uc: UseCase, wh, registry: Registry, champion: Version, challenger: Version, *, as_of=None):
    """Every customer scored by the champion and the challenger side by side (nothing served changes).

    Columns: ``customer_id``, ``champion_score``, ``challenger_score``, ``champion_decile``,
    ``challenger_decile``, ``champion_version``, ``challenger_version``, ``champion_scorer``,
    ``challenger_scorer``, ``as_of``, ``scored_at``."""
    from nomagic.lifecycle.scoring import score

    keep = ["customer_id", "score", "decile", "model_version", "scorer"]
    a = score(uc, wh, registry, as_of=as_of, version=champion.version, k=1)
    b = score(uc, wh, registry, as_of=as_of, version=challenger.version, k=1)
    out = (
        a[keep]
        .add_prefix("champion_")
        .merge(b[keep].add_prefix("challenger_"), left_on="champion_customer_id", right_on="challenger_customer_id")
    )
    out = out.drop(columns="challenger_customer_id").rename(
        columns={"champion_customer_id": "customer_id", "champion_model_version": "champion_version"}
    )
    out = out.rename(columns={"challenger_model_version": "challenger_version"})
    out["as_of"] = a["as_of"].iloc[0] if len(a) else pd.NaT
    out["scored_at"] = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)).floor("s")
    return out


def write_shadow(wh, scores: pd.DataFrame, use_case: str) -> str:
    """Into ``scores_<use case>_shadow`` (replaced); ``scores_<use case>`` is left alone.

    Customers who may not be profiled are left out (the privacy policy decides; :func:`shadow_scores`
    already scores only those who may be); the answer names the table and, if any, how many were left out."""
    from nomagic.privacy import consent

    name = shadow_table(use_case)
    scores, left = consent.keep_allowed(wh, scores, consent.PROFILING)
    wh.write(name, scores)
    return say("{t} ({w})", "{t} ({w})", t=name, w=left.words) if left else name


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class RetrainPolicy:
    """When ``nomagic retrain --if-due`` acts: on an unhandled alert, every ``every_days`` days, both, never."""

    policy: str = "on-alert"
    every_days: int | None = None
    source: Path | None = None  # the config file it came from (None: the default)

    def describe(self) -> Text:
        where = say("default", "Voreinstellung") if self.source is None else str(self.source)
        if self.policy in ("schedule", "both"):
            return say(
                "{p}, every {d} days ({w})", "{p}, alle {d} Tage ({w})", p=self.policy, d=self.every_days, w=where
            )
        return say("{p} ({w})", "{p} ({w})", p=self.policy, w=where)


def config_path(registry: Registry) -> Path:
    """``.nomagic/config.toml``: next to the registry folder."""
    return registry.root.parent / "config.toml"


def _days(value, path: Path, key: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    m = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", str(value))
    if m and int(m.group(1)) > 0:
        return int(m.group(1)) * (7 if m.group(2) == "w" else 1)
    raise InputError(
        say(
            '{path}: {key} = {value!r} is not a period; write days or weeks, e.g. "30d" or "4w"',
            '{path}: {key} = {value!r} ist kein Zeitraum; Tage oder Wochen angeben, z. B. "30d" oder "4w"',
            path=str(path),
            key=key,
            value=value,
        )
    )


def load_policy(path: Path, use_case: str | None = None) -> RetrainPolicy:
    """The ``[retrain]`` table of ``path`` (and ``[retrain.<use case>]`` over it); the default without a file."""
    if not Path(path).exists():
        return RetrainPolicy()
    doc = config.read(Path(path))
    table = doc.get("retrain", {})
    if not isinstance(table, dict):
        raise InputError(
            say("{path}: [retrain] must be a table", "{path}: [retrain] muss eine Tabelle sein", path=str(path))
        )
    cfg = {k: v for k, v in table.items() if not isinstance(v, dict)}
    own = table.get(use_case) if use_case else None
    if isinstance(own, dict):
        cfg.update(own)
    policy = str(cfg.get("policy", "on-alert")).strip().lower()
    if policy not in POLICIES:
        raise InputError(
            say(
                "{path}: retrain.policy = {p!r} is unknown; use one of {known}",
                "{path}: retrain.policy = {p!r} ist unbekannt; eines von {known} verwenden",
                path=str(path),
                p=policy,
                known=", ".join(POLICIES),
            )
        )
    every = cfg.get("every")
    if policy in ("schedule", "both") and every is None:
        raise InputError(
            say(
                '{path}: retrain.policy = {p!r} needs retrain.every (e.g. every = "30d")',
                '{path}: retrain.policy = {p!r} braucht retrain.every (z. B. every = "30d")',
                path=str(path),
                p=policy,
            )
        )
    return RetrainPolicy(policy, None if every is None else _days(every, Path(path), "retrain.every"), Path(path))


def last_training(registry: Registry, use_case: str) -> pd.Timestamp | None:
    """When the use case was last trained or retrained (its newest version, whatever its status), UTC."""
    versions = registry.versions(use_case)
    if not versions:
        return None
    return max(pd.Timestamp(v.meta["created_at"]).tz_convert("UTC") for v in versions)


def unhandled_alerts(wh, use_case: str, since: pd.Timestamp | None, version: str | None = None) -> pd.DataFrame | None:
    """The ``monitor_alerts`` rows of ``use_case`` raised after ``since`` (and not marked ``handled``),
    about ``version`` where given (the champion: an alert on a retired version asks nothing); None when
    the warehouse has no such table yet."""
    if not wh.has(ALERTS_TABLE):
        return None
    t = wh.table(ALERTS_TABLE)
    if "use_case" not in t.columns:
        raise InputError(
            say(
                "warehouse table {t} has no column use_case; it is not nomagic's alert log",
                "die Warehouse-Tabelle {t} hat keine Spalte use_case; sie ist nicht das Warnprotokoll von nomagic",
                t=ALERTS_TABLE,
            )
        )
    df = t.filter(t.use_case == use_case).execute()
    if version is not None and "version" in df.columns:
        df = df[df["version"].isna() | (df["version"] == version)]
    if "handled" in df.columns:
        df = df[~df["handled"].fillna(False).astype(bool)]
    if since is not None and "created_at" in df.columns:
        created = pd.to_datetime(df["created_at"], utc=True, errors="coerce")
        df = df[created.isna() | (created > since)]  # an alert raised before the last retraining was handled by it
    return df.reset_index(drop=True)


def _saw_erased(registry: Registry, use_case: str) -> dict | None:
    """The champion's entry in the erasure flags (:func:`nomagic.privacy.subject.versions_with_erased`), if any."""
    from nomagic.privacy.subject import versions_with_erased

    champ = registry.champion(use_case)
    if champ is None:
        return None
    return next(
        (v for v in versions_with_erased(registry.root) if (v["use_case"], v["version"]) == (use_case, champ.version)),
        None,
    )


def is_due(policy: RetrainPolicy, wh, registry: Registry, use_case: str, now=None) -> tuple[bool, Text]:
    """Whether the policy asks for a retraining now, and why (or why not), in both languages."""
    now = pd.Timestamp(now or datetime.now(UTC))
    now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    if policy.policy == "never":
        return False, say(
            "the retrain policy is never: nothing to do", "die Richtlinie zum Neutrainieren ist never: nichts zu tun"
        )
    last = last_training(registry, use_case)
    reasons, due = [], False
    erased = _saw_erased(registry, use_case)
    if erased is not None:
        due = True
        reasons.append(
            say(
                "the champion {v} learnt from data of {n} person(s) erased since (last on {d}): a retraining lets no "
                "model keep what they asked to be forgotten",
                "der Champion {v} hat aus Daten von {n} seither gelöschten Person(en) gelernt (zuletzt am {d}): ein "
                "Neutraining sorgt dafür, dass kein Modell behält, was vergessen werden sollte",
                v=erased["version"],
                n=erased["erased"],
                d=pd.Timestamp(erased["last_erased_at"]) if erased.get("last_erased_at") else "-",
            )
        )
    if policy.policy in ("schedule", "both"):
        age = None if last is None else (now - last).total_seconds() / 86400
        if age is None or age >= policy.every_days:
            due = True
            reasons.append(
                say(
                    "the schedule asks for a retraining every {d} days, and the last training was {a:.0f} days ago",
                    "der Zeitplan verlangt alle {d} Tage ein Neutraining, das letzte Training war vor {a:.0f} Tagen",
                    d=policy.every_days,
                    a=age or 0.0,
                )
            )
        else:
            reasons.append(
                say(
                    "the schedule is every {d} days; the last training was {a:.0f} days ago",
                    "der Zeitplan ist alle {d} Tage; das letzte Training war vor {a:.0f} Tagen",
                    d=policy.every_days,
                    a=age,
                )
            )
    if policy.policy in ("on-alert", "both"):
        champ = registry.champion(use_case)
        alerts = unhandled_alerts(wh, use_case, last, champ.version if champ else None)
        if alerts is None:
            reasons.append(
                say(
                    "the warehouse has no {t} table yet (`nomagic monitor models` writes it), so no alert can ask for "
                    "a retraining",
                    "das Warehouse hat noch keine Tabelle {t} (`nomagic monitor models` schreibt sie), also kann keine "
                    "Warnung ein Neutraining verlangen",
                    t=ALERTS_TABLE,
                )
            )
        elif len(alerts):
            due = True
            kinds = ", ".join(sorted({str(k) for k in alerts.get("kind", pd.Series(dtype=str)).dropna()})) or "-"
            reasons.append(
                say(
                    "{n} alert(s) on {uc} since the last training ({k})",
                    "{n} Warnung(en) zu {uc} seit dem letzten Training ({k})",
                    n=len(alerts),
                    uc=use_case,
                    k=kinds,
                )
            )
        else:
            reasons.append(
                say(
                    "no alert on {uc} since the last training",
                    "keine Warnung zu {uc} seit dem letzten Training",
                    uc=use_case,
                )
            )
    return due, join(reasons, "; ")
