"""The automatic model choice: made inside the calibration period, never from the holdout; forced models stay forced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_clv_evaluate import make_transactions

from nomagic.errors import NotReadyError
from nomagic.usecases.clv import evaluate, summary_data
from nomagic.usecases.clv.choice import CANDIDATES, choose_by_likelihood, choose_model
from nomagic.usecases.clv.evaluate import evaluate_summary

CAL, OBS = "2023-08-31", "2024-02-25"


@pytest.fixture(scope="module")
def tx():
    return make_transactions(n=1200, seed=3)


def test_choice_reads_nothing_after_the_calibration_end(tx):
    full = choose_model(tx, "customer", "ordered", CAL)
    cut = choose_model(tx[tx["ordered"] <= CAL], "customer", "ordered", CAL)
    # scrambling the holdout entirely changes nothing
    scrambled = tx.copy()
    late = scrambled["ordered"] > CAL
    scrambled.loc[late, "customer"] = np.random.default_rng(0).permutation(scrambled.loc[late, "customer"].to_numpy())
    other = choose_model(scrambled, "customer", "ordered", CAL)
    assert full == cut == other
    assert full["method"] == "validation inside the calibration period"
    assert full["chosen"] in CANDIDATES and full["chosen"] == min(full["mean_mae"], key=full["mean_mae"].get)
    assert len(full["folds"]) == 2
    for f in full["folds"]:
        assert f["fit_until"] < f["predict_from"] <= f["predict_until"] == CAL
        assert set(f["mae"]) == set(CANDIDATES)
    assert np.mean([f["mae"][full["chosen"]] for f in full["folds"]]) == pytest.approx(
        full["mean_mae"][full["chosen"]], abs=1e-6
    )


def test_forced_model_and_likelihood_fallback(tx):
    ev = evaluate(tx, "customer", "ordered", "amount", CAL, OBS, model="mbgnbd", n_boot=50)
    rec = ev.record
    assert rec["model"]["name"] == "mbgnbd" and rec["model_choice"]["method"] == "asked for"
    assert {"r", "alpha", "a", "b"} <= set(rec["params"]) and "mbgnbd" not in rec["params"]
    assert set(rec["params"]["pareto_nbd"]) == {"r", "alpha", "s", "beta"}
    # a summary alone (no transactions to cut) falls back to the likelihood
    s = summary_data(tx, "customer", "ordered", "amount", CAL, OBS)
    ev = evaluate_summary(s, n_boot=50)
    ch = ev.record["model_choice"]
    assert ch["method"] == "likelihood" and ch["requested"] == "auto"
    ll = {k: ev.models[k].log_likelihood_ for k in CANDIDATES}
    assert ch["chosen"] == max(ll, key=ll.get) == ev.record["model"]["name"]


def test_too_short_history_falls_back_or_says_so(tx):
    early = tx[tx["ordered"] <= "2023-03-20"]
    with pytest.raises(NotReadyError, match="too short"):
        choose_model(early, "customer", "ordered", "2023-02-01")
    s = summary_data(tx, "customer", "ordered", None, CAL)
    from nomagic.usecases.clv.models import BetaGeoModel, ParetoNBDModel

    x, r, T = (s[c] for c in ("frequency", "recency", "T"))
    fits = {"bgnbd": BetaGeoModel().fit(x, r, T), "pareto_nbd": ParetoNBDModel().fit(x, r, T)}
    ch = choose_model(early, "customer", "ordered", "2023-02-01", fits=fits)
    assert ch["method"] == "likelihood" and "too short" in ch["reason"]
    assert ch["chosen"] == max(fits, key=lambda k: fits[k].log_likelihood_)
    assert choose_by_likelihood(fits)["chosen"] == ch["chosen"]


def test_usecase_auto_scores_name_the_model(wh, tx):
    from test_clv_evaluate import _load_orders

    from nomagic.usecases.clv.usecase import Clv

    _load_orders(wh, tx)
    res = Clv(n_boot=50, n_draws=10).train(wh)
    rec = res.record
    assert rec["model_choice"]["requested"] == "auto" and res.model is not None
    assert type(res.model) is CANDIDATES[rec["model"]["name"]]
    assert {"matrix", "cohorts", "tracking"} <= set(rec["curves"])
    scores = Clv(n_draws=10).score(wh)
    assert scores["model"].nunique() == 1 and scores["model"].iloc[0] in CANDIDATES
    forced = Clv(model="pareto_nbd", n_draws=10).score(wh)
    assert (forced["model"] == "pareto_nbd").all()
    assert isinstance(forced, pd.DataFrame)
