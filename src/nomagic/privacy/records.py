"""The record of processing activities (Art. 30 GDPR), generated from what nomagic knows, in EN and DE.

One entry per use case: its purpose (the question it answers), the tables and columns it reads, the consent
it needs before it writes anything about a person (:data:`nomagic.privacy.consent.OUTPUTS`), the tables it
writes, the retention of what it reads (``[retention]``, :mod:`.retention`), the legal basis as configured,
and the current champion model version with its model card. The legal basis is a controller's judgement,
not something code can infer, so it comes from ``.nomagic/config.toml``::

    [records]
    controller = "Example Shop GmbH, Musterstraße 1, Berlin"
    legal_basis.churn = "legitimate interest (Art. 6(1)(f) GDPR)"
    legal_basis.sendtime = "consent (Art. 6(1)(a) GDPR)"

and an activity without one says "not configured — set it". The use cases are passed in as
:class:`Activity` values (the CLI builds them from ``nomagic.usecases.REGISTRY``), because this package
sits below the use cases and must not import them.
"""

from __future__ import annotations

import html as _html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from nomagic.errors import InputError
from nomagic.privacy import config, consent, retention
from nomagic.privacy import subject_store as store
from nomagic.privacy.subject import registry_root
from nomagic.warehouse.connection import Warehouse
from nomagic.words import Text, in_lang, say

FILES = ("records.en.md", "records.de.md", "records.en.html", "records.de.html")
NOT_SET = say("not configured — set it", "nicht festgelegt — bitte festlegen")
_PURPOSE_WORDS = {
    consent.PROFILING: say("profiling (consent_profiling)", "Profiling (consent_profiling)"),
    consent.EMAIL: say("e-mail marketing (consent_email)", "E-Mail-Werbung (consent_email)"),
}


@dataclass(frozen=True)
class Activity:
    """A processing activity: a use case's name, its question, the tables and columns it reads, the tables it writes."""

    name: str
    question: str
    tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()


def _settings(path: Path) -> dict:
    """``[records]`` of ``path`` checked: ``controller`` a text, ``legal_basis`` a table of texts."""
    if not path.exists():
        return {}
    doc = config.read(path)
    section = doc.get("records", {})
    basis = section.get("legal_basis", {}) if isinstance(section, dict) else None
    bad = None
    if not isinstance(section, dict):
        bad = "records"
    elif not isinstance(section.get("controller", ""), str):
        bad = "records.controller"
    elif not isinstance(basis, dict):
        bad = "records.legal_basis"
    else:
        bad = next(
            (f"records.legal_basis.{k}" for k, v in basis.items() if not isinstance(v, str) or not v.strip()), None
        )
    if bad:
        raise InputError(
            say(
                '{path}: {key} must be text, e.g. legal_basis.churn = "legitimate interest (Art. 6(1)(f) GDPR)"',
                '{path}: {key} muss Text sein, z. B. legal_basis.churn = "berechtigtes Interesse (Art. 6 Abs. 1 '
                'lit. f DSGVO)"',
                path=str(path),
                key=bad,
            )
        )
    return section


def _champion(root: Path, use_case: str) -> dict | None:
    """The use case's champion version and its model card, read from the registry's index (no lifecycle import)."""
    try:
        rows = json.loads((root / use_case / "index.json").read_text())["versions"]
    except (OSError, ValueError, KeyError):
        return None
    for row in rows:
        if row.get("status") == "champion":
            folder = root / use_case / row["version"]
            cards = [str(folder / f) for f in ("card.md", "card.html") if (folder / f).exists()]
            return {"version": row["version"], "created_at": row.get("created_at"), "cards": cards}
    return None


def build(wh: Warehouse, activities: Iterable[Activity], *, now: datetime | None = None) -> dict:
    """The record as data: ``{"created_at", "controller", "config", "activities": [...]}`` (sentences as Text)."""
    path = retention.config_path(wh)
    settings = _settings(path)
    basis = settings.get("legal_basis", {})
    periods = {r.table: r.period for r in retention.load_rules(path)}
    root = registry_root(wh.url)
    out = []
    for a in activities:
        purposes = sorted({p for t in a.outputs for p in (consent.purposes_for(t) or ())})
        out.append(
            {
                "use_case": a.name,
                "purpose": a.question,
                "reads": {t: list(cols) for t, cols in a.tables.items()},
                "consent": purposes,
                "writes": list(a.outputs),
                "retention": {t: periods.get(t) for t in a.tables},
                "legal_basis": basis.get(a.name),
                "champion": _champion(root, a.name),
            }
        )
    return {
        "created_at": (now or store.now()).replace(microsecond=0),
        "controller": settings.get("controller") or None,
        "config": str(path),
        "registry": str(root),
        "activities": out,
    }


# ------------------------------------------------------------------------------------------- words

_HEAD = {
    "title": say(
        "Record of processing activities (Art. 30 GDPR)", "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)"
    ),
    "purpose": say("Purpose", "Zweck"),
    "reads": say("Data read (tables and columns)", "Gelesene Daten (Tabellen und Spalten)"),
    "consent": say(
        "Consent needed before any output about a person", "Nötige Einwilligung vor jeder Ausgabe über eine Person"
    ),
    "writes": say("Outputs written", "Geschriebene Ausgaben"),
    "retention": say("Retention", "Aufbewahrung"),
    "legal_basis": say("Legal basis", "Rechtsgrundlage"),
    "model": say("Model", "Modell"),
}


def _intro(doc: dict) -> Text:
    text = say(
        "Generated by nomagic on {at} from the use cases, the consent policy, {config} and the registry {reg}. "
        "Check every entry; the legal basis is yours to set.",
        "Von nomagic am {at} erzeugt aus den Anwendungsfällen, der Einwilligungsregel, {config} und der Registry "
        "{reg}. Jeden Eintrag prüfen; die Rechtsgrundlage legt der Verantwortliche fest.",
        at=doc["created_at"],
        config=doc["config"],
        reg=doc["registry"],
    )
    if doc["controller"]:
        text = say("Controller: {c}. ", "Verantwortlicher: {c}. ", c=doc["controller"]) + text
    return text


def _lines(a: dict) -> dict[str, Text]:
    """One activity's fields as sentences (both languages)."""
    consent_words = (
        say(
            "{p}",
            "{p}",
            p=Text(
                ", ".join(str(_PURPOSE_WORDS[p]) for p in a["consent"]),
                ", ".join(_PURPOSE_WORDS[p].de for p in a["consent"]),
            ),
        )
        if a["consent"]
        else say(
            "none: it writes nothing about a single person",
            "keine: es wird nichts über eine einzelne Person geschrieben",
        )
    )
    kept = [_kept(t, p) for t, p in a["retention"].items()]
    champ = a["champion"]
    model = (
        say(
            "champion {v}; model card {c}",
            "Champion {v}; Modellkarte {c}",
            v=champ["version"],
            c=Text(", ".join(champ["cards"]) or "–"),
        )
        if champ
        else say("no champion yet (not trained)", "noch kein Champion (nicht trainiert)")
    )
    return {
        "purpose": a["purpose"] if isinstance(a["purpose"], Text) else Text(str(a["purpose"])),
        "reads": Text("; ".join(f"{t} ({', '.join(c)})" if c else t for t, c in a["reads"].items()) or "–"),
        "consent": consent_words,
        "writes": Text(", ".join(a["writes"])) if a["writes"] else say("nothing per person", "nichts je Person"),
        "retention": _join(kept),
        "legal_basis": Text(a["legal_basis"]) if a["legal_basis"] else NOT_SET,
        "model": model,
    }


def _kept(table: str, period: str | None) -> Text:
    if period:
        return say("{t}: {p}", "{t}: {p}", t=table, p=period)
    if table == "customers":  # takes no period (see retention): a person stays until erased
        return say(
            "customers: until the person is erased (nomagic privacy erase)",
            "customers: bis die Person gelöscht wird (nomagic privacy erase)",
        )
    return say("{t}: not set", "{t}: nicht festgelegt", t=table)


def _join(parts: list[Text]) -> Text:
    return Text("; ".join(str(p) for p in parts) or "–", "; ".join(p.de for p in parts) or "–")


def markdown(doc: dict, lang: str = "en") -> str:
    """The record as Markdown in ``lang``."""
    out = [f"# {_HEAD['title'].lang(lang)}", "", in_lang(_intro(doc), lang), ""]
    for a in doc["activities"]:
        out += [f"## {a['use_case']}", ""]
        for key, text in _lines(a).items():
            out.append(f"- **{_HEAD[key].lang(lang)}**: {in_lang(text, lang)}")
        out.append("")
    return "\n".join(out)


def html(doc: dict, lang: str = "en") -> str:
    """The record as a standalone HTML page in ``lang`` (no scripts, no outside resources)."""
    esc = _html.escape
    title = esc(_HEAD["title"].lang(lang))
    body = [f"<h1>{title}</h1>", f"<p>{esc(in_lang(_intro(doc), lang))}</p>"]
    for a in doc["activities"]:
        body.append(f"<h2>{esc(a['use_case'])}</h2><table>")
        for key, text in _lines(a).items():
            body.append(f"<tr><th>{esc(_HEAD[key].lang(lang))}</th><td>{esc(in_lang(text, lang))}</td></tr>")
        body.append("</table>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
        "table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}"
        "th,td{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top}"
        "th{width:16rem;background:#f4f4f4}"
    )
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write(wh: Warehouse, activities: Iterable[Activity], folder: Path, *, now: datetime | None = None) -> list[Path]:
    """Write :data:`FILES` into ``folder`` (created if missing); the paths written."""
    doc = build(wh, activities, now=now)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for lang in ("en", "de"):
        for ext, render in (("md", markdown), ("html", html)):
            path = folder / f"records.{lang}.{ext}"
            path.write_text(render(doc, lang), encoding="utf-8")
            paths.append(path)
    return paths
