"""CLV and segmentation commands.

::

    nomagic evaluate-clv --data TRANSACTIONS --id COL --time COL [--value COL] --calibration-end DATE
                         [--observation-end DATE] [--time-unit weeks|days] [--model auto|bgnbd|mbgnbd|pareto_nbd]
                         [--json FILE] [--html FILE]
    nomagic score-clv [--as-of DATE] [--model auto|...] [--warehouse URL]   -> table clv_scores
    nomagic score-segments [--as-of DATE] [--warehouse URL]   -> table segments

``evaluate-clv`` exits 0 when the model is promoted or not better than the baseline (the record says
which), 1 when the data is not ready (the record is still written), 2 on errors. ``--model auto`` (the
default) chooses BG/NBD, MBG/NBD or Pareto/NBD by a validation inside the calibration period (never the
holdout); ``--html`` writes a small offline report with the charts (p-alive matrix, expected-orders heat
map, cohort curves).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import format_ci, progress, show_verdict
from nomagic.errors import InputError
from nomagic.lifecycle.record import fingerprint_file, write
from nomagic.usecases.clv.data import read_transactions
from nomagic.usecases.clv.evaluate import METRICS, MODEL_CHOICES, MODEL_WORDS, MODELS, evaluate


def _show(record: dict) -> None:
    if not show_verdict(record):
        return
    split = record["split"]
    t = Table(
        title=f"holdout {split['holdout_start']} to {split['observation_end']} ({split['customers']:,} customers, 95% CI)",
        header_style="bold",
    )
    t.add_column("metric")
    t.add_column(record["model"]["kind"], justify="right")
    t.add_column("baseline (past rate)", justify="right")
    t.add_column("improvement", justify="right")
    for name, (higher, _words) in METRICS.items():
        pct = name == "holdout_total_error"
        t.add_row(
            f"{name} ({'higher' if higher else 'lower'} is better)" if not pct else f"{name} (closer to 0 is better)",
            format_ci(record["metrics"]["model"][name], pct),
            format_ci(record["metrics"]["baseline"][name], pct),
            format_ci(record["metrics"]["improvement"][name], pct),
        )
    console.print(t)
    p = record["params"]
    se = p.get("standard_errors", {})
    pt = Table(title="fitted parameters (standard error)", header_style="bold")
    pt.add_column("model")
    pt.add_column("parameters")
    chosen = record["model"].get("name", "bgnbd")
    names = ("r", "alpha", "s", "beta") if chosen == "pareto_nbd" else ("r", "alpha", "a", "b")
    rows = [(MODEL_WORDS[chosen] + " (chosen)", chosen, {k: p[k] for k in names if k in p})]
    rows += [(MODEL_WORDS[k], k, p[k]) for k in MODELS if k in p and k != chosen]
    if "p" in p:
        rows.append(("Gamma-Gamma", "gamma_gamma", {k: p[k] for k in ("p", "q", "v")}))
    for words, key, vals in rows:
        ses = se.get(key, {})
        pt.add_row(words, ", ".join(f"{k} = {v:.4g} ({ses.get(k) or float('nan'):.2g})" for k, v in vals.items()))
    console.print(pt)
    if record.get("alternatives"):
        at = Table(title="alternatives (same split, no interval)", header_style="bold")
        at.add_column("model")
        for name in METRICS:
            at.add_column(name, justify="right")
        for name, vals in record["alternatives"].items():
            at.add_row(
                MODEL_WORDS.get(name, name), *(f"{vals[m]:.3f}" if vals[m] is not None else "n/a" for m in METRICS)
            )
        console.print(at)
    choice = record.get("model_choice") or {}
    if choice.get("folds"):
        names = list(choice["mean_mae"])
        ct = Table(
            title="model choice: MAE inside the calibration period (the holdout is not used)", header_style="bold"
        )
        ct.add_column("learned up to")
        ct.add_column("predicted")
        ct.add_column("customers", justify="right")
        for name in names:
            ct.add_column(
                MODEL_WORDS.get(name, name) + (" (chosen)" if name == choice["chosen"] else ""), justify="right"
            )
        for f in choice["folds"]:
            ct.add_row(
                f["fit_until"],
                f"{f['predict_from']} to {f['predict_until']}",
                f"{f['customers']:,}",
                *(f"{f['mae'][n]:.3f}" for n in names),
            )
        ct.add_row("mean", "", "", *(f"{choice['mean_mae'][n]:.3f}" for n in names))
        console.print(ct)
    for w in record.get("warnings") or []:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    console.print(record["explanation"], highlight=False)


def evaluate_clv(
    data: Path = typer.Option(
        ..., "--data", help="Transactions: CSV, whitespace-separated text or Parquet, one row per order."
    ),
    id: str = typer.Option(..., "--id", help="Column with the customer id."),
    time: str = typer.Option(..., "--time", help="Column with the order date (or time)."),
    value: str = typer.Option(None, "--value", help="Column with the order value (for the spend model)."),
    calibration_end: str = typer.Option(..., "--calibration-end", help="Last day the models learn from (YYYY-MM-DD)."),
    observation_end: str = typer.Option(
        None, "--observation-end", help="Last day of the holdout (default: the last order)."
    ),
    time_unit: str = typer.Option("weeks", "--time-unit", help="weeks (as in the literature) or days."),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
    html_out: Path = typer.Option(None, "--html", help="Write a small offline HTML report with the charts here."),
    model: str = typer.Option(
        "auto",
        "--model",
        help="auto (chosen by a validation inside the calibration period, never the holdout), bgnbd, mbgnbd or "
        "pareto_nbd: the model judged against the baseline.",
    ),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
) -> None:
    """Lifetime-value models on your transactions: a calibration / holdout split by time, BG/NBD (and MBG/NBD,
    Pareto/NBD, Gamma-Gamma) against the past-rate baseline, with 95% intervals."""
    if time_unit not in ("weeks", "days"):
        raise InputError(f"--time-unit must be weeks or days, not {time_unit!r}")
    if model not in MODEL_CHOICES:
        raise InputError(f"--model must be one of {', '.join(MODEL_CHOICES)}, not {model!r}")
    for out in (json_out, html_out):
        if out is not None and not Path(out).parent.exists():
            raise InputError(f"cannot write {out}: folder {Path(out).parent} does not exist")
    with progress() as bar:
        task = bar.add_task(f"reading {data.name}", total=1.0)
        df = read_transactions(data, [c for c in (id, time, value) if c])

        def tick(frac: float, what: str) -> None:
            bar.update(task, completed=0.1 + 0.9 * frac, description=what)

        ev = evaluate(
            df,
            id,
            time,
            value,
            calibration_end,
            observation_end,
            time_unit,
            model=model,
            n_boot=n_boot,
            seed=seed,
            source=data.name,
            fingerprint=fingerprint_file(data),
            progress=tick,
        )
    _show(ev.record)
    if json_out is not None:
        write(ev.record, json_out)
        console.print(f"wrote {json_out}", highlight=False)
    if html_out is not None and ev.verdict != "not ready":
        from nomagic import report

        with console.status("drawing the report ..."):
            report.write(html_out, [ev.record], title=f"nomagic: customer lifetime value of {data.name}")
        console.print(f"wrote {html_out}", highlight=False)
    if ev.verdict == "not ready":
        raise SystemExit(1)


def score_clv(
    as_of: str = typer.Option(None, "--as-of", help="Score as of this day (default: the last order)."),
    model: str = typer.Option(
        "auto", "--model", help="auto (chosen by a validation inside the history), bgnbd, mbgnbd or pareto_nbd."
    ),
    months: int = typer.Option(12, "--months", help="CLV horizon in months."),
    discount_rate: float = typer.Option(0.01, "--discount-rate", help="Monthly discount rate (0.01 = 1% a month)."),
    table: str = typer.Option("clv_scores", "--table", help="Table to write."),
    warehouse: str = WarehouseOption,
) -> None:
    """Score every customer from the warehouse's orders: P(alive), expected orders (90/365 days), expected spend,
    discounted CLV with an interval; written to the clv_scores table."""
    from nomagic.usecases.clv.usecase import Clv
    from nomagic.warehouse import connect

    uc = Clv(model=model, months=months, discount_rate=discount_rate)
    with connect(warehouse) as wh, progress() as bar:
        task = bar.add_task("scoring", total=1.0)
        df = uc.write_scores(wh, as_of, table=table, progress=lambda f, m: bar.update(task, completed=f, description=m))
    t = Table(title=f"{table}: {len(df):,} customers as of {df['as_of'].iloc[0]:%Y-%m-%d}", header_style="bold")
    for c in ("", "p_alive", "expected_orders_365d", "expected_spend", "clv"):
        t.add_column(c, justify="right")
    for label, fn in (("mean", "mean"), ("median", "median"), ("total", "sum")):
        t.add_row(
            label,
            *(
                f"{getattr(df[c], fn)():,.2f}" if not (c == "p_alive" and fn == "sum") else ""
                for c in ("p_alive", "expected_orders_365d", "expected_spend", "clv")
            ),
        )
    console.print(t)
    params = df.attrs.get("params", {})
    console.print(
        "parameters: " + ", ".join(f"{k} = {v:.4g}" for part in params.values() for k, v in part.items()),
        highlight=False,
    )
    for w in df.attrs.get("warnings", []):
        console.print(f"[yellow]warning:[/] {w}", highlight=False)


def score_segments(
    as_of: str = typer.Option(None, "--as-of", help="Segment as of this day (default: the last order)."),
    method: str = typer.Option("kmeans", "--method", help="kmeans (k by silhouette) or gmm (k by BIC)."),
    table: str = typer.Option("segments", "--table", help="Table to write."),
    warehouse: str = WarehouseOption,
) -> None:
    """RFM segments and behavioural clusters for every customer, with a suggested action each; written to the
    segments table."""
    from nomagic.usecases.segments import SEGMENTS, Segments
    from nomagic.warehouse import connect

    uc = Segments(method=method)
    with connect(warehouse) as wh, progress() as bar:
        task = bar.add_task("segmenting", total=1.0)
        out, cl, info = uc.write_scores(
            wh, as_of, table=table, progress=lambda f, m: bar.update(task, completed=f, description=m)
        )
    counts = out["segment"].value_counts()
    t = Table(title=f"RFM segments ({len(out):,} customers)", header_style="bold")
    t.add_column("segment")
    t.add_column("customers", justify="right")
    t.add_column("action", overflow="fold")
    for name, seg in SEGMENTS.items():
        if name in counts:
            t.add_row(name, f"{counts[name]:,}", seg.action)
    console.print(t)
    ct = Table(
        title=f"behavioural clusters (k = {cl.k_} by {'silhouette' if method == 'kmeans' else 'BIC'})",
        header_style="bold",
    )
    ct.add_column("cluster")
    ct.add_column("name")
    ct.add_column("profile", overflow="fold")
    ct.add_column("action", overflow="fold")
    for c, row in cl.profiles_.iterrows():
        ct.add_row(str(c), row["name"], row["profile"], row["action"])
    console.print(ct)
    st = info.get("stability")
    if st:
        word = "stable" if st["stable"] else "[yellow]not stable[/]"
        console.print(f"re-seeded 5 times: adjusted Rand index >= {st['min_adjusted_rand']:.3f} ({word})")
    console.print(f"wrote table {table}", highlight=False)


app.command("evaluate-clv")(evaluate_clv)
app.command("score-clv")(score_clv)
app.command("score-segments")(score_segments)
