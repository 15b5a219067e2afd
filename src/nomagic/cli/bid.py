"""``nomagic bid plan|replay`` and ``nomagic evaluate bidding``: bidding on impressions under a budget.

::

    nomagic bid plan --log TRAIN.parquet --requests REQUESTS.csv --budget 5000 [--kpi clicks] --out BIDS.csv
    nomagic bid replay --log TEST.parquet --bids BIDS.csv --budget 5000
    nomagic evaluate bidding [--log FILE] [--kpi clicks] [--json FILE] [--warehouse URL]

Prices, bids and budgets are in the log's unit (``market_price``; iPinYou logs: CPM, so 1,000 of them are one
unit of money per impression). Exit status: 0 done, 1 not enough data, 2 bad input (file, row and column named).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import typer

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.grammar import ADVERTISING, NomagicCommand, NomagicGroup
from nomagic.cli.ui import format_ci, lang, progress_bar, show, show_verdict
from nomagic.errors import InputError, writable
from nomagic.words import Text, pick, say

bid_app = typer.Typer(
    cls=NomagicGroup,
    help="Bids on ad impressions under a budget: plan them for a request file, or replay them on a log.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(bid_app, name="bid", rich_help_panel=ADVERTISING, short_help="Plan or replay bids under a budget.")

_BUDGET = typer.Option(..., "--budget", help="What the bids may spend, in the log's price unit (CPM sums).")


def _budget(budget: float) -> float:
    if not np.isfinite(budget) or budget <= 0:
        raise InputError(
            say(
                "--budget must be a positive number, not {b}",
                "--budget muss eine positive Zahl sein, nicht {b}",
                b=budget,
            )
        )
    return float(budget)


def _write(frame: pd.DataFrame, out: Path) -> None:
    out = writable(out)
    if out.suffix.lower() == ".parquet":
        frame.to_parquet(out, index=False)
    elif out.suffix.lower() == ".csv":
        frame.to_csv(out, index=False)
    else:
        raise InputError(say("{p}: write .csv or .parquet", "{p}: .csv oder .parquet schreiben", p=str(out)))


@bid_app.command("plan", cls=NomagicCommand)
def plan_command(
    log: Path = typer.Option(..., "--log", help="The training log: impressions (or bids) with outcomes."),
    requests: Path = typer.Option(..., "--requests", help="The requests to price: the log's feature columns."),
    budget: float = _BUDGET,
    kpi: str = typer.Option("clicks", "--kpi", help="clicks or conversions."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write imp_id, bid, p_click (.csv or .parquet)."),
) -> None:
    """Bids for every request: click model, market-price model and the bid that gets the most clicks for the
    budget (the price model expects the bids to spend it over the whole file; the replay never spends more)."""
    from nomagic.usecases.bidding import model as bid_model
    from nomagic.usecases.bidding.logs import read_log, read_requests

    budget = _budget(budget)
    train = read_log(log)
    bid_model.check_kpi(kpi, train)
    frame = read_requests(requests, train.features)
    with progress_bar(say("fitting on {name}", "Anpassung an {name}", name=log.name)) as update:
        fitted = bid_model.fit(train, kpi=kpi, progress=update)
        bids, plan = bid_model.plan(fitted, frame, budget)
    _write(bids, out)
    lg = lang()
    # a plan is not gated: say so before anything that reads like advice
    show(
        say(
            "Not judged yet: these bids were not compared with a constant bid on later days of the log; "
            "`nomagic evaluate bidding --log {log}` does that before you spend on them.",
            "Noch nicht beurteilt: diese Gebote wurden nicht an späteren Tagen des Logs mit einem konstanten Gebot "
            "verglichen; `nomagic evaluate bidding --log {log}` tut das, bevor Sie damit Geld ausgeben.",
            log=str(log),
        ),
        "yellow",
    )
    show(pick(fitted.click.report, "explanation", lg) or "")
    show(plan.explanation)
    show(
        say(
            "{n:,} bids written to {path}: {k:,} above 0, mean {m:,.2f}, largest {x:,.2f}",
            "{n:,} Gebote nach {path} geschrieben: {k:,} über 0, Mittel {m:,.2f}, höchstes {x:,.2f}",
            n=len(bids),
            path=str(out),
            k=int((bids["bid"] > 0).sum()),
            m=float(bids["bid"].mean()) if len(bids) else 0.0,
            x=float(bids["bid"].max()) if len(bids) else 0.0,
        ),
        "bold",
    )


@bid_app.command("replay", cls=NomagicCommand)
def replay_command(
    log: Path = typer.Option(..., "--log", help="The log to replay (impressions with market_price and click)."),
    bids: Path = typer.Option(..., "--bids", help="imp_id and bid per request (e.g. from `nomagic bid plan`)."),
    budget: float = _BUDGET,
) -> None:
    """What the bids would have bought: the iPinYou replay (log order; a bid wins above the market price when
    the price fits the budget left, and pays it), with 95% CIs over days."""
    from nomagic.usecases.bidding import replay as rp
    from nomagic.usecases.bidding.logs import CLICK, CONVERSION, PRICE, TIME, read_log

    budget = _budget(budget)
    test = read_log(log)
    plan = _read_bids(bids)
    frame = test.frame
    joined = frame["imp_id"].astype(str).map(plan)
    missing = int(joined.isna().sum())
    if missing:
        first = frame.loc[joined.isna(), "imp_id"].iloc[0]
        raise InputError(
            say(
                "{bids}: {n:,} impressions of {log} have no bid (the first: imp_id {first}); bid 0 to pass on one",
                "{bids}: {n:,} Impressionen aus {log} haben kein Gebot (die erste: imp_id {first}); mit Gebot 0 auslassen",
                bids=str(bids),
                n=missing,
                log=str(log),
                first=first,
            )
        )
    r = rp.replay(
        joined.to_numpy(float),
        frame[PRICE].to_numpy(float),
        frame[CLICK].to_numpy(float),
        budget,
        conversions=frame[CONVERSION].to_numpy(float) if CONVERSION in frame else None,
        timestamps=frame[TIME],
    )
    show(r.describe(), "bold")
    if r.days is not None and len(r.days) >= 2:
        for kpi, name in (
            ("clicks", Text("clicks", "Klicks")),
            ("spend", Text("spend", "Ausgaben")),
            ("ecpc", Text("eCPC", "eCPC")),
        ):
            ci = rp.kpi_ci(r.days, kpi)
            if ci["value"] is not None:
                show(
                    say(
                        "{k}: {v} (95% CI over {d:,} days)",
                        "{k}: {v} (95-%-KI über {d:,} Tage)",
                        k=name,
                        v=format_ci(ci),
                        d=len(r.days),
                    )
                )


def _read_bids(path: Path) -> pd.Series:
    """imp_id -> bid from a plan file, with errors that name the file, the row and the column."""
    if not path.exists():
        raise InputError(say("file {p} does not exist", "die Datei {p} gibt es nicht", p=str(path)))
    try:
        df = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path, dtype={"imp_id": str})
    except Exception as exc:
        raise InputError(say("{p}: cannot read it ({e})", "{p}: nicht lesbar ({e})", p=str(path), e=str(exc))) from exc
    for col in ("imp_id", "bid"):
        if col not in df.columns:
            raise InputError(
                say(
                    "{p}: column {c} is missing (it has: {have})",
                    "{p}: die Spalte {c} fehlt (vorhanden: {have})",
                    p=str(path),
                    c=col,
                    have=", ".join(map(str, df.columns)),
                )
            )
    value = pd.to_numeric(df["bid"], errors="coerce")
    bad = value.isna() | (value < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            say(
                "{p}: row {row:,}, column bid: {v!r} is not a bid (a number of at least 0)",
                "{p}: Zeile {row:,}, Spalte bid: {v!r} ist kein Gebot (eine Zahl von mindestens 0)",
                p=str(path),
                row=i + 2,
                v=str(df["bid"].iloc[i]),
            )
        )
    ids = df["imp_id"].astype(str)
    if ids.duplicated().any():
        raise InputError(
            say(
                "{p}: imp_id {i} has more than one bid",
                "{p}: imp_id {i} hat mehr als ein Gebot",
                p=str(path),
                i=ids[ids.duplicated()].iloc[0],
            )
        )
    return pd.Series(value.to_numpy(float), index=ids)


def evaluate_bidding(
    log: Path = typer.Option(None, "--log", help="Your own log (impressions or bids); default: ad_requests."),
    kpi: str = typer.Option("clicks", "--kpi", help="clicks or conversions."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples (over days)."),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
    warehouse: str = WarehouseOption,
) -> None:
    """Click model and bids judged on the later days of the log: nomagic against the best constant bid and
    linear / ORTB bidding on a logistic regression, at 1/4 and 1/16 of the cost, with 95% CIs over days."""
    from nomagic.lifecycle.record import write
    from nomagic.usecases.bidding.evaluate import evaluate_log
    from nomagic.usecases.bidding.logs import read_log
    from nomagic.usecases.bidding.usecase import Bidding

    with progress_bar(say("evaluating bidding", "Bieten wird bewertet")) as update:
        if log is not None:
            ev = evaluate_log(read_log(log), kpi=kpi, n_boot=n_boot, progress=update, data={"source": log.name})
        else:
            from nomagic.warehouse import connect

            with connect(warehouse) as wh:
                ev = Bidding(kpi=kpi, n_boot=n_boot).evaluate(wh, progress=update)
    show_table(ev.record)
    if json_out is not None:
        write(ev.record, json_out)
        show(say("evaluation record: {path}", "Evaluationsprotokoll: {path}", path=str(json_out)))
    if ev.verdict == "not ready":
        raise SystemExit(1)


KPI_DE = {"clicks": "Klicks", "conversions": "Konversionen"}
SHORT = {
    "nomagic": Text("nomagic", "nomagic"),
    "constant": Text("best constant", "bestes konstantes"),
    "linear_lr": Text("linear on LR", "linear auf LR"),
    "ortb_lr": Text("ORTB on LR", "ORTB auf LR"),
}


def _count_ci(m: dict) -> Text:
    """A sum of clicks with its interval, one decimal."""
    if m.get("value") is None:
        return say("n/a", "k. A.")
    lo, hi = m["ci"]
    return say("{v:,.1f} [{lo:,.1f}, {hi:,.1f}]", "{v:,.1f} [{lo:,.1f}; {hi:,.1f}]", v=m["value"], lo=lo, hi=hi)


def show_table(record: dict) -> None:
    """The verdict, then one line per budget and strategy."""
    from rich.table import Table

    if not show_verdict(record):
        return
    lg = lang()
    show(pick(record, "explanation", lg))
    kpi = record["params"]["kpi"]
    truth = record.get("truth")
    rows = truth["budgets"] if truth else record["budgets"]
    metric = "expected_clicks" if truth else kpi
    t = Table(
        Text("budget", "Budget").lang(lg),  # a share of the test days' cost
        Text("strategy", "Strategie").lang(lg),
        Text("expected clicks", "erwartete Klicks").lang(lg) if truth else Text(kpi, KPI_DE.get(kpi, kpi)).lang(lg),
        Text("nomagic ahead by", "nomagic vorn um").lang(lg),
        *([Text("oracle", "Orakel").lang(lg)] if truth else []),
        box=None,
        pad_edge=False,
    )
    for b in rows:
        for name, s in b["strategies"].items():
            vs = b["vs"].get(name)
            t.add_row(
                f"1/{1 / b['share']:.0f}",
                SHORT[name].lang(lg),
                _count_ci(s[metric] if truth else s[f"{metric}_ci"]).lang(lg),
                format_ci(vs, pct=True).lang(lg) if vs else "",
                *(
                    [say("{x:.1%}", "{x:.1%}", x=s["oracle_share"]).lang(lg) if s.get("oracle_share") else ""]
                    if truth
                    else []
                ),
            )
    for col in t.columns:
        col.no_wrap = True
    console.print(t)
    show(
        say(
            "budget: a share of what buying every test auction would cost",
            "Budget: ein Anteil dessen, was der Kauf aller Testauktionen kosten würde",
        )
    )


app.command("evaluate-bidding")(evaluate_bidding)
