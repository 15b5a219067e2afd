"""Small groups (k-anonymity): figures about fewer than k customers are not shown.

A rate or a median about three people says something about each of them (a selection rate of 1/3 in a
group of three names who was contacted). Every per-group table nomagic shows (fairness groups, RFM
segments, behavioural clusters) asks :func:`small_group` and shows :func:`fewer_than` instead of the
figures of a group below the threshold. The threshold is ``[privacy] k_anonymity`` in
``.nomagic/config.toml`` (default :data:`K_DEFAULT`); ``1`` shows every group.

>>> small_group(9), small_group(10), small_group(3, k=3)
(True, False, False)
>>> str(fewer_than(10)), fewer_than(10).de
('fewer than 10', 'weniger als 10')
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.privacy import audit, config
from nomagic.words import Text, say

K_DEFAULT = 10


def small_group(n, k: int = K_DEFAULT) -> bool:
    """Whether a group of ``n`` customers is too small to show its figures (``n < k``); an unknown size is small."""
    try:
        n = float(n)
    except (TypeError, ValueError):
        return True
    return bool(np.isnan(n) or n < k)


def fewer_than(k: int = K_DEFAULT) -> Text:
    """What a suppressed group shows instead of its figures."""
    return say("fewer than {k:,}", "weniger als {k:,}", k=k)


def threshold(url: str | None = None) -> int:
    """``[privacy] k_anonymity`` of the ``.nomagic/config.toml`` next to the warehouse at ``url`` (the default
    warehouse when None); :data:`K_DEFAULT` without one. Raises InputError naming the file and the key."""
    path = Path(audit.state_folder(url)) / "config.toml"
    if not path.exists():
        return K_DEFAULT
    doc = config.read(path)
    section = doc.get("privacy", {})
    k = section.get("k_anonymity", K_DEFAULT) if isinstance(section, dict) else None
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise InputError(
            say(
                "{path}: privacy.k_anonymity = {k!r}: give a whole number of customers, 1 or more (e.g. 10)",
                "{path}: privacy.k_anonymity = {k!r}: eine ganze Zahl von Kunden angeben, 1 oder mehr (z. B. 10)",
                path=str(path),
                k=k,
            )
        )
    return k


def suppress(frame: pd.DataFrame, figures: Iterable[str], *, count: str = "customers", k: int = K_DEFAULT):
    """A copy of a per-group ``frame`` in which the ``figures`` of rows with ``count`` below ``k`` are missing,
    with ``suppressed`` (bool) and ``shown_as`` / ``shown_as_de`` ("fewer than 10" there, empty elsewhere)."""
    out = frame.copy()
    small = out[count].map(lambda n: small_group(n, k)).astype(bool)
    cols = [c for c in figures if c in out.columns]
    if cols:
        out[cols] = out[cols].astype(float)
        out.loc[small, cols] = np.nan
    word = fewer_than(k)
    out["suppressed"] = small
    out["shown_as"] = np.where(small, str(word), "")
    out["shown_as_de"] = np.where(small, word.de, "")
    return out
