"""The offline generator: German and English templates filled from the brief.

No language model is involved; every candidate says so (``source = "template"``). The templates are
grouped by *angle* (announcement, offer, question, personal, audience, brand, urgency, benefit,
curiosity, playful); the tone decides which angles come first, and the candidates are taken one angle
at a time so that ten candidates are ten different ideas, not ten rewordings of one. A template is
used only when the brief has what it needs (an offer, an audience, a brand, a personalisation token).
The same brief and seed always give the same candidates. A required term (``--require``, e.g. the
brand) that a template leaves out is appended to its last field as ``… | Acme``.

German copy says *du* for the tones ``friendly``, ``urgent`` and ``playful`` and *Sie* for ``formal``.
The templates avoid articles and verbs that agree with the product, so write the product as it should
appear ("Herbstkollektion", "Laufschuhe", "running shoes").

Examples
--------
>>> from nomagic.usecases.copy.brief import Brief
>>> g = TemplateGenerator(seed=0)
>>> out = g.generate(Brief(product="Laufschuhe", offer="20 % Rabatt", language="de"), 3)
>>> [c.source for c in out], len({c.angle for c in out})
(['template', 'template', 'template'], 3)
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from nomagic.errors import InputError
from nomagic.usecases.copy.brief import Brief, Candidate, check_kind
from nomagic.words import Text, say

SOURCE = "template"
MAX_TOPIC = 40
LABEL = Text(
    "template (offline, filled from the brief; no language model)",
    "Vorlage (offline, aus dem Briefing gefüllt; kein Sprachmodell)",
)


@dataclass(frozen=True)
class Template:
    angle: str
    text: str  # English, or German with du
    sie: str | None = None  # German with Sie, where it differs

    @property
    def needs(self) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", self.text)) - {"product"}

    def fill(self, brief: Brief, slots: dict[str, str]) -> str:
        text = self.sie if (brief.language == "de" and brief.register == "Sie" and self.sie) else self.text
        return text.format_map(slots)


T = Template
#: ``TEMPLATES[language][field]``: the templates of each field of copy.
TEMPLATES: dict[str, dict[str, list[Template]]] = {
    "de": {
        "subject": [
            T("announce", "Neu: {product}"),
            T("announce", "Gerade eingetroffen: {product}"),
            T("offer", "{offer} auf {product}"),
            T("offer", "{product}: {offer} für dich", "{product}: {offer} für Sie"),
            T("question", "Schon entdeckt? {product}"),
            T("question", "Kennst du schon {product}?", "Kennen Sie schon {product}?"),
            T("personal", "{name}, neu für dich: {product}", "{name}, neu für Sie: {product}"),
            T("personal", "{name}, wir haben {offer} für dich", "{name}, wir haben {offer} für Sie"),
            T("audience", "Für {audience}: {product}"),
            T("audience", "{product} – gemacht für {audience}"),
            T("brand", "{brand}: jetzt neu – {product}"),
            T("brand", "{brand} empfiehlt: {product}"),
            T("urgency", "Nur noch kurz: {offer} auf {product}"),
            T("urgency", "Letzte Chance: {offer}"),
            T("benefit", "Ein Blick lohnt sich: {product}"),
            T("benefit", "{product} – jetzt entdecken"),
            T("curiosity", "Das hier wird dir gefallen: {product}", "Das hier wird Ihnen gefallen: {product}"),
            T("playful", "✨ Frisch da: {product}"),
            T("playful", "Psst … {offer} auf {product}"),
        ],
        "headline": [
            T("announce", "Neu: {product}"),
            T("brand", "{product} bei {brand}"),
            T("offer", "{offer} auf {product}"),
            T("benefit", "{product} entdecken"),
            T("audience", "{product} für {audience}"),
            T("question", "{product} gesucht?"),
            T("urgency", "Nur kurz: {offer}"),
            T("playful", "Hallo, {product}!"),
        ],
        "description": [
            T("announce", "Neu: {product}. Jetzt online entdecken."),
            T(
                "offer",
                "{offer} auf {product}. Nur für kurze Zeit – schau rein!",
                "{offer} auf {product}. Nur für kurze Zeit – schauen Sie rein!",
            ),
            T(
                "brand",
                "Entdecke {product} bei {brand} und finde, was zu dir passt.",
                "Entdecken Sie {product} bei {brand} und finden Sie, was zu Ihnen passt.",
            ),
            T("audience", "Für {audience} gemacht: {product}. Jetzt ansehen und vergleichen."),
            T(
                "question",
                "Du suchst {product}? Schau dir unsere Auswahl an.",
                "Sie suchen {product}? Sehen Sie sich unsere Auswahl an.",
            ),
            T("urgency", "Nur für kurze Zeit: {offer} auf {product}. Jetzt sichern!"),
            T("benefit", "{product} – einfach online ansehen, vergleichen und bestellen."),
            T(
                "playful",
                "Dein neuer Lieblingsmoment: {product}. Schau vorbei!",
                "Ihr neuer Lieblingsmoment: {product}. Schauen Sie vorbei!",
            ),
        ],
    },
    "en": {
        "subject": [
            T("announce", "New: {product}"),
            T("announce", "Just in: {product}"),
            T("offer", "{offer} on {product}"),
            T("offer", "{product}: {offer} for you"),
            T("question", "Have you seen {product}?"),
            T("question", "Ready for {product}?"),
            T("personal", "{name}, something new for you: {product}"),
            T("personal", "{name}, here is {offer} for you"),
            T("audience", "For {audience}: {product}"),
            T("audience", "{product}, made for {audience}"),
            T("brand", "{brand}: new in – {product}"),
            T("brand", "{brand} recommends: {product}"),
            T("urgency", "Ends soon: {offer} on {product}"),
            T("urgency", "Last chance: {offer}"),
            T("benefit", "What {product} can do for you"),
            T("benefit", "Discover {product}"),
            T("curiosity", "You'll like this: {product}"),
            T("playful", "✨ Fresh in: {product}"),
            T("playful", "Psst… {offer} on {product}"),
        ],
        "headline": [
            T("announce", "New: {product}"),
            T("brand", "{product} at {brand}"),
            T("offer", "{offer} on {product}"),
            T("benefit", "Discover {product}"),
            T("audience", "{product} for {audience}"),
            T("question", "Looking for {product}?"),
            T("urgency", "Ends soon: {offer}"),
            T("playful", "Hello, {product}!"),
        ],
        "description": [
            T("announce", "New: {product}. Discover it online today."),
            T("offer", "{offer} on {product}. For a short time only – take a look!"),
            T("brand", "Discover {product} at {brand} and find what suits you."),
            T("audience", "Made for {audience}: {product}. Take a look and compare."),
            T("question", "Looking for {product}? Browse our selection."),
            T("urgency", "For a short time: {offer} on {product}. Don't miss it."),
            T("benefit", "{product} – browse, compare and order online."),
            T("playful", "Your new favourite moment: {product}. Come and see!"),
        ],
    },
}

#: Which angles come first for each tone (``formal`` leaves out the playful ones).
ANGLES = {
    "friendly": tuple("announce question personal benefit offer audience brand curiosity urgency playful".split()),
    "formal": tuple("announce offer audience brand benefit question personal curiosity urgency".split()),
    "urgent": tuple("urgency offer personal announce brand audience question benefit curiosity playful".split()),
    "playful": tuple("playful question curiosity personal offer announce benefit audience brand urgency".split()),
}


def _slots(brief: Brief) -> dict[str, str]:
    brand = brief.brand.strip() or (brief.required[0] if brief.required else "")
    return {
        "product": brief.topic,
        "offer": brief.offer.strip(),
        "audience": brief.audience.strip(),
        "brand": brand,
        "name": brief.personal_token.strip(),
    }


def _tidy(text: str, keep: tuple[str, ...]) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([.,!?:])", r"\1", text)
    if text and text[0].islower() and not any(k and text.startswith(k) for k in keep):
        text = text[0].upper() + text[1:]
    return text


def _order(templates: list[Template], tone: str, rng: random.Random) -> list[Template]:
    """One template per angle (in the tone's order) per round, the choice within an angle seeded."""
    by_angle: dict[str, list[Template]] = {}
    for t in templates:
        by_angle.setdefault(t.angle, []).append(t)
    for group in by_angle.values():
        rng.shuffle(group)
    angles = [a for a in ANGLES[tone] if a in by_angle]
    out: list[Template] = []
    for r in range(max((len(g) for g in by_angle.values()), default=0)):
        out += [by_angle[a][r] for a in angles if r < len(by_angle[a])]
    return out


class TemplateGenerator:
    """Candidates from German and English templates, filled from the brief; offline and deterministic.

    Parameters
    ----------
    seed : which template of each angle comes first (the same seed, the same candidates).

    Notes
    -----
    ``generate`` returns at most as many candidates as there are templates that fit the brief (about
    10-19 subject lines, up to 64 ads); fewer than asked is not an error, and the report says so.
    """

    source = SOURCE
    label = LABEL

    def __init__(self, seed: int = 0):
        self.seed = seed

    def available(self, brief: Brief, field: str) -> list[Template]:
        """The templates of ``field`` whose slots the brief can fill, in the order they would be used."""
        slots = _slots(brief)
        allowed = set(ANGLES[brief.tone])
        usable = [t for t in TEMPLATES[brief.language][field] if t.angle in allowed and all(slots[s] for s in t.needs)]
        return _order(usable, brief.tone, random.Random(f"{self.seed}:{field}"))

    def generate(self, brief: Brief, n: int, kind: str = "subject") -> list[Candidate]:
        fields = check_kind(kind)
        brief.need_topic()
        if not brief.product.strip() and len(brief.notes.strip()) > MAX_TOPIC:
            raise InputError(
                say(
                    "the templates need the product or topic as a short phrase (--product, at most {n} characters); "
                    "a longer brief is only read by a language model (--generator openai)",
                    "die Vorlagen brauchen das Produkt oder Thema als kurze Wendung (--product, höchstens {n} Zeichen); "
                    "ein längeres Briefing liest nur ein Sprachmodell (--generator openai)",
                    n=MAX_TOPIC,
                )
            )
        slots = _slots(brief)
        keep = tuple(t for t in (slots["brand"], *brief.required) if t)

        def fill(t: Template) -> str:
            return _tidy(t.fill(brief, slots), keep)

        def with_terms(c: Candidate) -> Candidate:
            # a required term (the brand) the template left out is added to the last field: "… | Acme"
            missing = [t for t in brief.required if t.casefold() not in c.text.casefold()]
            if missing:
                last = list(c.fields)[-1]
                c.fields[last] = f"{c.fields[last]} | {' '.join(missing)}"
            return c

        if fields == ("subject",):
            return [
                with_terms(Candidate({"subject": fill(t)}, source=SOURCE, angle=t.angle))
                for t in self.available(brief, "subject")[:n]
            ]
        heads, descs = self.available(brief, "headline"), self.available(brief, "description")
        out: list[Candidate] = []
        # every headline once before any twice; each paired with a description of another angle
        pairs = [(h, descs[(i + 1 + r) % len(descs)]) for r in range(len(descs)) for i, h in enumerate(heads)]
        for h, d in pairs[:n]:
            angle = h.angle if h.angle == d.angle else f"{h.angle}+{d.angle}"
            out.append(with_terms(Candidate({"headline": fill(h), "description": fill(d)}, source=SOURCE, angle=angle)))
        return out


__all__ = ["ANGLES", "LABEL", "SOURCE", "TEMPLATES", "Template", "TemplateGenerator"]
