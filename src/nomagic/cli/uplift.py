"""Uplift commands.

::

    nomagic evaluate uplift --data FILE --treatment COL=VALUE --control VALUE --label COL
                            [--test FILE] [--time COL] [--id COL] [--drop COL ...] [--json FILE]
    nomagic score uplift [--as-of DATE] [--budget-share 0.3] [--warehouse URL]   -> table uplift_scores

``evaluate-uplift`` exits 0 when the evaluation ran (whatever the verdict), 1 when the data is not
ready (the record is still written), 2 on errors.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import lang, metrics_table, progress_bar, show, verdict_text, word
from nomagic.errors import InputError, NotReadyError, writable
from nomagic.words import pick, say

NOTE = say("note:", "Hinweis:")


def _cell(spec: str, x) -> str:
    """A number as the chosen language writes it (10,000.5 / 10.000,5)."""
    return say(spec, spec, x=x).lang(lang())


def _show(record: dict) -> None:
    code = record["verdict"]
    console.print(verdict_text(code))
    show(pick(record, "explanation", lang()))
    if code == "not ready":
        return
    t = metrics_table(
        record,
        model=word("uplift model [95% CI]", "Uplift-Modell [95-%-KI]"),
        baseline=word("response targeting [95% CI]", "Reaktions-Targeting [95-%-KI]"),
    )
    console.print(t)
    pol = record.get("policy", {})
    if pol:
        p = Table(
            word("contact the top", "die besten kontaktieren"),
            word("contacts", "Kontakte"),
            word("incremental conversions (model)", "zusätzliche Conversions (Modell)"),
            word("(response targeting)", "(Reaktions-Targeting)"),
            box=None,
        )
        for a, b in zip(pol["model"], pol["baseline"], strict=True):
            p.add_row(
                _cell("{x:.0%}", a["share"]),
                _cell("{x:,}", a["contacts"]),
                _n(a["incremental_conversions"]),
                _n(b["incremental_conversions"]),
            )
        console.print(p)
    for w in pick(record, "warnings", lang()) or []:
        show(w, label=NOTE, indent=2)


def _n(x) -> str:
    return word("n/a", "k. A.") if x is None else _cell("{x:,.1f}", x)


@app.command("evaluate-uplift")
def evaluate_uplift(
    data: Path = typer.Option(..., "--data", help="Experiment table (CSV, Parquet, JSON lines): one row per unit."),
    treatment: str = typer.Option(
        ..., "--treatment", help="COLUMN=VALUE: the column with the arm and the treated arm."
    ),
    control: str = typer.Option(..., "--control", help="The control arm's value in the treatment column."),
    label: str = typer.Option(..., "--label", help="The outcome column (1/0, yes/no, ...)."),
    test: Path = typer.Option(None, "--test", help="Judge on this file alone (same columns), training on --data."),
    time: str = typer.Option(None, "--time", help="Time column: the later 50% is the test part."),
    id_col: str = typer.Option(None, "--id", help="Id column (never a feature)."),
    drop: list[str] = typer.Option(
        None, "--drop", help="Column to leave out, e.g. outcomes recorded after the treatment (repeatable)."
    ),
    positive: str = typer.Option(None, "--positive", help="The label value that counts as positive."),
    value: float = typer.Option(
        None, "--value-per-conversion", help="Value of one conversion (adds revenue to the policy)."
    ),
    n_boot: int = typer.Option(500, "--bootstrap", help="Bootstrap resamples for the 95% intervals."),
    seed: int = typer.Option(42, "--seed", help="Seed of the stratified split (without --test or --time)."),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
) -> None:
    """Uplift targeting vs targeting by response propensity on your own experiment, with 95% CIs.

    Without --test or --time: a 50/50 split stratified by treatment x label (seed 42)."""
    from nomagic.lifecycle import record as rec
    from nomagic.lifecycle.plain import read_table
    from nomagic.lifecycle.record import fingerprint_file
    from nomagic.usecases.uplift.data import prepare, split
    from nomagic.usecases.uplift.evaluate import evaluate_frames, not_ready_record

    if json_out is not None:
        writable(json_out)
    opts = dict(treatment=treatment, control=control, label=label, id=id_col, drop=tuple(drop or ()), positive=positive)
    exp = prepare(read_table(data), source=str(data), time=time if test is None else None, **opts)
    info = {"source": str(data), "fingerprint": fingerprint_file(data), "rows": len(exp.label)}
    if test is not None:
        te_exp = prepare(read_table(test), source=str(test), **opts)
        missing = [c for c in exp.X.columns if c not in te_exp.X.columns]
        if missing:
            raise InputError(
                say(
                    "{test}: lacks the feature column(s) of {data}: {cols}",
                    "{test}: Es fehlt/fehlen die Merkmalsspalte(n) von {data}: {cols}",
                    test=str(test),
                    data=str(data),
                    cols=", ".join(missing),
                )
            )
        Xtr, ttr, ytr = exp.X, exp.treatment, exp.label
        Xte, tte, yte = te_exp.X[exp.X.columns], te_exp.treatment, te_exp.label
        how = {"kind": "given-test", "test_source": str(test), "test_rows": len(yte)}
    else:
        tr, te, how = split(exp, seed=seed)
        Xtr, ttr, ytr = exp.X.iloc[tr], exp.treatment[tr], exp.label[tr]
        Xte, tte, yte = exp.X.iloc[te], exp.treatment[te], exp.label[te]
    how["treatment"], how["control"] = treatment, control
    for note in exp.notes:
        show(note, label=NOTE, indent=2)
    try:
        with progress_bar(say("evaluating uplift", "Uplift bewerten")) as update:
            ev = evaluate_frames(
                Xtr,
                ttr,
                ytr,
                Xte,
                tte,
                yte,
                data=info,
                split=how,
                n_boot=n_boot,
                value_per_conversion=value,
                progress=update,
            )
        record = ev.record
    except NotReadyError as exc:
        record = not_ready_record(exc.args[0] if exc.args else str(exc), info, how)
    if exp.notes:
        record.setdefault("warnings", []).extend(exp.notes)
    _show(record)
    if json_out:
        rec.write(record, json_out)
        show(say("evaluation record: {f}", "Bewertungsprotokoll: {f}", f=str(json_out)))
    if record["verdict"] == "not ready":
        raise SystemExit(1)


@app.command("score-uplift")
def score_uplift(
    as_of: str = typer.Option(None, "--as-of", help="Score as of this day (default: the last send)."),
    budget_share: float = typer.Option(0.3, "--budget-share", help="Share of customers the next campaign may contact."),
    table: str = typer.Option("uplift_scores", "--table", help="Table to write."),
    warehouse: str = WarehouseOption,
) -> None:
    """Predicted effect of an e-mail for every customer who allows profiling and e-mail; written to uplift_scores."""
    from nomagic.privacy import consent, review
    from nomagic.usecases.uplift.usecase import Uplift
    from nomagic.warehouse import connect

    if not 0 < budget_share <= 1:
        raise InputError(
            say(
                "--budget-share must be in (0, 1]; got {b}",
                "--budget-share muss in (0, 1] liegen; erhalten: {b}",
                b=budget_share,
            )
        )
    uc = Uplift(budget_share=budget_share)
    with connect(warehouse) as wh, progress_bar(say("scoring uplift", "Uplift bewerten")) as update:
        df = uc.score(wh, as_of, progress=update)
        # an e-mail target list built from a profile: the privacy policy is asked before the table is written
        df, left = consent.keep_allowed(wh, df, consent.purposes_for("uplift_scores"))
        df, held = _hold_for_review(wh, df, budget_share)
        wh.write(table, df)
    show(
        say(
            "{table}: {n:,} customers; contact {k:,} ({b:.0%} budget, positive effect only); {dogs:,} sleeping dogs "
            "(negative predicted effect) left alone. Model: {model}",
            "{table}: {n:,} Kunden; {k:,} kontaktieren ({b:.0%} Budget, nur mit positivem Effekt); {dogs:,} Sleeping "
            "Dogs (negativer vorhergesagter Effekt) in Ruhe lassen. Modell: {model}",
            table=table,
            n=len(df),
            k=int(df["contact"].sum()),
            b=budget_share,
            dogs=int(df["sleeping_dog"].sum()),
            model=df.attrs.get("model_words", df["model"].iloc[0] if len(df) else "-"),
        )
    )
    if left:
        show(left.words, label=NOTE)
    if held:
        show(
            say(
                "{held}: their rows have review = 'pending' and contact = false until a person approves them "
                "(dashboard page Review, or POST /api/v1/review/ID)",
                "{held}: ihre Zeilen haben review = 'pending' und contact = false, bis eine Person sie freigibt "
                "(Dashboard-Seite Prüfung oder POST /api/v1/review/ID)",
                held=review.held_words(held),
            ),
            label=NOTE,
        )


#: the two decisions an uplift list makes about a customer (names for ``[review] decisions``)
TARGETED, NOT_TARGETED = "targeted", "not targeted"


def _reason(uplift: float, rank: int, n: int, share: float, contact: bool):
    why = say(
        "predicted effect of an e-mail on conversion {u:+.2%}; rank {r:,} of {n:,}",
        "vorhergesagter Effekt einer E-Mail auf die Conversion {u:+.2%}; Rang {r:,} von {n:,}",
        u=float(uplift),
        r=int(rank),
        n=int(n),
    )
    if contact:
        return why + say("; within the budget", "; innerhalb des Budgets")
    if uplift <= 0:
        return why + say("; no positive effect expected", "; kein positiver Effekt erwartet")
    return why + say(
        "; outside the budget (top {b:.0%} only)", "; außerhalb des Budgets (nur die besten {b:.0%})", b=share
    )


def _hold_for_review(wh, df, share: float):
    """Significant decisions (``[review]`` in .nomagic/config.toml) go to the review queue instead of the list:
    a held "targeted" is not contacted; a person's override turns the decision round (Art. 22 GDPR)."""
    from nomagic.privacy import review

    cfg = review.load_config(url=wh.url)
    if not cfg or df.empty:
        return df, 0
    n = len(df)
    decisions = df[["customer_id"]].assign(
        action=df["contact"].map({True: TARGETED, False: NOT_TARGETED}),
        model_version=df["model"].astype(str),
    )
    significant = decisions["action"].map(lambda a: review.needs_review("uplift", a, cfg))
    why = [
        _reason(u, r, n, share, c) if s else None
        for u, r, c, s in zip(df["uplift"], df["rank"], df["contact"], significant, strict=True)
    ]
    decisions["reasons"] = [None if w is None else str(w) for w in why]
    decisions["reasons_de"] = [None if w is None else w.de for w in why]
    status, ids = review.route(wh, "uplift", decisions, config=cfg)
    df = df.copy()
    proposed = df["contact"].astype(bool)
    df["contact"] = proposed.where(status.isna() | (status == review.APPROVED), False)
    df.loc[status == review.OVERRIDDEN, "contact"] = ~proposed[status == review.OVERRIDDEN]
    df["review"] = status.astype("string")
    df["review_id"] = ids.astype("string")
    return df, int((status == review.PENDING).sum())
