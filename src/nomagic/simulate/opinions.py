"""Opinions in reviews and social posts, put together so that the label follows the meaning, not the words.

A text about the shop is built from *clauses* about one aspect (delivery, price, quality, fit,
service) and an optional overall *verdict*. A clause says its aspect in one of several ways:

* ``pos`` / ``neg`` -- plainly ("Delivery was quick." / "Far too small.");
* ``not_neg`` -- positive by negating something bad ("nicht schlecht", "no problems with the
  delivery"); ``not_pos`` -- negative by negating something good ("nie angekommen", "not worth it");
* ``irony`` -- sarcasm: words of praise around a bad event ("Great, only 9 days late this time.");
* ``ask_neg`` -- a rhetorical question that complains; ``ask`` -- a plain question (neutral);
* ``neu`` -- a fact without an opinion.

A review's *kind* picks the ways: plain, negation, question, irony, or mixed (praise and complaint
together, the overall verdict deciding the label; a balanced one is neutral). So "not", "nie",
"great" and question marks occur in every class, and a model has to learn which combinations
matter -- as on real reviews, where a bag of single words calls "Die Lieferung kam nie an" fine.

Shares (:data:`KINDS`, per class) are set by judgement, not measured on a corpus: negation in about a
fifth to a quarter of opinions, mixed opinions in a fifth to a third, sarcasm and rhetorical
questions in a few per cent, plain questions mostly in neutral texts.

The phrases were written for the simulator alone: none of them is a sentence of the sentiment check
set shipped with :mod:`nomagic.usecases.language` (a test makes sure), which judges models trained
here on other wording.
"""

from __future__ import annotations

import numpy as np

ASPECTS = ("quality", "fit", "delivery", "price", "service")
ASPECT_SHARES = np.array([0.3, 0.25, 0.2, 0.15, 0.1])

#: ``KINDS[sentiment]``: (kind, share) of review kinds per true class.
KINDS = {
    "positive": (("plain", 0.55), ("negation", 0.17), ("mixed", 0.2), ("question", 0.04), ("irony", 0.04)),
    "neutral": (("plain", 0.35), ("question", 0.25), ("mixed", 0.3), ("negation", 0.1)),
    "negative": (("plain", 0.4), ("negation", 0.25), ("irony", 0.12), ("question", 0.08), ("mixed", 0.15)),
}

_CLAUSES = {
    "en": {
        "delivery": {
            "pos": (
                "Delivery was quick.",
                "It arrived a day earlier than expected.",
                "The parcel came on time and well packed.",
                "Shipping was fast and the tracking worked.",
            ),
            "neg": (
                "Delivery took almost three weeks.",
                "The parcel came late and badly dented.",
                "The courier left the parcel out in the rain.",
                "Shipping was painfully slow.",
                "The tracking showed nothing for {n} days.",
            ),
            "not_neg": (
                "Delivery was not slow at all.",
                "No problems at all with the delivery.",
                "The parcel didn't take long.",
                "Shipping was never an issue.",
            ),
            "not_pos": (
                "My order never arrived.",
                "The parcel never turned up.",
                "The parcel is still not here.",
                "Delivery was not on time, again.",
                "Nothing came on the promised day.",
                "Nothing has arrived after {n} days.",
            ),
            "irony": (
                "Great, only {n} days late this time.",
                "Wonderful, the box arrived soaked.",
                "Love how the tracking says delivered when nothing came.",
                "Fantastic courier, the parcel was in the bin.",
            ),
            "ask_neg": (
                "Why does a simple parcel take three weeks?",
                "How hard can it be to deliver to the right address?",
                "What is the tracking link for, exactly?",
            ),
            "ask": (
                "Can I collect the parcel from a shop?",
                "Is express shipping available?",
                "Which courier do you use?",
                "When will my order ship?",
                "Do you deliver on Saturdays?",
            ),
            "neu": (
                "Delivery took {n} days.",
                "It came with the usual courier.",
                "The parcel was left at the front door.",
                "Shipped in a plain box.",
            ),
        },
        "price": {
            "pos": (
                "Good value for money.",
                "The price is more than fair.",
                "Money well spent.",
                "You get a lot for the price.",
            ),
            "neg": (
                "Far too expensive for what you get.",
                "Completely overpriced.",
                "The shipping fees at checkout were a nasty surprise.",
                "You pay a lot for very little.",
            ),
            "not_neg": (
                "For this quality the price is not high at all.",
                "Not expensive for what you get.",
                "You won't regret the money.",
                "No hidden costs anywhere.",
            ),
            "not_pos": (
                "Not worth the price.",
                "Definitely not a bargain.",
                "Sadly not worth what it costs.",
                "The discount was not applied.",
            ),
            "irony": (
                "Brilliant deal: full price for something that looks second-hand.",
                "Sure, charge my card twice, why not.",
                "Such a bargain, the cheap ones last longer.",
            ),
            "ask_neg": (
                "Who pays this much for something so flimsy?",
                "Why does shipping cost almost as much as the item?",
            ),
            "ask": (
                "Will there be a sale again soon?",
                "Are there discount codes for newsletter subscribers?",
                "Does the price include VAT?",
                "When does the sale end?",
                "Is shipping free above a certain amount?",
            ),
            "neu": ("Paid the regular price.", "Bought it in the sale.", "The price is in the usual range."),
        },
        "quality": {
            "pos": (
                "The material is soft and solid.",
                "Well made and nicely finished.",
                "Still holds up perfectly after months.",
                "The {item} is really sturdy.",
                "Great quality.",
            ),
            "neg": (
                "The seams came apart after two weeks.",
                "The colour faded after the first wash.",
                "It feels cheap and flimsy.",
                "A button came off within a week.",
                "Poor quality.",
            ),
            "not_neg": (
                "Not bad at all.",
                "The quality is not bad at all.",
                "Nothing has broken so far, not even after months.",
                "Not worn out one bit.",
                "No loose threads, nothing.",
            ),
            "not_pos": (
                "The quality is not good.",
                "Not the quality I expected.",
                "Didn't even last a month.",
                "It doesn't feel well made.",
                "Not durable at all.",
            ),
            "irony": (
                "Oh great, another thing that falls apart.",
                "Lovely, now it stains all my other clothes.",
                "Top quality: a hole after the second wash.",
            ),
            "ask_neg": ("Is this really supposed to be quality?", "Did anyone test this before selling it?"),
            "ask": (
                "Does anyone know if it can go in the dryer?",
                "Is the fabric waterproof?",
                "What material is the lining?",
                "Is it machine washable?",
                "How warm is it in winter?",
            ),
            "neu": (
                "The material is cotton with some polyester.",
                "I washed it twice so far.",
                "Wore it on a hiking trip.",
                "The description matches.",
            ),
        },
        "fit": {
            "pos": (
                "Fits perfectly.",
                "Very comfortable, I wear it every day.",
                "Size {size} is just right.",
                "Comfortable from the first day.",
            ),
            "neg": (
                "Far too small.",
                "Uncomfortable and scratchy.",
                "The cut is awful.",
                "Way too tight around the shoulders.",
            ),
            "not_neg": ("Not uncomfortable at all.", "No pinching, no rubbing.", "Didn't need to break them in."),
            "not_pos": (
                "Doesn't fit at all.",
                "Not comfortable in the slightest.",
                "It just doesn't sit right.",
                "Not true to size at all.",
            ),
            "irony": ("Perfect fit, if you are a child.", "Super comfortable, if you like blisters."),
            "ask_neg": ("Who designed this cut?", "Why is an L smaller than an S?"),
            "ask": (
                "Does it run small?",
                "Should I size up?",
                "Is the {item} true to size?",
                "How long are the sleeves?",
                "What size is the model wearing?",
            ),
            "neu": ("Size {size} as described.", "Ordered in size {size}.", "Got the {item} in {colour}."),
        },
        "service": {
            "pos": (
                "Customer service was quick and friendly.",
                "They answered my email within an hour.",
                "The exchange was easy.",
                "Support solved my problem right away.",
            ),
            "neg": (
                "Customer service is rude.",
                "Waited {n} days for an answer.",
                "The hotline kept me on hold for an hour.",
                "My complaint was ignored.",
            ),
            "not_neg": (
                "No trouble at all with the return.",
                "The exchange was not complicated at all.",
                "Never had to wait long for an answer.",
                "No questions asked when I sent it back.",
            ),
            "not_pos": (
                "Nobody answered my emails.",
                "No one returned my call.",
                "The refund has not arrived, {n} weeks on.",
                "Customer service was not helpful at all.",
                "They never replied.",
            ),
            "irony": (
                "Thanks for answering after only {n} weeks.",
                "Really helpful, being sent a link to the FAQ.",
                "Great, I now know every song in the hold queue.",
            ),
            "ask_neg": ("Does anyone at customer service read emails?", "Why do I have to call five times?"),
            "ask": (
                "How do I start a return?",
                "Can I exchange it for another size?",
                "Is the return free?",
                "How long do refunds usually take?",
                "Where do I find the return label?",
            ),
            "neu": ("Returned one item.", "Asked about the size by chat.", "Contacted customer service once."),
        },
    },
    "de": {
        "delivery": {
            "pos": (
                "Die Lieferung war schnell.",
                "Kam einen Tag früher als angekündigt.",
                "Das Paket kam pünktlich und gut verpackt.",
                "Der Versand ging fix, die Sendungsverfolgung hat funktioniert.",
            ),
            "neg": (
                "Die Lieferung hat fast drei Wochen gedauert.",
                "Das Paket kam zu spät und ziemlich verbeult.",
                "Der Bote hat das Paket im Regen stehen lassen.",
                "Der Versand war extrem langsam.",
                "Die Sendungsverfolgung zeigte {n} Tage lang nichts.",
            ),
            "not_neg": (
                "Die Lieferung war überhaupt nicht langsam.",
                "Mit der Lieferung gab es keinerlei Probleme.",
                "Das Paket hat nicht lange gebraucht.",
                "Der Versand war nie ein Problem.",
            ),
            "not_pos": (
                "Meine Bestellung ist nie angekommen.",
                "Das Paket kam nie an.",
                "Das Paket ist immer noch nicht da.",
                "Die Lieferung kam wieder nicht pünktlich.",
                "Am versprochenen Tag kam nichts.",
                "Nach {n} Tagen ist immer noch nichts angekommen.",
            ),
            "irony": (
                "Toll, diesmal nur {n} Tage zu spät.",
                "Wunderbar, der Karton kam durchweicht an.",
                "Super, laut Sendungsverfolgung zugestellt, angekommen ist nichts.",
                "Klasse Paketdienst, das Paket lag in der Mülltonne.",
            ),
            "ask_neg": (
                "Warum dauert ein einfaches Paket drei Wochen?",
                "Wie schwer kann es sein, an die richtige Adresse zu liefern?",
                "Wozu gibt es eigentlich eine Sendungsverfolgung?",
            ),
            "ask": (
                "Kann man das Paket auch in einer Filiale abholen?",
                "Gibt es Expressversand?",
                "Mit welchem Paketdienst wird verschickt?",
                "Wann wird meine Bestellung verschickt?",
                "Liefert ihr auch samstags?",
            ),
            "neu": (
                "Die Lieferung hat {n} Tage gedauert.",
                "Kam mit dem üblichen Paketdienst.",
                "Das Paket lag vor der Haustür.",
                "Verschickt in einem schlichten Karton.",
            ),
        },
        "price": {
            "pos": (
                "Gutes Preis-Leistungs-Verhältnis.",
                "Der Preis ist mehr als fair.",
                "Gut angelegtes Geld.",
                "Für das Geld bekommt man richtig viel.",
            ),
            "neg": (
                "Viel zu teuer für das, was man bekommt.",
                "Völlig überteuert.",
                "Die Versandkosten waren eine böse Überraschung.",
                "Man zahlt viel für wenig.",
            ),
            "not_neg": (
                "Für diese Qualität ist der Preis gar nicht hoch.",
                "Für das, was man bekommt, nicht teuer.",
                "Das Geld bereut man nicht.",
                "Keine versteckten Kosten.",
            ),
            "not_pos": (
                "Den Preis nicht wert.",
                "Ganz sicher kein Schnäppchen.",
                "Leistet leider nicht, was es kostet.",
                "Der Rabatt wurde nicht abgezogen.",
            ),
            "irony": (
                "Tolles Angebot: voller Preis für etwas, das nach Flohmarkt aussieht.",
                "Klar, bucht ruhig doppelt ab.",
                "Echtes Schnäppchen, die billigen halten länger.",
            ),
            "ask_neg": (
                "Wer zahlt so viel für etwas so Labbriges?",
                "Warum kostet der Versand fast so viel wie der Artikel?",
            ),
            "ask": (
                "Gibt es bald wieder einen Sale?",
                "Gibt es Rabattcodes für Newsletter-Abonnenten?",
                "Ist die Mehrwertsteuer im Preis enthalten?",
                "Wann endet der Sale?",
                "Ab welchem Betrag ist der Versand kostenlos?",
            ),
            "neu": ("Zum normalen Preis gekauft.", "Im Sale bestellt.", "Preislich im üblichen Rahmen."),
        },
        "quality": {
            "pos": (
                "Das Material ist weich und robust.",
                "Gut verarbeitet.",
                "Hält auch nach Monaten noch einwandfrei.",
                "Wirklich stabil.",
                "Tolle Qualität.",
            ),
            "neg": (
                "Die Nähte sind nach zwei Wochen aufgegangen.",
                "Die Farbe ist nach der ersten Wäsche verblasst.",
                "Fühlt sich billig und labbrig an.",
                "Ein Knopf ist nach einer Woche abgefallen.",
                "Schlechte Qualität.",
            ),
            "not_neg": (
                "Gar nicht schlecht.",
                "Die Qualität ist überhaupt nicht schlecht.",
                "Bisher ist nichts kaputtgegangen, auch nach Monaten nicht.",
                "Kein bisschen ausgeleiert.",
                "Keine losen Fäden, nichts.",
            ),
            "not_pos": (
                "Die Qualität ist nicht gut.",
                "Nicht die Qualität, die ich erwartet hatte.",
                "Hat nicht mal einen Monat gehalten.",
                "Wirkt nicht gut verarbeitet.",
                "Überhaupt nicht haltbar.",
            ),
            "irony": (
                "Super, schon wieder etwas, das auseinanderfällt.",
                "Herrlich, jetzt färbt es auf alles andere ab.",
                "Qualität vom Feinsten: ein Loch nach der zweiten Wäsche.",
            ),
            "ask_neg": ("Soll das wirklich Qualität sein?", "Hat das vor dem Verkauf mal jemand getestet?"),
            "ask": (
                "Weiß jemand, ob es in den Trockner darf?",
                "Ist der Stoff wasserdicht?",
                "Aus welchem Material ist das Futter?",
                "Kann man es in der Maschine waschen?",
                "Wie warm hält es im Winter?",
            ),
            "neu": (
                "Material: Baumwolle mit etwas Polyester.",
                "Bisher zweimal gewaschen.",
                "Beim Wandern getragen.",
                "Die Beschreibung stimmt.",
            ),
        },
        "fit": {
            "pos": (
                "Passt perfekt.",
                "Sehr bequem, ich trage es jeden Tag.",
                "Größe {size} sitzt genau richtig.",
                "Vom ersten Tag an bequem.",
            ),
            "neg": (
                "Viel zu klein.",
                "Unbequem und kratzig.",
                "Der Schnitt ist furchtbar.",
                "An den Schultern viel zu eng.",
            ),
            "not_neg": (
                "Überhaupt nicht unbequem.",
                "Nichts drückt, nichts scheuert.",
                "Musste sie nicht mal einlaufen.",
            ),
            "not_pos": (
                "Passt überhaupt nicht.",
                "Kein bisschen bequem.",
                "Sitzt einfach nicht.",
                "Fällt gar nicht normal aus.",
            ),
            "irony": ("Perfekte Passform, falls man ein Kind ist.", "Super bequem, wenn man Blasen mag."),
            "ask_neg": ("Wer hat sich diesen Schnitt ausgedacht?", "Warum ist ein L kleiner als ein S?"),
            "ask": (
                "Fällt es klein aus?",
                "Sollte man eine Größe größer nehmen?",
                "Fällt das Modell normal aus?",
                "Wie lang sind die Ärmel?",
                "Welche Größe trägt das Model?",
            ),
            "neu": ("Größe {size} wie beschrieben.", "In Größe {size} bestellt.", "{item} in {colour} bekommen."),
        },
        "service": {
            "pos": (
                "Der Kundenservice war schnell und freundlich.",
                "Meine Mail wurde innerhalb einer Stunde beantwortet.",
                "Der Umtausch war ganz einfach.",
                "Der Support hat mein Problem sofort gelöst.",
            ),
            "neg": (
                "Der Kundenservice ist unhöflich.",
                "{n} Tage auf eine Antwort gewartet.",
                "Eine Stunde in der Warteschleife der Hotline.",
                "Meine Beschwerde wurde ignoriert.",
            ),
            "not_neg": (
                "Mit der Rücksendung gab es keinerlei Ärger.",
                "Der Umtausch war überhaupt nicht kompliziert.",
                "Musste nie lange auf eine Antwort warten.",
                "Rücksendung ohne jede Nachfrage.",
            ),
            "not_pos": (
                "Auf meine Mails hat niemand geantwortet.",
                "Niemand hat mich je zurückgerufen.",
                "Die Erstattung ist nach {n} Wochen noch nicht da.",
                "Der Kundenservice war überhaupt nicht hilfreich.",
                "Nie eine Antwort bekommen.",
            ),
            "irony": (
                "Danke, dass ihr nach nur {n} Wochen antwortet.",
                "Sehr hilfreich, der Verweis auf die FAQ.",
                "Ganz toll, in der Warteschleife kenne ich jetzt jedes Lied.",
            ),
            "ask_neg": ("Liest beim Kundenservice überhaupt jemand Mails?", "Warum muss ich fünfmal anrufen?"),
            "ask": (
                "Wie starte ich eine Rücksendung?",
                "Kann ich in eine andere Größe umtauschen?",
                "Ist die Rücksendung kostenlos?",
                "Wie lange dauert eine Erstattung normalerweise?",
                "Wo finde ich das Rücksendeetikett?",
            ),
            "neu": (
                "Einen Artikel zurückgeschickt.",
                "Im Chat nach der Größe gefragt.",
                "Einmal den Kundenservice kontaktiert.",
            ),
        },
    },
}

#: Words for evaluative sentences put together at random ("The fabric is really flimsy.", "Der Versand war
#: alles andere als schnell."): aspect nouns (as they stand inside a sentence), adjectives of praise,
#: blame and neither (general ones and the aspect's own), intensifiers, and sarcastic interjections.
#: They give the simulated texts the breadth of everyday words a hand-written list lacks, and every
#: adjective occurs plainly and negated, so "good" alone says little and "not good" says much.
_WORDS = {
    "en": {
        "nouns": {
            "quality": ("the material", "the fabric", "the quality", "the stitching", "the {item}", "the finish"),
            "fit": ("the fit", "the cut", "the sizing", "the {item}"),
            "delivery": ("the delivery", "shipping", "the packaging", "the courier"),
            "price": ("the price", "the value for money", "the deal"),
            "service": ("customer service", "the support team", "the hotline", "the return process", "the staff"),
        },
        "pos": (
            "great",
            "excellent",
            "superb",
            "lovely",
            "perfect",
            "fantastic",
            "brilliant",
            "good",
            "wonderful",
            "amazing",
            "outstanding",
            "impressive",
            "top-notch",
            "spot on",
        ),
        "neg": (
            "bad",
            "poor",
            "awful",
            "terrible",
            "horrible",
            "disappointing",
            "dreadful",
            "useless",
            "rubbish",
            "a joke",
            "a disaster",
            "unacceptable",
        ),
        "neu": ("okay", "average", "fine", "acceptable", "standard", "so-so", "nothing special", "as described"),
        "aspect_pos": {
            "quality": ("solid", "sturdy", "durable", "well made"),
            "fit": ("comfortable", "flattering"),
            "delivery": ("fast", "quick", "prompt", "punctual"),
            "price": ("fair", "reasonable", "affordable"),
            "service": ("friendly", "helpful", "polite", "responsive"),
        },
        "aspect_neg": {
            "quality": ("flimsy", "cheap", "shoddy", "thin"),
            "fit": ("uncomfortable", "tight", "baggy"),
            "delivery": ("slow", "late", "chaotic"),
            "price": ("overpriced", "steep", "too high"),
            "service": ("rude", "unhelpful", "slow", "clueless"),
        },
        "very": ("", "", "really ", "very ", "absolutely ", "super ", "quite ", "extremely "),
        "is": ("is", "was"),
        "wow": (
            "Great",
            "Wonderful",
            "Fantastic",
            "Brilliant",
            "Lovely",
            "Perfect",
            "Just great",
            "Oh joy",
            "Well done",
        ),
    },
    "de": {
        "nouns": {
            "quality": ("der Stoff", "das Material", "die Qualität", "die Verarbeitung", "der Reißverschluss"),
            "fit": ("die Passform", "der Schnitt", "die Größe"),
            "delivery": ("die Lieferung", "der Versand", "die Verpackung", "der Paketdienst"),
            "price": ("der Preis", "das Angebot", "das Preis-Leistungs-Verhältnis"),
            "service": ("der Kundenservice", "der Support", "die Hotline", "die Rücksendung", "das Personal"),
        },
        "pos": (
            "toll",
            "super",
            "klasse",
            "hervorragend",
            "ausgezeichnet",
            "prima",
            "spitze",
            "wunderbar",
            "perfekt",
            "gut",
            "großartig",
            "top",
            "erstklassig",
            "einwandfrei",
        ),
        "neg": (
            "schlecht",
            "miserabel",
            "furchtbar",
            "schrecklich",
            "enttäuschend",
            "mies",
            "grottig",
            "katastrophal",
            "unterirdisch",
            "eine Frechheit",
            "ein Witz",
            "inakzeptabel",
        ),
        "neu": (
            "okay",
            "in Ordnung",
            "durchschnittlich",
            "mittelmäßig",
            "normal",
            "akzeptabel",
            "wie beschrieben",
            "so lala",
        ),
        "aspect_pos": {
            "quality": ("stabil", "robust", "hochwertig"),
            "fit": ("bequem", "angenehm"),
            "delivery": ("schnell", "pünktlich", "flott"),
            "price": ("fair", "günstig", "preiswert"),
            "service": ("freundlich", "hilfsbereit", "kompetent", "kulant"),
        },
        "aspect_neg": {
            "quality": ("billig", "dünn", "minderwertig", "labbrig"),
            "fit": ("unbequem", "eng", "schlabberig"),
            "delivery": ("langsam", "unzuverlässig", "chaotisch"),
            "price": ("überteuert", "zu hoch", "happig"),
            "service": ("unfreundlich", "unhöflich", "inkompetent", "langsam"),
        },
        "very": ("", "", "echt ", "sehr ", "wirklich ", "total ", "richtig ", "absolut "),
        "is": ("ist", "war"),
        "wow": ("Toll", "Super", "Klasse", "Na toll", "Wunderbar", "Prima", "Herrlich", "Ganz toll", "Bravo"),
    },
}
#: How each way of saying an aspect is built from the words above: (template, adjectives).
_BUILT = {
    "en": {
        "pos": (("{Noun} {be} {very}{adj}.", "pos"),),
        "neg": (("{Noun} {be} {very}{adj}.", "neg"),),
        "not_neg": (
            ("{Noun} {be} not {adj} at all.", "neg"),
            ("{Noun} {be} not {adj}, far from it.", "neg"),
            ("Not {adj}, {noun}.", "neg"),
        ),
        "not_pos": (
            ("{Noun} {be} not {adj}.", "pos"),
            ("{Noun} {be} anything but {adj}.", "pos"),
            ("{Noun} {be} not {adj} at all.", "pos"),
        ),
        "neu": (("{Noun} {be} {adj}.", "neu"), ("{Noun}: {adj}.", "neu")),
        "ask_neg": (("Why {be} {noun} so {adj}?", "neg"), ("How can {noun} be this {adj}?", "neg")),
    },
    "de": {
        "pos": (("{Noun} {be} {very}{adj}.", "pos"),),
        "neg": (("{Noun} {be} {very}{adj}.", "neg"),),
        "not_neg": (
            ("{Noun} {be} überhaupt nicht {adj}.", "neg"),
            ("{Noun} {be} gar nicht {adj}.", "neg"),
            ("{Noun} {be} keineswegs {adj}.", "neg"),
        ),
        "not_pos": (
            ("{Noun} {be} nicht {adj}.", "pos"),
            ("{Noun} {be} alles andere als {adj}.", "pos"),
            ("{Noun} {be} nicht {adj}, im Gegenteil.", "pos"),
        ),
        "neu": (("{Noun} {be} {adj}.", "neu"), ("{Noun}: {adj}.", "neu")),
        "ask_neg": (("Warum {be} {noun} so {adj}?", "neg"), ("Wie kann {noun} nur so {adj} sein?", "neg")),
    },
}
# phrases, not adjectives: they read wrongly after "not", "so" or an intensifier
_PHRASES = {
    "a joke",
    "a disaster",
    "spot on",
    "eine Frechheit",
    "ein Witz",
    "as described",
    "nothing special",
    "wie beschrieben",
    "in Ordnung",
    "so lala",
    "too high",
    "zu hoch",
}


def built(rng: np.random.Generator, lang: str, aspect: str, way: str) -> str | None:
    """An evaluative sentence about ``aspect`` said in ``way``, put together from :data:`_WORDS`; None where
    there is no template for the way."""
    templates = _BUILT[lang].get(way)
    if not templates:
        return None
    w = _WORDS[lang]
    template, polarity = _pick(rng, templates)
    own = w[f"aspect_{polarity}"][aspect] if polarity in ("pos", "neg") else ()
    adjectives = tuple(w[polarity]) + tuple(own) * 2  # the aspect's own words are likelier
    if way not in ("pos", "neg", "neu"):  # negated or in a question: no noun phrases ("not a joke")
        adjectives = tuple(x for x in adjectives if x not in _PHRASES)
    adj = _pick(rng, adjectives)
    noun = _pick(rng, w["nouns"][aspect])
    very = "" if adj in _PHRASES else _pick(rng, w["very"])
    return template.format(Noun=noun[:1].upper() + noun[1:], noun=noun, adj=adj, very=very, be=_pick(rng, w["is"]))


def sarcasm(rng: np.random.Generator, lang: str, aspect: str) -> str:
    """Praise around a complaint: "Great, the parcel came late and badly dented."."""
    bad = clause(rng, lang, aspect, "neg")
    return f"{_pick(rng, _WORDS[lang]['wow'])}, {_after_but(lang, bad)}"


#: Overall verdicts: ``pos``/``neg`` plain, ``not_neg``/``not_pos`` by negation, ``neu`` and ``neu_not``
#: (neither, said with negations), ``ask_pos`` and ``irony_pos`` (praise as a question or a joke), and
#: the closing words of a mixed review (``end_pos``, ``end_neg``, ``end_neu``).
_VERDICTS = {
    "en": {
        "pos": (
            "Really happy with it.",
            "Would buy again.",
            "Highly recommended.",
            "Five stars from me.",
            "My new favourite.",
            "Love it!",
            "Very pleased.",
        ),
        "neg": (
            "Very disappointed.",
            "A waste of money.",
            "I'm really annoyed.",
            "Sending it back.",
            "Avoid.",
            "One star.",
            "So frustrating.",
        ),
        "not_neg": ("Can't complain.", "No regrets.", "Not disappointed at all.", "Nothing to complain about."),
        "not_pos": (
            "Would not buy again.",
            "Not impressed.",
            "Can't recommend it.",
            "Never again.",
            "Not happy at all.",
        ),
        "neu": (
            "It's okay.",
            "Does what it should, nothing special.",
            "Average.",
            "Neither good nor bad.",
            "Decent, but I have seen better.",
            "Three stars.",
        ),
        "neu_not": ("Not thrilled, not disappointed either.", "No highlight, but no disaster either."),
        "ask_pos": ("What more could you want?", "Where has this been all my life?"),
        "irony_pos": ("Bad news for my wallet: I'm ordering another one.", "My bank account is crying, I'm smiling."),
        "end_pos": ("Still, very happy overall.", "All in all, worth it.", "Overall still happy."),
        "end_neg": ("Overall a disappointment.", "All in all, not worth it.", "So overall: no."),
        "end_neu": ("So, a mixed bag overall.", "Mixed feelings."),
    },
    "de": {
        "pos": (
            "Bin sehr zufrieden.",
            "Würde ich wieder kaufen.",
            "Klare Empfehlung.",
            "Fünf Sterne von mir.",
            "Mein neues Lieblingsstück.",
            "Ich liebe es!",
            "Rundum glücklich.",
        ),
        "neg": (
            "Sehr enttäuscht.",
            "Rausgeschmissenes Geld.",
            "Ich bin echt verärgert.",
            "Geht zurück.",
            "Finger weg.",
            "Ein Stern.",
            "Einfach nur ärgerlich.",
            "Ich bin stinksauer.",
        ),
        "not_neg": ("Nichts zu meckern.", "Keine Reue.", "Überhaupt nicht enttäuscht.", "Gibt nichts zu bemängeln."),
        "not_pos": (
            "Würde ich nicht wieder kaufen.",
            "Nicht überzeugt.",
            "Kann ich nicht empfehlen.",
            "Nie wieder.",
            "Gar nicht zufrieden.",
        ),
        "neu": (
            "Ist in Ordnung.",
            "Tut, was es soll, mehr nicht.",
            "Durchschnitt.",
            "Weder gut noch schlecht.",
            "Ganz ordentlich, aber ich kenne Besseres.",
            "Drei Sterne.",
        ),
        "neu_not": (
            "Begeistert bin ich nicht, enttäuscht aber auch nicht.",
            "Kein Highlight, aber auch kein Reinfall.",
        ),
        "ask_pos": ("Was will man mehr?", "Warum gibt es das nicht schon länger?"),
        "irony_pos": (
            "Schlecht für meinen Geldbeutel: Ich bestelle gleich noch eins.",
            "Mein Sparkonto leidet, ich strahle.",
        ),
        "end_pos": (
            "Trotzdem insgesamt sehr zufrieden.",
            "Unterm Strich lohnt es sich.",
            "Alles in allem trotzdem gut.",
        ),
        "end_neg": ("Insgesamt eine Enttäuschung.", "Unterm Strich lohnt es sich nicht.", "Alles in allem: nein."),
        "end_neu": ("Also insgesamt durchwachsen.", "Gemischte Gefühle."),
    },
}

#: Words that join the two sides of a mixed opinion: "But ..." before the weightier side, or a label
#: in front of the lesser side after the main one ("Only downside: ...").
_JOIN = {
    "en": {
        "but": "But",
        "downside": "Only downside:",
        "upside": "The only good thing:",
        "plus": "Plus:",
        "minus": "Minus:",
    },
    "de": {
        "but": "Aber",
        "downside": "Einziges Manko:",
        "upside": "Einziger Lichtblick:",
        "plus": "Plus:",
        "minus": "Minus:",
    },
}
# after "Aber" a German clause starts lower case unless its first word is a noun (or a slot)
_DE_NOUNS = {"Größe", "Material:", "Qualität", "Rücksendung", "Klasse", "Danke,"}


def _pick(rng: np.random.Generator, pool) -> str:
    return pool[int(rng.integers(len(pool)))]


def _aspects(rng: np.random.Generator, k: int) -> list[str]:
    return [ASPECTS[i] for i in rng.choice(len(ASPECTS), size=k, replace=False, p=ASPECT_SHARES)]


def clause(rng: np.random.Generator, lang: str, aspect: str, way: str) -> str:
    """One sentence about ``aspect`` said in ``way`` (``pos``, ``not_pos``, ``irony``, ...), slots unfilled:
    a hand-written one, or (about half the time, where the way has a template) one put together."""
    if way == "irony" and rng.random() < 0.5:
        return sarcasm(rng, lang, aspect)
    if way in _BUILT[lang] and rng.random() < 0.5:
        return built(rng, lang, aspect, way)
    return _pick(rng, _CLAUSES[lang][aspect][way])


def verdict(rng: np.random.Generator, lang: str, way: str) -> str:
    return _pick(rng, _VERDICTS[lang][way])


def _after_but(lang: str, text: str) -> str:
    """``text`` as it continues a sentence: "But delivery was quick", "Aber die Lieferung", "Aber Größe M"."""
    first = text.split(" ", 1)[0]
    if first.startswith("{") or first in (("I", "I'm", "I've", "I'd") if lang == "en" else _DE_NOUNS):
        return text
    return text[:1].lower() + text[1:]


def contrast(rng: np.random.Generator, lang: str, lesser: str, main: str, main_positive: bool) -> list[str]:
    """The two sides of a mixed opinion, ``main`` weighing more: "lesser. But main." or "main. Only downside: lesser."."""
    j = _JOIN[lang]
    if rng.random() < 0.5:
        return [lesser, f"{j['but']} {_after_but(lang, main)}"]
    after = _after_but(lang, lesser) if lang == "en" else lesser  # German: a capital after a colon
    return [main, f"{j['downside' if main_positive else 'upside']} {after}"]


def opinion(rng: np.random.Generator, lang: str, sentiment: str, kind: str | None = None) -> tuple[str, list[str]]:
    """(kind, sentences) of one opinion of the true class ``sentiment``; the kind is drawn when not given."""
    if kind is None:
        kinds, shares = zip(*KINDS[sentiment], strict=True)
        kind = kinds[int(rng.choice(len(kinds), p=np.asarray(shares) / sum(shares)))]
    a, b = _aspects(rng, 2)
    u = rng.random()
    if sentiment == "positive":
        if kind == "plain":
            out = [clause(rng, lang, a, "pos")] + ([clause(rng, lang, b, "pos")] if u < 0.4 else [])
            out += [verdict(rng, lang, "pos")] if rng.random() < 0.6 else []
        elif kind == "negation":
            out = [clause(rng, lang, a, "not_neg")] + ([clause(rng, lang, b, "pos")] if u < 0.4 else [])
            out += [verdict(rng, lang, "not_neg" if rng.random() < 0.5 else "pos")] if rng.random() < 0.6 else []
        elif kind == "mixed":
            out = contrast(rng, lang, clause(rng, lang, a, "neg"), clause(rng, lang, b, "pos"), True)
            out += [verdict(rng, lang, "end_pos" if rng.random() < 0.5 else "pos")] if rng.random() < 0.7 else []
        elif kind == "question":
            out = [clause(rng, lang, a, "pos"), verdict(rng, lang, "ask_pos")]
        else:  # irony: praise said as a joke
            out = [clause(rng, lang, a, "pos"), verdict(rng, lang, "irony_pos")]
    elif sentiment == "negative":
        if kind == "plain":
            out = [clause(rng, lang, a, "neg")] + ([clause(rng, lang, b, "neg")] if u < 0.4 else [])
            out += [verdict(rng, lang, "neg")] if rng.random() < 0.6 else []
        elif kind == "negation":
            out = [clause(rng, lang, a, "not_pos")] + ([clause(rng, lang, b, "neg")] if u < 0.3 else [])
            out += [verdict(rng, lang, "not_pos" if rng.random() < 0.5 else "neg")] if rng.random() < 0.6 else []
        elif kind == "mixed":
            out = contrast(rng, lang, clause(rng, lang, a, "pos"), clause(rng, lang, b, "neg"), False)
            out += [verdict(rng, lang, "end_neg" if rng.random() < 0.5 else "neg")] if rng.random() < 0.7 else []
        elif kind == "question":
            out = [clause(rng, lang, a, "ask_neg")] + ([clause(rng, lang, b, "neg")] if u < 0.5 else [])
        else:  # irony: sarcasm, sometimes with a plain complaint after it
            out = [clause(rng, lang, a, "irony")] + ([verdict(rng, lang, "neg")] if u < 0.4 else [])
    else:
        if kind == "plain":
            out = [clause(rng, lang, a, "neu")] + ([clause(rng, lang, b, "neu")] if u < 0.4 else [])
            out += [verdict(rng, lang, "neu")] if rng.random() < 0.6 else []
        elif kind == "question":
            out = ([clause(rng, lang, b, "neu")] if u < 0.4 else []) + [clause(rng, lang, a, "ask")]
            out += [verdict(rng, lang, "neu")] if rng.random() < 0.2 else []
        elif kind == "mixed":  # praise and complaint in balance
            good, bad = clause(rng, lang, a, "pos"), clause(rng, lang, b, "neg")
            j = _JOIN[lang]
            if rng.random() < 0.4:
                out = [f"{j['plus']} {good}", f"{j['minus']} {bad}"]
            else:
                out = [good, f"{j['but']} {_after_but(lang, bad)}"] if rng.random() < 0.5 else [bad, good]
            out += [verdict(rng, lang, "end_neu" if rng.random() < 0.5 else "neu")]
        else:  # negation: neither one nor the other
            out = ([clause(rng, lang, a, "neu")] if u < 0.5 else []) + [verdict(rng, lang, "neu_not")]
    return kind, out


__all__ = ["ASPECTS", "KINDS", "clause", "contrast", "opinion", "verdict"]
