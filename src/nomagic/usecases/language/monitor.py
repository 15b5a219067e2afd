"""Brand monitoring: mention volume and sentiment over time per brand, spike alerts, topics.

:func:`monitor` takes mentions (text + time, and the brand in a column or found in the text) and
returns one JSON-safe record:

* ``series`` -- per brand and period: mentions and how many are positive / neutral / negative;
* ``alerts`` -- periods where a brand's volume or its negative share jumped beyond what its own past
  predicted (:mod:`.spikes`), each with the words that were unusually frequent in that period and two
  example mentions, so the person who gets the alert sees *why* at a glance;
* ``topics`` -- clusters of the mentions with readable labels (:mod:`.topics`), their size,
  negative share and brands.

Sentiment comes from, in this order: labels already in your data; a sentiment model you trained
(``predictor``, e.g. the warehouse champion of ``nomagic train sentiment``); else the lexicon
(VADER / textblob-de), which the record says plainly -- on tweets it reaches a macro-F1 of about 0.46
against 0.79 for a trained model (bench/results/language.json). E-mail addresses, phone numbers and
IBANs are masked before anything is kept.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.privacy.pii import mask_pii
from nomagic.usecases.language.sentiment import POLARITIES
from nomagic.usecases.language.spikes import SEASON, count_spikes, episodes, share_spikes
from nomagic.words import Text, say

Progress = Callable[[float, str], None]
PERIODS = ("hour", "day", "week")
_FREQ = {"hour": "h", "day": "D", "week": "W-MON"}


def parse_brands(spec: str | Sequence[str]) -> dict[str, list[str]]:
    """``"Acme=acme|acmeshop, Globex"`` -> ``{"Acme": ["acme", "acmeshop"], "Globex": ["Globex"]}``."""
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if str(s).strip()]
    out: dict[str, list[str]] = {}
    for item in items:
        name, _, aliases = item.partition("=")
        out[name.strip()] = [a.strip() for a in aliases.split("|") if a.strip()] or [name.strip()]
    return out


def _brand_pattern(alias: str) -> re.Pattern:
    # "Virgin America" also matches @VirginAmerica and #virgin_america; never inside a longer word
    words = [re.escape(w) for w in alias.split()]
    return re.compile(r"(?<!\w)[@#]?" + r"[\s_]?".join(words) + r"(?!\w)", re.IGNORECASE)


def find_brands(texts: Sequence[str], brands: dict[str, list[str]]) -> list[list[str]]:
    """The brands each text mentions (a text may mention several, or none)."""
    pats = {b: [_brand_pattern(a) for a in aliases] for b, aliases in brands.items()}
    return [[b for b, ps in pats.items() if any(p.search(t) for p in ps)] for t in texts]


def warehouse_mentions(wh, sources: Sequence[str] = ("social",)) -> pd.DataFrame | None:
    """The warehouse's documents of ``sources`` with a text and a time (text, created_at, lang, label),
    read with one Ibis expression; ``None`` when there is no documents table or no such document."""
    if "documents" not in wh.tables():
        return None
    t = wh.table("documents")
    t = t.filter(t.source.isin(list(sources)) & t.text.notnull() & t.created_at.notnull())
    df = t.select("text", "created_at", "lang", "label").execute()
    return None if df.empty else df


def choose_period(times: pd.Series) -> str:
    """Hours for up to two weeks of mentions, days up to half a year, weeks beyond."""
    span = times.max() - times.min()
    if span <= pd.Timedelta(days=14):
        return "hour"
    return "day" if span <= pd.Timedelta(days=183) else "week"


def polarity_of(labels: Sequence) -> np.ndarray:
    """User labels -> positive / neutral / negative by their first three letters (German too)."""
    out = []
    for v in labels:
        s = str(v).strip().lower()
        out.append(next((p for p in POLARITIES if s.startswith(p[:3])), "other"))
    return np.asarray(out, dtype=object)


def describe_peak(alert: dict) -> Text:
    """``"82 vs 17.3"`` for a volume alert, ``"78% vs 40%"`` for a share alert (German: ``"82 gegenüber 17,3"``)."""
    p = alert["peak"]
    if "expected" in p:
        return say("{n:,} vs {e:,}", "{n:,} gegenüber {e:,}", n=p["count"], e=p["expected"])
    return say("{s:.0%} vs {e:.0%}", "{s:.0%} gegenüber {e:.0%}", s=p["share"], e=p["expected_share"])


def _spike_words(texts: Sequence[str], in_period: np.ndarray, exclude: Sequence[str], top: int = 5) -> list[str]:
    """Words much more frequent in the spike period than in the brand's other mentions."""
    from nomagic.usecases.language.topics import label_terms

    if in_period.all() or not in_period.any():
        return []
    return label_terms(texts, in_period.astype(int), 2, exclude=exclude, top=top)[1]


_PERIOD_WORDS = {  # (a period, periods, the pattern) in English and German
    "hour": (("an hour", "hours", "time-of-day pattern"), ("eine Stunde", "Stunden", "Tageszeit-Muster")),
    "day": (("a day", "days", "weekday pattern"), ("ein Tag", "Tage", "Wochentags-Muster")),
    "week": (("a week", "weeks", "no pattern"), ("eine Woche", "Wochen", "kein Muster")),
}


def alert_rule(period: str, min_count: int, z: float, window: int) -> Text:
    """The alert rule in plain words."""
    (one, many, pattern), (ein, viele, muster) = _PERIOD_WORDS[period]
    return say(
        "{one}'s count is at least {n:,}, 1.5x and {z:g} standard deviations above what the previous {w} {many} "
        "predicted (level, {pattern} and over-dispersion from the past only)",
        "{ein} mit mindestens {n:,} Erwähnungen, dem 1,5-Fachen und {z:g} Standardabweichungen über dem, was die "
        "vorigen {w} {viele} erwarten ließen (Niveau, {muster} und Überdispersion nur aus der Vergangenheit)",
        one=one,
        many=many,
        pattern=pattern,
        ein=ein,
        viele=viele,
        muster=muster,
        n=min_count,
        z=z,
        w=window,
    )


def monitor(
    frame: pd.DataFrame,
    *,
    text: str,
    time_col: str,
    brand_col: str | None = None,
    brands: dict[str, list[str]] | None = None,
    label_col: str | None = None,
    predictor=None,
    predictor_words: str = "",
    period: str = "auto",
    topics: int | None | bool = None,
    embedder=None,
    z: float = 5.0,
    min_count: int = 10,
    window: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict:
    """Volume, sentiment, alerts and topics of brand mentions; see the module docstring.

    ``topics``: ``None`` chooses the number by silhouette, an int fixes it, ``False`` skips them.
    ``window``: trailing periods behind each expectation (default 7 days' worth: 168 hours, 14 days
    or 8 weeks).
    """
    tick = progress or (lambda f, m: None)
    t0 = time.time()
    for col in [text, time_col] + [c for c in (brand_col, label_col) if c]:
        if col not in frame.columns:
            raise InputError(
                say(
                    "column {col!r} not found; the data has: {cols}",
                    "Spalte {col!r} nicht gefunden; die Daten haben: {cols}",
                    col=col,
                    cols=", ".join(map(str, frame.columns)),
                )
            )
    if period not in ("auto", *PERIODS):
        raise InputError(
            say(
                "period must be auto, {periods}; got {period!r}",
                "period muss auto, {periods} sein; angegeben: {period!r}",
                periods=", ".join(PERIODS),
                period=period,
            )
        )
    from nomagic.lifecycle.tabular import parse_times

    warnings: list[str] = []
    df = frame.reset_index(drop=True)
    times = parse_times(df[time_col], time_col)
    texts = ["" if pd.isna(v) else mask_pii(str(v)) for v in df[text]]
    keep = times.notna().to_numpy() & np.array([bool(t.strip()) for t in texts])
    if (~keep).sum():
        warnings.append(
            say(
                "{n:,} rows without a text or a readable time were left out",
                "{n:,} Zeilen ohne Text oder lesbare Zeit wurden ausgelassen",
                n=int((~keep).sum()),
            )
        )
    df = df[keep].reset_index(drop=True)
    times = times[keep].reset_index(drop=True)
    texts = [t for t, k in zip(texts, keep, strict=True) if k]
    if not texts:
        raise InputError(
            say("no mentions with both a text and a readable time", "keine Erwähnungen mit Text und lesbarer Zeit")
        )
    times = times.dt.tz_convert(None) if getattr(times.dt, "tz", None) is not None else times

    tick(0.05, say("finding brands", "suche Marken"))
    if brand_col:
        mention_brands = [[str(b)] if not pd.isna(b) and str(b).strip() else [] for b in df[brand_col]]
    elif brands:
        mention_brands = find_brands(texts, brands)
    else:
        mention_brands = [["all"]] * len(texts)
    unmatched = sum(1 for b in mention_brands if not b)
    if unmatched:
        warnings.append(
            say(
                "{n:,} mentions name none of the brands and count only in the topics",
                "{n:,} Erwähnungen nennen keine der Marken und zählen nur in den Themen",
                n=unmatched,
            )
        )

    tick(0.1, say("sentiment", "Stimmung"))
    if label_col:
        pol = polarity_of(df[label_col])
        sentiment = {"source": say("labels in column {c!r}", "Labels in Spalte {c!r}", c=label_col)}
        other = int((pol == "other").sum())
        if other:
            warnings.append(
                say(
                    "{n:,} labels are not positive / neutral / negative and count as neither",
                    "{n:,} Labels sind weder positiv noch neutral noch negativ und zählen nirgends",
                    n=other,
                )
            )
    elif predictor is not None:
        pol = polarity_of(predictor.predict(texts))
        sentiment = {
            "source": predictor_words or say("your trained sentiment model", "Ihr trainiertes Stimmungsmodell")
        }
    else:
        from nomagic.usecases.language.sentiment import LexiconSentiment

        pol = polarity_of(LexiconSentiment().fit().predict(texts))
        sentiment = {
            "source": say(
                "lexicon (VADER for English, textblob-de for German)",
                "Lexikon (VADER für Englisch, textblob-de für Deutsch)",
            ),
            "caveat": say(
                "a lexicon knows no sarcasm or domain words: on airline tweets it reaches a macro-F1 of about {lex:.2f} "
                "against {model:.2f} for a model trained on labelled tweets; train one with `nomagic evaluate "
                "sentiment` / `nomagic train sentiment` and pass it here",
                "ein Lexikon kennt weder Sarkasmus noch Fachwörter: auf Airline-Tweets erreicht es einen Makro-F1 von "
                "etwa {lex:.2f} gegenüber {model:.2f} für ein an gelabelten Tweets trainiertes Modell; trainieren "
                "Sie eines mit `nomagic evaluate sentiment` / `nomagic train sentiment` und geben Sie es hier an",
                lex=0.46,
                model=0.79,
            ),
        }

    period = choose_period(times) if period == "auto" else period
    window = window or {"hour": 168, "day": 14, "week": 8}[period]
    bucket = times.dt.to_period(_FREQ[period]).dt.start_time
    index = pd.date_range(bucket.min(), bucket.max(), freq=_FREQ[period] if period != "week" else "7D")
    rows = [(i, b) for i, bs in enumerate(mention_brands) for b in bs]
    long = pd.DataFrame(
        {
            "brand": [b for _, b in rows],
            "period": bucket.to_numpy()[[i for i, _ in rows]] if rows else [],
            "polarity": pol[[i for i, _ in rows]] if rows else [],
            "row": [i for i, _ in rows],
        }
    )
    tick(0.2, say("volume and alerts", "Volumen und Alarme"))
    series, alerts = [], []
    brand_names = sorted(long["brand"].unique(), key=lambda b: -int((long["brand"] == b).sum()))
    for b in brand_names:
        sub = long[long["brand"] == b]
        table = pd.crosstab(sub["period"], sub["polarity"]).reindex(index, fill_value=0)
        for p in POLARITIES:
            if p not in table:
                table[p] = 0
        total = pd.Series(sub.groupby("period").size()).reindex(index, fill_value=0).to_numpy()
        neg = table["negative"].to_numpy()
        for t, start in enumerate(index):
            series.append(
                {
                    "brand": b,
                    "period": start.isoformat(),
                    "mentions": int(total[t]),
                    **{p: int(table[p].iloc[t]) for p in POLARITIES},
                }
            )
        found = [
            ("volume", e)
            for e in episodes(count_spikes(total, window=window, cycle=SEASON.get(period), z=z, min_count=min_count))
        ]
        found += [
            ("negative share", e)
            for e in episodes(
                share_spikes(neg, total, window=window, z=z, min_count=min_count, cycle=SEASON.get(period))
            )
        ]
        brand_texts = [texts[i] for i in sub["row"].to_numpy()]
        aliases = (brands or {}).get(b, [b])
        periods = sub["period"].to_numpy()
        for kind, e in found:
            in_episode = (periods >= index[e["first"]]) & (periods <= index[e["last"]])
            if kind == "negative share":
                in_episode &= (sub["polarity"] == "negative").to_numpy()
            peak = {k: v for k, v in e["peak"].items() if k != "index"}
            alerts.append(
                {
                    "brand": b,
                    "kind": kind,
                    "start": index[e["first"]].isoformat(),
                    "end": index[e["last"]].isoformat(),
                    "periods": e["periods"],
                    "peak_period": index[e["peak"]["index"]].isoformat(),
                    "peak": peak,
                    "new_source": kind == "volume" and bool(total[: e["first"]].sum() < min_count),
                    "words": _spike_words(brand_texts, in_episode, [*aliases, b]),
                    "examples": [brand_texts[i] for i in np.flatnonzero(in_episode)[:2]],
                }
            )
    alerts.sort(key=lambda a: (a["start"], a["brand"]))

    topic_out, topic_meta = [], {}
    if topics is not False and len(texts) >= 20:
        from nomagic.usecases.language.topics import find_topics

        tick(0.4, say("topics", "Themen"))
        exclude = [x for b in brand_names for x in [b, *(brands or {}).get(b, [])]]
        found_topics = find_topics(
            texts,
            k=topics if isinstance(topics, int) and topics > 0 else None,
            embedder=embedder,
            exclude=exclude,
            seed=seed,
            progress=lambda f, m: tick(0.4 + 0.5 * f, say("topics: {m}", "Themen: {m}", m=m)),
        )
        topic_meta = {"features": found_topics.features, "k_choice": found_topics.k_choice}
        for tp in found_topics.topics:
            m = np.asarray(tp["members"])
            per_brand: dict[str, int] = {}
            for i in m:
                for b in mention_brands[i]:
                    per_brand[b] = per_brand.get(b, 0) + 1
            topic_out.append(
                {
                    "topic": tp["topic"],
                    "label": tp["label"],
                    "terms": tp["terms"],
                    "mentions": int(m.size),
                    "negative_share": round(float((pol[m] == "negative").mean()), 3),
                    "positive_share": round(float((pol[m] == "positive").mean()), 3),
                    "brands": dict(sorted(per_brand.items(), key=lambda kv: -kv[1])),
                    "examples": tp["examples"],
                }
            )
    tick(1.0, say("done", "fertig"))
    return {
        "use_case": "brand_monitoring",
        "question": say(
            "What are people saying about our brands, and did anything unusual happen?",
            "Was sagen die Leute über unsere Marken, und ist etwas Ungewöhnliches passiert?",
        ),
        "data": {
            "mentions": len(texts),
            "brands": brand_names,
            "start": times.min().isoformat(),
            "end": times.max().isoformat(),
            "period": period,
            "periods": len(index),
        },
        "sentiment": sentiment,
        "totals": {
            b: {
                "mentions": int((long["brand"] == b).sum()),
                **{p: int(((long["brand"] == b) & (long["polarity"] == p)).sum()) for p in POLARITIES},
            }
            for b in brand_names
        },
        "series": series,
        "alerts": alerts,
        "alert_rule": alert_rule(period, min_count, z, window),
        "topics": topic_out,
        "topic_model": topic_meta,
        "warnings": warnings,
        "seconds": round(time.time() - t0, 1),
    }


__all__ = [
    "choose_period",
    "describe_peak",
    "warehouse_mentions",
    "find_brands",
    "monitor",
    "parse_brands",
    "polarity_of",
]
