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

import pandas as pd
import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import format_ci, progress, show, show_verdict, word
from nomagic.errors import InputError
from nomagic.lifecycle.record import fingerprint_file, write
from nomagic.usecases.clv.data import read_transactions
from nomagic.usecases.clv.evaluate import METRICS, MODEL_CHOICES, MODEL_WORDS, MODELS, evaluate
from nomagic.words import Text, chosen_lang, date_text, in_lang, number, pick, say


def _day(iso: str) -> str:
    """An ISO date as the chosen language writes it."""
    return date_text(iso, chosen_lang())


def _n(value, spec: str) -> str:
    """A number (None: n/a) in the chosen language's format."""
    if value is None:
        return word("n/a", "k. A.")
    return number(value, spec, chosen_lang())


def _wrote(path) -> None:
    show(say("wrote {path}", "{path} geschrieben", path=str(path)))


def _warn(note) -> None:
    show(note, label=say("warning:", "Warnung:"))


def _show(record: dict) -> None:
    if not show_verdict(record):
        return
    lg = chosen_lang()
    split = record["split"]
    t = Table(
        title=say(
            "holdout {start} to {end} ({n:,} customers, 95% CI)",
            "Testzeitraum {start} bis {end} ({n:,} Kunden, 95-%-KI)",
            start=pd.Timestamp(split["holdout_start"]),
            end=pd.Timestamp(split["observation_end"]),
            n=split["customers"],
        ).lang(lg),
        header_style="bold",
    )
    t.add_column(word("metric", "Metrik"))
    t.add_column(record["model"]["kind"], justify="right")
    t.add_column(word("baseline (past rate)", "Baseline (bisherige Rate)"), justify="right")
    t.add_column(word("improvement", "Verbesserung"), justify="right")
    for name, (higher, _words) in METRICS.items():
        if name == "holdout_total_error":
            how = say("closer to 0 is better", "näher an 0 ist besser")
        elif higher:
            how = say("higher is better", "höher ist besser")
        else:
            how = say("lower is better", "niedriger ist besser")
        pct = name == "holdout_total_error"
        t.add_row(
            f"{name} ({how.lang(lg)})",
            *(format_ci(record["metrics"][part][name], pct).lang(lg) for part in ("model", "baseline", "improvement")),
        )
    console.print(t)
    p = record["params"]
    se = p.get("standard_errors", {})
    pt = Table(
        title=word("fitted parameters (standard error)", "angepasste Parameter (Standardfehler)"), header_style="bold"
    )
    pt.add_column(word("model", "Modell"))
    pt.add_column(word("parameters", "Parameter"))
    chosen = record["model"].get("name", "bgnbd")
    names = ("r", "alpha", "s", "beta") if chosen == "pareto_nbd" else ("r", "alpha", "a", "b")
    rows = [(MODEL_WORDS[chosen] + word(" (chosen)", " (gewählt)"), chosen, {k: p[k] for k in names if k in p})]
    rows += [(MODEL_WORDS[k], k, p[k]) for k in MODELS if k in p and k != chosen]
    if "p" in p:
        rows.append(("Gamma-Gamma", "gamma_gamma", {k: p[k] for k in ("p", "q", "v")}))
    for words, key, vals in rows:
        ses = se.get(key, {})
        pt.add_row(
            words,
            ", ".join(f"{k} = {_n(v, '.4g')} ({_n(ses.get(k) or float('nan'), '.2g')})" for k, v in vals.items()),
        )
    console.print(pt)
    if record.get("alternatives"):
        at = Table(
            title=word("alternatives (same split, no interval)", "Alternativen (gleiche Aufteilung, ohne Intervall)"),
            header_style="bold",
        )
        at.add_column(word("model", "Modell"))
        for name in METRICS:
            at.add_column(name, justify="right")
        for name, vals in record["alternatives"].items():
            specs = {m: "+.1%" if m == "holdout_total_error" else ".3f" for m in METRICS}
            at.add_row(MODEL_WORDS.get(name, name), *(_n(vals[m], specs[m]) for m in METRICS))
        console.print(at)
    choice = record.get("model_choice") or {}
    if choice.get("folds"):
        names = list(choice["mean_mae"])
        ct = Table(
            title=word(
                "model choice: MAE inside the calibration period (the holdout is not used)",
                "Modellwahl: MAE im Kalibrierungszeitraum (der Testzeitraum wird nicht verwendet)",
            ),
            header_style="bold",
        )
        ct.add_column(word("learned up to", "gelernt bis"))
        ct.add_column(word("predicted", "vorhergesagt"))
        ct.add_column(word("customers", "Kunden"), justify="right")
        for name in names:
            chosen_mark = word(" (chosen)", " (gewählt)") if name == choice["chosen"] else ""
            ct.add_column(MODEL_WORDS.get(name, name) + chosen_mark, justify="right")
        for f in choice["folds"]:
            ct.add_row(
                _day(f["fit_until"]),
                say("{a} to {b}", "{a} bis {b}", a=_day(f["predict_from"]), b=_day(f["predict_until"])).lang(lg),
                _n(f["customers"], ","),
                *(_n(f["mae"][n], ".3f") for n in names),
            )
        ct.add_row(word("mean", "Mittel"), "", "", *(_n(choice["mean_mae"][n], ".3f") for n in names))
        console.print(ct)
    for w in pick(record, "warnings", lg) or []:
        _warn(w)
    show(pick(record, "explanation", lg))


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
        raise InputError(
            say(
                "--time-unit must be weeks or days, not {u!r}",
                "--time-unit muss weeks oder days sein, nicht {u!r}",
                u=time_unit,
            )
        )
    if model not in MODEL_CHOICES:
        raise InputError(
            say(
                "--model must be one of {known}, not {m!r}",
                "--model muss eines von {known} sein, nicht {m!r}",
                known=", ".join(MODEL_CHOICES),
                m=model,
            )
        )
    for out in (json_out, html_out):
        if out is not None and not Path(out).parent.exists():
            raise InputError(cannot_write(out))
    with progress() as bar:
        task = bar.add_task(say("reading {name}", "{name} wird gelesen", name=data.name), total=1.0)
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
        _wrote(json_out)
    if html_out is not None and ev.verdict != "not ready":
        from nomagic import report

        title = say(
            "nomagic: customer lifetime value of {name}", "nomagic: Kundenwert (CLV) von {name}", name=data.name
        )
        with console.status(word("drawing the report ...", "der Bericht wird gezeichnet ...")):
            report.write(html_out, [ev.record], title=title)
        _wrote(html_out)
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
        task = bar.add_task(say("scoring", "Bewertung"), total=1.0)
        df = uc.write_scores(wh, as_of, table=table, progress=lambda f, m: bar.update(task, completed=f, description=m))
    lg = chosen_lang()
    title = say(
        "{table}: {n:,} customers as of {day}",
        "{table}: {n:,} Kunden, Stand {day}",
        table=table,
        n=len(df),
        day=pd.Timestamp(df["as_of"].iloc[0]) if len(df) else "",
    )
    t = Table(title=title.lang(lg), header_style="bold")
    for c in ("", "p_alive", "expected_orders_365d", "expected_spend", "clv"):
        t.add_column(c, justify="right")
    stats = (("mean", "Mittel"), ("median", "Median"), ("total", "Summe"))
    for (en, de), fn in zip(stats, ("mean", "median", "sum"), strict=True):
        t.add_row(
            word(en, de),
            *(
                _n(getattr(df[c], fn)(), ",.2f") if not (c == "p_alive" and fn == "sum") else ""
                for c in ("p_alive", "expected_orders_365d", "expected_spend", "clv")
            ),
        )
    console.print(t)
    params = df.attrs.get("params", {})
    values = ", ".join(f"{k} = {_n(v, '.4g')}" for part in params.values() for k, v in part.items())
    show(say("parameters: {values}", "Parameter: {values}", values=values))
    for w in df.attrs.get("warnings", []):
        _warn(w)


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
        task = bar.add_task(say("segmenting", "Segmentierung"), total=1.0)
        out, cl, info = uc.write_scores(
            wh, as_of, table=table, progress=lambda f, m: bar.update(task, completed=f, description=m)
        )
    lg = chosen_lang()
    counts = out["segment"].value_counts()
    t = Table(
        title=say("RFM segments ({n:,} customers)", "RFM-Segmente ({n:,} Kunden)", n=len(out)).lang(lg),
        header_style="bold",
    )
    t.add_column(word("segment", "Segment"))
    t.add_column(word("customers", "Kunden"), justify="right")
    t.add_column(word("action", "Maßnahme"), overflow="fold")
    for name, seg in SEGMENTS.items():
        if name in counts:
            t.add_row(name, _n(counts[name], ","), in_lang(seg.action, lg))
    console.print(t)
    by = say("silhouette", "Silhouette") if method == "kmeans" else Text("BIC", "BIC")
    ct = Table(
        title=say(
            "behavioural clusters (k = {k} by {by})", "Verhaltenscluster (k = {k} nach {by})", k=cl.k_, by=by
        ).lang(lg),
        header_style="bold",
    )
    ct.add_column(word("cluster", "Cluster"))
    ct.add_column(word("name", "Name"))
    ct.add_column(word("profile", "Profil"), overflow="fold")
    ct.add_column(word("action", "Maßnahme"), overflow="fold")
    for c, row in cl.profiles_.iterrows():
        ct.add_row(str(c), in_lang(row["name"], lg), in_lang(row["profile"], lg), in_lang(row["action"], lg))
    console.print(ct)
    st = info.get("stability")
    if st:
        stable = say("stable", "stabil") if st["stable"] else say("not stable", "nicht stabil")
        show(
            say(
                "re-seeded 5 times: adjusted Rand index >= {ari:.3f} ({stable})",
                "5-mal neu gestartet: bereinigter Rand-Index >= {ari:.3f} ({stable})",
                ari=st["min_adjusted_rand"],
                stable=stable,
            ),
            "" if st["stable"] else "yellow",
        )
    show(say("wrote table {table}", "Tabelle {table} geschrieben", table=table))


def cannot_write(path) -> str:
    """The error for an output file whose folder does not exist."""
    return say(
        "cannot write {path}: folder {folder} does not exist",
        "{path} kann nicht geschrieben werden: Ordner {folder} existiert nicht",
        path=str(path),
        folder=str(Path(path).parent),
    )


app.command("evaluate-clv")(evaluate_clv)
app.command("score-clv")(score_clv)
app.command("score-segments")(score_segments)
