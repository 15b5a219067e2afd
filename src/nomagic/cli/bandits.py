"""Bandit commands: judge a new policy on logged decisions, and the stopping rule of a test.

::

    nomagic evaluate-policy --logs FILE --action COL --propensity COL --reward COL --policy SPEC
                            [--context COL ...] [--stratum COL] [--reward-model arm|logistic|ridge|lightgbm]
                            [--time COL] [--n-boot 1000] [--seed 0] [--json FILE]
    nomagic bandit-stop --successes 310,262,298 --trials 10000,10000,10000 [--arms A,B,C]
                        [--threshold 0.01] [--confidence 0.95] [--absolute]

``--policy`` is one of: ``always:B`` (always that action), ``uniform``, ``mix:A=0.7,B=0.3``,
``thompson`` or ``thompson:0.3`` (Beta-Bernoulli Thompson sampling learns on the first 50 % / 30 % of
the logs, by ``--time`` or file order, per ``--stratum`` if given, and is judged on the rest), a JSON
file ``{"A": 0.7, "B": 0.3}``, or a CSV/Parquet file with either the columns ``action, probability``
or one column per action and one row per logged decision.

``evaluate-policy`` writes an evaluation record (``use_case: "policy"``): ``model`` is the new policy,
``baseline`` the logged one, metrics ``value_ips``, ``value_snips``, ``value_dm``, ``value_dr``.
Exit 0 when it ran (the record says whether the new policy is better), 2 on bad input.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from nomagic.cli import app, console
from nomagic.cli.ui import lang, show, verdict_text, word
from nomagic.errors import InputError, writable
from nomagic.lifecycle.record import fingerprint_file, make_record, write
from nomagic.usecases.bandits.ope import ESTIMATORS, NAMES, REWARD_MODELS, Columns, check_logs, off_policy_value
from nomagic.usecases.bandits.policies import ThompsonSampling
from nomagic.usecases.bandits.stopping import stopping_rule
from nomagic.words import Text, in_lang, join, localise, pick, say


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    from nomagic.warehouse.sources import read_frame

    return read_frame(path, columns)


def _parse_mix(text: str, spec: str) -> dict:
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise InputError(
                say(
                    "--policy {s!r}: write mix:ACTION=PROBABILITY,ACTION=PROBABILITY",
                    "--policy {s!r}: mix:AKTION=WAHRSCHEINLICHKEIT,AKTION=WAHRSCHEINLICHKEIT schreiben",
                    s=spec,
                )
            )
        a, p = part.split("=", 1)
        try:
            out[a.strip()] = float(p)
        except ValueError:
            raise InputError(
                say(
                    "--policy {s!r}: {p!r} is not a probability",
                    "--policy {s!r}: {p!r} ist keine Wahrscheinlichkeit",
                    s=spec,
                    p=p,
                )
            ) from None
    total = sum(out.values())
    if abs(total - 1) > 1e-6:
        raise InputError(
            say(
                "--policy {s!r}: the probabilities sum to {t:g}, not 1",
                "--policy {s!r}: Die Wahrscheinlichkeiten ergeben zusammen {t:g}, nicht 1",
                s=spec,
                t=total,
            )
        )
    return out


def _policy_file(path: Path, n: int):
    if path.suffix.lower() == ".json":
        try:
            obj = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(
                say(
                    "{path}: cannot read the policy: {e}",
                    "{path}: Die Strategie lässt sich nicht lesen: {e}",
                    path=str(path),
                    e=str(exc),
                )
            ) from None
        if not isinstance(obj, dict):
            raise InputError(
                say(
                    '{path}: the policy must be a JSON object {{"ACTION": probability, ...}}',
                    '{path}: Die Strategie muss ein JSON-Objekt {{"AKTION": Wahrscheinlichkeit, ...}} sein',
                    path=str(path),
                )
            )
        return {str(k): float(v) for k, v in obj.items()}
    df = _read(path, [])
    if {"action", "probability"} <= set(df.columns) and len(df.columns) == 2:
        probs = pd.to_numeric(df["probability"], errors="coerce")
        if probs.isna().any():
            i = int(np.flatnonzero(probs.isna())[0])
            raise InputError(
                say(
                    "{path}, line {i}, column 'probability': not a number",
                    "{path}, Zeile {i}, Spalte 'probability': keine Zahl",
                    path=str(path),
                    i=i + 2,
                )
            )
        return dict(zip(df["action"].astype(str), probs.astype(float), strict=True))
    if len(df) != n:
        raise InputError(
            say(
                "{path}: a per-decision policy needs one row per logged decision ({n:,}), it has {k:,}; or give the "
                "two columns action, probability",
                "{path}: Eine Strategie je Entscheidung braucht eine Zeile pro protokollierter Entscheidung ({n:,}), "
                "die Datei hat {k:,}; oder die zwei Spalten action, probability angeben",
                path=str(path),
                n=n,
                k=len(df),
            )
        )
    for col in df.columns:
        vals = pd.to_numeric(df[col], errors="coerce")
        if vals.isna().any():
            i = int(np.flatnonzero(vals.isna())[0])
            raise InputError(
                say(
                    "{path}, line {i}, column {c!r}: the probability is missing or not a number",
                    "{path}, Zeile {i}, Spalte {c!r}: Die Wahrscheinlichkeit fehlt oder ist keine Zahl",
                    path=str(path),
                    i=i + 2,
                    c=col,
                )
            )
        df[col] = vals
    return df


def _show(record: dict, res) -> None:
    lg = lang()
    console.print(verdict_text(record["verdict"]))
    title = say(
        "mean {r} per decision (95% CI), {n:,} logged decisions",
        "mittlere {r} pro Entscheidung (95-%-KI), {n:,} protokollierte Entscheidungen",
        r=res.reward_name,
        n=res.diagnostics["rows"],
    )
    t = Table(title=title.lang(lg))
    t.add_column(word("estimator", "Schätzer"))
    t.add_column(word("new policy", "neue Strategie"), justify="right")
    t.add_column(word("logged policy", "protokollierte Strategie"), justify="right")
    t.add_column(word("difference", "Unterschied"), justify="right")

    def fmt(m, signed=False):
        spec = "{v:+.4f}" if signed else "{v:.4f}"
        lo, hi = m["ci"]
        v = word("n/a", "k. A.") if m["value"] is None else say(spec, spec, v=m["value"]).lang(lg)
        if lo is None:
            return v
        sep = "; " if lg == "de" else ", "  # a German decimal comma would make "," ambiguous
        return f"{v} [{say(spec, spec, v=lo).lang(lg)}{sep}{say(spec, spec, v=hi).lang(lg)}]"

    for k, m in res.estimates.items():
        name = in_lang(NAMES[k], lg) + (" *" if k == res.primary else "")
        t.add_row(name, fmt(m), fmt(res.logged), fmt(res.improvement[k], True))
    console.print(t)
    for w in pick(record, "warnings", lg) or []:
        show(w, label=say("warning:", "Warnung:"))
    show(pick(record, "explanation", lg))


def evaluate_policy(
    logs: Path = typer.Option(..., "--logs", help="Logged decisions: CSV or Parquet, one row per decision."),
    action: str = typer.Option(..., "--action", help="Column with the action taken."),
    propensity: str = typer.Option(..., "--propensity", help="Column with the probability the action had."),
    reward: str = typer.Option(..., "--reward", help="Column with the reward (0/1 or a number)."),
    policy: str = typer.Option(
        ..., "--policy", help="The new policy: always:ACTION, uniform, mix:A=0.7,B=0.3, thompson[:SHARE] or a FILE."
    ),
    context: list[str] = typer.Option(None, "--context", help="Context column(s) for the reward model (repeat)."),
    stratum: str = typer.Option(None, "--stratum", help="Group column (campaign, position) for the reward model."),
    reward_model: str = typer.Option(
        None, "--reward-model", help="arm (default without --context), logistic (default with it), ridge, lightgbm."
    ),
    time_col: str = typer.Option(None, "--time", help="Time column: thompson learns on the earliest rows."),
    primary: str = typer.Option("dr", "--primary", help="Estimator the verdict rests on: ips, snips, dm or dr."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    json_out: Path = typer.Option(None, "--json", help="Write the evaluation record (JSON) here."),
) -> None:
    """Judge a new policy on logged decisions (IPS, self-normalised IPS, direct method, doubly robust) against the
    policy that logged them, with 95% bootstrap intervals; writes an evaluation record."""
    t0 = time.perf_counter()
    if json_out is not None:
        writable(json_out)
    if reward_model is not None and reward_model not in REWARD_MODELS:
        raise InputError(
            say(
                "--reward-model must be one of {c}, not {m!r}",
                "--reward-model muss eines von {c} sein, nicht {m!r}",
                c=", ".join(REWARD_MODELS),
                m=reward_model,
            )
        )
    if primary not in ESTIMATORS:
        raise InputError(
            say(
                "--primary must be one of {c}, not {p!r}",
                "--primary muss einer von {c} sein, nicht {p!r}",
                c=", ".join(ESTIMATORS),
                p=primary,
            )
        )
    context = list(context or [])
    cols = [action, propensity, reward, *context] + [c for c in (stratum, time_col) if c]
    df = _read(logs, cols)
    csv = not logs.name.lower().endswith((".parquet", ".pq"))
    names = Columns(
        source=str(logs),
        action=action,
        propensity=propensity,
        reward=reward,
        row_offset=2 if csv else 1,
        row_word="line" if csv else "row",
    )
    check_logs(df[action], df[propensity], df[reward], columns=names)
    X = None
    if context:
        parts = []
        for c in context:
            num = pd.to_numeric(df[c], errors="coerce")
            if num.notna().all():
                parts.append(num.to_frame(c))
            elif df[c].isna().any():
                i = int(np.flatnonzero(df[c].isna())[0])
                raise InputError(
                    say(
                        "{where}: the context value is missing",
                        "{where}: Der Kontextwert fehlt",
                        where=names.where(i, c),
                    )
                )
            else:
                parts.append(pd.get_dummies(df[c].astype(str), prefix=c, dtype=float))
        X = pd.concat(parts, axis=1).to_numpy(float)
    model = reward_model or ("logistic" if context else "arm")
    split: dict = {"kind": "logged-decisions", "rows": int(len(df))}
    target: object
    n = len(df)
    what: Text = say("the new policy", "die neue Strategie")
    if policy.startswith("thompson"):
        share = 0.5
        if ":" in policy:
            try:
                share = float(policy.split(":", 1)[1])
            except ValueError:
                raise InputError(
                    say(
                        "--policy {p!r}: write thompson or thompson:SHARE (e.g. thompson:0.3)",
                        "--policy {p!r}: thompson oder thompson:ANTEIL schreiben (z. B. thompson:0.3)",
                        p=policy,
                    )
                ) from None
        if not 0 < share < 1:
            raise InputError(
                say(
                    "--policy {p!r}: the learning share must be between 0 and 1",
                    "--policy {p!r}: Der Lernanteil muss zwischen 0 und 1 liegen",
                    p=policy,
                )
            )
        order = np.arange(n)
        if time_col:
            t = pd.to_datetime(df[time_col], errors="coerce", format="mixed")
            if t.isna().any():
                i = int(np.flatnonzero(t.isna())[0])
                raise InputError(
                    say(
                        "{where}: not a date or time",
                        "{where}: kein Datum und keine Uhrzeit",
                        where=names.where(i, time_col),
                    )
                )
            order = np.argsort(t.to_numpy(), kind="mergesort")
        df = df.iloc[order].reset_index(drop=True)
        X = None if X is None else X[order]
        groups = df[stratum].astype(str) if stratum else pd.Series(["all"] * n)
        learn_mask = np.zeros(n, dtype=bool)
        probs = pd.DataFrame(0.0, index=range(n), columns=sorted(df[action].astype(str).unique()))
        acts = df[action].astype(str)
        r = pd.to_numeric(df[reward], errors="coerce")
        if not r.isin([0.0, 1.0]).all():
            raise InputError(
                say(
                    "--policy thompson needs yes/no rewards (0 or 1) in column {c!r}",
                    "--policy thompson braucht Ja/Nein-Belohnungen (0 oder 1) in der Spalte {c!r}",
                    c=reward,
                )
            )
        for _, idx in groups.groupby(groups).groups.items():
            idx = np.asarray(idx)
            cut = int(round(len(idx) * share))
            learn_mask[idx[:cut]] = True
            ts = ThompsonSampling(sorted(acts.iloc[idx].unique()), seed=seed).fit(
                acts.iloc[idx[:cut]], r.iloc[idx[:cut]]
            )
            p = ts.probabilities()
            for a, pa in zip(ts.arms_, p, strict=True):
                probs.loc[idx[cut:], a] = pa
        keep = ~learn_mask
        if keep.sum() < 10:
            raise InputError(
                say(
                    "too few decisions left to judge the Thompson-sampling policy; lower the learning share",
                    "Zu wenige Entscheidungen übrig, um die Thompson-Sampling-Strategie zu bewerten; den Lernanteil "
                    "senken",
                )
            )
        df, X, target = (
            df[keep].reset_index(drop=True),
            (None if X is None else X[keep]),
            probs[keep].reset_index(drop=True),
        )
        split = {
            "kind": "learn-then-judge",
            "learn_share": share,
            "order": f"by {time_col}" if time_col else "file order",
            "per": stratum,
            "learn_rows": int(learn_mask.sum()),
            "test_rows": int(keep.sum()),
        }
        what = say(
            "Thompson sampling (learning from the first {share:.0%} of the logs)",
            "Thompson Sampling (mit Lernen aus den ersten {share:.0%} der Protokolle)",
            share=share,
        )
    elif policy.startswith("always:"):
        target = policy.split(":", 1)[1]
        what = say("always choosing {a!r}", "die feste Wahl von {a!r}", a=target)
    elif policy == "uniform":
        target = {a: 1.0 / df[action].nunique() for a in df[action].unique()}
        what = say("choosing uniformly at random", "die gleichverteilte Zufallswahl")
    elif policy.startswith("mix:"):
        target = _parse_mix(policy[4:], policy)
        parts = join([say("{a} {p:.0%}", "{a} {p:.0%}", a=a, p=p) for a, p in target.items()], ", ")
        what = say("the mix {parts}", "die Mischung {parts}", parts=parts)
    else:
        path = Path(policy)
        if not path.exists():
            raise InputError(
                say(
                    "--policy {p!r} is neither a file nor a known form (always:ACTION, uniform, mix:A=0.7,B=0.3, "
                    "thompson[:SHARE])",
                    "--policy {p!r} ist weder eine Datei noch eine bekannte Form (always:AKTION, uniform, "
                    "mix:A=0.7,B=0.3, thompson[:ANTEIL])",
                    p=policy,
                )
            )
        target = _policy_file(path, n)
        what = say("the policy in {f}", "die Strategie in {f}", f=path.name)
    res = off_policy_value(
        df[action].astype(str) if policy.startswith("thompson") else df[action],
        df[propensity],
        df[reward],
        target,
        contexts=X,
        strata=df[stratum] if stratum else None,
        reward_model=model,
        primary=primary,
        n_boot=n_boot,
        seed=seed,
        columns=names,
        reward_name=reward,
    )
    verdict = "promoted" if res.better else "not better than baseline"
    record = make_record(
        use_case="policy",
        data={"source": logs.name, "fingerprint": fingerprint_file(logs), "rows": int(n)},
        split={**split, "n_boot": n_boot, "seed": seed},
        primary_metric=f"value_{primary}",
        metrics=res.metrics(),
        verdict=verdict,
        explanation=res.explanation(what=what),
        question=say(
            "Would the new policy earn more than the policy that logged these decisions?",
            "Würde die neue Strategie mehr erzielen als die Strategie, die diese Entscheidungen protokolliert hat?",
        ),
        model={"kind": "policy", "description": [what], "spec": policy},
        baseline={
            "description": [
                say(
                    "the logged policy (its observed mean reward)",
                    "die protokollierte Strategie (ihre beobachtete mittlere Belohnung)",
                )
            ]
        },
        off_policy=res.to_dict(),
        warnings=res.warnings,
        seconds=round(time.perf_counter() - t0, 2),
    )
    _show(record, res)
    if json_out is not None:
        write(record, json_out)
        show(say("wrote {f}", "{f} geschrieben", f=str(json_out)))


def _numbers(text: str, option: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(
            say(
                "{o} must be numbers separated by commas, e.g. 310,262,298; got {t!r}",
                "{o} muss aus Zahlen bestehen, durch Kommas getrennt, z. B. 310,262,298; erhalten: {t!r}",
                o=option,
                t=text,
            )
        ) from None


def bandit_stop(
    successes: str = typer.Option(..., "--successes", help="Successes per variant, comma-separated (e.g. opens)."),
    trials: str = typer.Option(..., "--trials", help="Trials per variant, comma-separated (e.g. sends)."),
    arms: str = typer.Option(None, "--arms", help="Variant names, comma-separated (default 0, 1, ...)."),
    threshold: float = typer.Option(0.01, "--threshold", help="Improvement you accept to leave on the table."),
    confidence: float = typer.Option(0.95, "--confidence", help="How sure you want to be."),
    absolute: bool = typer.Option(False, "--absolute", help="Threshold in rate points, not relative to the leader."),
    json_out: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
) -> None:
    """Can this test stop? Stops when we are 95% sure that no variant is more than 1% better than the leader."""
    s, n = _numbers(successes, "--successes"), _numbers(trials, "--trials")
    names = [a.strip() for a in arms.split(",")] if arms else None
    d = stopping_rule(s, n, arms=names, threshold=threshold, confidence=confidence, relative=not absolute)
    if json_out:
        console.print_json(json.dumps(localise(d.to_dict())))  # message and message_de
    else:
        style = "bold green" if d.stop else "bold yellow"
        show(say("stop", "beenden") if d.stop else say("keep testing", "weiter testen"), style)
        show(d.message)


app.command("evaluate-policy")(evaluate_policy)
app.command("bandit-stop")(bandit_stop)
