"""Brand monitoring on a file of mentions.

::

    nomagic monitor-brand [--data FILE --text COL --time COL] [--brand COL | --brands "A,B=b|bee"]
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
from nomagic.cli.ui import progress_bar
from nomagic.errors import InputError
from nomagic.usecases.language.monitor import describe_peak


def _sentiment_model(label: str | None, model: str, warehouse: str | None):
    """(predictor or None, words): the champion when asked for and present, else the lexicon."""
    if label or model == "lexicon":
        return None, ""
    from nomagic.lifecycle.registry import Registry
    from nomagic.usecases.language.textclf import load_classifier

    if model != "champion":
        folder = Path(model)
        if not folder.is_dir():
            raise InputError(f"--model {model}: not a folder with a saved sentiment model (or 'champion', 'lexicon')")
        return load_classifier(folder), f"the sentiment model in {folder}"
    champion = Registry.for_warehouse(warehouse).champion("sentiment")
    if champion is None or champion.scorer != "model":
        return None, ""
    return load_classifier(champion.folder), f"the warehouse's champion sentiment model ({champion.version})"


def _documents(warehouse: str | None, sources: list[str]):
    """The warehouse's documents of ``sources``, or an error that says what is missing."""
    from nomagic.usecases.language.monitor import warehouse_mentions
    from nomagic.warehouse import connect

    with connect(warehouse) as wh:
        has_table = "documents" in wh.tables()
        df = warehouse_mentions(wh, sources)
    if not has_table:
        raise InputError("the warehouse has no documents table: load one (nomagic load) or give --data FILE")
    if df is None:
        raise InputError(f"the warehouse has no documents with source {', '.join(sources)}")
    return df


def _show(rec: dict) -> None:
    d = rec["data"]
    console.print(
        f"{d['mentions']:,} mentions of {len(d['brands'])} brand(s), {d['start'][:16]} to {d['end'][:16]}, per {d['period']}",
        highlight=False,
    )
    console.print(f"sentiment: {rec['sentiment']['source']}", highlight=False)
    if rec["sentiment"].get("caveat"):
        console.print(f"[yellow]note:[/] {rec['sentiment']['caveat']}", highlight=False)
    t = Table(title="Brands")
    for c in ("brand", "mentions", "negative", "positive"):
        t.add_column(c, justify="left" if c == "brand" else "right")
    for b, v in rec["totals"].items():
        n = max(v["mentions"], 1)
        t.add_row(b, f"{v['mentions']:,}", f"{v['negative'] / n:.0%}", f"{v['positive'] / n:.0%}")
    console.print(t)
    if rec["alerts"]:
        a_t = Table(title=f"{len(rec['alerts'])} alert(s)")
        for c in ("brand", "alert", "from", "to", "peak", "unusual words"):
            a_t.add_column(c, overflow="fold")
        for a in rec["alerts"]:
            peak = describe_peak(a)
            kind = a["kind"] + (" (new source?)" if a.get("new_source") else "")
            a_t.add_row(a["brand"], kind, a["start"][:16], a["end"][:16], peak, ", ".join(a["words"]))
        console.print(a_t)
    else:
        console.print("no alerts: nothing rose beyond what each brand's own past predicted")
    if rec["topics"]:
        tp = Table(title=f"Topics ({rec['topic_model'].get('features', '')})")
        for c in ("topic", "mentions", "negative"):
            tp.add_column(c, justify="left" if c == "topic" else "right")
        for x in rec["topics"]:
            tp.add_row(x["label"], f"{x['mentions']:,}", f"{x['negative_share']:.0%}")
        console.print(tp)
    for w in rec.get("warnings") or []:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)


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
        raise InputError("give either --brand (a column) or --brands (names to find in the text), not both")
    if data is None:
        df, where = _documents(warehouse, [s.strip() for s in source.split(",") if s.strip()]), "documents"
        text, time = "text", "created_at"
    else:
        df, where = _read(data, text, None, "--data"), str(data)
    for col, opt in ((time, "--time"), (brand, "--brand"), (label, "--label")):
        if col is not None and col not in df.columns:
            raise InputError(
                f"{where}: has no column {col!r} (given as {opt}); its columns are: {', '.join(map(str, df.columns))}"
            )
    predictor, words = _sentiment_model(label, model, warehouse)
    with progress_bar("monitoring") as tick:
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
        console.print(f"wrote {json_out}", highlight=False)
    if html is not None:
        from nomagic.report.monitor import write_html

        write_html(html, rec)
        console.print(f"wrote {html}", highlight=False)


app.command("monitor-brand")(monitor_brand)
