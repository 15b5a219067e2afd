"""The glossary: every metric and method nomagic names, in English and German, with what it means for a marketer.

The report ends with it and the dashboard has a page for it; wherever a metric is shown, its name links to
``#glossary-<term>``. :func:`term_of` maps a metric key (``ndcg@10``, ``lift_at_20``) to its entry.
"""

from __future__ import annotations

import html as _html
import re

#: term -> (English name, German name, English meaning, German meaning)
TERMS: dict[str, tuple[str, str, str, str]] = {
    "roc_auc": (
        "ROC-AUC",
        "ROC-AUC",
        "The chance that a randomly picked customer with the outcome gets a higher score than one without it. "
        "0.5 is a coin toss, 1 a perfect ranking. It judges the ranking, not the probabilities.",
        "Die Wahrscheinlichkeit, dass ein zufällig gewählter Kunde mit dem Ereignis einen höheren Wert erhält als "
        "einer ohne. 0,5 ist ein Münzwurf, 1 eine perfekte Reihenfolge. Sie beurteilt die Reihenfolge, nicht die "
        "Wahrscheinlichkeiten.",
    ),
    "pr_auc": (
        "PR-AUC",
        "PR-AUC",
        "The area under the precision-recall curve: how pure the top of the list stays as you go down it. Useful "
        "when the outcome is rare; the rate of the outcome is what a random list reaches.",
        "Die Fläche unter der Precision-Recall-Kurve: wie rein die Spitze der Liste bleibt, wenn man sie abarbeitet. "
        "Nützlich bei seltenen Ereignissen; eine zufällige Liste erreicht die Quote des Ereignisses.",
    ),
    "brier": (
        "Brier score",
        "Brier-Score",
        "The mean squared difference between predicted probability and what happened (0 or 1). Lower is better; it "
        "rewards both ranking and honest probabilities.",
        "Die mittlere quadrierte Differenz zwischen vorhergesagter Wahrscheinlichkeit und dem Ergebnis (0 oder 1). "
        "Niedriger ist besser; er belohnt Reihenfolge und ehrliche Wahrscheinlichkeiten.",
    ),
    "ece": (
        "calibration error",
        "Kalibrierungsfehler",
        "Expected calibration error: how far predicted probabilities lie from observed rates, averaged over bins. "
        "0.02 means a customer scored 30 % buys with about 28-32 %. Lower is better.",
        "Erwarteter Kalibrierungsfehler: wie weit vorhergesagte Wahrscheinlichkeiten von beobachteten Quoten "
        "abweichen, gemittelt über Klassen. 0,02 heißt: ein Kunde mit 30 % kauft mit etwa 28–32 %. Niedriger ist "
        "besser.",
    ),
    "lift": (
        "lift",
        "Lift",
        "How many times more often the outcome happens in the top slice of the list than on average. A lift of 2 in "
        "the top 10 % means those customers churn (or buy) twice as often.",
        "Wie viel häufiger das Ereignis im oberen Teil der Liste eintritt als im Durchschnitt. Ein Lift von 2 in den "
        "oberen 10 % heißt: diese Kunden wandern doppelt so oft ab (oder kaufen doppelt so oft).",
    ),
    "gain": (
        "gain",
        "Gain",
        "The share of all customers with the outcome that the top slice of the list catches.",
        "Der Anteil aller Kunden mit dem Ereignis, den der obere Teil der Liste erfasst.",
    ),
    "profit_at_10": (
        "profit per 1,000 customers",
        "Gewinn je 1.000 Kunden",
        "Contacting the top 10 % of the list: value per success times successes minus cost per contact times "
        "contacts, per 1,000 customers. The assumptions (cost per contact, value per success) are shown next to it "
        "and can be set.",
        "Kontakt der oberen 10 % der Liste: Wert je Erfolg mal Erfolge minus Kosten je Kontakt mal Kontakte, je "
        "1.000 Kunden. Die Annahmen (Kosten je Kontakt, Wert je Erfolg) stehen daneben und sind einstellbar.",
    ),
    "holdout_mae": (
        "MAE",
        "MAE",
        "Mean absolute error on the later period the model did not see: the typical miss, in the target's unit.",
        "Mittlerer absoluter Fehler im späteren Zeitraum, den das Modell nicht sah: der typische Fehler in der "
        "Einheit des Ziels.",
    ),
    "holdout_rmse": (
        "RMSE",
        "RMSE",
        "Root mean squared error on the later period: like MAE, but large misses weigh more.",
        "Wurzel des mittleren quadrierten Fehlers im späteren Zeitraum: wie MAE, aber große Fehler wiegen mehr.",
    ),
    "holdout_corr": (
        "correlation",
        "Korrelation",
        "How well predicted and actual values rise and fall together on the later period (1 = perfectly).",
        "Wie gut vorhergesagte und tatsächliche Werte im späteren Zeitraum gemeinsam steigen und fallen (1 = perfekt).",
    ),
    "holdout_total_error": (
        "total error",
        "Gesamtfehler",
        "The relative error of the sum over all customers on the later period: what a forecast of the total misses.",
        "Der relative Fehler der Summe über alle Kunden im späteren Zeitraum: was eine Prognose der Summe verfehlt.",
    ),
    "ndcg": (
        "NDCG",
        "NDCG",
        "Normalised discounted cumulative gain: how high up the list the products a customer really bought appear "
        "(1 = all at the top).",
        "Normalisierter diskontierter kumulierter Gewinn: wie weit oben in der Liste die tatsächlich gekauften "
        "Produkte stehen (1 = alle ganz oben).",
    ),
    "recall": (
        "recall",
        "Recall",
        "Of the products a customer bought later, the share the top-k list contained.",
        "Von den später gekauften Produkten eines Kunden der Anteil, den die Top-k-Liste enthielt.",
    ),
    "precision": (
        "precision",
        "Precision",
        "Of the top-k recommended products, the share the customer bought later.",
        "Von den Top-k empfohlenen Produkten der Anteil, den der Kunde später kaufte.",
    ),
    "hit_rate": (
        "hit rate",
        "Trefferquote",
        "The share of customers for whom at least one recommended product was bought later.",
        "Der Anteil der Kunden, bei denen mindestens ein empfohlenes Produkt später gekauft wurde.",
    ),
    "coverage": (
        "coverage",
        "Abdeckung",
        "The share of the catalogue that appears in anyone's recommendations.",
        "Der Anteil des Sortiments, der in irgendeiner Empfehlung vorkommt.",
    ),
    "novelty": (
        "novelty",
        "Neuheit",
        "How unpopular (surprising) the recommended products are on average.",
        "Wie wenig populär (überraschend) die empfohlenen Produkte im Mittel sind.",
    ),
    "qini_auc": (
        "Qini AUC",
        "Qini-AUC",
        "The area between the Qini curve (extra responders when contacting customers in the model's order) and the "
        "random line: how much better than random the targeting finds people whom the contact changes.",
        "Die Fläche zwischen Qini-Kurve (zusätzliche Reagierer, wenn Kunden in der Reihenfolge des Modells "
        "kontaktiert werden) und Zufallslinie: wie viel besser als Zufall die Auswahl Menschen findet, die der "
        "Kontakt umstimmt.",
    ),
    "uplift_auc": (
        "uplift AUC",
        "Uplift-AUC",
        "The mean uplift (treated rate minus control rate) over all top slices of the model's list.",
        "Der mittlere Uplift (Quote behandelt minus Quote Kontrolle) über alle oberen Anteile der Modell-Liste.",
    ),
    "uplift_at_k": (
        "uplift in the top k %",
        "Uplift in den oberen k %",
        "Treated minus control response rate among the k % of customers with the highest predicted effect.",
        "Reaktionsquote behandelt minus Kontrolle unter den k % Kunden mit der höchsten vorhergesagten Wirkung.",
    ),
    "open_rate": (
        "open rate",
        "Öffnungsrate",
        "Opened e-mails divided by delivered e-mails. Mail clients that load images on their own blur it.",
        "Geöffnete durch zugestellte E-Mails. Mailprogramme, die Bilder selbst laden, verwischen sie.",
    ),
    "click_rate": (
        "click rate",
        "Klickrate",
        "Clicked e-mails (or ads) divided by delivered ones.",
        "Geklickte E-Mails (oder Anzeigen) durch zugestellte.",
    ),
    "holdout_mape": (
        "MAPE",
        "MAPE",
        "Mean absolute percentage error on the later periods: 0.05 means the model misses sales by 5 % on average.",
        "Mittlerer absoluter prozentualer Fehler in den späteren Perioden: 0,05 heißt, das Modell verfehlt den "
        "Umsatz im Mittel um 5 %.",
    ),
    "holdout_r2": (
        "holdout R²",
        "R² im Testzeitraum",
        "The share of the later periods' ups and downs the model explains (1 = all; below 0 = worse than the mean).",
        "Der Anteil der Schwankungen in den späteren Perioden, den das Modell erklärt (1 = alle; unter 0 = schlechter "
        "als der Mittelwert).",
    ),
    "macro_f1": (
        "macro-F1",
        "Makro-F1",
        "The F1 score (balance of precision and recall) of each class, averaged with equal weight, so a rare class "
        "(negative reviews) counts as much as a common one.",
        "Der F1-Wert (Ausgleich aus Precision und Recall) jeder Klasse, mit gleichem Gewicht gemittelt, sodass eine "
        "seltene Klasse (negative Bewertungen) so viel zählt wie eine häufige.",
    ),
    "accuracy": (
        "accuracy",
        "Genauigkeit",
        "The share of texts given the right class.",
        "Der Anteil der Texte mit der richtigen Klasse.",
    ),
    "in_scope_accuracy": (
        "in-scope accuracy",
        "Genauigkeit (im Themenbereich)",
        "Among questions the FAQ covers, the share sent to the right answer.",
        "Unter den Fragen, die die FAQ abdecken, der Anteil mit der richtigen Antwort.",
    ),
    "oos_recall": (
        "out-of-scope recall",
        "Recall außerhalb des Themenbereichs",
        "Among questions the FAQ does not cover, the share handed to a person instead of answered wrongly.",
        "Unter den Fragen, die die FAQ nicht abdecken, der Anteil, der an einen Menschen geht statt falsch "
        "beantwortet zu werden.",
    ),
    "ips": (
        "IPS / SNIPS",
        "IPS / SNIPS",
        "Inverse propensity scoring: judges a new policy on logged decisions by re-weighting each logged reward by "
        "how much more (or less) often the new policy would have made that choice. SNIPS normalises the weights.",
        "Inverse Propensity Scoring: beurteilt eine neue Strategie an protokollierten Entscheidungen, indem jedes "
        "Ergebnis danach gewichtet wird, wie viel häufiger (oder seltener) die neue Strategie so entschieden hätte. "
        "SNIPS normiert die Gewichte.",
    ),
    "dm": (
        "direct method",
        "direkte Methode",
        "Judges a new policy with a model of the reward for each choice; biased where that model is wrong.",
        "Beurteilt eine neue Strategie mit einem Modell des Ergebnisses je Wahl; verzerrt, wo dieses Modell irrt.",
    ),
    "doubly_robust": (
        "doubly robust",
        "doubly robust",
        "The direct method corrected by IPS on its errors: right if either the reward model or the logged "
        "probabilities are right. nomagic's main estimate of a policy's value.",
        "Die direkte Methode, korrigiert um IPS auf ihren Fehlern: richtig, wenn entweder das Ergebnismodell oder die "
        "protokollierten Wahrscheinlichkeiten stimmen. nomagics wichtigste Schätzung des Werts einer Strategie.",
    ),
    "ci": (
        "95% confidence interval",
        "95-%-Konfidenzintervall",
        "The range that would contain the true value in 95 of 100 repetitions; nomagic draws it by bootstrap "
        "(re-sampling customers). A model is promoted only if the interval of its improvement lies above zero.",
        "Der Bereich, der den wahren Wert in 95 von 100 Wiederholungen enthielte; nomagic bestimmt ihn per Bootstrap "
        "(Ziehen von Kunden mit Zurücklegen). Ein Modell wird nur übernommen, wenn das Intervall seiner Verbesserung "
        "über null liegt.",
    ),
    "baseline": (
        "baseline",
        "Baseline",
        "The naive rule a marketer would use without a model (sort by days since the last order, last year's "
        "average, the logged A/B split). Every model must beat it.",
        "Die naive Regel, die ein Marketer ohne Modell nutzen würde (nach Tagen seit der letzten Bestellung "
        "sortieren, Vorjahresdurchschnitt, der protokollierte A/B-Split). Jedes Modell muss sie schlagen.",
    ),
    "delong": (
        "DeLong's test",
        "DeLong-Test",
        "An exact standard error of a ROC-AUC and of the difference of two on the same rows; nomagic uses it to pick "
        "the simplest model within one standard error of the best.",
        "Ein exakter Standardfehler einer ROC-AUC und der Differenz zweier auf denselben Zeilen; nomagic wählt damit "
        "das einfachste Modell innerhalb eines Standardfehlers vom besten.",
    ),
    "psi": (
        "PSI",
        "PSI",
        "Population stability index: how much a column's distribution moved between two files. Below 0.1 stable, "
        "0.1 to 0.25 moderate, above 0.25 large.",
        "Population Stability Index: wie stark sich die Verteilung einer Spalte zwischen zwei Dateien verschoben hat. "
        "Unter 0,1 stabil, 0,1 bis 0,25 mäßig, über 0,25 groß.",
    ),
    "bg_nbd": (
        "BG/NBD",
        "BG/NBD",
        "Beta-geometric / negative binomial model of repeat buying: each customer buys at a personal rate until they "
        "leave for good. Pareto/NBD and MBG/NBD are close relatives; Gamma-Gamma adds the spend per order.",
        "Beta-geometrisches / negativ-binomiales Modell für Wiederkäufe: jeder Kunde kauft mit persönlicher Rate, bis "
        "er endgültig geht. Pareto/NBD und MBG/NBD sind enge Verwandte; Gamma-Gamma ergänzt den Umsatz je Bestellung.",
    ),
    "thompson": (
        "Thompson sampling",
        "Thompson Sampling",
        "A bandit that sends each variant with the probability that it is the best, given the results so far: it "
        "learns while it earns.",
        "Ein Bandit, der jede Variante mit der Wahrscheinlichkeit sendet, die beste zu sein, gegeben die bisherigen "
        "Ergebnisse: er lernt, während er verdient.",
    ),
    "adstock": (
        "carry-over (adstock) and saturation",
        "Übertrag (Adstock) und Sättigung",
        "In the marketing-mix model, advertising works on for some periods after it runs (carry-over), and each "
        "extra euro in a channel buys less than the one before (saturation).",
        "Im Marketing-Mix-Modell wirkt Werbung einige Perioden nach (Übertrag), und jeder weitere Euro in einem Kanal "
        "bringt weniger als der vorige (Sättigung).",
    ),
    "rfm": (
        "RFM",
        "RFM",
        "Recency, frequency, monetary value: segments customers by how recently, how often and for how much they "
        "bought.",
        "Recency, Frequency, Monetary: segmentiert Kunden danach, wie kürzlich, wie oft und für wie viel sie gekauft "
        "haben.",
    ),
}

_FAMILY = [
    (r"^lift_at_\d+$", "lift"),
    (r"^gain_at_\d+$", "gain"),
    (r"^uplift_at_\d+$", "uplift_at_k"),
    (r"^(ndcg|recall|precision|hit_rate|coverage|novelty)@\d+$", None),
    (r"^value_(ips|snips)$", "ips"),
    (r"^value_dm$", "dm"),
    (r"^value_dr$", "doubly_robust"),
]


def term_of(metric: str) -> str | None:
    """The glossary entry of a metric key (``ndcg@10`` -> ``ndcg``), or None if there is none."""
    if metric in TERMS:
        return metric
    for pattern, term in _FAMILY:
        if m := re.match(pattern, metric):
            return term or m.group(1)
    return None


def entries(lang: str = "en") -> list[dict]:
    """Every entry as ``{"term", "name", "meaning"}`` in ``lang``, alphabetical by name."""
    de = lang == "de"
    out = [{"term": k, "name": v[1] if de else v[0], "meaning": v[3] if de else v[2]} for k, v in TERMS.items()]
    return sorted(out, key=lambda e: e["name"].lower())


def glossary_html(lang: str = "en") -> str:
    """The glossary as an HTML section, each entry with an ``id="glossary-<term>"`` anchor."""
    title = "Glossar" if lang == "de" else "Glossary"
    rows = "".join(
        f"<dt id='glossary-{e['term']}'>{_html.escape(e['name'])}</dt><dd>{_html.escape(e['meaning'])}</dd>"
        for e in entries(lang)
    )
    return f"<h2 id='glossary'>{title}</h2><dl class='glossary'>{rows}</dl>"


def link(metric: str) -> str:
    """The anchor a metric's name links to (the glossary's top where the metric has no entry)."""
    term = term_of(metric)
    return f"#glossary-{term}" if term else "#glossary"
