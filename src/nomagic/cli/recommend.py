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
from nomagic.cli.ui import metrics_table, progress, show_verdict
from nomagic.errors import InputError
from nomagic.lifecycle.record import fingerprint_file, write
from nomagic.usecases.recommend.data import read_interactions
from nomagic.usecases.recommend.evaluate import METRICS, evaluate


def show(record: dict) -> None:
    """Print a recommend evaluation record as Rich tables."""
    if not show_verdict(record):
        return
    sp = record["split"]
    title = (
        f"test: {sp['test_users']:,} users, {sp['test_interactions']:,} later items; "
        f"{sp['items']:,} items ranked (95% CI)"
    )
    t = metrics_table(
        record,
        model=record["model"]["words"],
        baseline="popularity",
        title=title,
        names=METRICS,
        metric="metric (higher is better)",
    )
    console.print(t)
    folds = record.get("tuning", {}).get("validation", {}).get("folds", [])
    tun = Table(
        title=f"chosen on validation splits inside the training period ({len(folds)} cutoffs, mean NDCG@10)",
        header_style="bold",
    )
    tun.add_column("model")
    tun.add_column("parameters")
    tun.add_column("validation ndcg@10", justify="right")
    tun.add_column("test ndcg@10", justify="right")
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
        params = ", ".join(f"{k} = {x}" for k, x in (v.get("params") or {}).items())
        val = v.get("validation_ndcg@10")
        tun.add_row(kind, params, "n/a" if val is None else f"{val:.3f}", "n/a" if test is None else f"{test:.3f}")
    console.print(tun)
    console.print(record["explanation"], highlight=False)


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
        raise InputError(f"cannot write {json_out}: folder {Path(json_out).parent} does not exist")
    cols = [user, item, time]
    with progress() as bar:
        task = bar.add_task(f"reading {data.name}", total=1.0)
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
        console.print(f"wrote {json_out}", highlight=False)
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
        task = bar.add_task("recommending", total=1.0)
        df = uc.write_scores(wh, as_of, table=table, progress=lambda f, m: bar.update(task, completed=f, description=m))
    t = Table(title=f"{table}: {df['customer_id'].nunique():,} customers, {len(df):,} rows", header_style="bold")
    t.add_column("reason")
    t.add_column("rows", justify="right")
    kinds = df["reason"].str.replace(r"(because you bought|similar to|popular in \w+) .*", r"\1 ...", regex=True)
    for reason, cnt in kinds.value_counts().items():
        t.add_row(reason, f"{cnt:,}")
    console.print(t)
    m = df.attrs.get("model", {})
    console.print("model: " + ", ".join(f"{k} = {v}" for k, v in m.items()), highlight=False)
    console.print(f"wrote table {table}", highlight=False)


app.command("evaluate-recommend")(evaluate_recommend)
app.command("score-recommend")(score_recommend)
