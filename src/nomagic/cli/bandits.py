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
from nomagic.cli.ui import VERDICT_STYLE
from nomagic.errors import InputError
from nomagic.lifecycle.record import fingerprint_file, make_record, write
from nomagic.usecases.bandits.ope import ESTIMATORS, NAMES, REWARD_MODELS, Columns, check_logs, off_policy_value
from nomagic.usecases.bandits.policies import ThompsonSampling
from nomagic.usecases.bandits.stopping import stopping_rule


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    from nomagic.warehouse.sources import read_frame

    return read_frame(path, columns)


def _parse_mix(text: str, spec: str) -> dict:
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise InputError(f"--policy {spec!r}: write mix:ACTION=PROBABILITY,ACTION=PROBABILITY")
        a, p = part.split("=", 1)
        try:
            out[a.strip()] = float(p)
        except ValueError:
            raise InputError(f"--policy {spec!r}: {p!r} is not a probability") from None
    total = sum(out.values())
    if abs(total - 1) > 1e-6:
        raise InputError(f"--policy {spec!r}: the probabilities sum to {total:g}, not 1")
    return out


def _policy_file(path: Path, n: int):
    if path.suffix.lower() == ".json":
        try:
            obj = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: cannot read the policy: {exc}") from None
        if not isinstance(obj, dict):
            raise InputError(f'{path}: the policy must be a JSON object {{"ACTION": probability, ...}}')
        return {str(k): float(v) for k, v in obj.items()}
    df = _read(path, [])
    if {"action", "probability"} <= set(df.columns) and len(df.columns) == 2:
        probs = pd.to_numeric(df["probability"], errors="coerce")
        if probs.isna().any():
            i = int(np.flatnonzero(probs.isna())[0])
            raise InputError(f"{path}, line {i + 2}, column 'probability': not a number")
        return dict(zip(df["action"].astype(str), probs.astype(float), strict=True))
    if len(df) != n:
        raise InputError(
            f"{path}: a per-decision policy needs one row per logged decision ({n:,}), it has {len(df):,}; "
            "or give the two columns action, probability"
        )
    for col in df.columns:
        vals = pd.to_numeric(df[col], errors="coerce")
        if vals.isna().any():
            i = int(np.flatnonzero(vals.isna())[0])
            raise InputError(f"{path}, line {i + 2}, column {col!r}: the probability is missing or not a number")
        df[col] = vals
    return df


def _show(record: dict, res) -> None:
    verdict = record["verdict"]
    console.print(f"[{VERDICT_STYLE[verdict]}]{verdict}[/]")
    t = Table(title=f"mean {res.reward_name} per decision (95% CI), {res.diagnostics['rows']:,} logged decisions")
    t.add_column("estimator")
    t.add_column("new policy", justify="right")
    t.add_column("logged policy", justify="right")
    t.add_column("difference", justify="right")

    def fmt(m, signed=False):
        f = "{:+.4f}" if signed else "{:.4f}"
        lo, hi = m["ci"]
        v = "n/a" if m["value"] is None else f.format(m["value"])
        return v if lo is None else f"{v} [{f.format(lo)}, {f.format(hi)}]"

    for k, m in res.estimates.items():
        t.add_row(NAMES[k] + (" *" if k == res.primary else ""), fmt(m), fmt(res.logged), fmt(res.improvement[k], True))
    console.print(t)
    for w in record.get("warnings") or []:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    console.print(record["explanation"], highlight=False)


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
    if json_out is not None and not Path(json_out).parent.exists():
        raise InputError(f"cannot write {json_out}: folder {Path(json_out).parent} does not exist")
    if reward_model is not None and reward_model not in REWARD_MODELS:
        raise InputError(f"--reward-model must be one of {', '.join(REWARD_MODELS)}, not {reward_model!r}")
    if primary not in ESTIMATORS:
        raise InputError(f"--primary must be one of {', '.join(ESTIMATORS)}, not {primary!r}")
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
                raise InputError(f"{names.where(i, c)}: the context value is missing")
            else:
                parts.append(pd.get_dummies(df[c].astype(str), prefix=c, dtype=float))
        X = pd.concat(parts, axis=1).to_numpy(float)
    model = reward_model or ("logistic" if context else "arm")
    split: dict = {"kind": "logged-decisions", "rows": int(len(df))}
    target: object
    n = len(df)
    what = "the new policy"
    if policy.startswith("thompson"):
        share = 0.5
        if ":" in policy:
            try:
                share = float(policy.split(":", 1)[1])
            except ValueError:
                raise InputError(f"--policy {policy!r}: write thompson or thompson:SHARE (e.g. thompson:0.3)") from None
        if not 0 < share < 1:
            raise InputError(f"--policy {policy!r}: the learning share must be between 0 and 1")
        order = np.arange(n)
        if time_col:
            t = pd.to_datetime(df[time_col], errors="coerce", format="mixed")
            if t.isna().any():
                i = int(np.flatnonzero(t.isna())[0])
                raise InputError(f"{names.where(i, time_col)}: not a date or time")
            order = np.argsort(t.to_numpy(), kind="mergesort")
        df = df.iloc[order].reset_index(drop=True)
        X = None if X is None else X[order]
        groups = df[stratum].astype(str) if stratum else pd.Series(["all"] * n)
        learn_mask = np.zeros(n, dtype=bool)
        probs = pd.DataFrame(0.0, index=range(n), columns=sorted(df[action].astype(str).unique()))
        acts = df[action].astype(str)
        r = pd.to_numeric(df[reward], errors="coerce")
        if not r.isin([0.0, 1.0]).all():
            raise InputError(f"--policy thompson needs yes/no rewards (0 or 1) in column {reward!r}")
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
            raise InputError("too few decisions left to judge the Thompson-sampling policy; lower the learning share")
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
        what = f"Thompson sampling (learning from the first {share:.0%} of the logs)"
    elif policy.startswith("always:"):
        target = policy.split(":", 1)[1]
        what = f"always choosing {target!r}"
    elif policy == "uniform":
        target = {a: 1.0 / df[action].nunique() for a in df[action].unique()}
        what = "choosing uniformly at random"
    elif policy.startswith("mix:"):
        target = _parse_mix(policy[4:], policy)
        what = "the mix " + ", ".join(f"{a} {p:.0%}" for a, p in target.items())
    else:
        path = Path(policy)
        if not path.exists():
            raise InputError(
                f"--policy {policy!r} is neither a file nor a known form (always:ACTION, uniform, mix:A=0.7,B=0.3, "
                "thompson[:SHARE])"
            )
        target = _policy_file(path, n)
        what = f"the policy in {path.name}"
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
        question="Would the new policy earn more than the policy that logged these decisions?",
        model={"kind": "policy", "description": [what], "spec": policy},
        baseline={"description": ["the logged policy (its observed mean reward)"]},
        off_policy=res.to_dict(),
        warnings=res.warnings,
        seconds=round(time.perf_counter() - t0, 2),
    )
    _show(record, res)
    if json_out is not None:
        write(record, json_out)
        console.print(f"wrote {json_out}", highlight=False)


def _numbers(text: str, option: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"{option} must be numbers separated by commas, e.g. 310,262,298; got {text!r}") from None


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
        console.print_json(json.dumps(d.to_dict()))
    else:
        style = "bold green" if d.stop else "bold yellow"
        console.print(f"[{style}]{'stop' if d.stop else 'keep testing'}[/]")
        console.print(d.message, highlight=False)


app.command("evaluate-policy")(evaluate_policy)
app.command("bandit-stop")(bandit_stop)
