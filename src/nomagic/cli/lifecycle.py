"""The lifecycle commands: ``evaluate``, ``train``, ``score``, ``report`` and ``models``.

::

    nomagic evaluate churn --data telco.csv --label Churn [--test FILE] [--time COL] [--id COL] [--json OUT]
    nomagic train churn            # backtest, gate, explain, register (champion)
    nomagic score churn            # scores + top reasons -> warehouse table scores_churn (or --out FILE)
    nomagic report                 # one offline HTML file for every trained use case
    nomagic models [churn]         # the registry: versions and their status
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import VERDICT_STYLE, progress_bar
from nomagic.errors import InputError, NotReadyError


def use_case_class(name: str):
    """The class registered as ``name`` in ``nomagic.usecases.REGISTRY``."""
    from nomagic.usecases import REGISTRY

    if name not in REGISTRY:
        raise InputError(f"unknown use case {name!r}; the known use cases are: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def reality_table(records: list[dict], title: str = "Reality check") -> Table:
    """use case · metric · baseline · model · improvement [95% CI] · verdict.

    On a narrow terminal or in a log (a pipe is 80 columns) the table keeps one line per use case:
    no borders, short metric names, "not better" for "not better than baseline" (said below it)."""
    from rich import box

    from nomagic.report import reality_rows

    rows = reality_rows(records)
    narrow = console.width < 110
    table = Table(title=title, title_justify="left")
    if narrow:
        table = Table(
            title=title,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            show_edge=False,
            padding=(0, 0, 0, 0),
        )
    for col, kw in (
        ("use case", {}),
        ("metric", {}),
        ("baseline", {"justify": "right"}),
        ("model", {"justify": "right"}),
        ("improvement [95% CI]", {"justify": "right"}),
        ("verdict", {}),
    ):
        table.add_column(col, no_wrap=True, **kw)
    for r in rows:
        style = VERDICT_STYLE.get(r["verdict"], "")
        verdict = "not better" if narrow and r["verdict"] == "not better than baseline" else r["verdict"]
        metric = r["metric_short"] if narrow else r["metric"]
        table.add_row(r["use_case"], metric, r["baseline"], r["model"], r["improvement"], f"[{style}]{verdict}[/]")
    if narrow and any(r["verdict"] == "not better than baseline" for r in rows):
        table.caption = "not better: not better than the baseline; the baseline is used"
        table.caption_justify = "left"
    return table


def _metrics_table(record: dict) -> Table:
    from nomagic.lifecycle.card import metric_rows

    table = Table("metric", "model [95% CI]", "baseline [95% CI]", "improvement [95% CI]", box=None)
    for row in metric_rows(record):
        table.add_row(row[0].replace("`", ""), *row[1:])
    return table


def _show_record(record: dict, *, detail: bool = True) -> None:
    from nomagic.report.advice import advice, fairness_note

    console.print(reality_table([record]))
    console.print(record["explanation"], highlight=False)
    console.print(f"[bold]{advice(record)}[/]", highlight=False)
    fair = fairness_note(record)
    if fair:
        console.print(f"[yellow]fairness:[/] {'; '.join(fair[0])}. {fair[1]}", highlight=False)
    if detail and record.get("metrics", {}).get("model"):
        console.print(_metrics_table(record))
    if record.get("drivers"):
        console.print(
            "[bold]top drivers[/]: " + "; ".join(d["summary"] for d in record["drivers"][:5]), highlight=False
        )
    # printed already: with the comparison before the verdict, or as fairness flags after it
    said = set((record.get("shift") or {}).get("notes", [])) | set(fair[0] if fair else [])
    for w in record.get("warnings", []):
        if w not in said:
            console.print(f"  [yellow]note:[/] {w}", highlight=False)


def _show_shift(record: dict) -> None:
    """The test file against the data, in one short table (the words are in the warnings)."""
    from nomagic.lifecycle.shift import PSI_LARGE

    shift = record.get("shift")
    if not shift:
        return
    prior, dom = shift["prior"], shift["domain_classifier"]
    table = Table("comparison", "training data", "test file", "reading", title="Same world?", title_justify="left")
    table.add_row(
        "positive rate",
        f"{prior['train_rate']['value']:.1%}",
        f"{prior['test_rate']['value']:.1%}",
        "shifted" if prior["shifted"] else "about the same",
    )
    auc = dom["roc_auc"]["value"]
    cols = ", ".join(c["column"] for c in dom["columns"][:3])
    table.add_row(
        "told apart by a classifier", "", f"ROC-AUC {auc:.2f}", ("different world: " if shift["large"] else "") + cols
    )
    for c in shift["columns"][:3]:
        moved = "moved" if c["psi"] >= PSI_LARGE else ""
        table.add_row(f"{c['column']} (PSI {c['psi']:.2f})", c["train"], c["test"], moved)
    console.print(table)
    for note in shift.get("notes", []):
        console.print(f"  [yellow]shift:[/] {note}", highlight=False)


# --------------------------------------------------------------------------- evaluate


@app.command("evaluate")
def evaluate_command(
    use_case: str = typer.Argument(..., help="churn or propensity"),
    data: Path = typer.Option(..., "--data", help="Your table: CSV, Parquet or JSON lines, one row per customer."),
    label: str = typer.Option(None, "--label", help="The outcome column (Yes/No, 1/0, true/false, ...)."),
    test: Path = typer.Option(None, "--test", help="Judge on this file alone (same columns), training on --data."),
    time: str = typer.Option(None, "--time", help="Time column: a time-ordered split instead of cross-validation."),
    ordered: bool = typer.Option(
        False, "--ordered", help="The row order is time (no time column): split and validate forward by row."
    ),
    id_col: str = typer.Option(None, "--id", help="Id column (kept with the scores, never a feature)."),
    positive: str = typer.Option(None, "--positive", help="The label value that counts as positive."),
    baseline: str = typer.Option(None, "--baseline", help="Column for the baseline rule (default: chosen)."),
    sensitive: list[str] = typer.Option(None, "--sensitive", help="Column to audit for fairness (repeatable)."),
    drop: list[str] = typer.Option(None, "--drop", help="Column to leave out (repeatable)."),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
    scores_out: Path = typer.Option(None, "--scores", help="Write out-of-sample scores and reasons (.csv/.parquet)."),
    expected_rate: float = typer.Option(
        None, "--expected-rate", help="With --test: the positive rate you expect there (e.g. 0.3); default: estimated."
    ),
    html_out: Path = typer.Option(None, "--html", help="Write the evaluation as an offline HTML report here."),
    cost: float = typer.Option(1.0, "--cost-per-contact", help="Cost of one contact (for profit_at_10)."),
    value: float = typer.Option(20.0, "--value-per-success", help="Value of one positive reached (profit_at_10)."),
    n_boot: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the 95% intervals."),
    skip_check: bool = typer.Option(False, "--skip-check", help="Do not run the readiness check first."),
) -> None:
    """An honest first answer on your own table: the model vs the best single-column rule, with 95% CIs.

    Without --time, --ordered and --test: 5-fold stratified cross-validation (seed 0). With --test,
    the test file is first compared with the data (label rate, a classifier that tells them apart,
    per-column shift). The gate decides against the stronger of the best single column and a plain
    logistic regression. Exit status 0 when the evaluation ran (whatever the verdict), 1 when the
    data is not ready, 2 on errors."""
    from nomagic.lifecycle import record as rec
    from nomagic.lifecycle.metrics import ProfitParams
    from nomagic.lifecycle.plain import evaluate_table, read_table
    from nomagic.lifecycle.usecase import UseCase

    cls = use_case_class(use_case)
    if not (isinstance(cls, type) and issubclass(cls, UseCase)):
        raise InputError(
            f"`nomagic evaluate` runs the yes/no use cases (churn, propensity); {use_case!r} has its own "
            f"evaluation (see `nomagic --help`)"
        )
    if not label:
        raise InputError(f"{data}: name the outcome column with --label COLUMN (e.g. --label Churn)")
    if not data.exists():
        raise InputError(f"file {data} does not exist")
    readiness = None
    if not skip_check:
        from nomagic.warehouse.readiness import check_file

        with console.status(f"checking {data.name} ..."):
            readiness = check_file(data, label, time, drop=list(drop or ()))
        for f in readiness.reasons:
            if f.level in ("blocker", "warning"):
                color = "red" if f.level == "blocker" else "yellow"
                console.print(f"  [{color}]{f.level}:[/] {f.subject}: {f.message}", highlight=False)
    frame = read_table(data)
    test_frame = read_table(test) if test is not None else None
    with progress_bar(f"evaluating {use_case}") as update:
        result = evaluate_table(
            frame,
            label=label,
            use_case=use_case,
            test=test_frame,
            time=time,
            ordered=ordered,
            expected_rate=expected_rate,
            id=id_col,
            positive=positive,
            baseline_column=baseline,
            sensitive=tuple(sensitive or ()),
            drop=tuple(drop or ()),
            words=cls.words,
            profit=ProfitParams(cost, value),
            n_boot=n_boot,
            source=str(data),
            test_source=str(test) if test else None,
            readiness=readiness,
            progress=update,
        )
    record = result.record
    _show_shift(record)
    _show_record(record)
    if json_out:
        rec.write(record, json_out)
        console.print(f"evaluation record: {json_out}")
    if html_out and record["verdict"] != "not ready":
        from nomagic import report

        report.write(html_out, [record], title=f"nomagic evaluate {use_case}: {data.name}")
        console.print(f"report: {html_out}")
    if scores_out and len(result.predictions):
        from nomagic.lifecycle.scoring import write_scores

        write_scores(None, result.predictions, use_case, scores_out)
        console.print(f"out-of-sample scores: {scores_out}")
    if record["verdict"] == "not ready":
        raise SystemExit(1)


# --------------------------------------------------------------------------- train / score


def readiness_findings(wh, cls) -> tuple[str, list[str]]:
    """The readiness verdict of a use case and its blocking reasons."""
    from nomagic.warehouse.readiness import check_use_case

    result = check_use_case(wh, cls.requires, name=cls.name)
    return result.verdict, [f.message for f in result.reasons if f.level == "blocker"]


def train_use_case(
    wh, cls, registry, *, challenger: bool = False, check: bool = True, update=None, source=None, options=None
):
    """Check readiness, train, register; returns (record, version or None)."""
    from nomagic.lifecycle.usecase import not_ready_record

    uc = cls(**(options or {}))
    if check:
        verdict, blockers = readiness_findings(wh, cls)
        if verdict == "not ready":
            return not_ready_record(uc, blockers, source), None
    try:
        result = uc.train(wh, progress=update, source=source)
    except NotReadyError as exc:
        return not_ready_record(uc, [str(exc)], source), None
    version = registry.register(result, challenger=challenger)
    return result.record, version


@app.command("train")
def train_command(
    use_case: str = typer.Argument(..., help="churn or propensity"),
    challenger: bool = typer.Option(False, "--challenger", help="Register as challenger; keep the champion."),
    json_out: Path = typer.Option(None, "--json", help="Also write the evaluation record (JSON) here."),
    skip_check: bool = typer.Option(False, "--skip-check", help="Do not run the readiness check first."),
    expected_rate: float = typer.Option(
        None, "--expected-rate", help="With --test: the positive rate you expect there (e.g. 0.3); default: estimated."
    ),
    html_out: Path = typer.Option(None, "--html", help="Write the evaluation as an offline HTML report here."),
    cost: float = typer.Option(1.0, "--cost-per-contact", help="Cost of one contact (for profit_at_10)."),
    value: float = typer.Option(20.0, "--value-per-success", help="Value of one positive reached (profit_at_10)."),
    sensitive: list[str] = typer.Option(
        None, "--sensitive", help="Customer attribute to audit (repeatable; default: gender, age_band)."
    ),
    warehouse: str = WarehouseOption,
) -> None:
    """Backtest on rolling time cutoffs, judge by the no-magic gate, explain and register a new version."""
    from nomagic.lifecycle import record as rec
    from nomagic.lifecycle.registry import Registry
    from nomagic.warehouse import connect

    cls = use_case_class(use_case)
    with connect(warehouse) as wh, progress_bar(f"training {use_case}") as update:
        registry = Registry.for_warehouse(wh.url)
        from nomagic.lifecycle.metrics import ProfitParams

        options = {"profit": ProfitParams(cost, value)}
        if sensitive:
            options["sensitive"] = tuple(sensitive)
        record, version = train_use_case(
            wh,
            cls,
            registry,
            challenger=challenger,
            check=not skip_check,
            update=update,
            source=wh.url,
            options=options,
        )
    _show_record(record)
    if json_out:
        rec.write(record, json_out)
    if version is None:
        console.print("[red]not ready:[/] nothing was trained; see `nomagic check --use-case " + use_case + "`")
        raise SystemExit(1)
    console.print(
        f"registered {use_case} {version.version} as [bold]{version.status}[/] (scores with the {version.scorer}) "
        f"in {version.folder}; model card: {version.folder / 'card.html'}",
        highlight=False,
    )


@app.command("score")
def score_command(
    use_case: str = typer.Argument(..., help="churn or propensity"),
    out: Path = typer.Option(None, "--out", help="Write to a .parquet or .csv file instead of the warehouse."),
    as_of: str = typer.Option(None, "--as-of", help="Score as of this date (default: the end of the data)."),
    version: str = typer.Option(None, "--version", help="Registry version (default: the champion)."),
    reasons: int = typer.Option(3, "--reasons", help="Number of reasons per customer."),
    warehouse: str = WarehouseOption,
) -> None:
    """Score every customer with the champion: probability, decile and top reasons in plain words.

    Written to the warehouse table `scores_<use case>` (replaced), or to --out FILE."""
    from nomagic.lifecycle.registry import Registry
    from nomagic.lifecycle.scoring import score, write_scores
    from nomagic.warehouse import connect

    cls = use_case_class(use_case)
    with connect(warehouse) as wh:
        registry = Registry.for_warehouse(wh.url)
        with progress_bar(f"scoring {use_case}") as update:
            scores = score(cls(), wh, registry, as_of=as_of, version=version, k=reasons, progress=update)
            where = write_scores(wh, scores, use_case, out)
    scorer = scores["scorer"].iloc[0] if len(scores) else "-"
    console.print(f"scored {len(scores):,} customers with the {scorer} -> {where}", highlight=False)
    if len(scores):
        top = scores.sort_values("score", ascending=False).head(5)
        t = Table("customer", "score", "reason 1", "reason 2", box=None)
        for _, r in top.iterrows():
            t.add_row(
                str(r["customer_id"]), f"{r['score']:.3f}", str(r.get("reason_1") or ""), str(r.get("reason_2") or "")
            )
        console.print(t)


# --------------------------------------------------------------------------- report / models


def champion_records(registry) -> tuple[list[dict], list[dict]]:
    records, metas = [], []
    for name in registry.use_cases():
        v = registry.champion(name)
        if v is not None:
            records.append(v.record())
            metas.append(v.meta)
    return records, metas


@app.command("report")
def report_command(
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="The HTML file to write."),
    records: list[Path] = typer.Option(None, "--record", help="Report these evaluation records (JSON) instead."),
    warehouse: str = WarehouseOption,
) -> None:
    """One offline HTML file: the reality check, lift, calibration, drivers and fairness per use case."""
    from nomagic import report
    from nomagic.lifecycle import record as rec
    from nomagic.lifecycle.registry import Registry
    from nomagic.warehouse.connection import resolve_url

    if records:
        recs, metas = [rec.read(p) for p in records], None
    else:
        recs, metas = champion_records(Registry.for_warehouse(resolve_url(warehouse)))
        if not recs:
            raise NotReadyError("no trained use case to report; run `nomagic train churn` (or `nomagic demo`) first")
    with console.status("drawing the report ..."):
        report.write(out, recs, metas)
    console.print(f"report: {out} ({len(recs)} use case(s))")


@app.command("models")
def models_command(
    use_case: str = typer.Argument(None, help="Only this use case."),
    warehouse: str = WarehouseOption,
) -> None:
    """The registry: every trained version, its status, what it scores with and how it did."""
    from nomagic.lifecycle.registry import Registry
    from nomagic.warehouse.connection import resolve_url

    registry = Registry.for_warehouse(resolve_url(warehouse))
    names = [use_case] if use_case else registry.use_cases()
    t = Table(box=None)
    narrow = console.width < 110
    for col in ("use case", "version", "created", "status", "scorer", "verdict", "model", "baseline"):
        t.add_column(col, no_wrap=True)
    for name in names:
        for v in registry.versions(name):
            m = v.meta
            t.add_row(
                name,
                v.version,
                m["created_at"][:10],
                v.status,
                m["scorer"],
                "not better" if narrow and m["verdict"] == "not better than baseline" else m["verdict"],
                _num(m.get("model_value")),
                _num(m.get("baseline_value")),
            )
    console.print(t)
    console.print(f"registry: {registry.root}", highlight=False)


def _num(x) -> str:
    return "-" if x is None else f"{x:.3f}"
