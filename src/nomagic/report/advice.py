"""Never advise beyond the evidence: the warning that goes first, in the same place, wherever an
action proposed by a model the gate did not promote is shown (a budget split, today)."""

from __future__ import annotations

NOT_ADVICE = {
    "en": (
        "Not advice: this model is not better than its baseline (the gate did not promote it), so what it "
        "proposes here is shown for inspection only. The evidence does not support acting on it."
    ),
    "de": (
        "Keine Empfehlung: Dieses Modell ist nicht besser als seine Vergleichsbasis (das Gate hat es nicht "
        "freigegeben). Was es hier vorschlägt, dient nur der Ansicht; die Daten stützen kein Handeln danach."
    ),
}


def proposes_action(record: dict) -> bool:
    """Whether the record carries an action for people to take (a proposed budget split)."""
    return bool(record.get("allocation"))


def not_advice(record: dict, lang: str = "en") -> str | None:
    """The warning to show before a proposed action, or None when the model was promoted."""
    if record.get("verdict") == "promoted" or not proposes_action(record):
        return None
    return NOT_ADVICE.get(lang, NOT_ADVICE["en"])
