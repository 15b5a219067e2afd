"""Brand monitoring on a file of mentions.

::

    nomagic monitor brand [--data FILE --text COL --time COL] [--brand COL | --brands "A,B=b|bee"]
                          [--label COL] [--period auto|hour|day|week] [--topics N] [--html FILE] [--json FILE]

Volume and sentiment per brand over time, alerts on unusual spikes (past-only expectations), topic
clusters with readable labels. Without ``--data`` the mentions are the warehouse's documents of
``--source`` (default ``social``). Sentiment: your ``--label`` column, else the warehouse's champion
sentiment model (``nomagic train sentiment``), else the lexicon -- the output says which. Exit 0 with
a report, 2 on bad input. Topics need ``pip install 'nomagic[nlp]'`` for sentence embeddings (TF-IDF
otherwise); the lexicon needs it too.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.language import _check_out, _embedders, _read
from nomagic.cli.ui import lang, progress_bar, show, word
from nomagic.demo_steps import brand_documents, sentiment_model
from nomagic.errors import InputError
from nomagic.words import Text, in_lang, number, pick, say

_KINDS = {"volume": ("volume", "Volumen"), "negative share": ("negative share", "Anteil negativ")}


def _share(x: float, lg: str) -> str:
    return number(x, ".0%", lg)


def _peak(a: dict, lg: str) -> str:
    """``"82 vs 17.3"`` for a volume alert, ``"78% vs 40%"`` for a share alert (German: "82 ggü. 17,3")."""
    p, vs = a["peak"], " ggü. " if lg == "de" else " vs "
    if "expected" in p:
        return number(p["count"], "", lg) + vs + number(p["expected"], "", lg)
    return _share(p["share"], lg) + vs + _share(p["expected_share"], lg)


def _show(rec: dict) -> None:
    lg = lang()
    d = rec["data"]
    period = (
        {"hour": "Stunde", "day": "Tag", "week": "Woche"}.get(d["period"], d["period"]) if lg == "de" else d["period"]
    )
    show(
        say(
            "{n:,} mentions of {b} brand(s), {start} to {end}, per {period}",
            "{n:,} Erwähnungen von {b} Marke(n), {start} bis {end}, je {period}",
            n=d["mentions"],
            b=len(d["brands"]),
            start=d["start"][:16],
            end=d["end"][:16],
            period=period,
        )
    )
    show(pick(rec["sentiment"], "source", lg), label=word("sentiment:", "Sentiment:"), label_style="")
    if rec["sentiment"].get("caveat"):
        show(pick(rec["sentiment"], "caveat", lg), label=word("note:", "Hinweis:"))
    t = Table(title=word("Brands", "Marken"))
    for c, right in ((word("brand", "Marke"), False), (word("mentions", "Erwähnungen"), True)):
        t.add_column(c, justify="right" if right else "left")
    t.add_column(word("negative", "negativ"), justify="right")
    t.add_column(word("positive", "positiv"), justify="right")
    for b, v in rec["totals"].items():
        n = max(v["mentions"], 1)
        t.add_row(b, number(v["mentions"], ",", lg), _share(v["negative"] / n, lg), _share(v["positive"] / n, lg))
    console.print(t)
    if rec["alerts"]:
        a_t = Table(title=say("{n} alert(s)", "{n} Warnung(en)", n=len(rec["alerts"])).lang(lg))
        for en, de in (
            ("brand", "Marke"),
            ("alert", "Warnung"),
            ("from", "von"),
            ("to", "bis"),
            ("peak", "Spitze"),
            ("unusual words", "auffällige Wörter"),
        ):
            a_t.add_column(word(en, de), overflow="fold")
        for a in rec["alerts"]:
            kind = in_lang(Text(*_KINDS.get(a["kind"], (a["kind"], a["kind"]))), lg)
            if a.get("new_source"):
                kind += word(" (new source?)", " (neue Quelle?)")
            a_t.add_row(a["brand"], kind, a["start"][:16], a["end"][:16], _peak(a, lg), ", ".join(a["words"]))
        console.print(a_t)
    else:
        show(
            say(
                "no alerts: nothing rose beyond what each brand's own past predicted",
                "keine Warnungen: nichts stieg über das hinaus, was die eigene Vergangenheit jeder Marke erwarten ließ",
            )
        )
    if rec["topics"]:
        tp = Table(title=say("Topics ({f})", "Themen ({f})", f=rec["topic_model"].get("features", "")).lang(lg))
        tp.add_column(word("topic", "Thema"))
        tp.add_column(word("mentions", "Erwähnungen"), justify="right")
        tp.add_column(word("negative", "negativ"), justify="right")
        for x in rec["topics"]:
            tp.add_row(x["label"], number(x["mentions"], ",", lg), _share(x["negative_share"], lg))
        console.print(tp)
    for w in pick(rec, "warnings", lg) or []:
        show(w, label=word("warning:", "Warnung:"))


def monitor_brand(
    data: Path = typer.Option(
        None, "--data", help="Mentions: CSV, Parquet or JSON lines (default: the warehouse's documents, see --source)."
    ),
    text: str = typer.Option("text", "--text", help="Column with the mention's text."),
    time: str = typer.Option("created_at", "--time", help="Column with the mention's time."),
    source: str = typer.Option(
        "social", "--source", help="Without --data: documents of these sources (comma-separated)."
    ),
    brand: str = typer.Option(None, "--brand", help="Column naming the brand of each mention."),
    brands: str = typer.Option(
        None,
        "--brands",
        help="Brands to find in the text, comma-separated; aliases after '=': 'Acme=acme|acmeshop,Globex'.",
    ),
    label: str = typer.Option(None, "--label", help="Column with known sentiment labels (positive/neutral/negative)."),
    model: str = typer.Option(
        "champion",
        "--model",
        help="Sentiment without --label: 'champion' (warehouse, else lexicon), 'lexicon' or a model folder.",
    ),
    period: str = typer.Option("auto", "--period", help="auto, hour, day or week."),
    topics: int = typer.Option(0, "--topics", help="Number of topics; 0 chooses by silhouette; -1 skips topics."),
    embedder: str = typer.Option(
        "use", "--embedder", help="Embeddings for the topics: use, e5, st:FOLDER, a URL, or none (TF-IDF)."
    ),
    z: float = typer.Option(5.0, "--z", help="Alert when a period is this many standard deviations above expectation."),
    min_count: int = typer.Option(10, "--min-count", help="Least mentions in a period for an alert."),
    html: Path = typer.Option(None, "--html", help="Write a standalone HTML report with charts."),
    json_out: Path = typer.Option(None, "--json", help="Write the record as JSON."),
    warehouse: str = WarehouseOption,
) -> None:
    """Volume, sentiment, spike alerts and topics of brand mentions over time."""
    from nomagic.lifecycle.record import write
    from nomagic.usecases.language.monitor import monitor, parse_brands

    for out in (html, json_out):
        _check_out(out)
    if brand and brands:
        raise InputError(
            say(
                "give either --brand (a column) or --brands (names to find in the text), not both",
                "entweder --brand (eine Spalte) oder --brands (Namen, die im Text gesucht werden) angeben, nicht beides",
            )
        )
    if data is None:
        df, where = brand_documents(warehouse, [s.strip() for s in source.split(",") if s.strip()]), "documents"
        text, time = "text", "created_at"
    else:
        df, where = _read(data, text, None, "--data"), str(data)
    for col, opt in ((time, "--time"), (brand, "--brand"), (label, "--label")):
        if col is not None and col not in df.columns:
            raise InputError(
                say(
                    "{where}: has no column {col!r} (given as {opt}); its columns are: {cols}",
                    "{where}: hat keine Spalte {col!r} (angegeben als {opt}); ihre Spalten sind: {cols}",
                    where=where,
                    col=col,
                    opt=opt,
                    cols=", ".join(map(str, df.columns)),
                )
            )
    predictor, words = sentiment_model(label, model, warehouse)
    with progress_bar(say("monitoring", "Beobachtung")) as tick:
        rec = monitor(
            df,
            text=text,
            time_col=time,
            brand_col=brand,
            brands=parse_brands(brands) if brands else None,
            label_col=label,
            predictor=predictor,
            predictor_words=words,
            period=period,
            topics=False if topics < 0 else (topics or None),
            embedder=False if embedder == "none" else _embedders(embedder),
            z=z,
            min_count=min_count,
            progress=tick,
        )
    rec["data"]["source"] = data.name if data is not None else f"documents ({source})"
    _show(rec)
    if json_out is not None:
        write(rec, json_out)
        show(say("wrote {path}", "geschrieben: {path}", path=json_out))
    if html is not None:
        from nomagic.report.monitor import write_html

        write_html(html, rec)
        show(say("wrote {path}", "geschrieben: {path}", path=html))


app.command("monitor-brand")(monitor_brand)
