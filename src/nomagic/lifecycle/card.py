"""The model card: what a version is for, how it was judged, what drives it, whom it may fail.

Written from the evaluation record and the registry's meta data, in Markdown and in a
self-contained HTML page (no external assets), in English or German (``lang``).
"""

from __future__ import annotations

import html as _html

from nomagic.lifecycle.gate import metric_name
from nomagic.lifecycle.metrics import METRICS
from nomagic.words import number, pick, say, verdict

#: the limitations every model card states, by the kind of use case; each line in English and German
_SCORING = [
    (
        "Scores are probabilities for groups of customers, not certainties about one person.",
        "Die Werte sind Wahrscheinlichkeiten für Gruppen von Kunden, keine Gewissheiten über eine Person.",
    ),
    (
        "Only customers who allow profiling are scored or used for training.",
        "Nur Kunden, die der Profilbildung zugestimmt haben, werden bewertet oder zum Training genutzt.",
    ),
    (
        "Sensitive attributes (as configured) are audited for fairness and are not used as features.",
        "Sensible Merkmale (wie konfiguriert) werden auf Fairness geprüft und nicht als Merkmale genutzt.",
    ),
    (
        "The model learned from past behaviour; a change in the business (prices, assortment, channels) can make it "
        "wrong. Monitor it and retrain it on fresh data.",
        "Das Modell hat aus vergangenem Verhalten gelernt; eine Änderung im Geschäft (Preise, Sortiment, Kanäle) kann "
        "es falsch machen. Überwachen und auf frischen Daten neu trainieren.",
    ),
    (
        "A recommendation to contact a customer passes the guardrails (consent, frequency caps, budget) before "
        "anything is sent.",
        "Eine Empfehlung, einen Kunden zu kontaktieren, passiert die Leitplanken (Einwilligung, Kontaktfrequenz, "
        "Budget), bevor etwas versendet wird.",
    ),
]
_CHANGE = (
    "Learned from past data: when prices, assortment, channels or customers change, the figures can stop holding. "
    "Monitor and retrain.",
    "Aus vergangenen Daten gelernt: ändern sich Preise, Sortiment, Kanäle oder Kunden, können die Zahlen aufhören zu "
    "stimmen. Überwachen und neu trainieren.",
)
LIMITS: dict[str, list[tuple[str, str]]] = {
    "clv": [
        (
            "Lifetime value is an expectation over many customers; one customer's figure has a wide interval.",
            "Der Kundenwert ist ein Erwartungswert über viele Kunden; die Zahl eines einzelnen Kunden hat ein weites "
            "Intervall.",
        ),
        (
            "The BG/NBD family assumes customers buy at a steady personal rate until they leave for good; seasonal "
            "or subscription buying breaks that assumption.",
            "Die BG/NBD-Familie nimmt an, dass Kunden mit gleichbleibender persönlicher Rate kaufen, bis sie "
            "endgültig gehen; saisonales oder Abo-Kaufverhalten verletzt diese Annahme.",
        ),
        (
            "Spend per order comes from past orders (Gamma-Gamma); returns and margins are not in it unless the "
            "revenue column holds them.",
            "Der Umsatz je Bestellung stammt aus vergangenen Bestellungen (Gamma-Gamma); Retouren und Margen sind "
            "nur enthalten, wenn die Umsatzspalte sie enthält.",
        ),
        _CHANGE,
    ],
    "recommend": [
        (
            "Judged on what customers bought later, which the shop's own past recommendations influenced.",
            "Beurteilt an späteren Käufen, die die bisherigen Empfehlungen des Shops beeinflusst haben.",
        ),
        (
            "Only customers who allow profiling get personal recommendations; others see popular products.",
            "Nur Kunden mit Einwilligung zur Profilbildung erhalten persönliche Empfehlungen; andere sehen beliebte "
            "Produkte.",
        ),
        (
            "New products without purchases cannot be recommended by co-purchase until they have some.",
            "Neue Produkte ohne Käufe können über gemeinsame Käufe erst empfohlen werden, wenn es welche gibt.",
        ),
        _CHANGE,
    ],
    "uplift": [
        (
            "Uplift is learned from one randomised experiment; it holds for the offer, channel and season tested.",
            "Der Uplift wird aus einem randomisierten Experiment gelernt; er gilt für das getestete Angebot, den Kanal "
            "und die Saison.",
        ),
        (
            "One customer's uplift cannot be observed, only groups' uplift; the figures are for targeting groups.",
            "Der Uplift eines einzelnen Kunden ist nicht beobachtbar, nur der von Gruppen; die Zahlen dienen der "
            "Auswahl von Gruppen.",
        ),
        (
            "Contacts pass consent and frequency caps before anything is sent.",
            "Kontakte passieren Einwilligung und Kontaktfrequenz, bevor etwas versendet wird.",
        ),
        _CHANGE,
    ],
    "budget": [
        (
            "A marketing-mix model reads correlation over time; without lift tests or experiments its ROI per "
            "channel is an estimate, not a measurement.",
            "Ein Marketing-Mix-Modell liest Zusammenhänge über die Zeit; ohne Lift-Tests oder Experimente ist sein "
            "ROI je Kanal eine Schätzung, keine Messung.",
        ),
        (
            "Response curves beyond the spend the model has seen are extrapolations: read them with care.",
            "Wirkungskurven jenseits der bisher gesehenen Ausgaben sind Extrapolationen: mit Vorsicht lesen.",
        ),
        (
            "A budget change is a decision for people: the optimiser proposes, guardrails cap the moves.",
            "Eine Budgetänderung entscheiden Menschen: der Optimierer schlägt vor, Leitplanken begrenzen die "
            "Verschiebungen.",
        ),
        _CHANGE,
    ],
    "bidding": [
        (
            "The replay can only buy auctions whose price is known: in a bid log, those the logging bidder won; "
            "auctions it lost are learnt from as bounds (the price was higher than its bid), never bought.",
            "Das Replay kann nur Auktionen mit bekanntem Preis kaufen: in einem Gebotslog die, die der protokollierende "
            "Bieter gewann; verlorene Auktionen gehen als Schranken ein (der Preis lag über seinem Gebot), nie als Kauf.",
        ),
        (
            "Bids assume a second-price auction (pay the price to beat); in first-price auctions they overpay.",
            "Die Gebote setzen eine Zweitpreisauktion voraus (man zahlt den zu schlagenden Preis); in "
            "Erstpreisauktionen zahlen sie zu viel.",
        ),
        (
            "Spend never exceeds the budget: the replay and the live pacer stop before it; the live bidder bids "
            "only with a promoted model.",
            "Die Ausgaben überschreiten nie das Budget: Replay und Live-Pacer stoppen davor; der Live-Bieter bietet "
            "nur mit einem übernommenen Modell.",
        ),
        _CHANGE,
    ],
    "bandits": [
        (
            "Off-policy estimates hold only where the logged policy tried each variant with a known, non-zero "
            "probability.",
            "Off-Policy-Schätzungen gelten nur, wo die protokollierte Strategie jede Variante mit bekannter, "
            "positiver Wahrscheinlichkeit versucht hat.",
        ),
        (
            "Opens are a proxy for value; a variant that earns opens can still earn fewer orders.",
            "Öffnungen sind ein Ersatz für Wert; eine Variante mit mehr Öffnungen kann dennoch weniger Bestellungen "
            "bringen.",
        ),
        _CHANGE,
    ],
    "sendtime": [
        (
            "Judged only on sends whose hour was random; a customer's best hour can move with routine and season.",
            "Nur an Sendungen mit zufälliger Uhrzeit beurteilt; die beste Stunde eines Kunden kann sich mit Alltag "
            "und Saison verschieben.",
        ),
        (
            "Opens depend on the mail client (image loading, privacy protection); the open rate is a noisy proxy.",
            "Öffnungen hängen vom Mailprogramm ab (Bildladen, Datenschutz); die Öffnungsrate ist ein verrauschter "
            "Ersatzwert.",
        ),
        _CHANGE,
    ],
    "subject_lines": [
        (
            "Text features explain part of the open rate; audience, timing and sender explain more.",
            "Textmerkmale erklären einen Teil der Öffnungsrate; Zielgruppe, Zeitpunkt und Absender erklären mehr.",
        ),
        (
            "A predicted open rate ranks candidates; test the best ones (a bandit) before trusting one line.",
            "Eine vorhergesagte Öffnungsrate reiht Kandidaten; die besten testen (Bandit), bevor man einer Zeile "
            "vertraut.",
        ),
        _CHANGE,
    ],
    "sentiment": [
        (
            "Irony, sarcasm and mixed reviews are hard for any classifier; read single texts, not only the score.",
            "Ironie, Sarkasmus und gemischte Bewertungen sind für jeden Klassifikator schwer; einzelne Texte lesen, "
            "nicht nur den Wert.",
        ),
        (
            "Trained on the shop's own labelled texts in German and English; other languages or domains are out of "
            "scope.",
            "Trainiert auf den eigenen beschrifteten Texten des Shops auf Deutsch und Englisch; andere Sprachen oder "
            "Domänen sind außerhalb des Rahmens.",
        ),
        _CHANGE,
    ],
    "intents": [
        (
            "Questions outside the known topics go to a person; the assistant answers only from the FAQ.",
            "Fragen außerhalb der bekannten Themen gehen an einen Menschen; der Assistent antwortet nur aus den FAQ.",
        ),
        _CHANGE,
    ],
}


def limitations(use_case: str, lang: str = "en") -> list[str]:
    """What this kind of use case cannot do, in ``lang`` (customer scoring where nothing more specific is known)."""
    key = next((k for k in LIMITS if use_case == k or use_case.startswith(k)), None)
    return [de if lang == "de" else en for en, de in LIMITS.get(key, _SCORING)]


#: between an interval's ends: a German decimal comma needs a semicolon ([0,401; 0,474])
_SEP = {"en": ", ", "de": "; "}


def fmt(v, metric: str = "", lang: str = "en") -> str:
    """A metric value as the card writes it: profit in whole units, others to three places."""
    if v is None:
        return "k. A." if lang == "de" else "n/a"
    return number(v, ",.0f" if metric == "profit_at_10" else ".3f", lang)


def metric_rows(record: dict, lang: str = "en", keys: bool = False) -> list:
    """(metric, model, baseline, improvement) with CIs, as text; with ``keys``, (metric key, that row) pairs."""
    m = record.get("metrics", {})
    rows = []
    for name in METRICS:
        if name not in m.get("model", {}):
            continue
        cells = []
        for part in ("model", "baseline", "improvement"):
            x = m.get(part, {}).get(name)
            if x is None:
                cells.append("")
                continue
            lo, hi = x["ci"]
            sign = "+" if part == "improvement" and x["value"] is not None and x["value"] >= 0 else ""
            cells.append(
                f"{sign}{fmt(x['value'], name, lang)} [{fmt(lo, name, lang)}{_SEP[lang]}{fmt(hi, name, lang)}]"
            )
        row = (f"{metric_name(name, lang)} (`{name}`)", *cells)
        rows.append((name, row) if keys else row)
    return rows


def _sections(record: dict, meta: dict, lang: str = "en") -> list[tuple[str, list]]:
    """Card content as (heading, blocks); a block is a str (paragraph), a list (bullets) or a dict (table)."""

    def t(en: str, de: str, **values) -> str:
        return say(en, de, **values).lang(lang)

    def pct(x) -> str:
        return _pct(x, lang)

    data = record.get("data", {})
    split = record.get("split", {})
    model = record.get("model", {})
    scorer = meta.get("scorer", record.get("scorer", "baseline"))
    scorer_words = {"model": t("model", "Modell"), "baseline": t("baseline", "Baseline")}.get(scorer, scorer)
    out: list[tuple[str, list]] = []
    out.append(
        (
            t("Verdict", "Urteil"),
            [
                t(
                    "**{v}** — what scores: the **{s}**.",
                    "**{v}** — es bewertet: die **{s}**."
                    if scorer == "baseline"
                    else "**{v}** — es bewertet: das **{s}**.",
                    v=verdict(record["verdict"], lang),
                    s=scorer_words,
                ),
                pick(record, "explanation", lang),
            ],
        )
    )
    intended = [pick(record, "question", lang) or t("{uc} scores", "Werte für {uc}", uc=record["use_case"])]
    if split.get("horizon_days"):
        intended.append(
            t(
                "Label window: {d} days after each cutoff.",
                "Zielfenster: {d} Tage nach jedem Stichtag.",
                d=split["horizon_days"],
            )
        )
    out.append((t("Intended use", "Vorgesehene Verwendung"), intended))
    rows_text = t("rows: {n:,}", "Zeilen: {n:,}", n=data.get("rows", 0))
    if data.get("units"):
        rows_text += t(", units: {n:,}", ", Einheiten: {n:,}", n=data["units"])
    facts = [
        t("source: {s}", "Quelle: {s}", s=str(data.get("source"))),
        t(
            "data fingerprint: `{f}`",
            "Fingerabdruck der Daten: `{f}`",
            f=str(meta.get("data_fingerprint") or data.get("fingerprint")),
        ),
        rows_text,
    ]
    if data.get("start"):
        facts.append(
            t(
                "time span: {a} to {b}",
                "Zeitraum: {a} bis {b}",
                a=_date(data["start"], lang),
                b=_date(data["end"], lang),
            )
        )
    if split.get("kind") == "rolling-time-cutoffs":
        facts.append(
            t(
                "evaluation: rolling time cutoffs {c}",
                "Auswertung: rollierende Stichtage {c}",
                c=", ".join(_date(c, lang) for c in split["test_cutoffs"]),
            )
        )
    else:
        kind = str(split.get("kind"))
        facts.append(t("evaluation: {k}", "Auswertung: {k}", k=_SPLITS.get(kind, (kind, kind))[lang == "de"]))
    out.append((t("Data", "Daten"), [facts]))
    desc = pick(model, "description", lang)
    mblocks = [desc if isinstance(desc, str) else "; ".join(desc or [])]
    if record.get("baseline", {}).get("description"):
        b = pick(record["baseline"], "description", lang)
        mblocks.append(t("Baseline: {b}", "Baseline: {b}", b=b if isinstance(b, str) else "; ".join(b)))
    if model.get("features"):
        mblocks.append(
            t("Features ({n}): {f}", "Merkmale ({n}): {f}", n=len(model["features"]), f=", ".join(model["features"]))
        )
    out.append((t("Model", "Modell"), mblocks))
    rows = metric_rows(record, lang)
    if rows:
        out.append(
            (
                t("Metrics (95% bootstrap CIs)", "Metriken (95-%-Bootstrap-KI)"),
                [
                    {
                        "head": [
                            t("metric", "Metrik"),
                            t("model", "Modell"),
                            "Baseline",
                            t("improvement", "Verbesserung"),
                        ],
                        "rows": rows,
                    },
                    t(
                        "Improvement is positive when the model is better (for Brier score and calibration error: "
                        "baseline minus model).",
                        "Die Verbesserung ist positiv, wenn das Modell besser ist (bei Brier-Score und "
                        "Kalibrierungsfehler: Baseline minus Modell).",
                    ),
                    *profit_assumptions(record, lang),
                ],
            )
        )
    if record.get("drivers"):
        out.append(
            (
                t("Drivers", "Treiber"),
                [
                    {
                        "head": [
                            t("driver", "Treiber"),
                            t("share of influence", "Anteil am Einfluss"),
                            t("direction", "Richtung"),
                        ],
                        "rows": [
                            (
                                pick(d, "label", lang),
                                _pct(d["share"], lang, 0),
                                pick(d, "summary", lang),
                            )
                            for d in record["drivers"]
                        ],
                    },
                    t(
                        "Share of influence: the column's mean absolute contribution to the scores. Direction: its "
                        "effect with the other columns as they are.",
                        "Anteil am Einfluss: der mittlere absolute Beitrag der Spalte zu den Werten. Richtung: ihre "
                        "Wirkung bei unveränderten anderen Spalten.",
                    ),
                ],
            )
        )
    fair = record.get("fairness")
    if fair:
        blocks: list = [
            t(
                "Decision audited: contact the top {s:.0%} of scores (engine: {e}).",
                "Geprüfte Entscheidung: die obersten {s:.0%} der Werte kontaktieren (Verfahren: {e}).",
                s=fair["top_share"],
                e=fair["engine"],
            )
        ]
        for name, a in fair["attributes"].items():
            blocks.append(
                {
                    "head": [
                        name,
                        t("count", "Anzahl"),
                        t("selection rate", "Auswahlquote"),
                        t("true-positive rate", "Trefferquote"),
                        t("predicted", "vorhergesagt"),
                        t("observed", "beobachtet"),
                    ],
                    "rows": [
                        (
                            g["group"],
                            # a small group's size is not shown either (k-anonymity): "fewer than 10"
                            (g.get("shown_as_de") if lang == "de" else g.get("shown_as"))
                            if g.get("suppressed")
                            else number(g["count"], ",", lang),
                            pct(g["selection_rate"]),
                            pct(g["true_positive_rate"]),
                            pct(g["mean_predicted"]),
                            pct(g["observed_rate"]),
                        )
                        for g in a["groups"]
                    ],
                }
            )
            blocks.append(
                pick(a, "flags", lang)
                or [
                    t("{a}: no ratio below {r:.0%}", "{a}: kein Verhältnis unter {r:.0%}", a=name, r=fair["ratio_flag"])
                ]
            )
        out.append(("Fairness", blocks))
    if record.get("backtest"):
        out.append(
            (
                t("Backtest per cutoff", "Backtest je Stichtag"),
                [
                    {
                        "head": [
                            t("cutoff", "Stichtag"),
                            t("train rows", "Trainingszeilen"),
                            t("test rows", "Testzeilen"),
                            t("positive rate", "Positivquote"),
                            t("model ROC-AUC", "ROC-AUC Modell"),
                            t("baseline ROC-AUC", "ROC-AUC Baseline"),
                        ],
                        "rows": [
                            (
                                _date(b["cutoff"], lang),
                                number(b["train_rows"], ",", lang),
                                number(b["test_rows"], ",", lang),
                                pct(b["positive_rate"]),
                                fmt(b["model"]["roc_auc"], "", lang),
                                fmt(b["baseline"]["roc_auc"], "", lang),
                            )
                            for b in record["backtest"]
                        ],
                    }
                ],
            )
        )
    out.extend(_shift_sections(record, lang))
    if record.get("warnings"):
        out.append((t("Warnings", "Warnungen"), [list(pick(record, "warnings", lang))]))
    own = pick(record, "limitations", lang, None)  # the use case's own, where its record carries them
    out.append((t("Limitations", "Grenzen"), [own or limitations(record["use_case"], lang)]))
    return out


#: how each kind of split reads (the record keeps the code)
_SPLITS = {
    "calibration-holdout": (
        "calibration period, then a later holdout",
        "Kalibrierungszeitraum, dann späterer Testzeitraum",
    ),
    "given-test": ("a given test file", "eine vorgegebene Testdatei"),
    "learn-then-judge": (
        "learn on earlier sends, judge on later ones",
        "auf früheren Sendungen lernen, auf späteren beurteilen",
    ),
    "logged-decisions": ("logged decisions", "protokollierte Entscheidungen"),
    "none": ("none (nothing trained)", "keine (nichts trainiert)"),
    "row-order-split": ("earlier rows, then later rows", "frühere Zeilen, dann spätere Zeilen"),
    "stratified-holdout": ("a stratified holdout", "eine stratifizierte Testmenge"),
    "stratified-kfold": ("stratified k-fold cross-validation", "stratifizierte k-fache Kreuzvalidierung"),
    "stratified-split": ("a stratified split", "eine stratifizierte Aufteilung"),
    "temporal": ("by time", "zeitlich"),
    "time": ("by time", "zeitlich"),
    "time-holdout": ("the latest periods held out", "die jüngsten Perioden zurückgehalten"),
    "time-rolling": ("time-ordered blocks", "zeitlich geordnete Blöcke"),
    "time-split": ("earlier for training, later for testing", "früher zum Training, später zum Test"),
    "within-campaign-time": (
        "within each campaign: learn on the first sends, judge on the later ones",
        "in jeder Kampagne: auf den ersten Sendungen lernen, auf späteren beurteilen",
    ),
}


def profit_assumptions(record: dict, lang: str = "en") -> list[str]:
    """The assumptions behind the record's profit figure, next to it (none when it has no profit figure)."""
    p = record.get("profit") or {}
    if "profit_at_10" not in (record.get("metrics") or {}).get("model", {}) or not p:
        return []
    return [
        say(
            "Profit per 1,000 customers assumes a cost of {c:,.2f} per contact and a value of {v:,.2f} per success "
            "(in your currency); set them with --cost-per-contact and --value-per-success.",
            "Der Gewinn je 1.000 Kunden unterstellt Kosten von {c:,.2f} je Kontakt und einen Wert von {v:,.2f} je "
            "Erfolg (in Ihrer Währung); einstellbar mit --cost-per-contact und --value-per-success.",
            c=float(p.get("cost_per_contact", 0.0)),
            v=float(p.get("value_per_success", 0.0)),
        ).lang(lang)
    ]


def _date(iso: str, lang: str) -> str:
    return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}" if lang == "de" else iso[:10]


def _ci(m: dict, pct: bool = False, lang: str = "en") -> str:
    lo, hi = m["ci"]
    if pct:
        return f"{_pct(m['value'], lang)} [{_pct(lo, lang)}{_SEP[lang]}{_pct(hi, lang)}]"
    return f"{fmt(m['value'], '', lang)} [{fmt(lo, '', lang)}{_SEP[lang]}{fmt(hi, '', lang)}]"


def _shift_sections(record: dict, lang: str = "en") -> list[tuple[str, list]]:
    """The references the gate chose between, the test file against the data, and prior correction."""

    def t(en: str, de: str, **values) -> str:
        return say(en, de, **values).lang(lang)

    def ci(m, pct=False):
        return _ci(m, pct, lang)

    out: list[tuple[str, list]] = []
    base = record.get("baseline") or {}
    refs = base.get("references")
    if refs:
        names = {
            "rule": t("best single column", "beste einzelne Spalte"),
            "plain_logistic": t("plain logistic regression", "einfache logistische Regression"),
        }
        rows = [
            (
                names[key],
                pick(r, "description", lang),
                ci(r["roc_auc"]),
                ci(r["improvement"]),
                t("yes", "ja") if base["decisive"] == key else "",
            )
            for key in ("rule", "plain_logistic")
            if (r := refs.get(key))
        ]
        out.append(
            (
                t("References", "Referenzen"),
                [
                    {
                        "head": [
                            t("reference", "Referenz"),
                            t("what", "was"),
                            t("ROC-AUC [95% CI]", "ROC-AUC [95-%-KI]"),
                            t("model minus it", "Modell minus Referenz"),
                            t("the gate's", "vom Gate gewählt"),
                        ],
                        "rows": rows,
                    },
                    t(
                        "The gate decides against the stronger of the two: {why}.",
                        "Das Gate entscheidet gegen die stärkere der beiden: {why}.",
                        why=pick(base, "why", lang),
                    ),
                ],
            )
        )
    shift = record.get("shift")
    if shift:
        prior, dom = shift["prior"], shift["domain_classifier"]
        cols = ", ".join(f"{c['column']} ({_pct(c['share'], lang, 0)})" for c in dom["columns"][:5])
        rate = t(
            "Positive rate: {a} in the training data, {b} in the test file",
            "Positivquote: {a} in den Trainingsdaten, {b} in der Testdatei",
            a=ci(prior["train_rate"], True),
            b=ci(prior["test_rate"], True),
        ) + (
            t(" (shifted).", " (verschoben).")
            if prior["shifted"]
            else t(" (no material shift).", " (keine wesentliche Verschiebung).")
        )
        told = t(
            "A classifier tells the test rows from the training rows with ROC-AUC {auc} (0.5: indistinguishable, 1: "
            "always told apart)",
            "Ein Klassifikator unterscheidet die Testzeilen von den Trainingszeilen mit ROC-AUC {auc} (0,5: nicht zu "
            "unterscheiden, 1: immer unterschieden)",
            auc=ci(dom["roc_auc"]),
        ) + (
            t(
                "; the columns that separate them most (share of its splits): {c}.",
                "; die Spalten, die sie am stärksten trennen (Anteil an seinen Splits): {c}.",
                c=cols,
            )
            if cols
            else "."
        )
        out.append(
            (
                t(
                    "Same world? The test file against the training data",
                    "Dieselbe Welt? Die Testdatei gegenüber den Trainingsdaten",
                ),
                [
                    rate,
                    told,
                    {
                        "head": [
                            t("column", "Spalte"),
                            t("training data", "Trainingsdaten"),
                            t("test file", "Testdatei"),
                            "PSI",
                            t("test rows beyond the training range", "Testzeilen außerhalb des Trainingsbereichs"),
                        ],
                        "rows": [
                            (
                                c["column"],
                                pick(c, "train", lang),
                                pick(c, "test", lang),
                                number(c["psi"], ".2f", lang),
                                _pct(c["outside_range"], lang) if "outside_range" in c else "",
                            )
                            for c in shift["columns"][:10]
                        ],
                    },
                    t(
                        "PSI (population stability index): below 0.1 stable, 0.1 to 0.25 moderate, above 0.25 large.",
                        "PSI (Population Stability Index): unter 0,1 stabil, 0,1 bis 0,25 mäßig, über 0,25 groß.",
                    ),
                ],
            )
        )
    pc = record.get("prior_correction")
    if pc and pc.get("used_rate") is None:
        out.append(
            (
                t("Prior correction", "Korrektur der Grundrate"),
                [
                    t(
                        "The probabilities assume a positive rate of {a}; the test file's is {r}. Calibration error as "
                        "given: {e}; {how}.",
                        "Die Wahrscheinlichkeiten unterstellen eine Positivquote von {a}; die der Testdatei beträgt "
                        "{r}. Kalibrierungsfehler wie geliefert: {e}; {how}.",
                        a=_pct(pc["assumed_rate"], lang),
                        r=_pct(pc["actual_rate"], lang),
                        e=ci(pc["raw"]["ece"]),
                        how=pick(pc, "how", lang),
                    )
                ],
            )
        )
    elif pc:
        rows = [
            (metric_name(m, lang), ci(pc["raw"][m]), ci(pc["corrected"][m]), ci(pc["improvement"][m]))
            for m in ("ece", "brier")
        ]
        out.append(
            (
                t("Prior correction", "Korrektur der Grundrate"),
                [
                    t(
                        "The probabilities assume a positive rate of {a}; moved to {u} ({how}; the actual rate of the "
                        "test file is {r}).",
                        "Die Wahrscheinlichkeiten unterstellen eine Positivquote von {a}; verschoben auf {u} ({how}; die "
                        "tatsächliche Quote der Testdatei beträgt {r}).",
                        a=_pct(pc["assumed_rate"], lang),
                        u=_pct(pc["used_rate"], lang),
                        how=pick(pc, "how", lang),
                        r=_pct(pc["actual_rate"], lang),
                    ),
                    {
                        "head": [
                            t("metric", "Metrik"),
                            t("as given", "wie geliefert"),
                            t("moved to that rate", "auf diese Quote verschoben"),
                            t("improvement", "Verbesserung"),
                        ],
                        "rows": rows,
                    },
                    t(
                        "The ranking (ROC-AUC, lift) does not change; only the probabilities do.",
                        "Die Reihenfolge (ROC-AUC, Lift) ändert sich nicht; nur die Wahrscheinlichkeiten.",
                    ),
                ],
            )
        )
    return out


def _pct(x, lang: str = "en", places: int = 1) -> str:
    if x is None:
        return "k. A." if lang == "de" else "n/a"
    return number(x, f".{places}%", lang)


def markdown(record: dict, meta: dict, lang: str = "en") -> str:
    """The card as Markdown."""
    title = say("Model card: {uc} {v}", "Modellkarte: {uc} {v}", uc=record["use_case"], v=meta.get("version", ""))
    lines = [title.lang(lang).rstrip(), ""]
    lines[0] = "# " + lines[0]
    created = str(meta.get("created_at", record.get("created_at")))
    lines.append(
        say("Created {c}", "Erstellt {c}", c=created).lang(lang) + f" · nomagic {record.get('nomagic_version')}"
    )
    lines.append("")
    for head, blocks in _sections(record, meta, lang):
        lines += [f"## {head}", ""]
        for b in blocks:
            if isinstance(b, str):
                lines += [b, ""]
            elif isinstance(b, list):
                lines += [f"- {x}" for x in b] + [""]
            else:
                lines.append("| " + " | ".join(b["head"]) + " |")
                lines.append("|" + "---|" * len(b["head"]))
                lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in b["rows"]]
                lines.append("")
    return "\n".join(lines)


_CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1d2433}
h1{font-size:1.6rem}h2{font-size:1.15rem;border-bottom:1px solid #dde2ea;padding-bottom:.2rem;margin-top:1.8rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}td,th{border-bottom:1px solid #eceff4;padding:.3rem .5rem;
text-align:left}th{background:#f5f7fa}code{background:#f1f3f6;padding:0 .2rem;border-radius:3px}.meta{color:#5b6578}"""


def _inline(text: str) -> str:
    """Escape, then the two bits of Markdown the card uses: **bold** and `code`."""
    import re

    t = _html.escape(str(text))
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


def html_body(record: dict, meta: dict, level: int = 2, lang: str = "en") -> str:
    """The card's sections as HTML (for the card page and the report)."""
    parts = []
    for head, blocks in _sections(record, meta, lang):
        parts.append(f"<h{level}>{_html.escape(head)}</h{level}>")
        for b in blocks:
            if isinstance(b, str):
                parts.append(f"<p>{_inline(b)}</p>")
            elif isinstance(b, list):
                parts.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in b) + "</ul>")
            else:
                head_html = "".join(f"<th>{_inline(h)}</th>" for h in b["head"])
                rows = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in b["rows"])
                parts.append(f"<table><thead><tr>{head_html}</tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(parts)


def html(record: dict, meta: dict, lang: str = "en") -> str:
    """The card as one self-contained HTML page."""
    title = say("Model card: {uc} {v}", "Modellkarte: {uc} {v}", uc=record["use_case"], v=meta.get("version", ""))
    title = title.lang(lang).strip()
    created = say("Created {c}", "Erstellt {c}", c=str(meta.get("created_at", record.get("created_at")))).lang(lang)
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{_html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{_html.escape(title)}</h1>"
        f"<p class='meta'>{_html.escape(created)} · "
        f"nomagic {_html.escape(str(record.get('nomagic_version')))}</p>"
        f"{html_body(record, meta, lang=lang)}</body></html>\n"
    )
