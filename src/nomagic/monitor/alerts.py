"""Alerts that mean something: drift is evidence, a page needs a risk to the model's usefulness.

**What changed vs. what pages someone** (:func:`assess`). Drift (input, prediction, prior shift)
says *what* changed; on real tables inputs trend all the time (a cohort ages, counts grow) and
move the scores without hurting the ranking, so drift alone is shown as information, never paged.
A chunk pages only on evidence that the model's usefulness or calibration is at risk:

* the label-free positive rate moved beyond its noise *and* can be trusted: the scores look like a
  mixture of the reference's positives and negatives (a pure prior shift, the assumption of the
  estimate), or the reported rate comes from an estimator validated on the labelled history;
* the label-free ROC-AUC dropped below the reference's own beyond its noise;
* input drift in the columns the model leans on, while the label-free estimates cannot be trusted
  because the scores left the reference's range (nothing then says how well the model ranks);
* once labels arrive: the realized rate moved, the realized ROC-AUC dropped, the baseline ranks
  surely better (:func:`label_alerts`).

**The rule** (:class:`Sequential`). A chunk whose statistic exceeds its noise level (the
reference's own bootstrap noise, :mod:`nomagic.monitor.drift`) is not yet an alert: one chunk in
a hundred does so by chance. An alert needs the same statistic above its noise in 2 of the last 3
chunks, or far above it (*severe*) once. On a stationary stream that fires on well under 1 % of
chunks per statistic; a real change that persists is caught on the chunk where it starts (severe)
or the next one (sustained).

**Label checks**, once a chunk's labels arrive (``label_delay`` chunks late): is the champion's
realized ROC-AUC surely below what it showed on its reference (DeLong, 99 %)? Does its naive
baseline now rank surely better than it (*the gate again*)?

Every alert carries a severity, the evidence, what it likely means and what to do, in English and
German.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from nomagic.lifecycle.metrics import delong
from nomagic.monitor.drift import STATS
from nomagic.monitor.estimate import OUTSIDE_SCORES
from nomagic.words import Text, join, say

#: a sustained alert: the statistic above its noise in at least HITS of the last WINDOW chunks
HITS, WINDOW = 2, 3
#: label checks: one-sided z at 99.5 % (labels arrive for every chunk: keep their false alarms rare)
Z_LABELS = 2.576
#: the realized positive rate against the reference's: two-sided at 99.5 %
Z_RATE = 2.807

WARNING, CRITICAL, INFO = "warning", "critical", "info"
#: the statistics the sequential rule follows: the drift ones, and the drop of the label-free ROC-AUC
WATCHED = STATS + ("auc",)


class Sequential:
    """Per statistic, the recent chunks' exceedances; :meth:`update` says which statistics exceed now
    in the sequential sense (whether that pages anyone is :func:`assess`'s call)."""

    def __init__(self, hits: int = HITS, window: int = WINDOW, names: tuple = WATCHED):
        self.hits, self.window, self.names = hits, window, names
        self.reset()

    def reset(self) -> None:
        """Forget the past (a new champion or a new reference: its noise is another)."""
        self.seen = {s: deque(maxlen=self.window) for s in self.names}

    def update(self, stats: dict) -> dict[str, str]:
        """``{stat: "severe" | "sustained"}`` for the statistics above their noise on this chunk (a
        statistic missing from ``stats`` is skipped; a value None, e.g. a withheld ROC-AUC, counts
        as no exceedance and never alerts)."""
        out = {}
        for s in self.names:
            v = stats.get(s)
            if v is None:
                continue
            if v["value"] is None or v["noise"] is None:  # nothing measured, or no noise to measure it against
                self.seen[s].append(False)
                continue
            self.seen[s].append(v["value"] > v["noise"])
            if v["value"] > v["severe"]:
                out[s] = "severe"
            elif sum(self.seen[s]) >= self.hits:
                out[s] = "sustained"
        return out


def _how(state: str, stat: dict) -> Text:
    if state == "severe":
        return say(
            "{v:.3f}, more than twice the reference's noise level ({s:.3f} is severe)",
            "{v:.3f}, mehr als das Doppelte des Rauschens der Referenz (ab {s:.3f} schwer)",
            v=stat["value"],
            s=stat["severe"],
        )
    return say(
        "{v:.3f}, above the reference's noise level {n:.3f} in {h} of the last {w} chunks",
        "{v:.3f}, über dem Rauschen der Referenz {n:.3f} in {h} der letzten {w} Blöcke",
        v=stat["value"],
        n=stat["noise"],
        h=HITS,
        w=WINDOW,
    )


def _moved(features: list[dict], important: bool) -> list[dict]:
    """Columns that moved beyond their noise: those whose move moved the scores, or those the model ignores."""
    if important:
        return sorted((f for f in features if f["shift"] > f["shift_noise"]), key=lambda f: -f["shift"])
    return sorted(
        (f for f in features if f["psi"] > f["psi_noise"] and f["shift"] <= f["shift_noise"]), key=lambda f: -f["psi"]
    )


def _feature_list(features: list[dict]) -> Text:
    return join(
        [
            say(
                "'{c}' (its contribution moved by {s:.3f} log-odds, noise {n:.3f}; PSI {p:.2f}; importance {w:.0%})",
                "'{c}' (sein Beitrag verschob sich um {s:.3f} Log-Odds, Rauschen {n:.3f}; PSI {p:.2f}; Gewicht {w:.0%})",
                c=f["column"],
                s=f["shift"],
                n=f["shift_noise"],
                p=f["psi"],
                w=f["importance"],
            )
            for f in features[:3]
        ],
        "; ",
    )


def drift_alerts(states: dict[str, str], stats: dict, rate: dict, reference_rate: float) -> list[dict]:
    """The alerts of one chunk's drift statistics (``states`` from :meth:`Sequential.update`)."""
    out = []
    if "input" in states:
        top = _moved(stats["features"], important=True)
        ignored = _moved(stats["features"], important=False)
        evidence = say(
            "input drift in the model's own units (how far the columns' contributions to the log-odds moved) "
            "{how}; moved most: {top}",
            "Eingangsdrift in den Einheiten des Modells (wie weit sich die Beiträge der Spalten zu den Log-Odds "
            "verschoben) {how}; am stärksten verschoben: {top}",
            how=_how(states["input"], stats["input"]),
            top=_feature_list(top) if top else say("no single column", "keine einzelne Spalte"),
        )
        if ignored:
            evidence += say(
                ". Also moved, but the model hardly uses them: {cols}",
                ". Ebenfalls verschoben, vom Modell aber kaum genutzt: {cols}",
                cols=", ".join(f"'{f['column']}'" for f in ignored[:3]),
            )
        out.append(
            {
                "kind": "input drift",
                "severity": CRITICAL if states["input"] == "severe" else WARNING,
                "evidence": evidence,
                "meaning": say(
                    "the customers scored now differ from the reference in the columns the model relies on; its "
                    "scores may rank and price them wrongly",
                    "die jetzt bewerteten Kunden unterscheiden sich von der Referenz in den Spalten, auf die das "
                    "Modell baut; seine Werte können sie falsch reihen und bewerten",
                ),
                "what_to_do": say(
                    "check the moved columns for a data error (a changed source, unit or code); if the change is "
                    "real, retrain on recent rows and compare champion and challenger on the latest labels",
                    "die verschobenen Spalten auf einen Datenfehler prüfen (geänderte Quelle, Einheit oder Kodierung); "
                    "ist die Änderung echt, auf jüngeren Zeilen neu trainieren und Champion und Herausforderer auf den "
                    "neuesten Labels vergleichen",
                ),
            }
        )
    if "prediction" in states:
        out.append(
            {
                "kind": "prediction drift",
                "severity": CRITICAL if states["prediction"] == "severe" else WARNING,
                "evidence": say(
                    "the scores' distribution moved: PSI {how}",
                    "die Verteilung der Werte hat sich verschoben: PSI {how}",
                    how=_how(states["prediction"], stats["prediction"]),
                ),
                "meaning": say(
                    "the model scores this chunk unlike the reference: more or fewer customers land in the top "
                    "groups, so campaigns sized on the old scores reach a different number of people",
                    "das Modell bewertet diesen Block anders als die Referenz: mehr oder weniger Kunden landen in den "
                    "obersten Gruppen, Kampagnen nach den alten Werten erreichen also eine andere Zahl von Menschen",
                ),
                "what_to_do": say(
                    "size campaigns by rank (top 10 %), not by a fixed score cut-off, until the labels show whether "
                    "the ranking still holds",
                    "Kampagnen nach Rang (oberste 10 %) statt nach einer festen Wertgrenze bemessen, bis die Labels "
                    "zeigen, ob die Reihenfolge noch hält",
                ),
            }
        )
    if "prior" in states:
        value = rate.get("acc_raw")
        if value is None:
            value = rate["em"]["value"]
        up = value > reference_rate
        out.append(
            {
                "kind": "prior shift",
                "severity": CRITICAL if states["prior"] == "severe" else WARNING,
                "evidence": say(
                    "the positive rate read off the scores is {r:.1%} against {b:.1%} on the reference (shift {how})",
                    "die aus den Werten gelesene Positivquote beträgt {r:.1%} gegenüber {b:.1%} in der Referenz "
                    "(Verschiebung {how})",
                    r=float(np.clip(value, 0, 1)),
                    b=reference_rate,
                    how=_how(states["prior"], stats["prior"]),
                ),
                "meaning": say(
                    "probably {more} customers have the outcome than when the model learned: its probabilities are "
                    "{how}, and forecasts and budgets built on them are off",
                    "vermutlich haben {more} Kunden das Ergebnis als beim Lernen des Modells: seine "
                    "Wahrscheinlichkeiten sind {how}, Prognosen und Budgets darauf liegen daneben",
                    more=say("more", "mehr") if up else say("fewer", "weniger"),
                    how=say("too low", "zu niedrig") if up else say("too high", "zu hoch"),
                ),
                "what_to_do": say(
                    "plan with the estimated rate (probabilities moved to it), confirm it as labels arrive, and "
                    "retrain if the ranking decays too",
                    "mit der geschätzten Quote planen (Wahrscheinlichkeiten darauf verschoben), sie mit eintreffenden "
                    "Labels bestätigen und neu trainieren, wenn auch die Reihenfolge nachlässt",
                ),
            }
        )
    return out


KINDS = {
    "input drift": "Eingangsdrift",
    "prediction drift": "Drift der Vorhersagen",
    "prior shift": "Verschiebung der Quote",
    "estimated decay": "geschätzter Leistungsverlust",
    "rate moved": "Quote verschoben",
    "performance decay": "Leistungsverlust",
    "gate lost": "Schranke verloren",
    "early outcomes": "frühe Ergebnisse",
    "early outcomes by segment": "frühe Ergebnisse nach Segment",
}
#: an alert's severity (an English code in records) in German
SEVERITIES = {WARNING: "Warnung", CRITICAL: "kritisch", INFO: "Information"}


def kind_words(kind: str) -> Text:
    """An alert's kind (an English code in records) in both languages."""
    return Text(kind, KINDS.get(kind, kind))


def severity_words(severity: str) -> Text:
    """An alert's severity in both languages."""
    return Text(severity, SEVERITIES.get(severity, severity))


def confirmable(
    reference_rate: float, reference_auc_se: float, reference_rows: int, chunk_rows: int, between: float = 0.0
) -> dict:
    """How far the rate and the ROC-AUC of a chunk must move from the reference's before its labels could
    confirm the move (the label checks' own thresholds: :func:`label_alerts`). A label-free estimate
    that moved less than that pages nobody: the labels could not tell it from sampling noise either.
    ``between``: the variance of a period's rate beyond the binomial (:func:`between_variance`)."""
    r = min(max(reference_rate, 1e-6), 1 - 1e-6)
    return {
        "rate": float(Z_RATE * np.sqrt(r * (1 - r) * (1 / chunk_rows + 1 / reference_rows) + 2 * between)),
        # a chunk's ROC-AUC standard error scales as one over the root of its rows
        "auc": float(Z_LABELS * reference_auc_se * np.sqrt(1 + reference_rows / chunk_rows)),
    }


def assess(
    states: dict[str, str],
    stats: dict,
    rate: dict,
    reference_rate: float,
    rate_method: str,
    outside: float,
    *,
    refuted: bool = False,
    needed: dict | None = None,
) -> tuple[list[dict], list[dict], Text]:
    """Which of one chunk's label-free findings page someone, which are shown as information, and why.

    ``states`` from :meth:`Sequential.update`; ``stats`` from :meth:`~nomagic.monitor.drift.DriftReference.stats`
    (with ``auc`` and ``fit``); ``rate`` from :func:`~nomagic.monitor.estimate.rate_estimates`;
    ``rate_method`` the reported rate's method; ``outside`` the share of scores outside the reference's
    range; ``refuted``: the labelled history showed the rate read off the scores worse than the naive
    rate (:func:`~nomagic.monitor.estimate.refuted`); ``needed``: :func:`confirmable`'s moves (None:
    any move beyond the noise). Returns ``(pages, info, why)``: info entries have severity ``info``
    and a ``why_not_paged``.
    """
    drift = {a["kind"]: a for a in drift_alerts(states, stats, rate, reference_rate)}
    pages, info, why = [], [], []
    needed = needed or {"rate": 0.0, "auc": 0.0}
    fit = stats["fit"]
    fits = fit["value"] is not None and fit["noise"] is not None and fit["value"] <= fit["noise"]
    validated = rate_method in ("acc", "em")
    untrusted = outside > OUTSIDE_SCORES
    prior = drift.pop("prior shift", None)
    if prior is not None:
        read = rate.get("acc_raw")
        read = float(np.clip(rate["em"]["value"] if read is None else read, 0, 1))
        if abs(read - reference_rate) <= needed["rate"]:
            prior["why_not_paged"] = say(
                "the rate read off the scores ({r:.1%}) lies within {n:.1%} of the reference's ({b:.1%}): a move the "
                "chunk's labels could not tell from sampling noise",
                "die aus den Werten gelesene Quote ({r:.1%}) liegt weniger als {n:.1%} von der Referenz ({b:.1%}) "
                "entfernt: eine Bewegung, die die Labels des Blocks nicht vom Stichprobenrauschen unterscheiden könnten",
                r=read,
                n=needed["rate"],
                b=reference_rate,
            )
            info.append(prior)
        elif refuted and not validated:
            prior["why_not_paged"] = say(
                "on the labelled chunks so far the rate read off the scores missed the realized rate by more than "
                "the last labelled chunk's rate did: it is not believed",
                "auf den bisher beschrifteten Blöcken lag die aus den Werten gelesene Quote weiter neben der "
                "tatsächlichen als die Quote des letzten beschrifteten Blocks: ihr wird nicht geglaubt",
            )
            info.append(prior)
        elif fits or validated:
            prior["evidence"] += (
                say(
                    "; the scores look like a mixture of the reference's positives and negatives (misfit {f:.3f}, "
                    "noise {n:.3f}): only the rate moved, so the rate read off them can be trusted",
                    "; die Werte gleichen einer Mischung aus den Positiven und Negativen der Referenz (Abweichung "
                    "{f:.3f}, Rauschen {n:.3f}): nur die Quote hat sich bewegt, die daraus gelesene Quote ist "
                    "belastbar",
                    f=fit["value"],
                    n=fit["noise"],
                )
                if fits
                else say(
                    "; the reported rate's estimator beat the last labelled chunk's rate on the labelled history",
                    "; der Schätzer der berichteten Quote war auf der beschrifteten Historie besser als die Quote "
                    "des letzten beschrifteten Blocks",
                )
            )
            pages.append(prior)
        elif fit["value"] is None or fit["noise"] is None:
            prior["why_not_paged"] = say(
                "no mixture of the reference's positives and negatives explains the scores, so the rate read off them "
                "is not trusted; the labels will tell",
                "keine Mischung aus Positiven und Negativen der Referenz erklärt die Werte, die daraus gelesene Quote "
                "ist also nicht belastbar; die Labels werden es zeigen",
            )
            info.append(prior)
        else:
            prior["why_not_paged"] = say(
                "the scores moved unlike a pure change in the rate (they lie {f:.3f} from any mixture of the "
                "reference's positives and negatives, noise {n:.3f}): the rate read off them is not trusted and no "
                "validated estimator says the rate moved; the labels will tell",
                "die Werte haben sich anders verschoben als bei einer reinen Änderung der Quote (Abstand {f:.3f} zu "
                "jeder Mischung aus Positiven und Negativen der Referenz, Rauschen {n:.3f}): die daraus gelesene Quote "
                "ist nicht belastbar, und kein validierter Schätzer sagt, dass sich die Quote bewegt hat; die Labels "
                "werden es zeigen",
                f=fit["value"],
                n=fit["noise"],
            )
            info.append(prior)
    if "auc" in states:
        a = stats["auc"]
        (pages if a["value"] > needed["auc"] else info).append(
            {
                "kind": "estimated decay",
                "severity": CRITICAL if states["auc"] == "severe" else WARNING,
                "evidence": say(
                    "the label-free ROC-AUC is {e:.3f} against {r:.3f} on the reference: a drop of {how}",
                    "die ROC-AUC ohne Labels beträgt {e:.3f} gegenüber {r:.3f} in der Referenz: ein Rückgang um {how}",
                    e=a["level"] - a["value"],
                    r=a["level"],
                    how=_how(states["auc"], a),
                ),
                "meaning": say(
                    "the customers scored now are harder to tell apart for the model: the ones it puts first are "
                    "likely to act less often than when it was chosen",
                    "die jetzt bewerteten Kunden kann das Modell schlechter unterscheiden: die Kunden, die es nach "
                    "vorn stellt, handeln vermutlich seltener als bei seiner Auswahl",
                ),
                "what_to_do": say(
                    "retrain on the latest labelled rows and confirm with the labels as they arrive",
                    "auf den neuesten beschrifteten Zeilen neu trainieren und mit eintreffenden Labels bestätigen",
                ),
            }
        )
        if info and info[-1]["kind"] == "estimated decay":
            info[-1]["why_not_paged"] = say(
                "a drop below {n:.3f}, which the chunk's labels could not tell from sampling noise",
                "ein Rückgang unter {n:.3f}, den die Labels des Blocks nicht vom Stichprobenrauschen unterscheiden "
                "könnten",
                n=needed["auc"],
            )
    inputs = drift.pop("input drift", None)
    if inputs is not None:
        if untrusted:
            inputs["evidence"] += say(
                "; {s:.0%} of the scores lie outside the reference's range, so no label-free estimate says how well "
                "the model ranks these customers",
                "; {s:.0%} der Werte liegen außerhalb des Bereichs der Referenz, keine Schätzung ohne Labels sagt "
                "also, wie gut das Modell diese Kunden reiht",
                s=outside,
            )
            pages.append(inputs)
        else:
            inputs["why_not_paged"] = say(
                "the columns moved, but the scores stay inside the reference's range and the label-free ROC-AUC "
                "{auc}: the move is shown, not paged",
                "die Spalten haben sich verschoben, aber die Werte bleiben im Bereich der Referenz und die ROC-AUC "
                "ohne Labels {auc}: die Verschiebung wird gezeigt, nicht gemeldet",
                auc=say("dropped too (paged)", "ist ebenfalls gesunken (gemeldet)")
                if any(a["kind"] == "estimated decay" for a in pages)
                else say("stays within its noise", "bleibt im Rauschen"),
            )
            info.append(inputs)
    pred = drift.pop("prediction drift", None)
    if pred is not None:
        pred["why_not_paged"] = say(
            "the scores' distribution moved, which alone does not say the model got worse: the pages come from the "
            "rate, the ROC-AUC and the labels",
            "die Verteilung der Werte hat sich verschoben, was allein nicht heißt, dass das Modell schlechter wurde: "
            "gemeldet wird nach Quote, ROC-AUC und Labels",
        )
        info.append(pred)
    for a in info:
        a["severity"] = INFO
        why.append(say("{k}: {w}", "{k}: {w}", k=kind_words(a["kind"]), w=a["why_not_paged"]))
    return pages, info, join(why, "; ")


def between_variance(rates, rows) -> float:
    """The variance of a period's positive rate beyond binomial noise, from the rates of past periods
    (``rows`` each): campaigns, seasons and other shocks common to a period move every customer's
    outcome at once, which the binomial variance of one period does not hold. 0 with fewer than 3."""
    rates, rows = np.asarray(rates, dtype=float), np.asarray(rows, dtype=float)
    if len(rates) < 3:
        return 0.0
    binomial = float(np.mean(rates * (1 - rates) / np.maximum(rows, 1)))
    return max(0.0, float(np.var(rates, ddof=1)) - binomial)


def label_alerts(
    y, p_champion, p_baseline, reference_auc: tuple[float, float], reference_y, chunk: int, between: float = 0.0
) -> list[dict]:
    """Checks on a chunk whose labels just arrived: its positive rate against the reference's, realized
    decay and the gate against the baseline.

    ``reference_auc`` is the champion's (ROC-AUC, standard error) on its reference rows, whose
    outcomes are ``reference_y``; ``between`` the variance of a period's rate beyond the binomial."""
    y = np.asarray(y).astype(int)
    out = _rate_moved(y, np.asarray(reference_y).astype(int), chunk, between)
    if min(y.sum(), (1 - y).sum()) < 2:
        return out
    (auc, auc_b), cov = delong(y, np.vstack([p_champion, p_baseline]))
    ref, ref_se = reference_auc
    se = float(np.sqrt(cov[0, 0] + ref_se**2))
    if se > 0 and (ref - auc) / se > Z_LABELS:
        out.append(
            {
                "kind": "performance decay",
                "severity": WARNING,
                "evidence": say(
                    "chunk {j}'s labels arrived: the champion's ROC-AUC there is {a:.3f} against {r:.3f} on its "
                    "reference, surely lower (z = {z:.1f})",
                    "die Labels von Block {j} sind da: die ROC-AUC des Champions dort beträgt {a:.3f} gegenüber "
                    "{r:.3f} in seiner Referenz, sicher niedriger (z = {z:.1f})",
                    j=chunk,
                    a=auc,
                    r=ref,
                    z=(ref - auc) / se,
                ),
                "meaning": say(
                    "the model ranks customers worse than when it was chosen: the customers it puts first are less "
                    "often the ones who act",
                    "das Modell reiht Kunden schlechter als bei seiner Auswahl: die Kunden, die es nach vorn stellt, "
                    "handeln seltener",
                ),
                "what_to_do": say(
                    "retrain on the latest labelled rows and let the challenger prove itself on the same window",
                    "auf den neuesten beschrifteten Zeilen neu trainieren und den Herausforderer auf demselben Fenster "
                    "beweisen lassen",
                ),
            }
        )
    d_se = float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))
    if d_se > 0 and (auc_b - auc) / d_se > Z_LABELS:
        out.append(
            {
                "kind": "gate lost",
                "severity": CRITICAL,
                "evidence": say(
                    "chunk {j}'s labels arrived: the naive baseline ranks it with ROC-AUC {b:.3f}, surely better than "
                    "the champion's {a:.3f} (paired DeLong, z = {z:.1f})",
                    "die Labels von Block {j} sind da: die naive Baseline reiht ihn mit ROC-AUC {b:.3f}, sicher besser "
                    "als der Champion mit {a:.3f} (gepaartes DeLong, z = {z:.1f})",
                    j=chunk,
                    a=auc,
                    b=auc_b,
                    z=(auc_b - auc) / d_se,
                ),
                "meaning": say(
                    "the model no longer passes the no-magic gate: a simple rule would serve customers better",
                    "das Modell besteht die No-Magic-Schranke nicht mehr: eine einfache Regel diente den Kunden besser",
                ),
                "what_to_do": say(
                    "retrain; fall back to the baseline when no challenger beats it",
                    "neu trainieren; auf die Baseline zurückfallen, wenn kein Herausforderer sie schlägt",
                ),
            }
        )
    return out


def _rate_moved(y: np.ndarray, ref: np.ndarray, chunk: int, between: float = 0.0) -> list[dict]:
    """The chunk's realized positive rate surely differs from the reference's (two-proportion z; each
    period's own shock adds ``between`` to the variance of its rate)."""
    a, b = float(y.mean()), float(ref.mean())
    pooled = (y.sum() + ref.sum()) / (y.size + ref.size)
    se = float(np.sqrt(pooled * (1 - pooled) * (1 / y.size + 1 / ref.size) + 2 * between))
    if se == 0 or abs(a - b) / se <= Z_RATE:
        return []
    up = a > b
    return [
        {
            "kind": "rate moved",
            "severity": WARNING,
            "evidence": say(
                "chunk {j}'s labels arrived: its positive rate is {a:.1%} against {b:.1%} on the reference (z = {z:.1f})",
                "die Labels von Block {j} sind da: seine Positivquote beträgt {a:.1%} gegenüber {b:.1%} in der "
                "Referenz (z = {z:.1f})",
                j=chunk,
                a=a,
                b=b,
                z=(a - b) / se,
            ),
            "meaning": say(
                "the outcome became {more} common: the model's probabilities are {how} now, so forecasts, budgets "
                "and score cut-offs built on them are off, even where the ranking still holds",
                "das Ergebnis ist {more} geworden: die Wahrscheinlichkeiten des Modells sind jetzt {how}, Prognosen, "
                "Budgets und Wertgrenzen darauf liegen daneben, auch wo die Reihenfolge noch hält",
                more=say("more", "häufiger") if up else say("less", "seltener"),
                how=say("too low", "zu niedrig") if up else say("too high", "zu hoch"),
            ),
            "what_to_do": say(
                "move the probabilities to the new rate for planning; retrain so that the model learns it, and check "
                "whether the ranking changed too",
                "die Wahrscheinlichkeiten für die Planung auf die neue Quote verschieben; neu trainieren, damit das "
                "Modell sie lernt, und prüfen, ob sich auch die Reihenfolge geändert hat",
            ),
        }
    ]
