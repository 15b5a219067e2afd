"""Judging a send-time policy on later sends whose hour was random.

The split is by time: the model learns from the sends before a cutoff (by default the last
``test_share`` = 25 % of the period is held out) and is judged on the sends after it. Because the
hour of each held-out send was drawn at random, the open rate a policy *would* get is estimated from
the held-out sends whose actual hour is the hour the policy would have chosen for that customer
(inverse-propensity weighting with the hour distribution of the held-out sends; self-normalised):

    V(policy) = sum_i w_i y_i / sum_i w_i,   w_i = 1[hour_i within tol of policy(c_i)] / P(hour within tol)

This is unbiased for the policy's open rate when the hour did not depend on the customer (a
randomised send time); with a non-random hour (e.g. everyone always at 10:00) no policy can be
judged and the record says so. ``tolerance_hours=1`` judges "within an hour of the chosen one":
more matched sends, a little blur.

The baseline is what a marketer does without a model: everyone at the hour with the best open rate
in the training sends (the *global best hour*). Intervals: 1,000 bootstrap resamples of whole
customers (paired: the policy and the baseline on the same resampled customers).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nomagic.lifecycle.gate import NOT_READY, gate
from nomagic.lifecycle.record import fingerprint_frame, make_record
from nomagic.usecases.sendtime.data import MachineFilter
from nomagic.usecases.sendtime.model import WEEKDAY_NAMES_DE, SendTimeModel
from nomagic.words import Text, say

Progress = Callable[[float, str], None]

MIN_TRAIN_SENDS = 1000
MIN_MATCHED = 100


@dataclass
class SendTimeEvaluation:
    record: dict
    model: SendTimeModel | None = None
    test: pd.DataFrame = field(default_factory=pd.DataFrame)  # held-out sends with the policies' hours
    train: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def verdict(self) -> str:
        return self.record["verdict"]


def circular_distance(a, b, bins: int = 24) -> np.ndarray:
    d = np.abs(np.asarray(a) - np.asarray(b))
    return np.minimum(d, bins - d)


def hour_shares(hours: np.ndarray) -> np.ndarray:
    """Share of sends at each hour (0-23)."""
    counts = np.bincount(np.asarray(hours, int), minlength=24).astype(float)
    return counts / max(counts.sum(), 1.0)


def match_weights(actual: np.ndarray, chosen: np.ndarray, shares: np.ndarray, tol: int = 0) -> np.ndarray:
    """IPS weight of each held-out send for a policy that would have sent at ``chosen``."""
    win = circular_distance(np.arange(24)[:, None], np.arange(24)[None, :]) <= tol  # [chosen, actual]
    p_window = win.astype(float) @ shares  # P(actual hour within tol of chosen)
    hit = circular_distance(actual, chosen) <= tol
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(hit & (p_window[chosen] > 0), 1.0 / p_window[chosen], 0.0)


def policy_value(y: np.ndarray, w: np.ndarray) -> float:
    s = w.sum()
    return float((w * y).sum() / s) if s > 0 else float("nan")


def bootstrap_policies(
    customers: np.ndarray,
    y: dict[str, np.ndarray],
    weights: dict[str, np.ndarray],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict:
    """Self-normalised IPS values and paired customer-bootstrap intervals.

    ``y`` maps a metric name to outcomes; ``weights`` maps a policy name (``model``, ``baseline``,
    others) to IPS weights. Returns ``{policy: {metric: {value, ci}}, "improvement": {...}}`` where the
    improvement is ``model - baseline``.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _bootstrap_policies(customers, y, weights, n_boot, seed, level)


def _bootstrap_policies(customers, y, weights, n_boot, seed, level) -> dict:
    _, codes = np.unique(customers, return_inverse=True)
    nc = int(codes.max()) + 1 if codes.size else 0
    rng = np.random.default_rng(seed)
    W = rng.multinomial(nc, np.full(nc, 1.0 / nc), size=n_boot).astype(float) if nc else np.zeros((n_boot, 0))
    alpha = (1 - level) / 2
    draws: dict[str, dict[str, np.ndarray]] = {}
    point: dict[str, dict[str, float]] = {}
    for pol, w in weights.items():
        den = np.bincount(codes, weights=w, minlength=nc)
        draws[pol], point[pol] = {}, {}
        for m, yy in y.items():
            num = np.bincount(codes, weights=w * yy, minlength=nc)
            with np.errstate(divide="ignore", invalid="ignore"):
                draws[pol][m] = (W @ num) / (W @ den)
            point[pol][m] = policy_value(yy, w)

    def summary(v, s):
        s = s[np.isfinite(s)]
        if not np.isfinite(v) or s.size == 0:
            return {"value": None if not np.isfinite(v) else round(float(v), 6), "ci": [None, None]}
        lo, hi = np.quantile(s, [alpha, 1 - alpha])
        return {"value": round(float(v), 6), "ci": [round(float(lo), 6), round(float(hi), 6)]}

    out = {pol: {m: summary(point[pol][m], draws[pol][m]) for m in y} for pol in weights}
    if "model" in weights and "baseline" in weights:
        out["improvement"] = {
            m: summary(point["model"][m] - point["baseline"][m], draws["model"][m] - draws["baseline"][m]) for m in y
        }
    return out


def split_by_time(log: pd.DataFrame, test_share: float = 0.25, cutoff=None) -> pd.Timestamp:
    """The cutoff: given, or the day at which the last ``test_share`` of the period begins."""
    if cutoff is not None:
        return pd.Timestamp(cutoff)
    start, end = log["sent_at"].min(), log["sent_at"].max()
    return (start + (end - start) * (1 - test_share)).ceil("D")


QUESTION = say(
    "At what hour should each customer get our e-mails?",
    "Zu welcher Stunde soll jeder Kunde unsere E-Mails bekommen?",
)


def not_ready_record(reason, data: dict, warnings: list | None = None) -> dict:
    """``reason``: a Text (or a plain English string)."""
    return make_record(
        use_case="sendtime",
        data=data,
        split={"kind": "none"},
        primary_metric="open_rate",
        metrics={},
        verdict=NOT_READY,
        explanation=say("Not ready: {r}", "Nicht bereit: {r}", r=reason),
        warnings=warnings or None,
    )


def evaluate_log(
    log: pd.DataFrame,
    *,
    test_share: float = 0.25,
    cutoff=None,
    tolerance_hours: int = 0,
    machine: MachineFilter | None = None,
    model: SendTimeModel | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    source: str = "send log",
    fingerprint: str | None = None,
    progress: Progress | None = None,
) -> SendTimeEvaluation:
    """Time-split evaluation of the send-time model against the global best hour (see the module docstring).

    ``log`` is a canonical send log (:func:`~nomagic.usecases.sendtime.data.send_log` or
    :func:`~nomagic.usecases.sendtime.data.warehouse_log`).
    """
    t0 = _time.perf_counter()
    tick = progress or (lambda f, m: None)
    machine = machine or MachineFilter()
    model = model or SendTimeModel()
    log = log.sort_values("sent_at", kind="mergesort").reset_index(drop=True)
    warnings: list[Text] = []
    data = {
        "source": source,
        "fingerprint": fingerprint
        or fingerprint_frame(log[["customer_id", "sent_at", "opened", "clicked"]].astype({"sent_at": "int64"})),
        "rows": int(len(log)),
        "customers": int(log["customer_id"].nunique()),
        "start": str(log["sent_at"].min()),
        "end": str(log["sent_at"].max()),
    }
    if not log.attrs.get("open_times", True):
        warnings.append(
            say(
                "opens are yes/no flags, not times: machine opens (privacy proxies, scanners) cannot be filtered by "
                "their delay; give the open time to filter them",
                "Öffnungen sind Ja/Nein-Kennzeichen, keine Zeitpunkte: Maschinen-Öffnungen (Privacy-Proxys, Scanner) "
                "lassen sich nicht an ihrer Verzögerung erkennen; für diesen Filter den Öffnungszeitpunkt angeben",
            )
        )
    tick(0.05, say("filtering machine opens", "Maschinen-Öffnungen herausfiltern"))
    cut = split_by_time(log, test_share, cutoff)
    train_raw = log[log["sent_at"] < cut]
    test_raw = log[log["sent_at"] >= cut]
    # machine openers: judged on the training sends for the model; the outcome of the held-out sends is
    # a person's open, so machine opens are removed there for both policies alike (judged on all sends)
    train = machine.engagement(train_raw, machine.machine_customers(train_raw))
    test = machine.engagement(test_raw, machine.machine_customers(log))
    data.update(
        machine_opens=int(machine.engagement(log)["machine_open"].sum()),
        machine_customers=int(len(machine.machine_customers(log))),
    )
    split = {
        "kind": "time-split",
        "time_column": "sent_at",
        "cutoff": str(cut),
        "test_share": test_share,
        "train_rows": int(len(train)),
        "test_rows": int(len(test)),
        "tolerance_hours": int(tolerance_hours),
        "seed": seed,
    }
    if len(train) < MIN_TRAIN_SENDS:
        return SendTimeEvaluation(
            not_ready_record(
                say(
                    "only {n:,} sends before the cutoff {cut}; send-time needs at least {k:,} to learn from",
                    "nur {n:,} Sendungen vor dem Stichtag {cut}; die Versandzeit-Optimierung braucht mindestens {k:,} "
                    "zum Lernen",
                    n=len(train),
                    cut=cut,
                    k=MIN_TRAIN_SENDS,
                ),
                data,
                warnings,
            )
        )
    shares = hour_shares(test["sent_at"].dt.hour.to_numpy())
    used = shares[shares > 0]
    if used.size < 2:
        return SendTimeEvaluation(
            not_ready_record(
                say(
                    "every held-out send went out at the same hour, so the open rate at any other hour cannot be "
                    "estimated; send at random hours for a while (an experiment) to learn send times",
                    "alle zurückgehaltenen Sendungen gingen zur selben Stunde hinaus, die Öffnungsrate zu jeder anderen "
                    "Stunde lässt sich also nicht schätzen; eine Zeit lang zu zufälligen Stunden senden (ein "
                    "Experiment), um Versandzeiten zu lernen",
                ),
                data,
                warnings,
            )
        )
    if used.max() / used.min() > 3:
        warnings.append(
            say(
                "the send hours of the held-out sends are far from evenly spread (the most used hour has {x:.1f}x "
                "the sends of the least used); the estimate assumes the hour did not depend on the customer",
                "Die Versandstunden der zurückgehaltenen Sendungen sind alles andere als gleich verteilt (die "
                "häufigste Stunde hat das {x:.1f}-Fache der Sendungen der seltensten); die Schätzung setzt voraus, "
                "dass die Stunde nicht vom Kunden abhing",
                x=used.max() / used.min(),
            )
        )
    tick(0.2, say("learning each customer's hours", "die Stunden jedes Kunden lernen"))
    model.fit(train)
    tick(0.5, say("judging on the later sends", "an den späteren Sendungen beurteilen"))
    cust = test["customer_id"].to_numpy(str)
    seg = test["segment"].to_numpy(str) if "segment" in test else None
    actual = test["sent_at"].dt.hour.to_numpy()
    chosen = model.best_hour(cust, seg)
    base = np.full(len(test), model.global_best_hour_)
    w_model = match_weights(actual, chosen, shares, tolerance_hours)
    w_base = match_weights(actual, base, shares, tolerance_hours)
    y = {"open_rate": test["opened_human"].to_numpy(float)}
    has_clicks = bool(test["clicked"].any())
    if has_clicks:
        y["click_rate"] = test["clicked"].to_numpy(float)
    matched = {"model": int((w_model > 0).sum()), "baseline": int((w_base > 0).sum())}
    split["matched_sends"] = matched
    if min(matched.values()) < MIN_MATCHED:
        return SendTimeEvaluation(
            not_ready_record(
                say(
                    "only {n:,} held-out sends went out at the hour a policy would have chosen; at least {k} are "
                    "needed for an estimate (more sends, a longer period, or --tolerance 1)",
                    "nur {n:,} zurückgehaltene Sendungen gingen zu der Stunde hinaus, die eine Strategie gewählt "
                    "hätte; für eine Schätzung sind mindestens {k} nötig (mehr Sendungen, ein längerer Zeitraum oder "
                    "--tolerance 1)",
                    n=min(matched.values()),
                    k=MIN_MATCHED,
                ),
                data,
                warnings,
            ),
            model=model,
        )
    tick(0.6, say("bootstrap intervals", "Bootstrap-Intervalle"))
    metrics = bootstrap_policies(cust, y, {"model": w_model, "baseline": w_base}, n_boot=n_boot, seed=seed)
    within = (
        ""
        if tolerance_hours == 0
        else say(" (within {h} hour(s))", " (auf {h} Stunde(n) genau)", h=int(tolerance_hours))
    )
    compared_on = say(
        "{n:,} sends after {cut} to {c:,} customers, using the {m:,} / {b:,} sends whose random hour matched each "
        "policy's{within}",
        "{n:,} Sendungen nach dem {cut} an {c:,} Kunden, davon die {m:,} / {b:,} Sendungen, deren zufällige Stunde "
        "zur jeweiligen Strategie passte{within}",
        n=len(test),
        cut=cut,
        c=test["customer_id"].nunique(),
        m=matched["model"],
        b=matched["baseline"],
        within=within,
    )
    hour = model.global_best_hour_
    g = gate(
        metrics,
        "open_rate",
        model_words=say("sending at each customer's own best hour", "der Versand zur besten Stunde jedes Kunden"),
        baseline_words=say(
            "sending everyone at the global best hour ({h:02d}:00)",
            "der Versand an alle zur global besten Stunde ({h:02d}:00 Uhr)",
            h=hour,
        ),
        compared_on=compared_on,
    )
    tick(0.9, say("writing the record", "das Protokoll schreiben"))
    hours_chosen = pd.Series(model.best_hour(model.customers_)).value_counts().sort_index()
    test = test.assign(model_hour=chosen, baseline_hour=base, w_model=w_model, w_baseline=w_base)
    if not model.weekday_learnable_:
        days = model.params()["weekdays_tried"]
        day = Text(days[0], WEEKDAY_NAMES_DE.get(days[0], days[0])) if days else None
        warnings.append(
            say(
                "every send before the cutoff went out on a {day}: the best weekday cannot be learnt from this data",
                "Alle Sendungen vor dem Stichtag gingen an einem {day} hinaus: Der beste Wochentag lässt sich aus "
                "diesen Daten nicht lernen",
                day=day or Text("single day", "einzigen Tag"),
            )
        )
    record = make_record(
        use_case="sendtime",
        data=data,
        split=split,
        primary_metric="open_rate",
        metrics=metrics,
        verdict=g.verdict,
        explanation=g.explanation,
        params=model.params(),
        question=QUESTION,
        model={
            "description": [
                say(
                    "hierarchical favourite-hour model (customer -> segment -> global): each customer's favourite hour "
                    "has a posterior from their own opens, with the segment's favourite-hour distribution as prior "
                    "(open-rate bump x{amp:.2f} within {width} h, chosen by marginal likelihood); opens within "
                    "{secs:.0f} s of the send and customers whose opens are mostly that fast are not counted",
                    "hierarchisches Lieblingsstunden-Modell (Kunde -> Segment -> global): Die Lieblingsstunde jedes "
                    "Kunden hat eine A-posteriori-Verteilung aus seinen eigenen Öffnungen, mit der "
                    "Lieblingsstunden-Verteilung des Segments als Prior (Öffnungsraten-Anstieg x{amp:.2f} innerhalb "
                    "von {width} h, gewählt nach marginaler Likelihood); Öffnungen binnen {secs:.0f} s nach dem Versand "
                    "und Kunden, deren Öffnungen meist so schnell sind, zählen nicht",
                    amp=1 + model.amplitude_,
                    width=model.width_,
                    secs=machine.machine_seconds,
                )
            ],
            "kind": "beta-binomial",
            "hours_chosen": {int(h): int(n) for h, n in hours_chosen.items()},
        },
        baseline={
            "description": [
                say(
                    "everyone at the global best hour of the training sends ({h:02d}:00)",
                    "alle zur global besten Stunde der Trainingssendungen ({h:02d}:00 Uhr)",
                    h=hour,
                )
            ]
        },
        scorer="model" if g.promoted else "baseline",
        warnings=warnings,
        seconds=round(_time.perf_counter() - t0, 2),
    )
    tick(1.0, say("done", "fertig"))
    return SendTimeEvaluation(record=record, model=model, test=test, train=train)
