"""Explanations: global drivers and per-unit reasons in plain language.

Both start from per-row, per-column contributions to the log-odds (see
:meth:`~nomagic.lifecycle.models.AutoClassifier.contributions`): TreeSHAP values for LightGBM,
exact linear SHAP values for the logistic regression.

* **Global drivers**: the mean absolute contribution of each column (its share of all movement
  the model makes away from the average), with the direction it pushes in.
* **Reasons**: for each unit the ``k`` columns that moved its score most, as sentences such as
  ``"risk up: no order for 94 days"``. A use case says how to speak about its columns with
  :class:`FeatureText`; unknown columns read ``"<column> = <value>"``.

Reasons are built for a million rows at a time: each distinct (column, value, direction) is
worded once and shared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nomagic.words import Text, join, say


@dataclass(frozen=True)
class FeatureText:
    """How to speak about one column.

    Parameters
    ----------
    label : the column in words ("days since the last order"); a :class:`~nomagic.words.Text` for German.
    template : a sentence for one value, ``{value}`` filled in ("no order for {value:.0f} days").
        ``None`` gives ``"<label> = <value>"``.
    blank : what to say when the value is missing ("never ordered"); default "<label> unknown".
    template_de : the German of ``template`` ("seit {value:.0f} Tagen keine Bestellung"); English if absent.
    """

    label: str
    template: str | None = None
    blank: str | None = None
    template_de: str | None = None

    def say(self, value) -> Text:
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            return self.blank or say("{label} unknown", "{label} unbekannt", label=self.label)
        if self.template is not None:
            try:
                return say(self.template, self.template_de or self.template, value=value)
            except (ValueError, TypeError):
                pass
        return say("{label} = {value}", "{label} = {value}", label=self.label, value=_plain(value))


def _plain(value):
    """A value as a reason shows it: whole numbers without decimals, others with two (or none from 1,000)."""
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v.is_integer():
            return _Num(int(v), ",")
        return _Num(v, ",.2f" if abs(v) < 1000 else ",.0f")
    return value


class _Num(float):
    """A number that carries the format a reason gives it (``say`` formats it per language)."""

    def __new__(cls, v, spec):
        obj = super().__new__(cls, v)
        obj.spec = spec
        return obj

    def __format__(self, spec):
        return format(float(self) if "f" in self.spec else int(self), spec or self.spec)


@dataclass(frozen=True)
class Words:
    """The words for a score going up or down ("risk up" / "risk down")."""

    up: str = say("risk up", "Risiko höher")
    down: str = say("risk down", "Risiko niedriger")


def text_for(name: str, texts: dict[str, FeatureText] | None) -> FeatureText:
    return (texts or {}).get(name) or FeatureText(name)


#: numeric columns whose ranks correlate at least this much are one driver: the model can move
#: their contributions against each other ("lower days since the last order -> risk up" beside
#: "higher time since the last order / usual gap -> risk up"), and only their sum means something
GROUP_RHO = 0.7


def correlated_groups(
    values: pd.DataFrame, order: list[str], threshold: float = GROUP_RHO, max_rows: int = 20_000
) -> list[list[str]]:
    """Groups of numeric columns that move together: each column of ``order`` (strongest first)
    not yet in a group leads one with the later columns whose Spearman correlation with *it*
    reaches ``threshold`` in absolute value. Star-shaped, not chained: a group never drifts from
    "recency" through "visits" to "orders". Only groups of two or more are returned."""
    num = {}
    for name in order:
        v = values[name]
        x = pd.to_numeric(v, errors="coerce") if v.dtype == object else v
        if pd.api.types.is_numeric_dtype(x) and x.notna().mean() > 0.5 and x.nunique() > 2:
            num[name] = x
    if len(num) < 2:
        return []
    rho = pd.DataFrame(num).iloc[:max_rows].rank().corr().abs().fillna(0.0)
    taken: set[str] = set()
    groups = []
    for lead in num:
        if lead in taken:
            continue
        members = [lead] + [n for n in num if n not in taken and n != lead and rho.loc[lead, n] >= threshold]
        taken.update(members)
        if len(members) > 1:
            groups.append(members)
    return groups


def global_drivers(
    contributions: pd.DataFrame,
    values: pd.DataFrame,
    texts: dict[str, FeatureText] | None = None,
    words: Words = Words(),
    top: int = 10,
) -> list[dict]:
    """The columns that move the score most, strongest first.

    Each driver is ``{"feature", "label", "importance", "share", "direction", "summary"}``:
    importance is the mean absolute contribution to the log-odds; direction says which values
    raise the score ("higher", "lower", a category level, or "mixed"). Strongly correlated numeric
    columns (:func:`correlated_groups`) are one driver: their contributions are summed, the
    strongest of them names it and gives the direction, and ``members`` lists them all.
    """
    C = contributions.to_numpy(dtype=float)
    names = list(contributions.columns)
    single = np.abs(C).mean(axis=0)
    index = {n: j for j, n in enumerate(names)}
    units = []  # (lead column, members, summed contributions)
    grouped = set()
    by_strength = [n for n in sorted(names, key=lambda n: -single[index[n]]) if n in values.columns]
    for members in correlated_groups(values, by_strength):
        units.append((members[0], members, C[:, [index[n] for n in members]].sum(axis=1)))
        grouped.update(members)
    units += [(n, [n], C[:, index[n]]) for n in names if n not in grouped]
    imp = np.array([np.abs(c).mean() for _, _, c in units])
    total = imp.sum() or 1.0
    out = []
    for k in np.argsort(-imp)[:top]:
        lead, members, c = units[k]
        text = text_for(lead, texts)
        direction, summary = _direction(c, values[lead] if lead in values else None, text, words)
        driver = {
            "feature": lead,
            "label": text.label,
            "importance": round(float(imp[k]), 5),
            "share": round(float(imp[k] / total), 4),
            "direction": direction,
            "summary": summary,
        }
        if len(members) > 1:
            labels = [text_for(m, texts).label for m in members[1:]]
            others = join(labels[:2], ", ")
            if len(labels) > 2:
                others = say("{o} and {n} more", "{o} und {n} weiteren", o=others, n=len(labels) - 2)
            driver["members"] = members
            driver["summary"] = say(
                "{s} (counted as one with {o}: they move together; each one's direction alone depends on the others)",
                "{s} (zusammengefasst mit {o}: sie bewegen sich gemeinsam; die Richtung jedes einzelnen hängt von den "
                "anderen ab)",
                s=summary,
                o=others,
            )
        out.append(driver)
    return out


def _direction(c: np.ndarray, v: pd.Series | None, text: FeatureText, words: Words) -> tuple[str, str]:
    if v is None:
        return "mixed", text.label
    num = pd.to_numeric(v, errors="coerce") if v.dtype == object else v
    if pd.api.types.is_numeric_dtype(num) and num.notna().mean() > 0.5 and num.nunique() > 2:
        x = num.to_numpy(dtype=float)
        ok = np.isfinite(x)
        # a contribution constant up to rounding (values held at the training range's edge) has no direction
        if ok.sum() > 2 and np.ptp(x[ok]) > 0 and np.ptp(c[ok]) > 1e-9 * (1 + np.abs(c[ok]).max()):
            r = np.corrcoef(pd.Series(x[ok]).rank(), pd.Series(c[ok]).rank())[0, 1]
            if r > 0.3:
                return "higher", say("higher {l} → {w}", "{l} höher → {w}", l=text.label, w=words.up)
            if r < -0.3:
                return "lower", say("lower {l} → {w}", "{l} niedriger → {w}", l=text.label, w=words.up)
        return "mixed", say("{l} (effect depends on the value)", "{l} (Wirkung hängt vom Wert ab)", l=text.label)
    s = pd.Series(c).groupby(v.astype(str).to_numpy()).mean()
    if s.empty:
        return "mixed", text.label
    level = str(s.idxmax())
    try:  # a number with few values (0/1 tickets) reads as a number, in the reader's format
        shown = _plain(float(level)) if pd.api.types.is_numeric_dtype(num) else level
    except ValueError:
        shown = level
    return level, say("{l} = {v} → {w}", "{l} = {v} → {w}", l=text.label, v=shown, w=words.up)


def reasons(
    contributions: pd.DataFrame,
    values: pd.DataFrame,
    texts: dict[str, FeatureText] | None = None,
    words: Words = Words(),
    k: int = 3,
    min_abs: float = 0.01,
    families: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The ``k`` strongest reasons per row as sentences, in columns ``reason_1`` ... ``reason_k``.

    With ``families`` (column -> family, e.g. ``recency_days`` and ``overdue_ratio`` -> ``recency``)
    the contributions of a family are added up and each reason is a different family, worded by
    its strongest column: no row reads "never ordered", "no orders", "no usual gap yet".
    A contribution smaller than ``min_abs`` (in log-odds) is no reason: its cell stays empty.

    Examples
    --------
    >>> c = pd.DataFrame({"recency": [1.2, -0.5], "orders": [0.1, -0.9]})
    >>> v = pd.DataFrame({"recency": [94.0, 3.0], "orders": [1.0, 12.0]})
    >>> t = {"recency": FeatureText("days since the last order", "no order for {value:.0f} days")}
    >>> reasons(c, v, t, k=2).iloc[0].tolist()
    ['risk up: no order for 94 days', 'risk up: orders = 1']
    """
    C = contributions.to_numpy(dtype=float)
    n, f = C.shape
    names = list(contributions.columns)
    # group columns into families: G (n x g) sums, rep (n x g) the strongest column of each family
    fam_of = [(families or {}).get(c, c) for c in names]
    fams = list(dict.fromkeys(fam_of))
    if len(fams) < f:
        G = np.zeros((n, len(fams)))
        rep = np.zeros((n, len(fams)), dtype=np.int64)
        for g, fam in enumerate(fams):
            idx = np.array([j for j, x in enumerate(fam_of) if x == fam])
            G[:, g] = C[:, idx].sum(axis=1)
            rep[:, g] = idx[np.argmax(np.abs(C[:, idx]), axis=1)] if idx.size > 1 else idx[0]
    else:
        G, rep = C, None
    m = G.shape[1]
    k = max(0, min(k, m))
    cols = [f"reason_{i + 1}" for i in range(k)]
    if n == 0 or k == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols}, index=contributions.index)
    A = np.abs(G)
    top = np.argpartition(-A, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (n, 1))
    rows = np.arange(n)[:, None]
    order = np.argsort(-A[rows, top], axis=1, kind="stable")
    top = top[rows, order]
    value_arrays = {
        name: values[name].to_numpy() if name in values else np.full(n, None, dtype=object) for name in names
    }
    out = {}
    for r in range(k):
        grp = top[:, r]
        contrib = G[np.arange(n), grp]
        feat = grp if rep is None else rep[np.arange(n), grp]
        col = np.full(n, None, dtype=object)
        for j in np.unique(feat):
            idx = np.flatnonzero((feat == j) & (np.abs(contrib) >= min_abs))
            if idx.size == 0:
                continue
            col[idx] = _word(names[j], value_arrays[names[j]][idx], contrib[idx] > 0, texts, words)
        out[cols[r]] = col
    # object columns: the sentences stay Texts that know their German (a string dtype would drop it)
    return pd.DataFrame({c: pd.Series(v, index=contributions.index, dtype=object) for c, v in out.items()})


def _word(name: str, vals: np.ndarray, up: np.ndarray, texts, words: Words) -> np.ndarray:
    """Sentences for many rows of one column, each distinct (value, direction) worded once."""
    text = text_for(name, texts)
    if vals.dtype.kind == "f":
        rounded = np.where(np.abs(vals) >= 100, np.round(vals), np.round(vals, 2))
        key_vals = np.where(np.isnan(rounded), np.inf, rounded)
    else:
        key_vals = np.asarray(vals, dtype=object).astype(str)
        rounded = np.asarray(vals, dtype=object)
    uniq, first, inverse = np.unique(key_vals, return_index=True, return_inverse=True)
    up_u = np.zeros((uniq.size, 2), dtype=object)
    for i, fi in enumerate(first):
        v = rounded[fi]
        v = float(v) if isinstance(v, (np.floating, float)) else v
        said = text.say(v)
        up_u[i, 0] = words.down + ": " + said
        up_u[i, 1] = words.up + ": " + said
    return up_u[inverse.ravel(), up.astype(int)]
