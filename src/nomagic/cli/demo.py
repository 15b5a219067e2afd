"""``nomagic demo``: the main job, end to end, on a simulated business.

simulate -> readiness check -> train every available use case (backtest, gate, explain, register)
-> the reality-check table -> report.html. At the default size it takes a minute or two on 2 cores.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from nomagic.cli import WarehouseOption, app, console
from nomagic.errors import InputError
from nomagic.simulate import is_simulated

DEFAULT_CUSTOMERS = 10_000
DEFAULT_DAYS = 730


def _guard(wh, force: bool) -> None:
    """Refuse to overwrite a warehouse that holds real (not simulated) data."""
    canonical = {"customers", "orders", "events", "messages", "products"}
    if force or not (canonical & set(wh.tables())) or is_simulated(wh):
        return
    raise InputError(
        f"{wh.url} holds your own data (customer or order tables without a simulated truth); the demo would "
        "replace them. Run it on another warehouse (--warehouse demo.duckdb) or pass --force."
    )


def run_demo(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    days: int = DEFAULT_DAYS,
    seed: int = 0,
    out: Path = Path("report.html"),
    warehouse: str | None = None,
    force: bool = False,
    use_cases: list[str] | None = None,
) -> list[dict]:
    """Run the demo; returns the evaluation records (one per use case)."""
    from nomagic import report
    from nomagic.cli.lifecycle import reality_table, train_use_case
    from nomagic.cli.ui import progress_bar
    from nomagic.lifecycle.registry import Registry
    from nomagic.simulate import simulate
    from nomagic.usecases import REGISTRY
    from nomagic.warehouse import connect
    from nomagic.warehouse.readiness import check_use_case

    unknown = [n for n in use_cases or () if n not in REGISTRY]
    if unknown:
        raise InputError(f"unknown use case(s) {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    # a use case joins the demo by registering a class with `requires` and `train(wh, progress=, source=)`
    names = [n for n in use_cases or REGISTRY if hasattr(REGISTRY[n], "train") and hasattr(REGISTRY[n], "requires")]
    if not out.parent.exists():
        raise InputError(f"cannot write {out}: folder {out.parent} does not exist")
    t0 = time.perf_counter()
    records, metas = [], []
    with connect(warehouse) as wh:
        _guard(wh, force)
        console.rule("[bold]1. simulate a business")
        with progress_bar("simulating") as update:
            sim = simulate(
                wh, customers=customers, days=days, seed=seed, progress=lambda d, t, w: update(d / max(t, 1), w)
            )
        console.print(
            f"{sim.customers:,} customers, {sim.start:%Y-%m-%d} to {sim.end:%Y-%m-%d}: "
            + ", ".join(f"{n} {sim.rows.get(n, 0):,}" for n in ("orders", "events", "messages", "documents")),
            highlight=False,
        )
        console.rule("[bold]2. check the data")
        ready = {}
        for name in names:
            cls = REGISTRY[name]
            with console.status(f"checking {name} ..."):
                result = check_use_case(wh, cls.requires, name=name)
            ready[name] = result
            style = {"ready": "green", "ready with warnings": "yellow"}.get(result.verdict, "red")
            console.print(f"{name}: [{style}]{result.verdict}[/]", highlight=False)
            for f in result.reasons:
                if f.level != "info":
                    console.print(f"   {f.level}: {f.message}", highlight=False)
        console.rule("[bold]3. train, backtest, judge")
        registry = Registry.for_warehouse(wh.url)
        for name in names:
            cls = REGISTRY[name]
            t1 = time.perf_counter()
            with progress_bar(f"training {name}") as update:
                record, version = train_use_case(wh, cls, registry, check=True, update=update, source=wh.url)
            records.append(record)
            metas.append(version.meta if version else None)
            where = f" -> {version.version} ({version.status})" if version else ""
            console.print(f"{name}: {record['verdict']} in {time.perf_counter() - t1:.0f}s{where}", highlight=False)
        console.rule("[bold]4. score every customer")
        _score_all(wh, registry, {r["use_case"]: r for r in records})
    monitoring = _brand_monitoring(wh.url)
    console.rule("[bold]5. reality check")
    console.print(reality_table(records))
    for r in records:
        console.print(f"[bold]{r['use_case']}[/]: {r['explanation']}", highlight=False)
        if r.get("drivers"):
            console.print("   drivers: " + "; ".join(d["summary"] for d in r["drivers"][:5]), highlight=False)
    console.print(f"[bold]brand monitoring[/]: {monitoring[0]}", highlight=False)
    console.rule("[bold]6. report")
    with console.status("drawing the report ..."):
        report.write(out, records, metas, title="nomagic demo: a simulated business", extras=[monitoring[1]])
    console.print(f"report: {out.resolve()}   ({time.perf_counter() - t0:.0f}s in all)", highlight=False)
    where = f" -w {warehouse}" if warehouse else ""
    console.print(
        f"dashboard: nomagic keys create --role analyst{where}  (prints a key), then nomagic serve{where} "
        "and open http://127.0.0.1:8000/dashboard",
        highlight=False,
    )
    return records


def _score_all(wh, registry, records: dict[str, dict]) -> None:
    """Leave a complete product: the scores the dashboard and the API serve, in the warehouse.

    Churn and propensity score with whatever the gate chose (the model, or the baseline it did not
    beat); customer value only with a promoted model (otherwise nothing to serve, and it says so);
    segments need no gate (no outcome to beat)."""
    from nomagic.cli.ui import progress_bar
    from nomagic.lifecycle.scoring import score, write_scores
    from nomagic.usecases import REGISTRY

    for name in ("churn", "propensity"):
        if name not in records or records[name]["verdict"] == "not ready":
            continue
        with progress_bar(f"scoring {name}") as update:
            scores = score(REGISTRY[name](), wh, registry, progress=update)
            where = write_scores(wh, scores, name, None)
        scorer = scores["scorer"].iloc[0] if len(scores) else "-"
        console.print(f"{name}: {len(scores):,} customers scored with the {scorer} -> {where}", highlight=False)
    clv = records.get("clv")
    if clv is not None and clv["verdict"] == "promoted":
        from nomagic.usecases.clv.usecase import Clv

        with progress_bar("scoring customer value") as update:
            df = Clv().write_scores(wh, None, progress=update)
        console.print(f"clv: {len(df):,} customers scored -> clv_scores", highlight=False)
    elif clv is not None:
        console.print(f"clv: not scored: the model is {clv['verdict']}", highlight=False)
    if "clv" in records:
        from nomagic.usecases.segments import Segments

        with progress_bar("segmenting") as update:
            out, _, _ = Segments().write_scores(wh, None, progress=update)
        console.print(f"segments: {len(out):,} customers -> segments", highlight=False)


def _brand_monitoring(warehouse) -> tuple[str, str]:
    """(a line for the console, an HTML section): the shop's social posts over time, alerts and topics."""
    import html

    from nomagic.cli.monitor import _documents, _sentiment_model
    from nomagic.errors import NomagicError
    from nomagic.report.monitor import fragment
    from nomagic.simulate.texts import BRAND
    from nomagic.usecases.language.monitor import monitor

    head = "<h2 id='brand-monitoring'>brand monitoring</h2>"
    try:
        with console.status("brand monitoring of the social posts ..."):
            df = _documents(warehouse, ["social"])
            predictor, words = _sentiment_model(None, "champion", warehouse)
            rec = monitor(
                df,
                text="text",
                time_col="created_at",
                brands={BRAND: [BRAND]},
                predictor=predictor,
                predictor_words=words,
            )
    except NomagicError as exc:  # no social posts, or the nlp extra is missing
        return f"skipped: {exc}", f"{head}<p class='meta'>Skipped: {html.escape(str(exc))}</p>"
    line = (
        f"{rec['data']['mentions']:,} posts, sentiment by {rec['sentiment']['source']}; "
        f"{len(rec['alerts'])} alert(s), {len(rec['topics'])} topics (see the report)"
    )
    return line, head + fragment(rec)


@app.command("demo")
def demo_command(
    customers: int = typer.Option(DEFAULT_CUSTOMERS, "--customers", "-n", help="Size of the simulated business."),
    days: int = typer.Option(DEFAULT_DAYS, "--days", "-d", help="Days of simulated history."),
    seed: int = typer.Option(0, "--seed", "-s", help="Random seed of the simulated world."),
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="Where to write the HTML report."),
    use_case: list[str] = typer.Option(None, "--use-case", "-u", help="Only these use cases (repeatable)."),
    force: bool = typer.Option(False, "--force", help="Replace the tables even if the warehouse holds real data."),
    warehouse: str = WarehouseOption,
) -> None:
    """The main job on a simulated business: simulate -> check -> train every use case -> score -> reality check -> report."""
    run_demo(customers=customers, days=days, seed=seed, out=out, warehouse=warehouse, force=force, use_cases=use_case)
