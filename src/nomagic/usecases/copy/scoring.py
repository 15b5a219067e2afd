"""Scoring candidates with the subject-line open-rate model, and saying how far to trust it.

The model is the one of :mod:`nomagic.usecases.subject_lines`, from one of three places:

* **your send history** (:meth:`SubjectScorer.from_history`): it is first judged on the later sends
  against the historical average open rate (the subject-line evaluation), then fitted on all of it;
* **a saved model** (:meth:`SubjectScorer.from_saved`): a registry version folder (``nomagic train
  subject_lines``) or a ``subject_lines_model.json``; the ``record.json`` next to it gives the verdict;
* **the warehouse's champion** (:meth:`SubjectScorer.from_registry`).

Every scored candidate gets a predicted open rate; the *caveat* says what the evaluation showed. The
candidates are ranked by the prediction only when the model beat its baseline; otherwise the ranking
would be no better than chance and they keep the generator's order. Ads are never scored: the model
predicts e-mail opens, not ad clicks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from nomagic.errors import InputError
from nomagic.usecases.copy.brief import Candidate
from nomagic.words import Text, join, pick, say

UNSCORED = Text(
    "unscored: no subject-line model was given (--history or --subject-model), so nothing ranks these lines",
    "nicht bewertet: kein Betreffzeilen-Modell angegeben (--history oder --subject-model), daher ordnet nichts "
    "diese Zeilen",
)
ADS = Text(
    "unscored: the subject-line model predicts e-mail opens, not ad clicks, and nomagic has no model of ad "
    "copy; let the bandit (or an A/B test) find the best ad",
    "nicht bewertet: das Betreffzeilen-Modell sagt E-Mail-Öffnungen vorher, keine Anzeigenklicks, und nomagic "
    "hat kein Modell für Anzeigentexte; den Bandit (oder einen A/B-Test) die beste Anzeige finden lassen",
)


def _explanation(record: dict) -> Text:
    """The record's explanation in both languages (a record read from JSON has ``explanation_de``)."""
    return Text(str(pick(record, "explanation", "en")).strip(), str(pick(record, "explanation", "de")).strip())


def caveat(record: dict | None) -> Text:
    """What the subject-line evaluation says about trusting the predictions, in plain words."""
    if record is None:
        return say(
            "no evaluation record was found for this model, so it is unknown whether its ranking beats chance; "
            "run `nomagic evaluate-subject-lines` on your sends first",
            "für dieses Modell wurde kein Evaluationsprotokoll gefunden, daher ist unbekannt, ob seine Reihenfolge "
            "besser als Zufall ist; zuerst `nomagic evaluate-subject-lines` auf Ihren Versänden ausführen",
        )
    verdict = record.get("verdict")
    words = _explanation(record)
    if verdict == "promoted":
        return say(
            "the subject-line model beat the historical average open rate on later sends; the predictions rank "
            "the candidates, but they come from surface features (length, personalisation, urgency, ...), so "
            "test the best ones. Evaluation: {words}",
            "das Betreffzeilen-Modell schlug die historische durchschnittliche Öffnungsrate bei späteren Versänden; "
            "die Vorhersagen ordnen die Kandidaten, beruhen aber auf Oberflächenmerkmalen (Länge, Personalisierung, "
            "Dringlichkeit, ...), daher die besten testen. Evaluation: {words}",
            words=words,
        )
    if verdict == "not better than baseline":
        return say(
            "the subject-line model did NOT beat the historical average open rate on your later sends, so ranking "
            "by its predictions is not better than chance: treat the candidates as equal and let the bandit "
            "decide. Evaluation: {words}",
            "das Betreffzeilen-Modell schlug die historische durchschnittliche Öffnungsrate bei Ihren späteren "
            "Versänden NICHT, eine Reihenfolge nach seinen Vorhersagen ist also nicht besser als Zufall: die "
            "Kandidaten als gleichwertig behandeln und den Bandit entscheiden lassen. Evaluation: {words}",
            words=words,
        )
    return say(
        "the subject-line model could not be judged ({verdict}): {words}",
        "das Betreffzeilen-Modell konnte nicht beurteilt werden ({verdict}): {words}",
        verdict=Text(str(verdict), _verdict_de(verdict)),
        words=words,
    )


def _verdict_de(code) -> str:
    from nomagic.words import verdict

    return verdict(str(code), "de")


@dataclass
class SubjectScorer:
    """A subject-line model (or none) and the evaluation that says how far to trust it."""

    model: object | None
    record: dict | None
    source: str
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def trusted(self) -> bool:
        """Whether the model beat its baseline (only then are candidates ranked by it)."""
        return self.model is not None and (self.record or {}).get("verdict") == "promoted"

    @property
    def caveat(self) -> str:
        return self.note or caveat(self.record)

    @classmethod
    def from_history(
        cls, hist: pd.DataFrame, *, source: str = "send history", n_boot: int = 1000, seed: int = 0, progress=None
    ) -> SubjectScorer:
        """Judge the model on ``hist`` (``subject, opened[, time]`` from ``read_history``), then fit on all of it."""
        from nomagic.usecases.subject_lines import SubjectLineModel, evaluate_subjects

        ev = evaluate_subjects(hist, n_boot=n_boot, seed=seed, source=source, progress=progress)
        if ev.verdict == "not ready":
            return cls(None, ev.record, source, note=_unscored(ev.record))
        model = SubjectLineModel().fit(hist["subject"], hist["opened"])
        return cls(model, ev.record, source, extra={"history_rows": int(len(hist))})

    @classmethod
    def from_saved(cls, path) -> SubjectScorer:
        """A saved model: a registry version folder, a folder with ``subject_lines_model.json``, or the file."""
        from nomagic.usecases.subject_lines import SubjectLineModel

        path = Path(path)
        if not path.exists():
            raise InputError(
                say(
                    "no subject-line model at {path}: give a registry version folder or its JSON file",
                    "kein Betreffzeilen-Modell unter {path}: einen Versionsordner der Registry oder seine JSON-Datei "
                    "angeben",
                    path=path,
                )
            )
        model = SubjectLineModel.load(path)
        folder = path if path.is_dir() else path.parent
        record = None
        if (folder / "record.json").exists():
            try:
                record = json.loads((folder / "record.json").read_text())
            except ValueError as exc:
                raise InputError(
                    say(
                        "{path} is not JSON: {exc}",
                        "{path} ist kein JSON: {exc}",
                        path=folder / "record.json",
                        exc=exc,
                    )
                ) from exc
        return cls(model, record, str(path))

    @classmethod
    def from_registry(cls, url: str | None = None) -> SubjectScorer:
        """The champion ``subject_lines`` version of the warehouse's registry."""
        from nomagic.lifecycle.registry import Registry

        reg = Registry.for_warehouse(url)
        champ = reg.champion("subject_lines")
        if champ is None:
            raise InputError(
                say(
                    "the registry has no subject_lines champion; run `nomagic train subject_lines`, or give --history",
                    "die Registry hat keinen Champion für subject_lines; `nomagic train subject_lines` ausführen oder "
                    "--history angeben",
                )
            )
        if not (champ.folder / "subject_lines_model.json").exists():
            return cls(None, champ.record(), str(champ.folder), note=_unscored(champ.record()))
        return cls.from_saved(champ.folder)

    def describe(self, scored: bool, note: str | None = None) -> dict:
        rec = self.record or {}
        return {
            "scored": scored,
            "model": say(
                "subject-line open-rate model (L2 logistic regression on text features)",
                "Öffnungsraten-Modell für Betreffzeilen (L2-logistische Regression auf Textmerkmalen)",
            ),
            "source": self.source,
            "verdict": rec.get("verdict"),
            "ranked_by_model": scored and self.trusted,
            "caveat": note or self.caveat,
            **self.extra,
        }

    def score(self, candidates: list[Candidate]) -> None:
        """Set ``predicted_open_rate`` on every candidate (in place)."""
        if self.model is None or not candidates:
            return
        p = self.model.predict_open_rate([c.fields["subject"] for c in candidates])
        for c, v in zip(candidates, p, strict=True):
            c.predicted_open_rate = round(float(v), 4)


def _unscored(record: dict) -> Text:
    return join([Text("unscored:", "nicht bewertet:"), _explanation(record)])


def unscored(kind: str) -> dict:
    """The scoring section of a report without a model."""
    return {"scored": False, "model": None, "verdict": None, "ranked_by_model": False,
            "caveat": ADS if kind == "ad" else UNSCORED}  # fmt: skip


__all__ = ["ADS", "UNSCORED", "SubjectScorer", "caveat", "unscored"]
