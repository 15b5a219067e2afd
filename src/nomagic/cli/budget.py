"""Budget commands: a Bayesian marketing-mix model on your weekly table, and a proposed split.

::

    nomagic evaluate-budget --data WEEKLY --date COL --target COL --channels A,B,... [--controls C,D]
                            [--adstock geometric|weibull|weibull_pdf] [--saturation logistic|hill]
                            [--lift-tests FILE] [--inference laplace|nuts] [--json FILE] [--html FILE]
    nomagic optimise-budget --data WEEKLY --date COL --target COL --channels A,B,... [--budget AMOUNT]
                            [--bounds A=LOW:HIGH,...] [--risk-aversion 0.5] [--what-if A=X,B=Y ...]
                            [--json FILE] [--html FILE]

``evaluate-budget`` fits on all periods for the parameters (ROI, marginal ROI, curves with 90 %
intervals) and judges the model on what it is used for: with ``--lift-tests``, a fit without the
tests must predict them (they then calibrate the final fit); without them only the fit can be checked
(the last periods against the same base without media), the ROIs are not verified and the model is
not promoted; the record's ``evidence`` says which. It exits 0 when the model is promoted or not
better than the baseline (the record says which), 1 when the data is not ready, 2 on errors (bad
file, negative spend, a channel that never spends, too few periods). Sentences follow ``--lang`` /
``NOMAGIC_LANG``.
``optimise-budget`` fits on all periods and proposes the split of the budget per period.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import app, console
from nomagic.cli.ui import format_ci, progress, show, show_verdict, word
from nomagic.errors import InputError, writable
from nomagic.lifecycle.record import dumps, fingerprint_file, write
from nomagic.words import Text, chosen_lang, in_lang, pick, say

_DATA = typer.Option(..., "--data", help="One row per period (week): CSV or Parquet.")
_DATE = typer.Option(..., "--date", help="Column with the period's date.")
_TARGET = typer.Option(..., "--target", help="Column with the outcome (revenue per period).")
_CHANNELS = typer.Option(..., "--channels", help="Spend columns, comma-separated: A,B,C.")
_CONTROLS = typer.Option("", "--controls", help="Other columns that move the target (price, events), comma-separated.")


def _names(text: str) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _money(v: float, sign: str = "") -> str:
    from nomagic.usecases.budget.optimise import money

    return money(v, sign).lang(chosen_lang())


def _num(v: float, spec: str) -> str:
    return say("{v:" + spec + "}", "{v:" + spec + "}", v=float(v)).lang(chosen_lang())


def _lift_tests(path: Path | None, channels: list[str]):
    from nomagic.usecases.budget.data import read_table
    from nomagic.usecases.budget.model import LiftTest

    if path is None:
        return []
    df = read_table(path, ["channel", "x0", "x1", "delta", "se"])
    out = []
    for i, r in df.iterrows():
        if r["channel"] not in channels:
            raise InputError(
                say(
                    "{path}, row {row}, column 'channel': {c!r} is not one of --channels",
                    "{path}, Zeile {row}, Spalte 'channel': {c!r} ist keiner der --channels",
                    path=str(path),
                    row=i + 2,
                    c=r["channel"],
                )
            )
        try:
            vals = [float(r[k]) for k in ("x0", "x1", "delta", "se")]
        except (TypeError, ValueError) as exc:
            raise InputError(
                say(
                    "{path}, row {row}: x0, x1, delta and se must be numbers",
                    "{path}, Zeile {row}: x0, x1, delta und se müssen Zahlen sein",
                    path=str(path),
                    row=i + 2,
                )
            ) from exc
        if vals[3] <= 0 or vals[0] < 0 or vals[1] < 0:
            raise InputError(
                say(
                    "{path}, row {row}: spends must be 0 or more and se more than 0",
                    "{path}, Zeile {row}: Ausgaben müssen 0 oder mehr sein und se größer als 0",
                    path=str(path),
                    row=i + 2,
                )
            )
        out.append(LiftTest(str(r["channel"]), *vals))
    return out


def _prepare(data, date, target, channels, controls):
    from nomagic.usecases.budget.data import clean, read_table

    chans, ctrls = _names(channels), _names(controls)
    df = read_table(data, [date, target, *chans, *ctrls])
    return (*clean(df, date=date, target=target, channels=chans, controls=ctrls, source=str(data)), chans, ctrls)


def _maker(date, target, chans, ctrls, adstock, saturation, l_max, seasonality, trend, lifts, inference, n_draws, seed):
    from nomagic.usecases.budget.model import MMM

    try:
        MMM(chans, adstock=adstock, saturation=saturation)
    except ValueError as exc:
        raise InputError(exc.args[0] if exc.args else str(exc)) from exc
    if inference not in ("laplace", "nuts"):
        raise InputError(
            say(
                "--inference must be laplace or nuts, not {x!r}",
                "--inference muss laplace oder nuts sein, nicht {x!r}",
                x=inference,
            )
        )

    def make():
        return MMM(
            chans,
            date=date,
            target=target,
            controls=ctrls,
            adstock=adstock,
            saturation=saturation,
            l_max=l_max,
            yearly_seasonality=seasonality,
            trend=trend,
            lift_tests=lifts,
            n_draws=n_draws,
            seed=seed,
            inference=inference,
        )

    return make


def _show_params(record: dict) -> None:
    t = Table(title=word("per channel (90% intervals)", "je Kanal (90-%-Intervalle)"), header_style="bold")
    for col in (
        word("channel", "Kanal"),
        word("spend", "Ausgaben"),
        "ROI",
        word("marginal ROI", "Grenz-ROI"),
        word("share of target", "Anteil an der Zielgröße"),
        word("carry-over", "Übertragung"),
        word("saturation", "Sättigung"),
    ):
        t.add_column(col, justify="right")

    def iv(v: dict, spec: str = ".2f") -> str:
        lo, hi = v["interval_90"]
        sep = "; " if chosen_lang() == "de" else ", "  # German decimal commas: intervals use a semicolon
        return f"{_num(v['value'], spec)} [{_num(lo, spec)}{sep}{_num(hi, spec)}]"

    for c, p in record["params"].items():
        ad = ", ".join(
            f"{k.removeprefix('adstock_')} {_num(p[k]['value'], '.2f')}" for k in p if k.startswith("adstock_")
        )
        sat = ", ".join(
            f"{k.removeprefix('saturation_')} {_num(p[k]['value'], '.2f')}" for k in p if k.startswith("saturation_")
        )
        t.add_row(
            c, _money(p["spend"]), iv(p["roi"]), iv(p["marginal_roi"]), iv(p["contribution_share"], ".1%"), ad, sat
        )
    console.print(t)


def _show_allocation(a: dict) -> None:
    lang = chosen_lang()
    t = Table(
        title=say(
            "proposed split of {b} per period", "vorgeschlagene Aufteilung von {b} je Periode", b=_money(a["budget"])
        ).lang(lang),
        header_style="bold",
    )
    for col in (
        word("channel", "Kanal"),
        word("today", "heute"),
        word("proposed", "Vorschlag"),
        word("change", "Änderung"),
        word("bounds", "Grenzen"),
        word("expected response (90%)", "erwartete Wirkung (90 %)"),
        word("marginal ROI", "Grenz-ROI"),
    ):
        t.add_column(col, justify="right")
    sep = "; " if lang == "de" else ", "
    for i, c in enumerate(a["channels"]):
        q, p = a["current"][i], a["proposed"][i]
        r = a["channel_response_proposed"][i]
        t.add_row(
            c,
            _money(q),
            _money(p),
            _num(p / q - 1, "+.0%") if q else word("new", "neu"),
            f"{_money(a['lower'][i])}-{_money(a['upper'][i])}",
            f"{_money(r['value'])} [{_money(r['interval_90'][0])}{sep}{_money(r['interval_90'][1])}]",
            _num(a["marginal_roi_proposed"][i], ".2f"),
        )
    console.print(t)
    show(pick(a, "words", lang))


def _show_fit(d: dict) -> None:
    from nomagic.usecases.budget.model import fit_verdict

    lang = chosen_lang()
    style = "green" if d.get("verdict") == "reliable" else "yellow"
    label = say("fit: {v} -", "Anpassung: {v} -", v=fit_verdict(d.get("verdict", ""), lang))
    show(pick(d, "words", lang), label=label, label_style=style)


def _show(record: dict) -> None:
    if not show_verdict(record):
        return
    lang = chosen_lang()
    s = record["split"]
    t = Table(
        title=say(
            "held-out periods {start} to {end} ({n}, 95% CI): a sanity check",
            "Testzeitraum {start} bis {end} ({n}, 95-%-KI): eine Plausibilitätsprüfung",
            start=s["holdout_start"],
            end=s["holdout_end"],
            n=s["holdout_periods"],
        ).lang(lang),
        header_style="bold",
    )
    for col in (
        word("metric", "Kennzahl"),
        word("model", "Modell"),
        word("baseline (no media)", "Baseline (ohne Medien)"),
        word("improvement", "Verbesserung"),
    ):
        t.add_column(col, justify="right")
    for name, words in (
        ("holdout_mape", word("MAPE (lower is better)", "MAPE (niedriger ist besser)")),
        ("holdout_r2", word("R² (higher is better)", "R² (höher ist besser)")),
    ):
        t.add_row(
            words, *(in_lang(format_ci(record["metrics"][k][name]), lang) for k in ("model", "baseline", "improvement"))
        )
    console.print(t)
    _show_params(record)
    _show_fit(record.get("diagnostics") or {})
    _show_evidence(record)
    if record.get("allocation"):
        from nomagic.report.advice import not_advice

        if warning := not_advice(record, lang):
            show(warning, "bold yellow")
        _show_allocation(record["allocation"])
    for w in pick(record, "warnings", lang) or []:
        show(w, label=word("warning:", "Warnung:"))
    show(pick(record, "explanation", lang))


def _show_evidence(record: dict) -> None:
    """Which evidence decided the verdict, and what it showed."""
    from nomagic.usecases.budget.evidence import evidence_words

    if not record.get("evidence"):
        return
    lang = chosen_lang()
    label = say("evidence: {e} -", "Beleg: {e} -", e=evidence_words(record["evidence"]))
    style = "green" if record.get("roi_verified") else "yellow"
    show(pick(record.get("roi_check") or {}, "words", lang), label=label, label_style=style)


def _check_out(*paths) -> None:
    for out in paths:
        if out is not None:
            writable(out)


def evaluate_budget(
    data: Path = _DATA,
    date: str = _DATE,
    target: str = _TARGET,
    channels: str = _CHANNELS,
    controls: str = _CONTROLS,
    adstock: str = typer.Option("geometric", "--adstock", help="geometric, weibull or weibull_pdf."),
    saturation: str = typer.Option("logistic", "--saturation", help="logistic or hill."),
    l_max: int = typer.Option(8, "--l-max", help="Longest carry-over, in periods."),
    yearly_seasonality: int = typer.Option(2, "--yearly-seasonality", help="Fourier pairs of the yearly season."),
    trend: bool = typer.Option(True, "--trend/--no-trend", help="A linear trend."),
    holdout: int = typer.Option(None, "--holdout", help="Held-out last periods (default 1/8 of them, 8 to 26)."),
    lift_tests: Path = typer.Option(
        None,
        "--lift-tests",
        help="CSV of lift tests (channel,x0,x1,delta,se): held out to judge the model, then used as calibration.",
    ),
    inference: str = typer.Option("laplace", "--inference", help="laplace (fast) or nuts (needs nomagic[bayes])."),
    n_draws: int = typer.Option(1000, "--n-draws", help="Posterior draws for the intervals."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples of the holdout."),
    seed: int = typer.Option(0, "--seed", help="Seed."),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
    html_out: Path = typer.Option(None, "--html", help="Write an offline HTML report with the charts here."),
) -> None:
    """Marketing-mix model on your periods: ROI, marginal ROI, curves and a proposed split with 90% intervals,
    judged on lift tests when given (else only the fit is checked, against the same base without media)."""
    from nomagic.usecases.budget.evaluate import evaluate_frame

    _check_out(json_out, html_out)
    df, warns, chans, ctrls = _prepare(data, date, target, channels, controls)
    make = _maker(
        date, target, chans, ctrls, adstock, saturation, l_max, yearly_seasonality, trend,
        _lift_tests(lift_tests, chans), inference, n_draws, seed,
    )  # fmt: skip
    with progress() as bar:
        task = bar.add_task(say("fitting {name}", "Anpassung an {name}", name=data.name), total=1.0)
        ev = evaluate_frame(
            df,
            make,
            holdout=holdout,
            n_boot=n_boot,
            seed=seed,
            data={"source": data.name, "fingerprint": fingerprint_file(data), "rows": len(df)},
            warnings=warns,
            progress=lambda f, m: bar.update(task, completed=f, description=m),
        )
    _show(ev.record)
    lang = chosen_lang()
    if json_out is not None:
        write(ev.record, json_out)
        _wrote(json_out)
    if html_out is not None:
        from nomagic.report.budget import write_html

        with console.status(word("drawing the report ...", "der Bericht wird gezeichnet ...")):
            title = say("nomagic: budget allocation of {name}", "nomagic: Budgetaufteilung von {name}", name=data.name)
            write_html(html_out, ev.record, title=title.lang(lang), lang=lang)
        _wrote(html_out)
    if ev.verdict == "not ready":
        raise SystemExit(1)


def _bounds(text: str, chans: list[str]) -> dict:
    out = {}
    for part in _names(text):
        name, _, rng = part.partition("=")
        lo, sep, hi = rng.partition(":")
        if not sep or name.strip() not in chans:
            raise InputError(
                say(
                    "--bounds: {part!r} must look like CHANNEL=LOW:HIGH with a channel of --channels",
                    "--bounds: {part!r} muss die Form CHANNEL=LOW:HIGH mit einem Kanal aus --channels haben",
                    part=part,
                )
            )
        try:
            out[name.strip()] = (float(lo) if lo.strip() else None, float(hi) if hi.strip() else None)
        except ValueError as exc:
            raise InputError(
                say(
                    "--bounds: {part!r}: LOW and HIGH must be numbers (or empty)",
                    "--bounds: {part!r}: LOW und HIGH müssen Zahlen sein (oder leer)",
                    part=part,
                )
            ) from exc
    return out


def _spend(text: str, chans: list[str]) -> dict:
    out = {}
    for part in _names(text):
        name, sep, v = part.partition("=")
        if not sep or name.strip() not in chans:
            raise InputError(
                say(
                    "--what-if: {part!r} must look like CHANNEL=SPEND with a channel of --channels",
                    "--what-if: {part!r} muss die Form CHANNEL=SPEND mit einem Kanal aus --channels haben",
                    part=part,
                )
            )
        try:
            out[name.strip()] = float(v)
        except ValueError as exc:
            raise InputError(
                say(
                    "--what-if: {part!r}: SPEND must be a number",
                    "--what-if: {part!r}: SPEND muss eine Zahl sein",
                    part=part,
                )
            ) from exc
    return out


def optimise_budget(
    data: Path = _DATA,
    date: str = _DATE,
    target: str = _TARGET,
    channels: str = _CHANNELS,
    controls: str = _CONTROLS,
    budget: float = typer.Option(None, "--budget", help="Total spend per period (default: today's average)."),
    bounds: str = typer.Option(
        "",
        "--bounds",
        help="Per channel LOW:HIGH spend per period, e.g. tv=1000:5000,search=:2000 (default 0.5x-2x today).",
    ),
    risk_aversion: float = typer.Option(
        0.0, "--risk-aversion", help="Penalty on the posterior spread: maximise mean - this x standard deviation."
    ),
    what_if: list[str] = typer.Option(
        None, "--what-if", help="A split to price, e.g. tv=2000,search=3000 (repeatable)."
    ),
    adstock: str = typer.Option("geometric", "--adstock", help="geometric, weibull or weibull_pdf."),
    saturation: str = typer.Option("logistic", "--saturation", help="logistic or hill."),
    l_max: int = typer.Option(8, "--l-max", help="Longest carry-over, in periods."),
    yearly_seasonality: int = typer.Option(2, "--yearly-seasonality", help="Fourier pairs of the yearly season."),
    trend: bool = typer.Option(True, "--trend/--no-trend", help="A linear trend."),
    lift_tests: Path = typer.Option(None, "--lift-tests", help="CSV of lift tests (channel,x0,x1,delta,se)."),
    inference: str = typer.Option("laplace", "--inference", help="laplace (fast) or nuts (needs nomagic[bayes])."),
    seed: int = typer.Option(0, "--seed", help="Seed."),
    json_out: Path = typer.Option(None, "--json", help="Write the allocation (JSON) here."),
    html_out: Path = typer.Option(None, "--html", help="Write an offline HTML page with the curves and the shift."),
) -> None:
    """Fit the marketing-mix model on all periods and propose how to split the budget per period."""
    from nomagic.usecases.budget.evaluate import curves
    from nomagic.usecases.budget.optimise import money, optimise
    from nomagic.usecases.budget.optimise import what_if as price

    _check_out(json_out, html_out)
    df, warns, chans, ctrls = _prepare(data, date, target, channels, controls)
    make = _maker(
        date, target, chans, ctrls, adstock, saturation, l_max, yearly_seasonality, trend,
        _lift_tests(lift_tests, chans), inference, 1000, seed,
    )  # fmt: skip
    bnds = _bounds(bounds, chans)
    scenarios = [_spend(w, chans) for w in what_if or []]
    from nomagic.usecases.budget.data import check_size

    m0 = make()
    warns += check_size(len(df), m0.n_params, str(data))
    with console.status(word("fitting the model ...", "das Modell wird angepasst ...")):
        m = m0.fit(df)
        alloc = optimise(m, budget, bnds, risk_aversion=risk_aversion).to_dict()
        priced = [price(m, s) for s in scenarios]
    out = {
        "use_case": "budget",
        "data": {"source": data.name, "fingerprint": fingerprint_file(data), "rows": len(df)},
        "params": m.params_,
        "diagnostics": m.diagnostics_,
        "allocation": alloc,
        "what_if": priced,
        "curves": curves(m),
        "warnings": warns,
    }
    from nomagic.report.advice import not_advice

    unjudged = {**out, "verdict": None}  # no gate has judged this fit
    out["caution"] = Text(not_advice(unjudged, "en"), not_advice(unjudged, "de"))
    lang = chosen_lang()
    _show_params(out)
    _show_fit(m.diagnostics_)
    show(out["caution"], "bold yellow")
    _show_allocation(alloc)
    for s in priced:
        e, v = s["expected"], s["versus_current"]
        show(
            say(
                "what if {split}: media response {e} per period, {v} against today (90% {lo} to {hi})",
                "was wäre wenn {split}: Medienwirkung {e} je Periode, {v} gegenüber heute (90 % {lo} bis {hi})",
                split=", ".join(f"{k}={_money(x)}" for k, x in s["spend"].items()),
                e=money(e["value"]),
                v=money(v["value"], "+"),
                lo=money(v["interval_90"][0], "+"),
                hi=money(v["interval_90"][1], "+"),
            )
        )
    for w in warns:
        show(w, label=word("warning:", "Warnung:"))
    if json_out is not None:
        Path(json_out).write_text(dumps(out) + "\n")
        _wrote(json_out)
    if html_out is not None:
        from nomagic.report.budget import write_html

        page = {**out, "verdict": "not judged", "explanation": alloc["words"]}
        title = say("nomagic: budget split for {name}", "nomagic: Budgetaufteilung für {name}", name=data.name)
        write_html(html_out, page, title=title.lang(lang), lang=lang)
        _wrote(html_out)


def _wrote(path) -> None:
    show(say("wrote {path}", "{path} geschrieben", path=str(path)))


app.command("evaluate-budget")(evaluate_budget)
app.command("optimise-budget")(optimise_budget)
