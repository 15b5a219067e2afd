"""Texts in German and English: reviews, social posts, support tickets and FAQ entries.

Reviews and social posts are opinions put together by :mod:`.opinions`: said plainly, by negation
("nicht schlecht", "nie angekommen"), as a question, ironically or mixed (praise and complaint, the
overall verdict deciding), with the label following the meaning -- so no single word gives the label
away. Tickets carry cues of their intent and often of another (a return question that mentions the
refund). A few labels are wrong, as human labels are. A classifier has to learn which words matter
and can not be perfect; ``truth_documents`` holds the true class and whether the recorded label is
wrong.
"""

from __future__ import annotations

import numpy as np

from nomagic.simulate import opinions

BRAND = "Nordwind"
SENTIMENTS = ("positive", "neutral", "negative")
INTENTS = ("delivery", "return", "payment", "account", "product", "complaint")

_OPENERS = {
    "en": (
        "Ordered the {item} last week.",
        "Bought the {item} for my partner.",
        "Second order from this shop.",
        "Got the {item} in {colour}.",
        "My thoughts on the {item}:",
        "",
        "",
        "Ordered in size {size}.",
    ),
    "de": (
        "Letzte Woche bestellt.",
        "Für meinen Partner gekauft.",
        "Meine zweite Bestellung hier.",
        "{item} in {colour} bekommen.",
        "Kurz meine Meinung:",
        "",
        "",
        "In Größe {size} bestellt.",
    ),
}
_COLOURS = {"en": ("black", "navy", "olive", "grey", "sand"), "de": ("schwarz", "marine", "oliv", "grau", "sand")}
_ITEMS = {
    "en": ("sneakers", "rain jacket", "hoodie", "jeans", "backpack", "scarf", "yoga mat", "blanket", "shirt", "boots"),
    # all feminine singular, so the German templates' "die {item}", "ist" and "sie" always agree
    "de": (
        "Regenjacke",
        "Jeans",
        "Yogamatte",
        "Decke",
        "Fleecejacke",
        "Wanderhose",
        "Mütze",
        "Bluse",
        "Tasche",
        "Strickjacke",
    ),
}
_SIZES = ("XS", "S", "M", "L", "XL", "38", "40", "42", "44")

_INTENT_CUES = {
    "en": {
        "delivery": (
            "Where is my parcel?",
            "My order {order} has not arrived yet.",
            "The tracking link shows no update since {n} days.",
            "Can you tell me when my delivery will come?",
            "The courier says delivered but I have nothing.",
            "Can I change the delivery address?",
        ),
        "return": (
            "How do I send the {item} back?",
            "I want to return order {order}.",
            "I need a return label.",
            "Can I exchange the {item} for another size?",
            "The {item} is too small, I want to send it back.",
            "Is the return free of charge?",
        ),
        "payment": (
            "I was charged twice for order {order}.",
            "When will I get my refund?",
            "My payment by invoice was declined.",
            "Can I pay with PayPal?",
            "The voucher code did not work at checkout.",
            "I got a payment reminder but I already paid.",
        ),
        "account": (
            "I cannot log in to my account.",
            "Please delete my account.",
            "How do I change my e-mail address?",
            "I forgot my password and the reset mail never comes.",
            "Please unsubscribe me from the newsletter.",
            "My address in the account is wrong.",
        ),
        "product": (
            "Is the {item} available in {colour} again soon?",
            "What material is the {item} made of?",
            "Does the {item} run small?",
            "Can the {item} be washed at 40 degrees?",
            "Is the {item} waterproof?",
            "Which size would you recommend for the {item}?",
        ),
        "complaint": (
            "This is the second time my order arrives damaged. Unacceptable.",
            "Your customer service never answers.",
            "The {item} fell apart after a week, I am really annoyed.",
            "I am very unhappy with how my order was handled.",
            "Nobody replied to my last three e-mails.",
            "I expected much better service from you.",
        ),
    },
    "de": {
        "delivery": (
            "Wo bleibt mein Paket?",
            "Meine Bestellung {order} ist noch nicht angekommen.",
            "Die Sendungsverfolgung zeigt seit {n} Tagen nichts Neues.",
            "Wann kommt meine Lieferung?",
            "Laut Paketdienst zugestellt, aber ich habe nichts bekommen.",
            "Kann ich die Lieferadresse noch ändern?",
        ),
        "return": (
            "Wie schicke ich die {item} zurück?",
            "Ich möchte die Bestellung {order} zurückgeben.",
            "Ich brauche ein Rücksendeetikett.",
            "Kann ich die {item} gegen eine andere Größe tauschen?",
            "Die {item} ist zu klein, ich möchte sie zurückschicken.",
            "Ist die Rücksendung kostenlos?",
        ),
        "payment": (
            "Mir wurde die Bestellung {order} doppelt abgebucht.",
            "Wann bekomme ich mein Geld zurück?",
            "Der Kauf auf Rechnung wurde abgelehnt.",
            "Kann ich mit PayPal bezahlen?",
            "Der Gutscheincode hat an der Kasse nicht funktioniert.",
            "Ich habe eine Mahnung bekommen, aber schon bezahlt.",
        ),
        "account": (
            "Ich kann mich nicht in mein Konto einloggen.",
            "Bitte löschen Sie mein Konto.",
            "Wie ändere ich meine E-Mail-Adresse?",
            "Passwort vergessen und die Mail zum Zurücksetzen kommt nicht.",
            "Bitte melden Sie mich vom Newsletter ab.",
            "Meine Adresse im Konto ist falsch.",
        ),
        "product": (
            "Gibt es die {item} bald wieder in {colour}?",
            "Aus welchem Material ist die {item}?",
            "Fällt die {item} klein aus?",
            "Kann man die {item} bei 40 Grad waschen?",
            "Ist die {item} wasserdicht?",
            "Welche Größe empfehlen Sie für die {item}?",
        ),
        "complaint": (
            "Schon zum zweiten Mal kommt meine Bestellung beschädigt an. Inakzeptabel.",
            "Ihr Kundenservice antwortet nie.",
            "Die {item} ist nach einer Woche kaputt, ich bin echt verärgert.",
            "Ich bin sehr unzufrieden damit, wie meine Bestellung behandelt wurde.",
            "Auf meine letzten drei E-Mails hat niemand geantwortet.",
            "Ich hatte von Ihnen deutlich besseren Service erwartet.",
        ),
    },
}
_GREETINGS = {
    "en": ("Hello,", "Hi team,", "Dear Sir or Madam,", "Hi,", ""),
    "de": ("Hallo,", "Hallo Team,", "Sehr geehrte Damen und Herren,", "Moin,", ""),
}
_SIGNOFFS = {
    "en": ("Thanks in advance.", "Best regards", "Cheers", "Thank you!", ""),
    "de": ("Danke im Voraus.", "Viele Grüße", "LG", "Vielen Dank!", ""),
}
_SOCIAL = {
    "en": {
        "positive": (
            "Just got my new {item} from @{brand} and I love it",
            "@{brand} customer service sorted my issue in minutes, impressed",
            "Shoutout to @{brand} for the quick delivery",
            "The @{brand} sale is actually good this time",
            "Wearing my @{brand} {item} every day now",
            "Not bad at all, @{brand}",
            "Never had a problem with @{brand} so far",
            "Why did nobody tell me about @{brand} earlier?",
        ),
        "neutral": (
            "Anyone tried the @{brand} {item}?",
            "@{brand} is having a sale this weekend",
            "Thinking about ordering from @{brand}, any tips?",
            "Saw the new @{brand} collection today",
            "Does @{brand} ship to {country}?",
            "Is the @{brand} sale online only?",
            "@{brand} not sure yet what I think of the new {item}",
        ),
        "negative": (
            "Still waiting for my @{brand} order, two weeks now",
            "@{brand} please answer my e-mails",
            "My @{brand} {item} broke after a week. Not impressed",
            "Never ordering from @{brand} again",
            "Thanks @{brand} for the damaged parcel, really great",
            "@{brand} my order never arrived",
            "Why does @{brand} never answer?",
            "Not impressed with @{brand} at all",
        ),
    },
    "de": {
        "positive": (
            "Meine neue {item} von @{brand} ist angekommen und ich liebe sie",
            "Der Kundenservice von @{brand} hat mir sofort geholfen, top",
            "Danke @{brand} für die schnelle Lieferung",
            "Der @{brand} Sale lohnt sich diesmal wirklich",
            "Trage meine @{brand} {item} inzwischen jeden Tag",
            "Gar nicht schlecht, @{brand}",
            "Mit @{brand} noch nie Probleme gehabt",
            "Wieso kannte ich @{brand} bisher nicht?",
        ),
        "neutral": (
            "Hat jemand die {item} von @{brand} ausprobiert?",
            "@{brand} hat dieses Wochenende Sale",
            "Überlege bei @{brand} zu bestellen, Erfahrungen?",
            "Heute die neue Kollektion von @{brand} gesehen",
            "Liefert @{brand} auch nach {country}?",
            "Gilt der @{brand} Sale nur online?",
            "@{brand} bin noch unentschlossen, was ich von der neuen Kollektion halte",
        ),
        "negative": (
            "Warte seit zwei Wochen auf meine @{brand} Bestellung",
            "@{brand} bitte antwortet endlich auf meine Mails",
            "Meine @{brand} {item} ist nach einer Woche kaputt. Schwach",
            "Nie wieder @{brand}",
            "Danke @{brand} für das kaputte Paket, ganz toll",
            "@{brand} meine Bestellung ist nie angekommen",
            "Warum antwortet @{brand} eigentlich nie?",
            "@{brand} hat mich gar nicht überzeugt",
        ),
    },
}
_COUNTRY_NAMES = {
    "en": ("Austria", "Switzerland", "the UK", "France"),
    "de": ("Österreich", "die Schweiz", "England", "Frankreich"),
}

FAQ = {
    "en": (
        ("delivery", "How long does delivery take?", "Orders arrive within 2-4 working days in Germany and Austria."),
        ("delivery", "Can I track my parcel?", "Yes, you get a tracking link by e-mail as soon as your order ships."),
        (
            "return",
            "How do I return an item?",
            "Use the return label in your account; returns within 30 days are free.",
        ),
        ("return", "Can I exchange a size?", "Yes, choose 'exchange' when you register the return in your account."),
        ("payment", "Which payment methods do you accept?", "Invoice, credit card, PayPal and direct debit."),
        ("payment", "When do I get my refund?", "Refunds are paid within 5 working days after your return arrives."),
        (
            "account",
            "How do I reset my password?",
            "Click 'forgot password' on the login page; the link is valid for 24 hours.",
        ),
        (
            "account",
            "How do I unsubscribe from the newsletter?",
            "Use the link at the end of every newsletter or your account settings.",
        ),
        ("product", "How do I find my size?", "Each product page has a size chart; most items fit true to size."),
        ("product", "How should I wash merino wool?", "Wash at 30 degrees on the wool programme and dry flat."),
        (
            "complaint",
            "How do I report a damaged delivery?",
            "Send us a photo within 14 days; we replace the item or refund it.",
        ),
        (
            "complaint",
            "How can I reach customer service?",
            "By e-mail or chat, Monday to Friday 8-18; we answer within one day.",
        ),
    ),
    "de": (
        (
            "delivery",
            "Wie lange dauert die Lieferung?",
            "Bestellungen kommen in Deutschland und Österreich in 2-4 Werktagen an.",
        ),
        (
            "delivery",
            "Kann ich mein Paket verfolgen?",
            "Ja, sobald Ihre Bestellung versandt ist, erhalten Sie einen Link per E-Mail.",
        ),
        (
            "return",
            "Wie sende ich einen Artikel zurück?",
            "Nutzen Sie das Rücksendeetikett in Ihrem Konto; 30 Tage kostenlos.",
        ),
        ("return", "Kann ich eine Größe umtauschen?", "Ja, wählen Sie bei der Rücksendung im Konto 'Umtausch'."),
        ("payment", "Welche Zahlungsarten gibt es?", "Rechnung, Kreditkarte, PayPal und Lastschrift."),
        ("payment", "Wann bekomme ich mein Geld zurück?", "Innerhalb von 5 Werktagen nach Eingang Ihrer Rücksendung."),
        (
            "account",
            "Wie setze ich mein Passwort zurück?",
            "Klicken Sie beim Login auf 'Passwort vergessen'; der Link gilt 24 Stunden.",
        ),
        (
            "account",
            "Wie melde ich mich vom Newsletter ab?",
            "Über den Link am Ende jedes Newsletters oder in Ihrem Konto.",
        ),
        (
            "product",
            "Wie finde ich meine Größe?",
            "Jede Produktseite hat eine Größentabelle; die meisten Artikel fallen normal aus.",
        ),
        ("product", "Wie wasche ich Merinowolle?", "Bei 30 Grad im Wollprogramm waschen und liegend trocknen."),
        (
            "complaint",
            "Wie melde ich eine beschädigte Lieferung?",
            "Schicken Sie uns binnen 14 Tagen ein Foto; wir ersetzen oder erstatten.",
        ),
        (
            "complaint",
            "Wie erreiche ich den Kundenservice?",
            "Per E-Mail oder Chat, Mo-Fr 8-18 Uhr; Antwort innerhalb eines Tages.",
        ),
    ),
}


def _fill(rng: np.random.Generator, template: str, lang: str) -> str:
    if "{" not in template:
        return template
    return template.format(
        item=_ITEMS[lang][rng.integers(len(_ITEMS[lang]))],
        colour=_COLOURS[lang][rng.integers(len(_COLOURS[lang]))],
        size=_SIZES[rng.integers(len(_SIZES))],
        n=int(rng.integers(2, 15)),
        order=f"O{int(rng.integers(10_000_000, 99_999_999))}",
        brand=BRAND.lower(),
        country=_COUNTRY_NAMES[lang][rng.integers(len(_COUNTRY_NAMES[lang]))],
    )


def _pick(rng: np.random.Generator, pool: tuple[str, ...]) -> str:
    return pool[rng.integers(len(pool))]


def reviews(rng: np.random.Generator, sentiment: np.ndarray, lang: np.ndarray) -> list[str]:
    """Review texts for sentiment indices (0 positive, 1 neutral, 2 negative); see :mod:`.opinions`.

    The texts come from a generator spawned from ``rng`` (its stream is not advanced), so the
    wording can change without changing the rest of the simulated world.
    """
    (rng,) = rng.spawn(1)
    out = []
    for s, lg in zip(sentiment.tolist(), lang.tolist(), strict=True):
        _, parts = opinions.opinion(rng, lg, SENTIMENTS[s])
        if rng.random() < 0.5:
            parts.insert(0, _pick(rng, _OPENERS[lg]))
        if rng.random() < 0.3:  # a fact that says nothing either way
            aspect = opinions.ASPECTS[int(rng.integers(len(opinions.ASPECTS)))]
            fact = opinions.clause(rng, lg, aspect, "neu")
            parts.insert(0, fact) if rng.random() < 0.5 else parts.append(fact)
        out.append(" ".join(_fill(rng, p, lg) for p in parts if p))
    return out


def tickets(rng: np.random.Generator, intent: np.ndarray, lang: np.ndarray) -> list[str]:
    """Support messages for intent indices (see :data:`INTENTS`)."""
    out = []
    for i, lg in zip(intent.tolist(), lang.tolist(), strict=True):
        cues = _INTENT_CUES[lg]
        own = cues[INTENTS[i]]
        j = int(rng.integers(len(own)))
        parts = [_pick(rng, _GREETINGS[lg]), _fill(rng, own[j], lg)]
        if rng.random() < 0.3:
            other = INTENTS[int(rng.integers(len(INTENTS)))]
            parts.append(_fill(rng, _pick(rng, cues[other]), lg))
        if rng.random() < 0.4:
            parts.append(_fill(rng, own[(j + int(rng.integers(1, len(own)))) % len(own)], lg))
        parts.append(_pick(rng, _SIGNOFFS[lg]))
        out.append(" ".join(p for p in parts if p))
    return out


def social(rng: np.random.Generator, sentiment: np.ndarray, lang: np.ndarray) -> list[str]:
    """Posts about the brand: a short post of the true class with part of an opinion after it, or an opinion
    (plain, negated, ironic, mixed or a question; see :mod:`.opinions`) addressed to the brand."""
    (rng,) = rng.spawn(1)
    out = []
    for s, lg in zip(sentiment.tolist(), lang.tolist(), strict=True):
        _, parts = opinions.opinion(rng, lg, SENTIMENTS[s])
        if rng.random() < 0.5:
            text = _fill(rng, _pick(rng, _SOCIAL[lg][SENTIMENTS[s]]), lg)
            sep = " " if text.endswith((".", "!", "?")) else ". "
            text += sep + " ".join(_fill(rng, p, lg) for p in parts[:2])
        else:
            text = f"@{BRAND.lower()} " + " ".join(_fill(rng, p, lg) for p in parts)
        out.append(text)
    return out


def noisy_labels(rng: np.random.Generator, true: np.ndarray, n_classes: int, rate: float) -> np.ndarray:
    """Recorded labels: the true class, except a share ``rate`` that a person labelled wrongly."""
    wrong = rng.random(len(true)) < rate
    shift = rng.integers(1, n_classes, len(true))
    return np.where(wrong, (true + shift) % n_classes, true)
