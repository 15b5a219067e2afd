"""What to do now: one plain line of advice under every verdict, and never advice beyond the evidence.

* :func:`advice` — promoted: how to use it; not better than baseline: what to use instead and what
  data might help; not ready: fix the data first. Per use case where the action differs, in English
  and German.
* :func:`not_advice` — the warning that goes first, in the same place, wherever an action proposed
  by a model the gate did not promote is shown (a budget split, today).
* :func:`fairness_note` — what fairness flags mean and the options, shown next to the verdict.
"""

from __future__ import annotations

from nomagic.words import pick

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

_YES_NO = {
    "promoted": {
        "en": "How to use it: work down the list from the highest scores (the lift chart shows how much better "
        "than chance each tenth is), score again after every data load, and read the drivers and the fairness "
        "section before a campaign.",
        "de": "So nutzen Sie es: Arbeiten Sie die Liste von den höchsten Scores abwärts ab (das Lift-Diagramm "
        "zeigt, um wie viel besser als Zufall jedes Zehntel ist), bewerten Sie nach jedem Laden neuer Daten neu "
        "und lesen Sie Treiber und Fairness-Abschnitt vor einer Kampagne.",
    },
    "not better than baseline": {
        "en": "What to use instead: the baseline named above; it scores in the model's place. More history, more "
        "customers with the outcome, or columns the baseline does not see (visits, support contacts, e-mail "
        "engagement) might let a model beat it.",
        "de": "Was stattdessen: die oben genannte Vergleichsbasis; sie bewertet an Stelle des Modells. Mehr "
        "Historie, mehr Kunden mit dem Ergebnis oder Spalten, die die Vergleichsbasis nicht sieht (Besuche, "
        "Support-Kontakte, E-Mail-Reaktionen), könnten einem Modell helfen, sie zu schlagen.",
    },
}

_BY_USE_CASE = {
    "bidding": {
        "promoted": {
            "en": "How to use it: let `nomagic serve` bid with it (OpenRTB) or plan a campaign with `nomagic bid "
            "plan`, under a budget and the pacer, and keep a share of traffic on a constant bid to check it.",
            "de": "So nutzen Sie es: Lassen Sie `nomagic serve` damit bieten (OpenRTB) oder planen Sie eine "
            "Kampagne mit `nomagic bid plan`, unter einem Budget und dem Pacer, und lassen Sie einen Teil des "
            "Traffics mit konstantem Gebot laufen, um es zu prüfen.",
        },
        "not better than baseline": {
            "en": "What to use instead: the best constant bid named above (the live bidder does not bid with this "
            "model). A longer log with more clicks gives the click model the evidence it needs.",
            "de": "Was stattdessen: das oben genannte beste konstante Gebot (der Live-Bieter bietet nicht mit diesem "
            "Modell). Ein längeres Log mit mehr Klicks gibt dem Klickmodell die Belege, die es braucht.",
        },
    },
    "budget": {
        "promoted": {
            "en": "How to use it: move the budget step by step towards the proposed split, within its bounds, and "
            "check the largest change with a lift test (a region or period without it) before you commit.",
            "de": "So nutzen Sie es: Verschieben Sie das Budget schrittweise zur vorgeschlagenen Aufteilung, "
            "innerhalb der Grenzen, und prüfen Sie die größte Änderung mit einem Lift-Test (eine Region oder "
            "Periode ohne sie), bevor Sie sich festlegen.",
        },
        "not better than baseline": {
            "en": "What to do instead: keep the current split. A lift test on the channel with the widest ROI "
            "interval, given to the model with --lift-tests, is the evidence it lacks.",
            "de": "Was stattdessen: Behalten Sie die jetzige Aufteilung. Ein Lift-Test für den Kanal mit dem "
            "breitesten ROI-Intervall, dem Modell mit --lift-tests übergeben, ist der Beleg, der ihm fehlt.",
        },
    },
    "clv": {
        "promoted": {
            "en": "How to use it: rank customers by expected value for retention and service budgets, read each "
            "value with its interval, and score again after every month of orders.",
            "de": "So nutzen Sie es: Ordnen Sie Kunden nach erwartetem Wert für Bindungs- und Servicebudgets, "
            "lesen Sie jeden Wert mit seinem Intervall und bewerten Sie nach jedem Monat mit Bestellungen neu.",
        },
        "not better than baseline": {
            "en": "What to use instead: the baseline named above for planning. A longer order history (a year or "
            "more) usually lets the purchase model beat it.",
            "de": "Was stattdessen: die oben genannte Vergleichsbasis für die Planung. Eine längere "
            "Bestellhistorie (ein Jahr oder mehr) lässt das Kaufmodell sie meist schlagen.",
        },
    },
    "uplift": {
        "promoted": {
            "en": "How to use it: contact the customers with the highest predicted uplift first, and keep a random "
            "control group in every campaign to check it.",
            "de": "So nutzen Sie es: Kontaktieren Sie zuerst die Kunden mit dem höchsten vorhergesagten Uplift und "
            "behalten Sie in jeder Kampagne eine zufällige Kontrollgruppe, um es zu prüfen.",
        },
        "not better than baseline": {
            "en": "What to use instead: the simple rule named above, with a random control group. More randomised "
            "campaigns give an uplift model the evidence it needs.",
            "de": "Was stattdessen: die oben genannte einfache Regel, mit einer zufälligen Kontrollgruppe. Mehr "
            "randomisierte Kampagnen geben einem Uplift-Modell die Belege, die es braucht.",
        },
    },
    "sendtime": {
        "promoted": {
            "en": "How to use it: send at each customer's predicted hour, and keep a share of sends at random hours "
            "so that the model can be checked.",
            "de": "So nutzen Sie es: Senden Sie zur vorhergesagten Stunde jedes Kunden und senden Sie einen Teil zu "
            "zufälligen Stunden, damit das Modell geprüft werden kann.",
        },
        "not better than baseline": {
            "en": "What to use instead: one send hour for everyone (the baseline's). Keep sending a share at random "
            "hours: that is the evidence a send-time model learns from.",
            "de": "Was stattdessen: eine Sendestunde für alle (die der Vergleichsbasis). Senden Sie weiter einen "
            "Teil zu zufälligen Stunden: Daraus lernt ein Sendezeit-Modell.",
        },
    },
    "subject_lines": {
        "promoted": {
            "en": "How to use it: rank new subject lines by predicted open rate and test the best few in a bandit.",
            "de": "So nutzen Sie es: Ordnen Sie neue Betreffzeilen nach vorhergesagter Öffnungsrate und testen Sie "
            "die besten in einem Bandit.",
        },
        "not better than baseline": {
            "en": "What to do instead: test subject lines directly in a bandit; the model cannot yet tell the "
            "better ones apart from the past sends.",
            "de": "Was stattdessen: Testen Sie Betreffzeilen direkt in einem Bandit; das Modell kann die besseren "
            "aus den bisherigen Sendungen noch nicht erkennen.",
        },
    },
    "bandits": {
        "promoted": {
            "en": "How to use it: let the policy choose the variants; its exploration floor keeps it learning.",
            "de": "So nutzen Sie es: Lassen Sie die Strategie die Varianten wählen; ihr Mindestanteil an "
            "Erkundung hält sie lernfähig.",
        },
        "not better than baseline": {
            "en": "What to do instead: keep the current split of variants; the logs do not show that the policy "
            "would do better. Log more decisions with their propensities.",
            "de": "Was stattdessen: Behalten Sie die jetzige Aufteilung der Varianten; die Protokolle zeigen "
            "nicht, dass die Strategie besser wäre. Protokollieren Sie mehr Entscheidungen mit ihren "
            "Wahrscheinlichkeiten.",
        },
    },
    "sentiment": {
        "promoted": {
            "en": "How to use it: read shares and trends over many texts, not single labels, and check a sample "
            "by hand now and then.",
            "de": "So nutzen Sie es: Lesen Sie Anteile und Verläufe über viele Texte, nicht einzelne Labels, und "
            "prüfen Sie ab und zu eine Stichprobe von Hand.",
        },
        "not better than baseline": {
            "en": "What to use instead: the lexicon baseline. A few hundred of your own texts, labelled by hand, "
            "are what a model needs to beat it.",
            "de": "Was stattdessen: die Lexikon-Vergleichsbasis. Einige hundert eigene, von Hand gelabelte Texte "
            "braucht ein Modell, um sie zu schlagen.",
        },
    },
}

_GENERIC = {
    "promoted": {
        "en": "How to use it: use its output where it was built for, and keep watching its figures as new data "
        "arrives.",
        "de": "So nutzen Sie es: Setzen Sie die Ergebnisse dort ein, wofür sie gebaut sind, und beobachten Sie "
        "die Kennzahlen, wenn neue Daten kommen.",
    },
    "not better than baseline": {
        "en": "What to use instead: the baseline named above; on this data it is as good.",
        "de": "Was stattdessen: die oben genannte Vergleichsbasis; auf diesen Daten ist sie ebenso gut.",
    },
}

_NOT_READY = {
    "en": "First fix the data: the reasons are listed above, and `nomagic check` shows them per table.",
    "de": "Zuerst die Daten: Die Gründe stehen oben; `nomagic check` zeigt sie je Tabelle.",
}

_FAIRNESS = {
    "en": "What it means: at the contact threshold the model treats these groups differently, or its "
    "probabilities are off for one of them. Options: check whether the drivers explain the difference by "
    "behaviour, leave out columns that stand in for the attribute, or set the contact threshold per group "
    "after a review.",
    "de": "Was das heißt: An der Kontaktschwelle behandelt das Modell diese Gruppen unterschiedlich, oder seine "
    "Wahrscheinlichkeiten liegen für eine davon daneben. Optionen: prüfen, ob die Treiber den Unterschied durch "
    "Verhalten erklären, Spalten weglassen, die für das Merkmal stehen, oder die Kontaktschwelle nach einer "
    "Prüfung je Gruppe setzen.",
}


def _lang(lang: str) -> str:
    return lang if lang in ("en", "de") else "en"


def advice(record: dict, lang: str = "en") -> str:
    """One plain line on what to do now, for the record's verdict and use case."""
    lang = _lang(lang)
    verdict = record.get("verdict")
    if verdict == "not ready":
        return _NOT_READY[lang]
    name = record.get("use_case", "")
    table = _YES_NO if name in ("churn", "propensity") else _BY_USE_CASE.get(name, _GENERIC)
    return table.get(verdict, _GENERIC["not better than baseline"])[lang]


def proposes_action(record: dict) -> bool:
    """Whether the record carries an action for people to take (a proposed budget split)."""
    return bool(record.get("allocation"))


NOT_VERIFIED = {
    "en": (
        "Not advice: only the model's fit to past sales was checked; its ROI per channel and its response curves "
        "are not verified (no known truth, no lift tests), so the gate did not promote it. What it proposes here is "
        "shown for inspection only."
    ),
    "de": (
        "Keine Empfehlung: Geprüft wurde nur die Anpassung des Modells an vergangene Umsätze; sein ROI je Kanal und "
        "seine Wirkungskurven sind nicht belegt (keine bekannte Wahrheit, keine Lift-Tests), deshalb hat das Gate es "
        "nicht freigegeben. Was es hier vorschlägt, dient nur der Ansicht."
    ),
}

NOT_JUDGED = {
    "en": (
        "Not judged: no holdout has checked this model against its baseline (run evaluate-budget first), so what "
        "it proposes here is the model's arithmetic, not evidence that acting on it pays."
    ),
    "de": (
        "Nicht geprüft: Kein Holdout hat dieses Modell mit seiner Vergleichsbasis verglichen (zuerst "
        "evaluate-budget ausführen). Was es hier vorschlägt, ist die Rechnung des Modells, kein Beleg, dass sich "
        "Handeln danach lohnt."
    ),
}


def not_advice(record: dict, lang: str = "en") -> str | None:
    """The warning to show before a proposed action, or None when the model was promoted: "not
    advice" after the gate said no, "not judged" when no gate has looked (``optimise-budget``)."""
    if record.get("verdict") == "promoted" or not proposes_action(record):
        return None
    if record.get("verdict") != "not better than baseline":
        words = NOT_JUDGED
    elif record.get("evidence") == "holdout fit only":  # the gate never had evidence about the ROIs
        words = NOT_VERIFIED
    else:
        words = NOT_ADVICE
    return words[_lang(lang)]


def fairness_note(record: dict, lang: str = "en") -> tuple[list[str], str] | None:
    """The record's fairness flags and what they mean, or None when there are none."""
    attributes = (record.get("fairness") or {}).get("attributes", {})
    found = [f for a in attributes.values() for f in pick(a, "flags", _lang(lang), [])]
    return (found, _FAIRNESS[_lang(lang)]) if found else None
