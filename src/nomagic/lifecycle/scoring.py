"""Batch scoring: the champion's probabilities and top reasons for every unit, into a table or a file.

The champion's ``scorer`` decides: ``model`` scores with the model and explains with its
contributions; ``baseline`` (the model did not pass the no-magic gate) scores with the naive rule
and gives the rule's own reason.

Only customers who may be profiled are scored (:mod:`nomagic.privacy.consent` decides); the scores say
how many were left out (``attrs["left_out"]``) and :func:`write_scores` asks the policy again before it
writes, so that no path around :func:`score` puts a refused customer into a table or file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from nomagic.errors import InputError, writable
from nomagic.lifecycle import explain as ex
from nomagic.lifecycle.registry import Registry
from nomagic.lifecycle.usecase import UNIT, score_frame
from nomagic.privacy import consent
from nomagic.words import in_lang, join, say


def scores_table(use_case: str) -> str:
    """The warehouse table the scores of ``use_case`` go to."""
    return f"scores_{use_case}"


def score(uc, wh, registry: Registry, *, as_of=None, version: str | None = None, k: int = 3, progress=None):
    """Score every unit of ``uc`` at ``as_of`` (default: the end of the data) with the champion.

    Returns a frame: ``customer_id``, ``score``, ``decile`` (1 = highest scores), ``reason_1`` ...
    ``reason_k`` (English), ``reason_1_de`` ... (German), ``scorer``, ``model_version``, ``as_of``, ``scored_at``.
    """
    tick = progress or (lambda f, m: None)
    v = registry.get(uc.name, version)
    if as_of is None:
        as_of = uc.plan(wh).score_as_of
    as_of = pd.Timestamp(as_of)
    tick(0.05, say("{u}: features at {d}", "{u}: Merkmale zum {d}", u=uc.name, d=as_of))
    frame = uc.dataset(wh, as_of, label=False)
    frame, left = consent.keep_allowed(wh, frame, consent.PROFILING, id_col=UNIT)  # the use case may not filter
    tick(
        0.5,
        say(
            "{u}: scoring {n:,} units with the {s}",
            "{u}: {n:,} Einheiten werden bewertet ({s})",
            u=uc.name,
            n=len(frame),
            s=v.scorer,
        ),
    )
    if v.scorer == "model":
        model = v.model()
        cols = model.feature_names_in_
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InputError(
                say(
                    "the {uc} model {v} needs features the warehouse no longer has: {m}; retrain with "
                    "`nomagic train {uc}`",
                    "das Modell {v} für {uc} braucht Merkmale, die das Warehouse nicht mehr hat: {m}; mit "
                    "`nomagic train {uc}` neu trainieren",
                    uc=uc.name,
                    v=v.version,
                    m=", ".join(missing),
                )
            )
        p, reasons = score_frame(
            model, frame, cols, uc.feature_texts(cols), uc.words, k=k, families=uc.feature_families(cols)
        )
    else:
        base = v.baseline()
        p = base.predict_proba(frame)[:, 1]
        reasons = _baseline_reasons(base, frame, p, uc, k)
    out = pd.DataFrame({"customer_id": frame[UNIT].to_numpy(), "score": np.round(p, 6)})
    out["decile"] = _deciles(p)
    out = pd.concat([out, reasons.reset_index(drop=True)], axis=1)
    for c in reasons.columns:  # a table stores strings: the German of each reason in a column of its own
        out[f"{c}_de"] = out[c].map(lambda x: None if x is None else in_lang(x, "de"))
    out["scorer"] = v.scorer
    out["model_version"] = v.version
    out["as_of"] = as_of
    out["scored_at"] = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)).floor("s")
    out.attrs["left_out"] = left.reasons
    tick(1.0, join([say("{u}: scored {n:,}", "{u}: {n:,} bewertet", u=uc.name, n=len(out)), left.words], "; "))
    return out


def _deciles(p: np.ndarray) -> np.ndarray:
    if len(p) == 0:
        return np.zeros(0, dtype=int)
    rank = pd.Series(-p).rank(method="first").to_numpy()
    return np.minimum(10, 1 + ((rank - 1) * 10 // len(p)).astype(int))


def _baseline_reasons(base, frame, p, uc, k: int) -> pd.DataFrame:
    col = getattr(base, "column", None)
    cols = [f"reason_{i + 1}" for i in range(k)]
    out = pd.DataFrame({c: pd.Series([None] * len(frame), dtype=object) for c in cols})
    if col in frame.columns and len(frame):
        texts = uc.feature_texts([col])
        contrib = pd.DataFrame({col: p - np.mean(p)})
        values = pd.DataFrame({col: frame[col].to_numpy(dtype=float)})
        out[cols[0]] = ex.reasons(contrib, values, texts, uc.words, k=1, min_abs=0.0)["reason_1"].to_numpy()
    return out


def write_scores(wh, scores: pd.DataFrame, use_case: str, out: str | Path | None = None) -> str:
    """Into the warehouse table ``scores_<use case>`` (replaced), or a ``.parquet`` / ``.csv`` file.

    With a warehouse, customers who may not be profiled are left out first and the answer says how many
    (``wh=None``: scores of a user's own file, ``nomagic evaluate``, where nomagic holds no consent data).
    """
    left = consent.LeftOut()
    if wh is not None:
        scores, left = consent.keep_allowed(wh, scores, consent.PROFILING)
    if out is None:
        name = scores_table(use_case)
        wh.write(name, scores)
        where = say("warehouse table {n}", "Warehouse-Tabelle {n}", n=name)
        return join([where, say("({w})", "({w})", w=left.words)]) if left else where
    out = Path(out)
    writable(out)
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        scores.to_parquet(out, index=False)
    elif suffix == ".csv":
        scores.to_csv(out, index=False)
    else:
        raise InputError(
            say(
                "cannot write {o}: use a .parquet or .csv file name",
                "{o} kann nicht geschrieben werden: einen Dateinamen auf .parquet oder .csv angeben",
                o=str(out),
            )
        )
    return join([str(out), say("({w})", "({w})", w=left.words)]) if left else str(out)
