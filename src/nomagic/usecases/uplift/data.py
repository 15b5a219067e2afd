"""A user's experiment table for uplift: who was treated, what happened, and what we knew before.

One row per unit (customer x campaign). The treatment column holds the arm (``--treatment
segment="Womens E-Mail" --control "No E-Mail"``); rows of other arms are left out and counted.
Every other column except the label, the id, the time and the dropped ones is a feature -- so
outcomes recorded after the treatment (a conversion next to a visit label, spend) must be dropped:
they would leak. Columns that predict the label almost alone are refused with that advice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.lifecycle.tabular import binary_label, is_blank, parse_times
from nomagic.words import Text, say


@dataclass
class Experiment:
    X: pd.DataFrame
    treatment: np.ndarray
    label: np.ndarray
    positive: str
    notes: list[Text]
    time: pd.Series | None = None


def parse_treatment(spec: str) -> tuple[str, str]:
    """``COL=VALUE`` -> (column, treated value)."""
    col, sep, value = (spec or "").partition("=")
    if not sep or not col.strip() or not value.strip():
        raise InputError(
            say(
                '--treatment takes COLUMN=VALUE (the treated arm), e.g. segment="Womens E-Mail"; got {spec!r}',
                '--treatment erwartet SPALTE=WERT (den Arm mit Treatment), z. B. segment="Womens E-Mail"; '
                "erhalten: {spec!r}",
                spec=spec,
            )
        )
    return col.strip(), value.strip()


def _text(s: pd.Series) -> pd.Series:
    out = s.astype("string").str.strip()
    # 1.0 and 1 name the same arm when a numeric column was typed as float
    num = pd.to_numeric(out, errors="coerce")
    whole = num.notna() & (num == num.round())
    return out.where(~whole, num.round().astype("Int64").astype("string"))


def prepare(
    frame: pd.DataFrame,
    *,
    treatment: str,
    control: str,
    label: str,
    source: str,
    id: str | None = None,
    time: str | None = None,
    drop: tuple[str, ...] = (),
    positive=None,
) -> Experiment:
    """Rows of the two arms, their 0/1 treatment flag and label, and the feature columns."""
    col, treated = parse_treatment(treatment)
    for name, what in (
        (col, "--treatment"),
        (label, "--label"),
        (id, "--id"),
        (time, "--time"),
        *((d, "--drop") for d in drop),
    ):
        if name is not None and name not in frame.columns:
            raise InputError(
                say(
                    "{source}: has no column {name!r} (given as {what}); its columns are: {cols}",
                    "{source}: hat keine Spalte {name!r} (angegeben als {what}); die Spalten sind: {cols}",
                    source=source,
                    name=name,
                    what=what,
                    cols=", ".join(map(str, frame.columns)),
                )
            )
    arm = _text(frame[col])
    treated_v, control_v = _text(pd.Series([treated])).iloc[0], _text(pd.Series([str(control)])).iloc[0]
    values = set(arm.dropna().unique())
    for v, what in ((treated_v, "--treatment"), (control_v, "--control")):
        if v not in values:
            shown = ", ".join(sorted(map(str, values))[:12])
            raise InputError(
                say(
                    "{source}: column {col!r} has no value {v!r} (given as {what}); its values are: {shown}",
                    "{source}: Die Spalte {col!r} hat keinen Wert {v!r} (angegeben als {what}); ihre Werte sind: "
                    "{shown}",
                    source=source,
                    col=col,
                    v=v,
                    what=what,
                    shown=shown,
                )
            )
    if treated_v == control_v:
        raise InputError(
            say(
                "--treatment and --control name the same value",
                "--treatment und --control nennen denselben Wert",
            )
        )
    keep = arm.isin([treated_v, control_v]).to_numpy()
    notes = []
    others = int((~keep).sum())
    if others:
        notes.append(
            say(
                "{n:,} rows of other arms of {col!r} were left out",
                "{n:,} Zeilen anderer Arme von {col!r} wurden ausgelassen",
                n=others,
                col=col,
            )
        )
    df = frame.loc[keep].reset_index(drop=True)
    blank = is_blank(df[label]).to_numpy()
    if blank.any():
        first = int(np.flatnonzero(keep)[np.flatnonzero(blank)[0]]) + 2  # +1 header, +1 one-based
        raise InputError(
            say(
                "{source}: row {row}, column {label!r}: the label is blank ({n:,} rows)",
                "{source}: Zeile {row}, Spalte {label!r}: Das Label ist leer ({n:,} Zeilen)",
                source=source,
                row=first,
                label=label,
                n=int(blank.sum()),
            )
        )
    y, pos = binary_label(df[label], positive, column=label)
    t = (arm[keep].to_numpy() == treated_v).astype(int)
    features = [c for c in df.columns if c not in {col, label, id, time, *drop}]
    if not features:
        raise InputError(
            say(
                "{source}: no feature columns are left besides {col!r} and {label!r}",
                "{source}: Außer {col!r} und {label!r} bleiben keine Merkmalsspalten übrig",
                source=source,
                col=col,
                label=label,
            )
        )
    X = df[features]
    _refuse_leaks(X, y, label, source)
    return Experiment(X, t, np.asarray(y, dtype=int), pos, notes, df[time] if time else None)


def _refuse_leaks(X: pd.DataFrame, y: np.ndarray, label: str, source: str) -> None:
    from nomagic.warehouse.leakage import leakage_suspects

    frame = X.copy()
    frame["__label__"] = y
    report = leakage_suspects(frame, "__label__")
    blockers = [s for s in report.suspects if getattr(s, "level", "blocker") == "blocker"]
    if blockers:
        names = ", ".join(repr(s.column) for s in blockers)
        raise InputError(
            say(
                "{source}: column(s) {names} predict {label!r} almost alone -- an outcome recorded after the "
                "treatment? Leave them out with --drop (e.g. --drop {first})",
                "{source}: Spalte(n) {names} sagen {label!r} fast allein vorher -- ein nach dem Treatment erfasstes "
                "Ergebnis? Mit --drop weglassen (z. B. --drop {first})",
                source=source,
                names=names,
                label=label,
                first=str(blockers[0].column),
            )
        )


def split(exp: Experiment, *, test_share: float = 0.5, seed: int = 42) -> tuple[np.ndarray, np.ndarray, dict]:
    """Train / test row indices: by time when a time column is given, else stratified by treatment x label."""
    n = len(exp.label)
    if exp.time is not None:
        ts = parse_times(exp.time, str(exp.time.name), blank_ok=False)
        cut = ts.quantile(1 - test_share)
        te = (ts > cut).to_numpy()
        return (
            np.flatnonzero(~te),
            np.flatnonzero(te),
            {
                "kind": "time",
                "time_column": str(exp.time.name),
                "test_from": str(cut),
                "test_share": round(te.mean(), 4),
            },
        )
    from sklearn.model_selection import train_test_split

    tr, te = train_test_split(
        np.arange(n), test_size=test_share, stratify=exp.treatment * 2 + exp.label, random_state=seed
    )
    return (
        np.sort(tr),
        np.sort(te),
        {
            "kind": "stratified-split",
            "stratify": "treatment x label",
            "test_share": test_share,
            "seed": seed,
        },
    )
