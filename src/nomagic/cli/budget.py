"""Budget commands: a Bayesian marketing-mix model on your weekly table, and a proposed split.

::

    nomagic evaluate-budget --data WEEKLY --date COL --target COL --channels A,B,... [--controls C,D]
                            [--adstock geometric|weibull|weibull_pdf] [--saturation logistic|hill]
                            [--lift-tests FILE] [--inference laplace|nuts] [--json FILE] [--html FILE]
    nomagic optimise-budget --data WEEKLY --date COL --target COL --channels A,B,... [--budget AMOUNT]
                            [--bounds A=LOW:HIGH,...] [--risk-aversion 0.5] [--what-if A=X,B=Y ...]
                            [--json FILE] [--html FILE]

``evaluate-budget`` holds out the last periods, judges the model against the same base without media,
and fits on all periods for the parameters (ROI, marginal ROI, curves with 90 % intervals); it exits 0
when the model is promoted or not better than the baseline (the record says which), 1 when the data
is not ready, 2 on errors (bad file, negative spend, a channel that never spends, too few periods).
``optimise-budget`` fits on all periods and proposes the split of the budget per period.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import app, console
from nomagic.cli.ui import format_ci, progress, show_verdict
from nomagic.errors import InputError
from nomagic.lifecycle.record import dumps, fingerprint_file, write

_DATA = typer.Option(..., "--data", help="One row per period (week): CSV or Parquet.")
_DATE = typer.Option(..., "--date", help="Column with the period's date.")
_TARGET = typer.Option(..., "--target", help="Column with the outcome (revenue per period).")
_CHANNELS = typer.Option(..., "--channels", help="Spend columns, comma-separated: A,B,C.")
_CONTROLS = typer.Option("", "--controls", help="Other columns that move the target (price, events), comma-separated.")


def _names(text: str) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _money(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _lift_tests(path: Path | None, channels: list[str]):
    from nomagic.usecases.budget.data import read_table
    from nomagic.usecases.budget.model import LiftTest

    if path is None:
        return []
    df = read_table(path, ["channel", "x0", "x1", "delta", "se"])
    out = []
    for i, r in df.iterrows():
        if r["channel"] not in channels:
            raise InputError(f"{path}, row {i + 2}, column 'channel': {r['channel']!r} is not one of --channels")
        try:
            vals = [float(r[k]) for k in ("x0", "x1", "delta", "se")]
        except (TypeError, ValueError) as exc:
            raise InputError(f"{path}, row {i + 2}: x0, x1, delta and se must be numbers") from exc
        if vals[3] <= 0 or vals[0] < 0 or vals[1] < 0:
            raise InputError(f"{path}, row {i + 2}: spends must be 0 or more and se more than 0")
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
        raise InputError(str(exc)) from exc
    if inference not in ("laplace", "nuts"):
        raise InputError(f"--inference must be laplace or nuts, not {inference!r}")

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
    t = Table(title="per channel (90% intervals)", header_style="bold")
    for col in ("channel", "spend", "ROI", "marginal ROI", "share of target", "carry-over", "saturation"):
        t.add_column(col, justify="right")

    def iv(v: dict, f: str = "{:.2f}") -> str:
        return f"{f.format(v['value'])} [{f.format(v['interval_90'][0])}, {f.format(v['interval_90'][1])}]"

    for c, p in record["params"].items():
        ad = ", ".join(f"{k.removeprefix('adstock_')} {p[k]['value']:.2f}" for k in p if k.startswith("adstock_"))
        sat = ", ".join(
            f"{k.removeprefix('saturation_')} {p[k]['value']:.2f}" for k in p if k.startswith("saturation_")
        )
        t.add_row(
            c, _money(p["spend"]), iv(p["roi"]), iv(p["marginal_roi"]), iv(p["contribution_share"], "{:.1%}"), ad, sat
        )
    console.print(t)


def _show_allocation(a: dict) -> None:
    t = Table(title=f"proposed split of {_money(a['budget'])} per period", header_style="bold")
    for col in ("channel", "today", "proposed", "change", "bounds", "expected response (90%)", "marginal ROI"):
        t.add_column(col, justify="right")
    for i, c in enumerate(a["channels"]):
        q, p = a["current"][i], a["proposed"][i]
        r = a["channel_response_proposed"][i]
        t.add_row(
            c,
            _money(q),
            _money(p),
            f"{(p / q - 1):+.0%}" if q else "new",
            f"{_money(a['lower'][i])}-{_money(a['upper'][i])}",
            f"{_money(r['value'])} [{_money(r['interval_90'][0])}, {_money(r['interval_90'][1])}]",
            f"{a['marginal_roi_proposed'][i]:.2f}",
        )
    console.print(t)
    console.print(a["words"], highlight=False)


def _show(record: dict) -> None:
    if not show_verdict(record):
        return
    s = record["split"]
    t = Table(
        title=f"held-out periods {s['holdout_start']} to {s['holdout_end']} ({s['holdout_periods']}, 95% CI)",
        header_style="bold",
    )
    for col in ("metric", "model", "baseline (no media)", "improvement"):
        t.add_column(col, justify="right")
    for name, words in (("holdout_mape", "MAPE (lower is better)"), ("holdout_r2", "R² (higher is better)")):
        t.add_row(words, *(format_ci(record["metrics"][k][name]) for k in ("model", "baseline", "improvement")))
    console.print(t)
    _show_params(record)
    d = record.get("diagnostics") or {}
    style = "green" if d.get("verdict") == "reliable" else "yellow"
    console.print(f"[{style}]fit: {d.get('verdict')}[/] - {d.get('words', '')}", highlight=False)
    if record.get("allocation"):
        from nomagic.report.advice import not_advice

        if warning := not_advice(record):
            console.print(f"[bold yellow]{warning}[/]", highlight=False)
        _show_allocation(record["allocation"])
    for w in record.get("warnings") or []:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    console.print(record["explanation"], highlight=False)


def _check_out(*paths) -> None:
    for out in paths:
        if out is not None and not Path(out).parent.exists():
            raise InputError(f"cannot write {out}: folder {Path(out).parent} does not exist")


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
        None, "--lift-tests", help="CSV of lift tests (channel,x0,x1,delta,se) used as calibration."
    ),
    inference: str = typer.Option("laplace", "--inference", help="laplace (fast) or nuts (needs nomagic[bayes])."),
    n_draws: int = typer.Option(1000, "--n-draws", help="Posterior draws for the intervals."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples of the holdout."),
    seed: int = typer.Option(0, "--seed", help="Seed."),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
    html_out: Path = typer.Option(None, "--html", help="Write an offline HTML report with the charts here."),
) -> None:
    """Marketing-mix model on your periods: holdout against the same base without media, then ROI, marginal ROI,
    curves and a proposed split, with 90% intervals."""
    from nomagic.usecases.budget.evaluate import evaluate_frame

    _check_out(json_out, html_out)
    df, warns, chans, ctrls = _prepare(data, date, target, channels, controls)
    make = _maker(
        date, target, chans, ctrls, adstock, saturation, l_max, yearly_seasonality, trend,
        _lift_tests(lift_tests, chans), inference, n_draws, seed,
    )  # fmt: skip
    with progress() as bar:
        task = bar.add_task(f"fitting {data.name}", total=1.0)
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
    if json_out is not None:
        write(ev.record, json_out)
        console.print(f"wrote {json_out}", highlight=False)
    if html_out is not None:
        from nomagic.report.budget import write_html

        with console.status("drawing the report ..."):
            write_html(html_out, ev.record, title=f"nomagic: budget allocation of {data.name}")
        console.print(f"wrote {html_out}", highlight=False)
    if ev.verdict == "not ready":
        raise SystemExit(1)


def _bounds(text: str, chans: list[str]) -> dict:
    out = {}
    for part in _names(text):
        name, _, rng = part.partition("=")
        lo, sep, hi = rng.partition(":")
        if not sep or name.strip() not in chans:
            raise InputError(f"--bounds: {part!r} must look like CHANNEL=LOW:HIGH with a channel of --channels")
        try:
            out[name.strip()] = (float(lo) if lo.strip() else None, float(hi) if hi.strip() else None)
        except ValueError as exc:
            raise InputError(f"--bounds: {part!r}: LOW and HIGH must be numbers (or empty)") from exc
    return out


def _spend(text: str, chans: list[str]) -> dict:
    out = {}
    for part in _names(text):
        name, sep, v = part.partition("=")
        if not sep or name.strip() not in chans:
            raise InputError(f"--what-if: {part!r} must look like CHANNEL=SPEND with a channel of --channels")
        try:
            out[name.strip()] = float(v)
        except ValueError as exc:
            raise InputError(f"--what-if: {part!r}: SPEND must be a number") from exc
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
    from nomagic.usecases.budget.optimise import optimise
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
    with console.status("fitting the model ..."):
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

    out["caution"] = not_advice({**out, "verdict": None})  # no gate has judged this fit
    _show_params(out)
    d = m.diagnostics_
    console.print(f"fit: {d['verdict']} - {d['words']}", highlight=False)
    console.print(f"[bold yellow]{out['caution']}[/]", highlight=False)
    _show_allocation(alloc)
    for s in priced:
        e, v = s["expected"], s["versus_current"]
        console.print(
            f"what if {', '.join(f'{k}={_money(x)}' for k, x in s['spend'].items())}: media response "
            f"{_money(e['value'])} per period, {v['value']:+,.0f} against today (90% {v['interval_90'][0]:+,.0f} to "
            f"{v['interval_90'][1]:+,.0f})",
            highlight=False,
        )
    for w in warns:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if json_out is not None:
        Path(json_out).write_text(dumps(out) + "\n")
        console.print(f"wrote {json_out}", highlight=False)
    if html_out is not None:
        from nomagic.report.budget import write_html

        page = {**out, "verdict": "not judged", "explanation": alloc["words"]}
        write_html(html_out, page, title=f"nomagic: budget split for {data.name}")
        console.print(f"wrote {html_out}", highlight=False)


app.command("evaluate-budget")(evaluate_budget)
app.command("optimise-budget")(optimise_budget)
