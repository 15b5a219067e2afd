"""Recommendation commands.

::

    nomagic evaluate-recommend --data INTERACTIONS [--test INTERACTIONS] --user COL --item COL --time COL [--json FILE]
    nomagic score-recommend [--as-of DATE] [--n 10] [--warehouse URL]     -> table recommendations

For a headerless file (MovieLens ``u.data``) name the columns by position: ``--user 0 --item 1 --time 3``.
``evaluate-recommend`` exits 0 when the model is promoted or not better than popularity (the record says
which), 1 when the data is not ready (the record is still written), 2 on errors.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.clv import cannot_write
from nomagic.cli.ui import metrics_table, progress, show_verdict, word
from nomagic.cli.ui import show as out
from nomagic.errors import InputError
from nomagic.lifecycle.record import fingerprint_file, write
from nomagic.usecases.recommend.data import read_interactions
from nomagic.usecases.recommend.evaluate import METRICS, evaluate
from nomagic.words import chosen_lang, number, pick, say


def show(record: dict) -> None:
    """Print a recommend evaluation record as Rich tables."""
    if not show_verdict(record):
        return
    lg = chosen_lang()
    sp = record["split"]
    title = say(
        "test: {users:,} users, {later:,} later items; {items:,} items ranked (95% CI)",
        "Test: {users:,} Nutzer, {later:,} spätere Artikel; {items:,} Artikel gerankt (95-%-KI)",
        users=sp["test_users"],
        later=sp["test_interactions"],
        items=sp["items"],
    )
    t = metrics_table(
        record,
        model=pick(record["model"], "words", lg),
        baseline=say("popularity", "Popularität"),
        title=title,
        names=METRICS,
        metric=say("metric (higher is better)", "Metrik (höher ist besser)"),
    )
    console.print(t)
    folds = record.get("tuning", {}).get("validation", {}).get("folds", [])
    tun = Table(
        title=say(
            "chosen on validation splits inside the training period ({n} cutoffs, mean NDCG@10)",
            "gewählt auf Validierungsaufteilungen im Trainingszeitraum ({n} Stichtage, mittlerer NDCG@10)",
            n=len(folds),
        ).lang(lg),
        header_style="bold",
    )
    tun.add_column(word("model", "Modell"))
    tun.add_column(word("parameters", "Parameter"))
    tun.add_column(word("validation ndcg@10", "Validierung ndcg@10"), justify="right")
    tun.add_column(word("test ndcg@10", "Test ndcg@10"), justify="right")
    na = word("n/a", "k. A.")
    for kind, v in record.get("tuning", {}).items():
        if kind == "validation":
            continue
        test = (
            record["metrics"]["model"]["ndcg@10"]["value"]
            if kind == record["model"]["kind"]
            else record["metrics"]["baseline"]["ndcg@10"]["value"]
            if kind == "popularity"
            else record.get("alternatives", {}).get(kind, {}).get("ndcg@10")
        )
        params = ", ".join(
            f"{k} = {number(x, 'g', lg) if isinstance(x, float) else x}" for k, x in (v.get("params") or {}).items()
        )
        val = v.get("validation_ndcg@10")
        tun.add_row(
            kind,
            params,
            na if val is None else number(val, ".3f", lg),
            na if test is None else number(test, ".3f", lg),
        )
    console.print(tun)
    out(pick(record, "explanation", lg))


def evaluate_recommend(
    data: Path = typer.Option(..., "--data", help="Interactions: CSV, tab/whitespace-separated text or Parquet."),
    test: Path = typer.Option(None, "--test", help="Later interactions to predict (default: the last 20% of time)."),
    user: str = typer.Option(..., "--user", help="Column with the user (customer) id; a number for headerless files."),
    item: str = typer.Option(..., "--item", help="Column with the item (product) id."),
    time: str = typer.Option(..., "--time", help="Column with the time (date or number, e.g. Unix seconds)."),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
) -> None:
    """Recommenders on your interactions: EASE and item-kNN (optionally time-decayed and blended with recent
    popularity), tuned on validation splits at several cutoffs inside the training period, against popularity
    on the later interactions, full-catalogue ranking, 95% intervals."""
    if json_out is not None and not Path(json_out).parent.exists():
        raise InputError(cannot_write(json_out))
    cols = [user, item, time]
    with progress() as bar:
        task = bar.add_task(say("reading {name}", "{name} wird gelesen", name=data.name), total=1.0)
        df = read_interactions(data, cols)
        te = read_interactions(test, cols) if test is not None else None
        ev = evaluate(
            df,
            user,
            item,
            time,
            te,
            n_boot=n_boot,
            seed=seed,
            source=data.name if test is None else f"{data.name} + {test.name}",
            fingerprint=fingerprint_file(data),
            progress=lambda f, m: bar.update(task, completed=0.05 + 0.95 * f, description=m),
        )
    show(ev.record)
    if json_out is not None:
        write(ev.record, json_out)
        out(say("wrote {path}", "{path} geschrieben", path=str(json_out)))
    if ev.verdict == "not ready":
        raise SystemExit(1)


def score_recommend(
    as_of: str = typer.Option(None, "--as-of", help="Use purchases up to this day (default: all)."),
    n: int = typer.Option(10, "--n", help="Recommendations per customer."),
    keep_bought: bool = typer.Option(False, "--keep-bought", help="Allow items already bought (consumables)."),
    max_per_category: int = typer.Option(3, "--max-per-category", help="Category diversity (0 = no limit)."),
    block: list[str] = typer.Option([], "--block", help="Product id never to recommend (repeatable)."),
    table: str = typer.Option("recommendations", "--table", help="Table to write."),
    warehouse: str = WarehouseOption,
) -> None:
    """Top-N products per customer with profiling consent (in stock, diverse, with a reason), written to the
    recommendations table for e-mail personalisation."""
    from nomagic.usecases.recommend.usecase import Recommend
    from nomagic.warehouse import connect

    uc = Recommend(n=n, exclude_bought=not keep_bought, max_per_category=max_per_category or None, blocked=block)
    with connect(warehouse) as wh, progress() as bar:
        task = bar.add_task(say("recommending", "Empfehlungen werden berechnet"), total=1.0)
        df = uc.write_scores(wh, as_of, table=table, progress=lambda f, m: bar.update(task, completed=f, description=m))
    lg = chosen_lang()
    title = say(
        "{table}: {n:,} customers, {rows:,} rows",
        "{table}: {n:,} Kunden, {rows:,} Zeilen",
        table=table,
        n=df["customer_id"].nunique(),
        rows=len(df),
    )
    t = Table(title=title.lang(lg), header_style="bold")
    t.add_column(word("reason", "Begründung"))
    t.add_column(word("rows", "Zeilen"), justify="right")
    for reason, cnt in _reason_kinds(df, lg).value_counts().items():
        t.add_row(reason, number(cnt, ",", lg))
    console.print(t)
    m = df.attrs.get("model", {})
    params = ", ".join(f"{k} = {number(v, 'g', lg) if isinstance(v, float) else v}" for k, v in m.items())
    out(say("model: {m}", "Modell: {m}", m=params))
    out(say("wrote table {table}", "Tabelle {table} geschrieben", table=table))


#: the reasons' openings, per language: the rest of a reason names a product or a segment
_KINDS = {
    "en": r"^(because you bought|similar to|popular in \w+) .*",
    "de": r"^(passend zu Ihrem Kauf:|ähnlich wie Ihr Kauf:|beliebt bei \w+) .*",
}


def _reason_kinds(df, lg: str):
    """The kind of each reason ("because you bought ..."), in the chosen language."""
    col = "reason_de" if lg == "de" and "reason_de" in df.columns else "reason"
    pattern = _KINDS["de" if col == "reason_de" else "en"]
    return df[col].astype(str).str.replace(pattern, r"\1 ...", regex=True)


app.command("evaluate-recommend")(evaluate_recommend)
app.command("score-recommend")(score_recommend)
