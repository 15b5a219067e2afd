"""Segments in German: names, profiles and actions (the dashboard's Segments page), clusters and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nomagic.errors import NomagicError
from nomagic.usecases.segments import SEGMENTS, BehaviourClusters, customer_features, rfm_scores, segment_summary


def _orders(n=300, seed=0):
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n * 4), unit="D")
    return pd.DataFrame(
        {"customer": rng.integers(0, n, n * 4).astype(str), "day": days, "value": rng.gamma(2.0, 1500.0, n * 4)}
    )


def test_every_segment_speaks_german():
    for name, seg in SEGMENTS.items():
        assert seg.name == name and str(seg.title) == name
        for words in (seg.profile, seg.action, seg.title):
            assert words.de and words.de != str(words) or name == "champions"
    assert SEGMENTS["lost"].title.de == "Verloren"
    assert SEGMENTS["can't lose them"].action.de.startswith("persönlich ansprechen")


def test_scores_and_summary_carry_german_columns():
    f = customer_features(_orders(), "customer", "day", "value")
    s = rfm_scores(f)
    assert {"segment", "segment_de", "profile", "profile_de", "action", "action_de"} <= set(s.columns)
    row = s.iloc[0]
    assert row["action_de"] == SEGMENTS[row["segment"]].action.de
    summary = segment_summary(f, s)
    assert list(summary["segment_de"]) == [SEGMENTS[x].title.de for x in summary.index]


def test_cluster_names_and_profiles_in_german():
    f = customer_features(_orders(), "customer", "day", "value")
    cl = BehaviourClusters(k_range=(2, 3), random_state=0).fit(f)
    p = cl.profiles_
    assert all(p["name_de"].str.contains("Ausgaben")) and all(p["name"].str.contains("spend"))
    top = p.iloc[0]
    assert top["profile"].de == top["profile_de"] and "Kunden (" in top["profile_de"]
    # German numbers: thousands with a dot, decimals with a comma ("1.234,56 ausgegeben")
    assert "," in top["profile_de"].split("insgesamt ")[1].split(" ausgegeben")[0]
    assert "nächstes RFM-Segment: " + SEGMENTS[top["rfm_segment"]].title.de in top["profile_de"]


def test_segment_errors_name_the_column_in_german():
    with pytest.raises(NomagicError) as err:
        customer_features(_orders(), "kunde", "day", "value", source="orders.csv")
    assert err.value.lang("de").startswith("orders.csv: keine Spalte 'kunde' für Kunden-ID; die Spalten sind: ")
    bad = _orders()
    bad["value"] = bad["value"].astype(object)
    bad.loc[5, "value"] = "zwölf"
    with pytest.raises(NomagicError) as err:
        customer_features(bad, "customer", "day", "value")
    assert err.value.lang("de") == "Spalte 'value' hat 1 Wert(e), die keine Zahlen sind (erster: 'zwölf')"
