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
from rich.text import Text as RichText

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import VERDICT_STYLE, lang, progress_bar, show, word
from nomagic.demo_steps import STATUS, level_word, readiness_findings, scorer_word, train_use_case
from nomagic.errors import InputError, NotReadyError
from nomagic.words import Text, date_text, in_lang, number, pick, say, verdict

__all__ = ["readiness_findings", "reality_table", "train_use_case", "use_case_class"]


def use_case_class(name: str):
    """The class registered as ``name`` in ``nomagic.usecases.REGISTRY`` (``subject-lines`` = ``subject_lines``)."""
    from nomagic.usecases import REGISTRY

    key = name.replace("-", "_")
    if key not in REGISTRY:
        raise InputError(
            say(
                "unknown use case {name!r}; the known use cases are: {known}",
                "unbekannter Anwendungsfall {name!r}; bekannt sind: {known}",
                name=name,
                known=", ".join(sorted(REGISTRY)),
            )
        )
    return REGISTRY[key]


#: short metric names for the narrow table (a log, a narrow terminal): English, German
SHORT_METRIC = {
    "value_dr": ("value (DR)", "Wert (DR)"),
    "value_ips": ("value (IPS)", "Wert (IPS)"),
    "value_snips": ("value(SNIPS)", "Wert(SNIPS)"),
    "value_dm": ("value (DM)", "Wert (DM)"),
    "profit_at_10": ("profit@10", "Gewinn@10"),
    "lift_at_10": ("lift@10", "Lift@10"),
    "gain_at_10": ("gain@10", "Gain@10"),
    "lift_at_20": ("lift@20", "Lift@20"),
    "gain_at_20": ("gain@20", "Gain@20"),
    "in_scope_accuracy": ("in-scope acc", "Genauigk. iT"),
    "oos_recall": ("OOS recall", "OOS-Recall"),
    "ece": ("calib. err.", "Kalib.-Fehl."),
    "holdout_corr": ("correlation", "Korrelation"),
    "holdout_r2": ("holdout R²", "R² Test"),
    "uplift_auc": ("uplift AUC", "Uplift-AUC"),
    "uplift_at_30": ("uplift@30", "Uplift@30"),
    "open_rate": ("open rate", "Öffnungsrate"),
    "click_rate": ("click rate", "Klickrate"),
    "accuracy": ("accuracy", "Genauigkeit"),
}


def _interval(lo, hi, pm: str, lg: str) -> str:
    from nomagic.lifecycle.card import fmt

    sep = "; " if lg == "de" else ", "  # a German decimal comma would make "0,4, 0,5" ambiguous
    return f"[{fmt(lo, pm, lg)}{sep}{fmt(hi, pm, lg)}]"


def reality_cells(record: dict, lg: str) -> tuple[str, str, str]:
    """(baseline, model, improvement [95% CI]) of the record's primary metric, in ``lg``'s number format."""
    from nomagic.lifecycle.card import fmt

    pm = record.get("primary_metric", "roc_auc")
    m = record.get("metrics", {})
    if "model" not in m or pm not in m["model"]:
        return "-", "-", "-"
    imp = m["improvement"][pm]
    value = fmt(None, pm, lg) if imp["value"] is None else number(imp["value"], "+.3f", lg)  # as the report
    return (
        fmt(m["baseline"][pm]["value"], pm, lg),
        fmt(m["model"][pm]["value"], pm, lg),
        f"{value} {_interval(*imp['ci'], pm, lg)}",
    )


def reality_table(records: list[dict], title=None) -> Table:
    """use case · metric · baseline · model · improvement [95% CI] · verdict, in the chosen language.

    On a narrow terminal or in a log (a pipe is 80 columns) the table keeps one line per use case:
    no borders, short metric names, "not better" for "not better than baseline" (said below it)."""
    from rich import box

    from nomagic.lifecycle.gate import metric_name

    lg = lang()
    title = in_lang(title or say("Reality check", "Realitätscheck"), lg)
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
        (word("use case", "Anwendungsfall"), {}),
        (word("metric", "Metrik"), {}),
        (word("baseline", "Baseline"), {"justify": "right"}),
        (word("model", "Modell"), {"justify": "right"}),
        (word("improvement [95% CI]", "Verbesserung [95-%-KI]"), {"justify": "right"}),
        (word("verdict", "Urteil"), {}),
    ):
        table.add_column(col, no_wrap=True, **kw)
    not_better = False
    for r in records:
        code, pm = r["verdict"], r.get("primary_metric", "roc_auc")
        said = verdict(code, lg)
        if narrow and code == "not better than baseline":
            said, not_better = word("not better", "nicht besser"), True
        name = metric_name(pm, lg)
        metric = in_lang(Text(*SHORT_METRIC[pm]), lg) if narrow and pm in SHORT_METRIC else name
        metric = metric[:12] if narrow else metric
        table.add_row(r["use_case"], metric, *reality_cells(r, lg), RichText(said, style=VERDICT_STYLE.get(code, "")))
    if not_better:
        table.caption = word(
            "not better: not better than the baseline; the baseline is used",
            "nicht besser: nicht besser als die Baseline; die Baseline wird verwendet",
        )
        table.caption_justify = "left"
    return table


def _metrics_table(record: dict) -> Table:
    from nomagic.lifecycle.card import metric_rows

    lg = lang()
    table = Table(
        word("metric", "Metrik"),
        word("model [95% CI]", "Modell [95-%-KI]"),
        word("baseline [95% CI]", "Baseline [95-%-KI]"),
        word("improvement [95% CI]", "Verbesserung [95-%-KI]"),
        box=None,
    )
    for row in metric_rows(record, lg):
        table.add_row(row[0].replace("`", ""), *(c.replace(", ", "; ") if lg == "de" else c for c in row[1:]))
    return table


def _show_record(record: dict, *, detail: bool = True) -> None:
    from nomagic.report.advice import advice, fairness_note

    lg = lang()
    console.print(reality_table([record]))
    show(pick(record, "explanation", lg))
    show(advice(record, lg), "bold")
    fair = fairness_note(record, lg)
    if fair:
        show(say("{found}. {means}", "{found}. {means}", found="; ".join(fair[0]), means=fair[1]), label="fairness:")
    if detail and record.get("metrics", {}).get("model"):
        console.print(_metrics_table(record))
    if record.get("drivers"):
        drivers = "; ".join(pick(d, "summary", lg) for d in record["drivers"][:5])
        show(drivers, label=word("top drivers:", "wichtigste Treiber:"), label_style="bold")
    # printed already: with the comparison before the verdict, or as fairness flags after it (compared in English)
    en_fair = fairness_note(record, "en")
    said = set((record.get("shift") or {}).get("notes", [])) | set(en_fair[0] if en_fair else [])
    warnings = record.get("warnings", [])
    for en, w in zip(warnings, pick(record, "warnings", lg) or warnings, strict=False):
        if en not in said:
            show(w, label=word("note:", "Hinweis:"), indent=2)


def _show_shift(record: dict) -> None:
    """The test file against the data, in one short table (the words are in the warnings)."""
    from nomagic.lifecycle.shift import PSI_LARGE

    shift = record.get("shift")
    if not shift:
        return
    lg = lang()
    prior, dom = shift["prior"], shift["domain_classifier"]
    table = Table(
        word("comparison", "Vergleich"),
        word("training data", "Trainingsdaten"),
        word("test file", "Testdatei"),
        word("reading", "Einordnung"),
        title=word("Same world?", "Dieselbe Welt?"),
        title_justify="left",
    )
    table.add_row(
        word("positive rate", "Positivrate"),
        number(prior["train_rate"]["value"], ".1%", lg),
        number(prior["test_rate"]["value"], ".1%", lg),
        word("shifted", "verschoben") if prior["shifted"] else word("about the same", "etwa gleich"),
    )
    auc = dom["roc_auc"]["value"]
    cols = ", ".join(c["column"] for c in dom["columns"][:3])
    table.add_row(
        word("told apart by a classifier", "von einem Klassifikator unterschieden"),
        "",
        "ROC-AUC " + number(auc, ".2f", lg),
        (word("different world: ", "andere Welt: ") if shift["large"] else "") + cols,
    )
    for c in shift["columns"][:3]:
        moved = word("moved", "verschoben") if c["psi"] >= PSI_LARGE else ""
        table.add_row(f"{c['column']} (PSI {number(c['psi'], '.2f', lg)})", c["train"], c["test"], moved)
    console.print(table)
    for note in pick(shift, "notes", lg) or []:
        show(note, label=word("shift:", "Verschiebung:"), indent=2)


# --------------------------------------------------------------------------- evaluate


@app.command("evaluate")
def evaluate_command(
    use_case: str = typer.Argument(
        ..., metavar="USE_CASE", help="churn or propensity (others: `nomagic evaluate clv`, ...)"
    ),
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
    data is not ready, 2 on errors.

    The other use cases have their own evaluation: `nomagic evaluate clv`, `evaluate recommend`,
    `evaluate uplift`, `evaluate budget`, ... (see `nomagic --help`)."""
    from nomagic.lifecycle import record as rec
    from nomagic.lifecycle.metrics import ProfitParams
    from nomagic.lifecycle.plain import evaluate_table, read_table
    from nomagic.lifecycle.usecase import UseCase

    cls = use_case_class(use_case)
    if not (isinstance(cls, type) and issubclass(cls, UseCase)):
        raise InputError(
            say(
                "`nomagic evaluate` runs the yes/no use cases (churn, propensity); {uc!r} has its own evaluation "
                "(see `nomagic --help`)",
                "`nomagic evaluate` bewertet die Ja/Nein-Anwendungsfälle (churn, propensity); {uc!r} hat eine "
                "eigene Bewertung (siehe `nomagic --help`)",
                uc=use_case,
            )
        )
    if not label:
        raise InputError(
            say(
                "{data}: name the outcome column with --label COLUMN (e.g. --label Churn)",
                "{data}: die Zielspalte mit --label SPALTE angeben (z. B. --label Churn)",
                data=data,
            )
        )
    if not data.exists():
        raise InputError(say("file {data} does not exist", "die Datei {data} gibt es nicht", data=data))
    lg = lang()
    readiness = None
    if not skip_check:
        from nomagic.warehouse.readiness import check_file

        with console.status(say("checking {name} ...", "{name} wird geprüft ...", name=data.name).lang(lg)):
            readiness = check_file(data, label, time, drop=list(drop or ()))
        for f in readiness.reasons:
            if f.level in ("blocker", "warning"):
                color = "red" if f.level == "blocker" else "yellow"
                show(
                    say("{subject}: {message}", "{subject}: {message}", subject=f.subject, message=f.message),
                    label=in_lang(level_word(f.level), lg) + ":",
                    label_style=color,
                    indent=2,
                )
    frame = read_table(data)
    test_frame = read_table(test) if test is not None else None
    with progress_bar(say("evaluating {uc}", "{uc} wird bewertet", uc=cls.name)) as update:
        result = evaluate_table(
            frame,
            label=label,
            use_case=cls.name,
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
        show(say("evaluation record: {path}", "Evaluationsprotokoll: {path}", path=json_out))
    if html_out and record["verdict"] != "not ready":
        from nomagic import report

        report.write(html_out, [record], title=f"nomagic evaluate {cls.name}: {data.name}", lang=lg)
        show(say("report: {path}", "Bericht: {path}", path=html_out))
    if scores_out and len(result.predictions):
        from nomagic.lifecycle.scoring import write_scores

        write_scores(None, result.predictions, cls.name, scores_out)
        show(say("out-of-sample scores: {path}", "Scores außerhalb der Stichprobe: {path}", path=scores_out))
    if record["verdict"] == "not ready":
        raise SystemExit(1)


# --------------------------------------------------------------------------- train / score


@app.command("train")
def train_command(
    use_case: str = typer.Argument(
        ..., metavar="USE_CASE", help="churn, propensity, clv, uplift, sendtime, subject-lines, budget, ..."
    ),
    challenger: bool = typer.Option(False, "--challenger", help="Register as challenger; keep the champion."),
    json_out: Path = typer.Option(None, "--json", help="Also write the evaluation record (JSON) here."),
    skip_check: bool = typer.Option(False, "--skip-check", help="Do not run the readiness check first."),
    expected_rate: float = typer.Option(None, "--expected-rate", hidden=True, help="No effect (no test file here)."),
    html_out: Path = typer.Option(None, "--html", help="Write the evaluation as an offline HTML report here."),
    cost: float = typer.Option(1.0, "--cost-per-contact", help="Cost of one contact (for profit_at_10)."),
    value: float = typer.Option(20.0, "--value-per-success", help="Value of one positive reached (profit_at_10)."),
    sensitive: list[str] = typer.Option(
        None, "--sensitive", help="Customer attribute to audit (repeatable; default: gender, age_band)."
    ),
    warehouse: str = WarehouseOption,
) -> None:
    """Backtest on rolling time cutoffs, judge by the no-magic gate, explain and register a new version.

    Any use case of `nomagic demo` trains on the warehouse this way; profit and fairness options apply to
    churn and propensity."""
    from nomagic.lifecycle import record as rec
    from nomagic.lifecycle.metrics import ProfitParams
    from nomagic.lifecycle.registry import Registry
    from nomagic.lifecycle.usecase import UseCase
    from nomagic.warehouse import connect

    cls = use_case_class(use_case)
    options = {}
    if isinstance(cls, type) and issubclass(cls, UseCase):  # the yes/no use cases take these; others their own
        options["profit"] = ProfitParams(cost, value)
        if sensitive:
            options["sensitive"] = tuple(sensitive)
    with (
        connect(warehouse) as wh,
        progress_bar(say("training {uc}", "{uc} wird trainiert", uc=cls.name)) as update,
    ):
        registry = Registry.for_warehouse(wh.url)
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
    if html_out and version is not None:
        from nomagic import report

        report.write(html_out, [record], [version.meta], title=f"nomagic train {cls.name}", lang=lang())
        show(say("report: {path}", "Bericht: {path}", path=html_out))
    if version is None:
        show(
            say(
                "nothing was trained; see `nomagic check --use-case {uc}`",
                "nichts wurde trainiert; siehe `nomagic check --use-case {uc}`",
                uc=cls.name,
            ),
            label=word("not ready:", "nicht bereit:"),
            label_style="red",
        )
        raise SystemExit(1)
    show(
        say(
            "registered {uc} {version} as {status} (scores with the {scorer}) in {folder}; model card: {card}",
            "{uc} {version} als {status} registriert (bewertet mit {scorer}) in {folder}; Modellkarte: {card}",
            uc=cls.name,
            version=version.version,
            status=Text(*STATUS.get(version.status, (version.status, version.status))),
            scorer=scorer_word(version.scorer),
            folder=version.folder,
            card=version.folder / "card.html",
        )
    )


@app.command("score")
def score_command(
    use_case: str = typer.Argument(
        ..., metavar="USE_CASE", help="churn or propensity (others: `nomagic score clv`, `score segments`, ...)"
    ),
    out: Path = typer.Option(None, "--out", help="Write to a .parquet or .csv file instead of the warehouse."),
    as_of: str = typer.Option(None, "--as-of", help="Score as of this date (default: the end of the data)."),
    version: str = typer.Option(None, "--version", help="Registry version (default: the champion)."),
    reasons: int = typer.Option(3, "--reasons", help="Number of reasons per customer."),
    warehouse: str = WarehouseOption,
) -> None:
    """Score every customer with the champion: probability, decile and top reasons in plain words.

    Written to the warehouse table `scores_<use case>` (replaced), or to --out FILE. The other use cases
    have their own command: `nomagic score clv`, `score segments`, `score recommend`, `score uplift`,
    `score sendtime`."""
    from nomagic.lifecycle.registry import Registry
    from nomagic.lifecycle.scoring import score, write_scores
    from nomagic.lifecycle.usecase import UseCase
    from nomagic.warehouse import connect

    cls = use_case_class(use_case)
    if not (isinstance(cls, type) and issubclass(cls, UseCase)):
        raise InputError(
            say(
                "`nomagic score` scores churn and propensity; {uc!r} has its own command (see `nomagic --help`)",
                "`nomagic score` bewertet churn und propensity; {uc!r} hat einen eigenen Befehl (siehe "
                "`nomagic --help`)",
                uc=use_case,
            )
        )
    lg = lang()
    with connect(warehouse) as wh:
        registry = Registry.for_warehouse(wh.url)
        with progress_bar(say("scoring {uc}", "{uc} wird bewertet", uc=cls.name)) as update:
            scores = score(cls(), wh, registry, as_of=as_of, version=version, k=reasons, progress=update)
            where = write_scores(wh, scores, cls.name, out)
    scorer = scorer_word(scores["scorer"].iloc[0] if len(scores) else "-")
    show(
        say(
            "scored {n:,} customers with the {scorer} -> {where}",
            "{n:,} Kunden bewertet mit {scorer} -> {where}",
            n=len(scores),
            scorer=scorer,
            where=where,
        )
    )
    if len(scores):
        top = scores.sort_values("score", ascending=False).head(5)
        t = Table(
            word("customer", "Kunde"),
            word("score", "Score"),
            word("reason 1", "Grund 1"),
            word("reason 2", "Grund 2"),
            box=None,
        )
        for _, r in top.iterrows():
            t.add_row(
                str(r["customer_id"]),
                number(r["score"], ".3f", lg),
                _reason(r, "reason_1", lg),
                _reason(r, "reason_2", lg),
            )
        console.print(t)


def _reason(row, col: str, lg: str) -> str:
    """A scores row's reason in ``lg``: its ``<col>_de`` column where written, else the reason itself."""
    value = row.get(f"{col}_de") if lg == "de" and row.get(f"{col}_de") else row.get(col)
    return in_lang(value, lg) if value else ""


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
    """One offline HTML file: the reality check, lift, calibration, drivers and fairness per use case.

    In German with `nomagic --lang de report`."""
    from nomagic import report
    from nomagic.lifecycle import record as rec
    from nomagic.lifecycle.registry import Registry
    from nomagic.warehouse.connection import resolve_url

    if records:
        recs, metas = [rec.read(p) for p in records], None
    else:
        recs, metas = champion_records(Registry.for_warehouse(resolve_url(warehouse)))
        if not recs:
            raise NotReadyError(
                say(
                    "no trained use case to report; run `nomagic train churn` (or `nomagic demo`) first",
                    "kein trainierter Anwendungsfall für den Bericht; zuerst `nomagic train churn` (oder "
                    "`nomagic demo`) ausführen",
                )
            )
    with console.status(word("drawing the report ...", "Der Bericht wird erstellt ...")):
        report.write(out, recs, metas, lang=lang())
    show(
        say(
            "report: {out} ({n} use case(s))",
            "Bericht: {out} ({n} Anwendungsfall)" if len(recs) == 1 else "Bericht: {out} ({n} Anwendungsfälle)",
            out=out,
            n=len(recs),
        )
    )


@app.command("models")
def models_command(
    use_case: str = typer.Argument(None, metavar="USE_CASE", help="Only this use case."),
    warehouse: str = WarehouseOption,
) -> None:
    """The registry: every trained version, its status, what it scores with and how it did."""
    from nomagic.lifecycle.registry import Registry
    from nomagic.warehouse.connection import resolve_url

    lg = lang()
    registry = Registry.for_warehouse(resolve_url(warehouse))
    names = [use_case.replace("-", "_")] if use_case else registry.use_cases()
    t = Table(box=None, padding=(0, 1, 0, 0), pad_edge=False)  # one line per version at 80 columns
    narrow = console.width < 110
    for en, de in (
        ("use case", "Anwendungsfall"),
        ("version", "Version"),
        ("created", "erstellt"),
        ("status", "Status"),
        ("scorer", "nutzt"),
        ("verdict", "Urteil"),
        ("model", "Modell"),
        ("baseline", "Baseline"),
    ):
        t.add_column(word(en, de), no_wrap=True)
    for name in names:
        for v in registry.versions(name):
            m = v.meta
            code = m["verdict"]
            said = word("not better", "nicht besser") if narrow and code == "not better than baseline" else None
            t.add_row(
                name,
                v.version,
                date_text(m["created_at"], lg),
                in_lang(Text(*STATUS.get(v.status, (v.status, v.status))), lg),
                word(m["scorer"], {"model": "Modell", "baseline": "Baseline"}.get(m["scorer"], m["scorer"])),
                RichText(said or verdict(code, lg), style=VERDICT_STYLE.get(code, "")),
                _num(m.get("model_value"), lg),
                _num(m.get("baseline_value"), lg),
            )
    console.print(t)
    show(say("registry: {root}", "Modellregister: {root}", root=registry.root))


def _num(x, lg: str = "en") -> str:
    return "-" if x is None else number(x, ".3f", lg)
