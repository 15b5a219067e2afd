"""Send-time and subject-line commands.

::

    nomagic evaluate-sendtime --data FILE --id COL --sent COL --opened COL [--clicked COL] [--segment COL]
                              [--test-share 0.25] [--tolerance 0] [--machine-seconds 180] [--json FILE]
    nomagic score-sendtime [--as-of DATE] [--table sendtime_scores] [--warehouse URL]
    nomagic evaluate-subject-lines --data FILE --subject COL --opened COL [--time COL] [--json FILE]
    nomagic suggest-subject --data FILE --subject COL --opened COL --candidates "line one" "line two" ...

``evaluate-*`` exit 0 when the model is promoted or not better than the baseline (the record says
which), 1 when the data is not ready (the record is still written), 2 on errors.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import lang, metrics_table, progress_bar, show, verdict_text, word
from nomagic.errors import InputError, writable
from nomagic.lifecycle.record import fingerprint_file, write
from nomagic.warehouse.sources import read_frame
from nomagic.words import Text, in_lang, pick, say

WARNING = say("warning:", "Warnung:")


def _cell(spec: str, x) -> str:
    """A number as the chosen language writes it (0.42 / 0,42)."""
    return say(spec, spec, x=x).lang(lang())


def _check_out(json_out: Path | None) -> None:
    if json_out is not None:
        writable(json_out)


def _show(record: dict, model_col: Text, base_col: Text) -> None:
    code = record["verdict"]
    console.print(verdict_text(code))
    if code != "not ready":
        title = word("held-out sends (95% CI)", "zurückgehaltene Sendungen (95-%-KI)")
        t = metrics_table(record, model=model_col.lang(lang()), baseline=base_col.lang(lang()), title=title)
        console.print(t)
    for w in pick(record, "warnings", lang()) or []:
        show(w, label=WARNING)
    show(pick(record, "explanation", lang()))


def _wrote(path) -> None:
    show(say("wrote {f}", "{f} geschrieben", f=str(path)))


def evaluate_sendtime(
    data: Path = typer.Option(..., "--data", help="Send log: CSV or Parquet, one row per e-mail sent."),
    id: str = typer.Option(..., "--id", help="Column with the customer id."),
    sent: str = typer.Option(..., "--sent", help="Column with the send time."),
    opened: str = typer.Option(..., "--opened", help="Column with the open time (blank = not opened) or a 0/1 flag."),
    clicked: str = typer.Option(None, "--clicked", help="Column with the click time or a 0/1 flag."),
    segment: str = typer.Option(None, "--segment", help="Column with a segment (e.g. country) to shrink towards."),
    test_share: float = typer.Option(0.25, "--test-share", help="Share of the period held out (the latest sends)."),
    tolerance: int = typer.Option(0, "--tolerance", help="Judge on held-out sends within this many hours."),
    machine_seconds: float = typer.Option(
        180.0, "--machine-seconds", help="Opens this soon after the send are a machine's (0 = off)."
    ),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
) -> None:
    """Each customer's best send hour, learnt from earlier sends and judged on later ones (whose hour must have
    been random) against sending everyone at the global best hour, with 95% intervals."""
    from nomagic.usecases.sendtime.data import MachineFilter, send_log
    from nomagic.usecases.sendtime.evaluate import evaluate_log

    _check_out(json_out)
    if not 0.05 <= test_share <= 0.8:
        raise InputError(
            say(
                "--test-share must be between 0.05 and 0.8, not {x}",
                "--test-share muss zwischen 0,05 und 0,8 liegen, nicht {x}",
                x=test_share,
            )
        )
    if tolerance not in (0, 1, 2):
        raise InputError(
            say(
                "--tolerance must be 0, 1 or 2 hours, not {x}",
                "--tolerance muss 0, 1 oder 2 Stunden sein, nicht {x}",
                x=tolerance,
            )
        )
    with progress_bar(say("reading {f}", "{f} lesen", f=data.name)) as tick:
        df = read_frame(data, [c for c in (id, sent, opened, clicked, segment) if c])
        log = send_log(df, id, sent, opened, clicked, segment, source=str(data))
        ev = evaluate_log(
            log,
            test_share=test_share,
            tolerance_hours=tolerance,
            machine=MachineFilter(machine_seconds=machine_seconds),
            n_boot=n_boot,
            seed=seed,
            source=data.name,
            fingerprint=fingerprint_file(data),
            progress=tick,
        )
    _show(ev.record, say("own best hour", "eigene beste Stunde"), say("global best hour", "global beste Stunde"))
    if json_out is not None:
        write(ev.record, json_out)
        _wrote(json_out)
    if ev.verdict == "not ready":
        raise SystemExit(1)


def score_sendtime(
    as_of: str = typer.Option(None, "--as-of", help="Learn from sends before this day (default: all)."),
    machine_seconds: float = typer.Option(
        180.0, "--machine-seconds", help="Opens this soon after the send are a machine's (0 = off)."
    ),
    table: str = typer.Option("sendtime_scores", "--table", help="Table to write."),
    warehouse: str = WarehouseOption,
) -> None:
    """Best hour and weekday, with confidence, for every customer from the warehouse's messages; written to the
    sendtime_scores table."""
    from nomagic.usecases.sendtime.usecase import SendTime
    from nomagic.warehouse import connect

    uc = SendTime(machine_seconds=machine_seconds)
    with connect(warehouse) as wh, progress_bar(say("scoring", "bewerten")) as tick:
        df = uc.write_scores(wh, as_of, table=table, progress=tick)
    p = df.attrs.get("params", {})
    title = say(
        "{table}: {n:,} customers (global best hour {h}:00)",
        "{table}: {n:,} Kunden (global beste Stunde {h}:00 Uhr)",
        table=table,
        n=len(df),
        h=p.get("global_best_hour"),
    ).lang(lang())
    t = Table(title=title)
    t.add_column(word("best hour", "beste Stunde"), justify="right")
    t.add_column(word("customers", "Kunden"), justify="right")
    t.add_column(word("mean confidence", "mittlere Konfidenz"), justify="right")
    for h, g in df.groupby("best_hour"):
        t.add_row(f"{h:02d}:00", _cell("{x:,}", len(g)), _cell("{x:.2f}", g["confidence"].mean()))
    console.print(t)
    if not p.get("weekday_learnable", True):
        warning = say(
            "all sends went out on one weekday; best_weekday is left blank",
            "Alle Sendungen gingen an einem einzigen Wochentag hinaus; best_weekday bleibt leer",
        )
        show(warning, label=WARNING)
    show(say("wrote table {t}", "Tabelle {t} geschrieben", t=table))


def evaluate_subject_lines(
    data: Path = typer.Option(..., "--data", help="Send log: CSV or Parquet, one row per e-mail sent."),
    subject: str = typer.Option(..., "--subject", help="Column with the subject line."),
    opened: str = typer.Option(..., "--opened", help="Column with the open time (blank = not opened) or a 0/1 flag."),
    time: str = typer.Option(None, "--time", help="Column with the send time (for the time split)."),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
) -> None:
    """Predicted open rate of subject lines from their text features (length, personalisation, urgency, numbers,
    emojis, language), judged on later sends against the historical average open rate."""
    from nomagic.usecases.subject_lines import evaluate_subjects, read_history

    _check_out(json_out)
    with progress_bar(say("reading {f}", "{f} lesen", f=data.name)) as tick:
        df = read_frame(data, [c for c in (subject, opened, time) if c])
        hist = read_history(df, subject, opened, time, source=str(data))
        ev = evaluate_subjects(
            hist, n_boot=n_boot, seed=seed, source=data.name, fingerprint=fingerprint_file(data), progress=tick
        )
    _show(ev.record, say("text model", "Textmodell"), say("historical average", "historischer Durchschnitt"))
    if ev.record.get("drivers"):
        title = word(
            "what moves the open rate (log-odds per unit, standardised)",
            "was die Öffnungsrate bewegt (Log-Odds pro Einheit, standardisiert)",
        )
        t = Table(title=title, header_style="bold")
        t.add_column(word("feature", "Merkmal"))
        t.add_column(word("effect", "Effekt"), justify="right")
        for d in ev.record["drivers"][:8]:
            label = in_lang(pick(d, "label", lang()), lang())
            t.add_row(f"{label} ({d['feature']})", _cell("{x:+.3f}", d["coefficient"]))
        console.print(t)
    if json_out is not None:
        write(ev.record, json_out)
        _wrote(json_out)
    if ev.verdict == "not ready":
        raise SystemExit(1)


def suggest_subject(
    lines: list[str] = typer.Argument(None, help="Candidate subject lines (or after --candidates)."),
    data: Path = typer.Option(..., "--data", help="Send log with subject lines and opens."),
    subject: str = typer.Option(..., "--subject", help="Column with the subject line."),
    opened: str = typer.Option(..., "--opened", help="Column with the open time or a 0/1 flag."),
    candidates: bool = typer.Option(False, "--candidates", help="The candidate lines follow."),
) -> None:
    """Rank candidate subject lines by their predicted open rate, from a model trained on your own send history.

    The model is judged on your later sends first; when it does not beat the historical average, the
    lines keep your order and the output says that the ranking would not be better than chance.
    """
    from nomagic.cli.ui import progress_bar
    from nomagic.usecases.copy.scoring import SubjectScorer
    from nomagic.usecases.subject_lines import features, read_history

    if not lines:
        raise InputError(
            say(
                'give candidate subject lines, e.g. --candidates "Your voucher" "Last chance: 20% off"',
                'Kandidaten für Betreffzeilen angeben, z. B. --candidates "Ihr Gutschein" "Letzte Chance: 20 % Rabatt"',
            )
        )
    df = read_frame(data, [subject, opened])
    hist = read_history(df, subject, opened, None, source=str(data))
    with progress_bar(say("judging the subject-line model", "das Betreffzeilen-Modell beurteilen")) as tick:
        scorer = SubjectScorer.from_history(hist, source=str(data), progress=tick)
    f = features(lines)
    order = list(range(len(lines)))
    title = say(
        "candidate subject lines (history: {n:,} sends, average open rate {r:.3f})",
        "Kandidaten für Betreffzeilen (Historie: {n:,} Sendungen, durchschnittliche Öffnungsrate {r:.3f})",
        n=len(hist),
        r=hist["opened"].mean(),
    ).lang(lang())
    t = Table(title=title)
    t.add_column(word("subject line", "Betreffzeile"), overflow="fold")
    t.add_column(word("predicted", "vorhergesagt"), justify="right")
    t.add_column(word("language", "Sprache"))
    if scorer.model is not None:
        p = scorer.model.predict_open_rate(lines)
        if scorer.trusted:
            order.sort(key=lambda i: -p[i])
    for i in order:
        t.add_row(lines[i], _cell("{x:.3f}", p[i]) if scorer.model is not None else "-", f["lang"].iloc[i])
    console.print(t)
    show(scorer.caveat)


app.command("evaluate-sendtime")(evaluate_sendtime)
app.command("score-sendtime")(score_sendtime)
app.command("evaluate-subject-lines")(evaluate_subject_lines)
app.command("suggest-subject")(suggest_subject)
