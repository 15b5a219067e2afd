"""The label of a task: how many units carry one, how the classes balance, and leakage findings.

Shared by the use-case check (labels built from the warehouse) and the plain-file check (a label
column of the user's file).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from nomagic.warehouse.findings import Finding
from nomagic.warehouse.leakage import LeakageReport, binary_targets, positive_class
from nomagic.words import join, say


@dataclass
class LabelStats:
    """The label: how many units carry one, and the class balance (or spread, for numbers)."""

    column: str
    kind: str  # binary, multiclass, numeric
    rows: int
    missing: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    positive: str | None = None
    minority: str | None = None
    minority_count: int = 0
    minority_share: float | None = None
    mean: float | None = None
    std: float | None = None


def label_stats(y: pd.Series, column: str = "label") -> LabelStats:
    """Class counts (or mean and spread) of a label column."""
    known = y.dropna()
    stats = LabelStats(column=column, kind="binary", rows=len(known), missing=int(y.isna().sum()))
    if not len(known):
        stats.kind = "empty"
        return stats
    kind, _ = binary_targets(known)
    if kind.startswith("numeric"):
        stats.kind = "numeric"
        stats.mean, stats.std = round(float(known.mean()), 6), round(float(known.std()), 6)
        return stats
    counts = known.value_counts()
    stats.kind = "binary" if len(counts) <= 2 else "multiclass"
    stats.classes = {str(k): int(v) for k, v in counts.items()}
    if stats.kind == "binary":
        stats.positive = str(positive_class(counts))
    stats.minority = str(counts.index[-1])
    stats.minority_count = int(counts.iloc[-1])
    stats.minority_share = round(float(counts.iloc[-1] / len(known)), 4)
    return stats


def balance_findings(
    stats: LabelStats, subject: str, *, min_labels: int, min_minority: int, warn_share: float
) -> list[Finding]:
    """Enough labels? Enough of the rarest class? A single value? (``subject``: what the findings are about)"""
    out: list[Finding] = []
    add = lambda level, msg: out.append(Finding(level, subject, msg))  # noqa: E731
    if stats.missing:
        add(
            "warning",
            say(
                "{n:,} rows have no label and are left out",
                "{n:,} Zeilen haben kein Label und werden nicht verwendet",
                n=stats.missing,
            ),
        )
    if stats.rows < min_labels:
        add(
            "blocker",
            say(
                "only {n:,} labelled rows; at least {need:,} are needed to learn and to measure",
                "nur {n:,} Zeilen mit Label; mindestens {need:,} sind nötig, um zu lernen und zu messen",
                n=stats.rows,
                need=min_labels,
            ),
        )
    if stats.kind == "empty":
        return out
    if stats.kind == "numeric":
        if not stats.std:
            add(
                "blocker",
                say(
                    "the label has a single value: there is nothing to predict",
                    "das Label hat nur einen Wert: es gibt nichts vorherzusagen",
                ),
            )
        else:
            add(
                "info",
                say(
                    "numeric label: mean {mean:,.4g}, standard deviation {std:,.4g}",
                    "numerisches Label: Mittelwert {mean:,.4g}, Standardabweichung {std:,.4g}",
                    mean=stats.mean,
                    std=stats.std,
                ),
            )
        return out
    if len(stats.classes) < 2:
        add(
            "blocker",
            say(
                "every labelled row has the same label ({value}): nothing to predict",
                "alle Zeilen mit Label haben dasselbe Label ({value}): nichts vorherzusagen",
                value=next(iter(stats.classes)),
            ),
        )
        return out
    balance = join(
        [
            say("{k} {v:,} ({share:.1%})", "{k} {v:,} ({share:.1%})", k=k, v=v, share=v / stats.rows)
            for k, v in stats.classes.items()
        ],
        " / ",
    )
    if stats.minority_count < min_minority:
        add(
            "blocker",
            say(
                "the rarest class {cls!r} has only {n:,} rows (needs {need:,}): too few to learn from or to measure "
                "({balance})",
                "die seltenste Klasse {cls!r} hat nur {n:,} Zeilen (nötig: {need:,}): zu wenige, um daraus zu lernen "
                "oder zu messen ({balance})",
                cls=stats.minority,
                n=stats.minority_count,
                need=min_minority,
                balance=balance,
            ),
        )
    elif stats.minority_share is not None and stats.minority_share < warn_share:
        add(
            "warning",
            say(
                "the rarest class {cls!r} is {share:.1%} of rows ({balance}): confidence intervals will be wide; "
                "judge by precision-recall rather than accuracy",
                "die seltenste Klasse {cls!r} macht {share:.1%} der Zeilen aus ({balance}): die Konfidenzintervalle "
                "werden breit; nach Precision-Recall statt nach Accuracy urteilen",
                cls=stats.minority,
                share=stats.minority_share,
                balance=balance,
            ),
        )
    else:
        add("info", say("class balance: {balance}", "Klassenverteilung: {balance}", balance=balance))
    return out


def leak_findings(report: LeakageReport, subject: str) -> list[Finding]:
    """One finding per leakage suspect, or one that says no column is suspicious."""
    out = [
        Finding(
            s.level,
            say("{subject}: {column}", "{subject}: {column}", subject=subject, column=s.column),
            say(
                "leakage suspect: {column} {reason}. Evidence: {evidence}. If it is only known after the outcome, "
                "drop it (--drop); if it truly is known at prediction time, keep it and say why",
                "Leakage-Verdacht: {column} {reason}. Beleg: {evidence}. Ist die Spalte erst nach dem Ergebnis "
                "bekannt, weglassen (--drop); ist sie zum Zeitpunkt der Vorhersage wirklich bekannt, behalten und "
                "begründen",
                column=s.column,
                reason=s.reason,
                evidence=s.evidence,
            ),
        )
        for s in report.suspects
    ]
    if not report.suspects and report.best is not None:
        best = report.best
        out.append(
            Finding(
                "info",
                subject,
                say(
                    "no leakage suspect: no column predicts {label} suspiciously well "
                    "(strongest: {column}, single-column AUC {auc:.2f})",
                    "kein Leakage-Verdacht: keine Spalte sagt {label} verdächtig gut vorher "
                    "(stärkste: {column}, Einzelspalten-AUC {auc:.2f})",
                    label=report.label,
                    column=best.column,
                    auc=best.auc,
                ),
            )
        )
    return out
