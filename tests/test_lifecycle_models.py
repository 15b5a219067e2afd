"""The model, the baselines, the preprocessing and the explanations."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nomagic.errors import InputError, NotReadyError
from nomagic.lifecycle import explain as ex
from nomagic.lifecycle.metrics import ece, roc_auc
from nomagic.lifecycle.models import (
    AutoClassifier,
    BestColumnBaseline,
    ScoreBaseline,
    baseline_from_dict,
    inner_folds,
)
from nomagic.lifecycle.tabular import TabularPreprocessor, binary_label, text_numbers


def _table(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "plus", "pro"], n)
    tenure = rng.integers(1, 72, n)
    spend = rng.gamma(2, 30, n)
    logit = -1 + 1.2 * (plan == "basic") - 0.04 * tenure + 0.01 * spend
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df = pd.DataFrame(
        {
            "plan": plan,
            "tenure": tenure,
            # numbers stored as text, with blanks, like Telco's TotalCharges
            "total": [" " if i % 97 == 0 else f"{v:.2f}" for i, v in enumerate(spend * tenure)],
            "spend": spend,
        }
    )
    return df, y


def test_text_numbers_and_blanks():
    mixed = text_numbers(pd.Series(["1.5", " ", "3", None, "4,5"]))
    assert mixed.iloc[0] == 1.5 and mixed.isna().tolist() == [False, True, False, True, True]
    s = pd.Series(["1.5", " ", "3", None, "2"])
    assert text_numbers(s).tolist()[0] == 1.5 and np.isnan(text_numbers(s).tolist()[1])
    assert text_numbers(pd.Series(["1,5", "2,25"])).tolist() == [1.5, 2.25]
    assert text_numbers(pd.Series(["a", "b"])) is None


def test_binary_label_reads_yes_no_and_asks_otherwise():
    y, pos = binary_label(pd.Series(["No", "Yes", "No "]))
    assert pos == "Yes" and y.tolist() == [0, 1, 0]
    y, pos = binary_label(pd.Series([0, 1, 1]))
    assert y.tolist() == [0, 1, 1]
    with pytest.raises(InputError, match="--positive"):
        binary_label(pd.Series(["gold", "silver"]))
    assert binary_label(pd.Series(["gold", "silver"]), "gold")[0].tolist() == [1, 0]
    with pytest.raises(InputError, match="blank"):
        binary_label(pd.Series(["Yes", None]), column="Churn")


def test_preprocessor_handles_unseen_levels_and_round_trips():
    df, _ = _table(300)
    pre = TabularPreprocessor().fit(df)
    kinds = {p.name: p.kind for p in pre.plans_}
    assert kinds == {"plan": "categorical", "tenure": "numeric", "total": "numeric", "spend": "numeric"}
    new = df.head(3).copy()
    new["plan"] = ["enterprise", None, "basic"]  # unseen and blank
    L = pre.linear_matrix(new)
    assert np.isfinite(L).all()
    again = TabularPreprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    np.testing.assert_array_equal(again.linear_matrix(new), L)
    np.testing.assert_array_equal(again.tree_matrix(new), pre.tree_matrix(new))
    with pytest.raises(InputError, match="lacks the column"):
        pre.linear_matrix(new.drop(columns=["spend"]))


def test_auto_classifier_learns_calibrates_and_explains(tmp_path):
    df, y = _table()
    clf = AutoClassifier(max_trees=300).fit(df.iloc[:900], y[:900])
    p = clf.predict_proba(df.iloc[900:])[:, 1]
    assert roc_auc(y[900:], p) > 0.7
    assert clf.choice_.kind in ("logistic", "lightgbm", "blend")
    assert "chosen by" in clf.choice_.describe()
    # contributions add up to the calibrated log-odds
    C, bias = clf.contributions(df.iloc[900:])
    np.testing.assert_allclose(C.to_numpy().sum(axis=1) + bias, clf.decision_function(df.iloc[900:]), atol=1e-6)
    assert list(C.columns) == ["plan", "tenure", "total", "spend"]
    # saved as JSON (+ LightGBM text), loaded back identical; nothing pickled
    paths = clf.save(tmp_path)
    for path in paths:
        assert path.suffix in (".json", ".txt")
        assert not path.read_bytes().startswith(b"\x80")
    back = AutoClassifier.load(tmp_path)
    np.testing.assert_allclose(back.predict_proba(df.iloc[900:])[:, 1], p, atol=1e-9)


def test_auto_classifier_refit_matches_the_shrinkage_calibration_saw():
    """The validation fits get the refit's penalty per row, so the calibration learnt from their
    out-of-fold predictions fits the refit. (With the same C the smaller fits were shrunk more and,
    under a strong penalty, the map over-stretched the refit: ECE about 0.06 on fresh rows where the
    sampling floor is about 0.014.)"""
    rng = np.random.default_rng(0)
    x = rng.normal(size=20000)
    y = (rng.random(20000) < 1 / (1 + np.exp(1 - 1.5 * x))).astype(int)
    df = pd.DataFrame({"x": x})
    clf = AutoClassifier(candidates=("logistic",), Cs=(0.0003,)).fit(df.iloc[:3000], y[:3000])
    assert clf.choice_.calibration[0] > 5  # the shrunk regression's log-odds are stretched back
    p = clf.predict_proba(df.iloc[3000:])[:, 1]
    assert ece(y[3000:], p) < 0.025


def test_auto_classifier_logistic_only_and_errors():
    df, y = _table(400)
    clf = AutoClassifier(candidates=("logistic",)).fit(df, y)
    assert clf.choice_.kind == "logistic" and clf.booster_ is None
    with pytest.raises(NotReadyError, match="both outcomes"):
        AutoClassifier().fit(df, np.zeros(len(df)))
    with pytest.raises(InputError, match="candidates"):
        AutoClassifier(candidates=("svm",)).fit(df, y)
    with pytest.raises(InputError, match="not fitted"):
        AutoClassifier().predict_proba(df)


def test_inner_folds_in_time_respect_the_gap():
    t = np.repeat(pd.date_range("2024-01-01", periods=8, freq="30D").to_numpy(), 100)
    y = np.tile([0, 1], 400)
    folds = inner_folds(y, time=t, n_folds=3, gap="90D")
    assert len(folds) == 3
    for tr, va in folds:
        assert len(np.unique(t[va])) == 1
        assert t[tr].max() <= t[va][0] - np.timedelta64(90, "D")
    # continuous time: the latest 10 % blocks in turn, each trained on everything earlier
    t2 = pd.date_range("2024-01-01", periods=1000, freq="6h").to_numpy()
    folds = inner_folds(np.tile([0, 1], 500), time=t2, n_folds=3)
    assert [len(va) for _, va in folds] == [100, 100, 100]
    assert all(t2[tr].max() < t2[va].min() for tr, va in folds)
    # without time: stratified folds covering every row once
    folds = inner_folds(y, n_folds=3)
    assert sorted(np.concatenate([va for _, va in folds]).tolist()) == list(range(800))


def test_score_baseline_is_monotone_and_keeps_its_order():
    x = pd.DataFrame({"recency": np.arange(200, dtype=float)})
    y = (np.random.default_rng(0).random(200) < np.linspace(0.05, 0.9, 200)).astype(int)
    b = ScoreBaseline("recency").fit(x, y)
    p = b.predict_proba(x)[:, 1]
    assert (np.diff(p) > 0).all()  # strictly increasing: the rule's ranking is kept
    again = baseline_from_dict(json.loads(json.dumps(b.to_dict())))
    np.testing.assert_allclose(again.predict_proba(x)[:, 1], p)


def test_best_column_baseline_picks_the_signal():
    df, y = _table()
    b = BestColumnBaseline().fit(df, y)
    assert b.column_ in ("plan", "tenure", "total")
    assert max(b.validation_.values()) == b.validation_[b.column_]
    assert roc_auc(y, b.predict_proba(df)[:, 1]) > 0.6
    forced = BestColumnBaseline(column="spend").fit(df, y)
    assert forced.column_ == "spend"
    back = baseline_from_dict(json.loads(json.dumps(b.to_dict())))
    np.testing.assert_allclose(back.predict_proba(df)[:, 1], b.predict_proba(df)[:, 1])


def test_reasons_in_plain_words_and_families():
    C = pd.DataFrame({"recency_days": [1.5, -0.2, 0.0], "overdue": [0.5, 0.1, 0.0], "orders": [-0.3, -1.0, 0.0]})
    V = pd.DataFrame({"recency_days": [94.0, 3.0, 10.0], "overdue": [3.0, 0.2, 1.0], "orders": [1.0, 12.0, 2.0]})
    texts = {"recency_days": ex.FeatureText("days since the last order", "no order for {value:.0f} days")}
    r = ex.reasons(C, V, texts, ex.Words("risk up", "risk down"), k=2)
    assert r.iloc[0].tolist() == ["risk up: no order for 94 days", "risk up: overdue = 3"]
    assert r.iloc[1, 0] == "risk down: orders = 12"
    assert r.iloc[2].isna().all()  # no contribution, no reason
    fam = ex.reasons(C, V, texts, k=2, families={"recency_days": "recency", "overdue": "recency"})
    assert fam.iloc[0].tolist() == ["risk up: no order for 94 days", "risk down: orders = 1"]
    drivers = ex.global_drivers(C, V, texts)
    assert drivers[0]["feature"] == "recency_days" and abs(sum(d["share"] for d in drivers) - 1) < 1e-3
