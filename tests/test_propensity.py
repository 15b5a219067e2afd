"""Purchase propensity on the warehouse: population, baseline, lifecycle."""

from __future__ import annotations

import pandas as pd
from test_churn import AS_OF, _future, _tiny, toy_world

from nomagic.lifecycle import record as rec
from nomagic.usecases import REGISTRY, Propensity


def test_population_includes_customers_without_orders(wh):
    _tiny(wh)
    _future(wh)
    d = Propensity().dataset(wh, AS_OF).set_index("unit_id")
    assert sorted(d.index) == ["A", "B", "C", "D"]  # every consenting customer who exists at the cutoff
    assert d.loc["A", "order_rate_30d"] > 0
    assert REGISTRY["propensity"].horizon_days == 30


def test_baseline_is_the_customers_own_order_rate():
    b = Propensity().baseline()
    assert b.column == "order_rate_30d" and b.increasing


def test_train_on_a_toy_shop(wh):
    toy_world(wh, n=500)
    result = Propensity(n_boot=200).train(wh)
    r = rec.validate(result.record)
    assert r["use_case"] == "propensity" and r["split"]["horizon_days"] == 30
    assert len(r["backtest"]) == 3
    assert r["metrics"]["model"]["roc_auc"]["value"] > 0.7
    assert r["metrics"]["baseline"]["roc_auc"]["value"] > 0.55  # the naive rule is a real rule
    assert r["fairness"]["attributes"].keys() <= {"gender", "age_band"}
    assert isinstance(r["explanation"], str) and r["verdict"] in ("promoted", "not better than baseline")
    assert pd.Timestamp(r["split"]["score_as_of"]) > pd.Timestamp(r["split"]["test_cutoffs"][-1])
