"""The whole job: generate, check, score, rank; one report that says where everything came from.

Examples
--------
>>> from nomagic.usecases.copy.brief import Brief
>>> r = suggest_copy(Brief(product="Laufschuhe", offer="20 % Rabatt", language="de", brand="Acme"), n=5)
>>> r.source["kind"], len(r.candidates), r.scoring["scored"]
('template', 5, False)
>>> all(c.passed for c in r.candidates)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nomagic import __version__
from nomagic.errors import InputError
from nomagic.lifecycle.record import now_iso
from nomagic.usecases.copy.brief import Brief, Candidate, check_kind
from nomagic.usecases.copy.given import SOURCE as GIVEN
from nomagic.usecases.copy.guardrails import Guardrails
from nomagic.usecases.copy.scoring import SubjectScorer, unscored
from nomagic.usecases.copy.templates import SOURCE as TEMPLATE
from nomagic.usecases.copy.templates import TemplateGenerator
from nomagic.words import localise, say

SCHEMA = 1
_KIND = {TEMPLATE: "template", GIVEN: "yours"}
MAX_N = 50


@dataclass
class CopyReport:
    """Candidates (best first: passing before failing, then by prediction when the model earned it) and how
    they came about."""

    kind: str
    brief: Brief
    requested: int
    candidates: list[Candidate]
    source: dict
    guardrails: dict
    scoring: dict
    notes: list[str] = field(default_factory=list)
    bandit: dict | None = None

    @property
    def passing(self) -> list[Candidate]:
        return [c for c in self.candidates if c.passed]

    def to_dict(self) -> dict:
        out = {
            "schema": SCHEMA,
            "use_case": "copy",
            "nomagic_version": __version__,
            "created_at": now_iso(),
            "kind": self.kind,
            "brief": self.brief.as_dict(),
            "requested": self.requested,
            "source": self.source,
            "guardrails": self.guardrails,
            "scoring": self.scoring,
            "notes": list(self.notes),
            "candidates": [{"rank": i, **c.as_dict()} for i, c in enumerate(self.candidates, 1)],
            "passed": len(self.passing),
        }
        if self.bandit is not None:
            out["bandit"] = {k: str(v) if k in ("path", "provenance") else v for k, v in self.bandit.items()}
        return localise(out)  # every sentence also in German: "<key>_de" next to it


def _source(generator, candidates: list[Candidate]) -> dict:
    reason = getattr(generator, "fallback_reason", None)
    kinds = {_KIND.get(c.source, "generated") for c in candidates}
    kind = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "template")
    out = {"kind": kind, "label": generator.label}
    if reason:
        out["fallback_reason"] = reason
    return out


def suggest_copy(
    brief: Brief,
    *,
    kind: str = "subject",
    n: int = 10,
    generator=None,
    guardrails: Guardrails | None = None,
    scorer: SubjectScorer | None = None,
) -> CopyReport:
    """Generate ``n`` candidates of ``kind`` for ``brief``, check them, score them (subject lines only, when a
    scorer is given) and rank them.

    ``generator`` is anything with ``label`` and ``generate(brief, n, kind)``; default: templates. The
    guardrails default to :class:`Guardrails` with the brief's required terms.
    """
    check_kind(kind)
    if not isinstance(n, int) or not 1 <= n <= MAX_N:
        raise InputError(
            say("ask for 1 to {hi} candidates, not {n}", "1 bis {hi} Kandidaten anfordern, nicht {n}", hi=MAX_N, n=n)
        )
    generator = generator or TemplateGenerator()
    guardrails = guardrails or Guardrails(required=brief.required)
    candidates = list(generator.generate(brief, n, kind))
    notes = []
    if len(candidates) < n:
        if all(c.source == TEMPLATE for c in candidates):
            notes.append(
                say(
                    "asked for {n}; only {k} templates fit this brief (an offer, audience, brand or personalisation "
                    "token makes more of them usable)",
                    "{n} angefordert; nur {k} Vorlagen passen zu diesem Briefing (ein Angebot, eine Zielgruppe, eine "
                    "Marke oder ein Personalisierungs-Platzhalter machen mehr davon nutzbar)",
                    n=n,
                    k=len(candidates),
                )
            )
        elif not any(c.source == GIVEN for c in candidates):
            notes.append(
                say(
                    "asked for {n}; the endpoint gave {k} usable candidates",
                    "{n} angefordert; der Endpunkt lieferte {k} brauchbare Kandidaten",
                    n=n,
                    k=len(candidates),
                )
            )
    guardrails.check(candidates)
    if kind == "subject" and scorer is not None:
        scorer.score(candidates)
        scoring = scorer.describe(scored=scorer.model is not None)
    elif kind == "ad" and scorer is not None:
        scoring = unscored("ad")
        notes.append(
            say(
                "the subject-line model was not used: it predicts e-mail opens, not ad performance",
                "das Betreffzeilen-Modell wurde nicht genutzt: es sagt E-Mail-Öffnungen vorher, nicht den Erfolg von "
                "Anzeigen",
            )
        )
    else:
        scoring = unscored(kind)
    order = list(range(len(candidates)))
    if scoring["ranked_by_model"]:
        order.sort(key=lambda i: -(candidates[i].predicted_open_rate or 0.0))
    order.sort(key=lambda i: not candidates[i].passed)  # stable: passing first, each group in its order
    return CopyReport(
        kind=kind,
        brief=brief,
        requested=n,
        candidates=[candidates[i] for i in order],
        source=_source(generator, candidates),
        guardrails=guardrails.describe(),
        scoring=scoring,
        notes=notes,
    )


def hand_to_bandit(report: CopyReport, folder, name: str, *, max_arms: int = 5, replace: bool = False) -> dict:
    """Write the best ``max_arms`` passing candidates as the variants of a new bandit experiment.

    "Best" is the report's order: by predicted open rate where the model beat its baseline, otherwise the
    generator's order (for templates: one angle after another). Sets and returns ``report.bandit``.
    """
    from nomagic.usecases.copy.bandit import MAX_ARMS, MIN_ARMS, write_experiment

    if not MIN_ARMS <= max_arms <= MAX_ARMS:
        raise InputError(
            say(
                "a bandit experiment takes {lo} to {hi} variants; --arms {n} is outside",
                "ein Bandit-Experiment nimmt {lo} bis {hi} Varianten; --arms {n} liegt außerhalb",
                lo=MIN_ARMS,
                hi=MAX_ARMS,
                n=max_arms,
            )
        )
    arms = report.passing[:max_arms]
    info = write_experiment(folder, name, arms, report={k: v for k, v in report.to_dict().items() if k != "candidates"},
                            replace=replace)  # fmt: skip
    info["left_out"] = max(0, len(report.passing) - len(arms))
    report.bandit = info
    return info


__all__ = ["CopyReport", "hand_to_bandit", "suggest_copy"]
