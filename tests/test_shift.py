"""Honest evaluation when the world changes between training and test (``nomagic evaluate --test``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_evaluate import run_cli, write

from nomagic.lifecycle import plain
from nomagic.lifecycle import record as rec
from nomagic.lifecycle import shift as sh
from nomagic.lifecycle.metrics import delong, roc_auc
from nomagic.lifecycle.models import AutoClassifier, BestColumnBaseline, inner_folds
from nomagic.lifecycle.plain import evaluate_table
from nomagic.lifecycle.tabular import TabularPreprocessor


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def broken_rule_world(n=3000, seed=0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows in time order; ``rate`` ranks the outcome well in the first 70 % and the wrong way after.

    ``x1`` predicts the outcome in both parts; a plain logistic regression is the right model, so
    no model can honestly beat it by much, while it beats the broken rule by a lot.
    """
    rng = np.random.default_rng(seed)
    cut = int(0.7 * n)
    x1 = rng.normal(size=n)
    rate = rng.uniform(3, 5, n)
    sign = np.where(np.arange(n) < cut, 1.0, -1.0)
    y = rng.random(n) < _sigmoid(-1.0 + 0.8 * x1 + 2.2 * sign * (rate - 4))
    shop = rng.choice(["north", "south", "east"], n)
    df = pd.DataFrame({"x1": x1.round(4), "rate": rate.round(3), "shop": shop, "y": y.astype(int)})
    return df.iloc[:cut].reset_index(drop=True), df.iloc[cut:].reset_index(drop=True)


def test_a_rule_below_chance_is_flagged_and_never_promotes_a_model():
    train, test = broken_rule_world()
    res = evaluate_table(train, test=test, label="y", n_boot=300)
    r = rec.validate(res.record)
    refs = r["baseline"]["references"]
    # the rule chosen inside the training rows is `rate`, and on the test file it points the wrong way
    assert "'rate'" in refs["rule"]["description"]
    assert refs["rule"]["below_chance"] and refs["rule"]["roc_auc"]["ci"][1] < 0.5
    assert any("points the wrong way" in w and "'rate'" in w for w in r["warnings"])
    # against the broken rule the model would look like a clear win ...
    assert refs["rule"]["improvement"]["ci"][0] > 0.05
    # ... but the gate decides against the stronger reference, the plain logistic regression
    assert r["baseline"]["decisive"] == "plain_logistic"
    assert r["metrics"]["baseline"]["roc_auc"] == refs["plain_logistic"]["roc_auc"]
    assert r["verdict"] == "not better than baseline"
    assert "plain logistic regression" in r["explanation"]
    p = res.predictions
    assert np.allclose(p["baseline_score"], p["plain_logistic_score"])
    assert roc_auc(p["label"], p["rule_score"]) < 0.5


def test_ordered_validation_is_forward_end_to_end(tmp_path, monkeypatch):
    """--ordered: no validation row (model or rule) and no judged row precedes a row it learned from."""
    seen: dict[str, list] = {"model": [], "rule": []}

    class Spy(AutoClassifier):
        def fit(self, X, y, **kw):
            super().fit(X, y, **kw)
            seen["model"].extend(self.validation_folds_)
            return self

    real_fit = BestColumnBaseline.fit

    def rule_fit(self, X, y, **kw):
        seen["rule"].extend(kw.get("folds") or [])
        return real_fit(self, X, y, **kw)

    monkeypatch.setattr(plain, "AutoClassifier", Spy)
    monkeypatch.setattr(BestColumnBaseline, "fit", rule_fit)
    train, _ = broken_rule_world(2000, seed=3)
    res = evaluate_table(train, label="y", ordered=True, n_boot=100)
    r = res.record
    assert r["split"]["kind"] == "time-rolling" and r["split"]["ordered"] and r["split"]["validation"] == "forward"
    assert len(seen["model"]) >= 3 and seen["rule"]
    for tr, va in seen["model"] + seen["rule"]:
        assert tr.max() < va.min()  # every validation row comes after every training row
    # the judged rows: the latest 30 %, each block after everything its model learned from
    p = res.predictions
    blocks = [rows.to_numpy() for _, rows in p.groupby("fold")["row"]]
    assert len(blocks) == 3 and blocks[0].min() >= 0.69 * len(train)
    assert all(a.max() < b.min() for a, b in zip(blocks, blocks[1:], strict=False))  # later blocks come later
    assert all("chosen by 3 time-ordered validation fold(s)" in d for d in r["model"]["description"])


def test_row_order_as_time_in_the_inner_folds():
    y = np.tile([0, 1, 1, 0, 1], 200)
    folds = inner_folds(y, time=np.arange(len(y)), n_folds=3)
    assert len(folds) == 3
    assert all(tr.max() < va.min() for tr, va in folds)
    with pytest.raises(Exception, match="gap"):
        inner_folds(y, time=np.arange(len(y)), gap="30D")


def shifted_world(n=4000, seed=0, covariate=True, prior=True):
    """Train and test files; the test file's customers and outcome rate moved (optionally)."""
    rng = np.random.default_rng(seed)

    def part(m, later: bool):
        age = rng.normal(45 + (12 if later and covariate else 0), 10, m)
        channel = rng.choice(["mail", "phone", "web"], m, p=[0.2, 0.2, 0.6] if later and covariate else [0.5, 0.3, 0.2])
        visits = rng.poisson(3, m)
        z = -2.2 + 0.04 * (age - 45) + 0.3 * visits + 0.5 * (channel == "web") + (1.2 if later and prior else 0)
        y = rng.random(m) < _sigmoid(z)
        return pd.DataFrame(
            {"age": age.round(1), "channel": channel, "visits": visits, "bought": np.where(y, "yes", "no")}
        )

    return part(n, False), part(n // 3, True)


def test_a_different_world_is_seen_and_said(tmp_path, capsys):
    train, test = shifted_world()
    d, t = write(tmp_path, "first.csv", train), write(tmp_path, "last.csv", test)
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    code = run_cli(
        "evaluate", "propensity", "--data", d, "--test", t, "--label", "bought",
        "--json", str(out), "--html", str(html), "--bootstrap", "200", "--skip-check",
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    r = rec.read(out)
    s = r["shift"]
    assert s["large"] and s["domain_classifier"]["roc_auc"]["value"] >= sh.DOMAIN_AUC_LARGE
    top = [c["column"] for c in s["domain_classifier"]["columns"][:2]]
    assert set(top) == {"age", "channel"}
    assert s["prior"]["shifted"] and s["prior"]["difference"]["ci"][0] > 0
    assert {c["column"] for c in s["columns"] if c["psi"] >= sh.PSI_LARGE} >= {"age", "channel"}
    assert r["split"]["validation"] == "most-test-like"
    assert r["split"]["choice_rule"].startswith("the world moves")  # the classic, wider one-standard-error rule
    assert all("standard error of the difference" not in d for d in r["model"]["description"])
    assert any(w.startswith("The test file comes from a different world") for w in r["warnings"])
    assert any("positive rate differs" in w for w in r["warnings"])
    # the CLI says it before the verdict, the report carries it
    assert "Same world?" in text and text.index("comes from a different world") < text.index("Reality check")
    page = html.read_text()
    assert page.index("comes from a different world") < page.index("Compared on the")  # said before the verdict
    assert "Prior correction" in page and "References" in page
    # the customers changed, not only the rate: no rate can be read off the scores, and it says so
    c = r["prior_correction"]
    assert c["estimated_rate"] is None and "--expected-rate" in c["how"]
    assert any("Calibration on the test file" in w and "not moved to a new rate" in w for w in r["warnings"])


def label_shift_world(n, rate, seed):
    """Each outcome's customers look the same at any rate: only the mix moves."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < rate
    visits = rng.poisson(np.where(y, 5, 2))
    spend = rng.gamma(2.0, np.where(y, 60, 30))
    channel = np.where(rng.random(n) < np.where(y, 0.6, 0.3), "web", "mail")
    return pd.DataFrame({"visits": visits, "spend": spend.round(2), "channel": channel, "bought": y.astype(int)})


def test_a_moved_rate_is_estimated_and_corrected():
    train, test = label_shift_world(6000, 0.1, 0), label_shift_world(3000, 0.35, 1)
    res = evaluate_table(train, test=test, label="bought", n_boot=200)
    r = res.record
    c = r["prior_correction"]
    assert r["shift"]["prior"]["shifted"]
    assert c["estimated_rate"] == pytest.approx(0.35, abs=0.04) and c["used_rate"] == c["estimated_rate"]
    assert c["corrected"]["ece"]["value"] < c["raw"]["ece"]["value"] / 2
    assert c["improvement"]["ece"]["ci"][0] > 0
    assert any("Calibration error" in w and "moved to that rate" in w for w in r["warnings"])


def test_the_same_world_raises_no_alarm():
    train, test = shifted_world(covariate=False, prior=False, seed=1)
    res = evaluate_table(train, test=test, label="bought", n_boot=100)
    s = res.record["shift"]
    assert not s["large"] and s["domain_classifier"]["roc_auc"]["value"] < 0.6
    assert not s["prior"]["shifted"]
    assert not any("different world" in w or "positive rate differs" in w for w in res.record["warnings"])
    assert res.record["split"]["validation"] == "k-fold"
    assert res.record["split"]["choice_rule"].startswith("no sign that the world moves")


def test_a_time_ordered_file_gets_the_suggestion():
    train, _ = shifted_world(3000, seed=2)
    drifting = pd.concat([train, shifted_world(9000, seed=4)[1]], ignore_index=True)  # the last half moved
    res = evaluate_table(drifting, label="bought", n_boot=100)
    assert any("--ordered" in w for w in res.record["warnings"])
    shuffled = drifting.sample(frac=1.0, random_state=0).reset_index(drop=True)
    res = evaluate_table(shuffled, label="bought", n_boot=100)
    assert not any("--ordered" in w for w in res.record["warnings"])


def test_expected_rate_moves_the_probabilities():
    train, test = shifted_world(covariate=False, prior=True, seed=5)
    res = evaluate_table(train, test=test, label="bought", expected_rate=0.4, n_boot=100)
    c = res.record["prior_correction"]
    assert c["used_rate"] == 0.4 and c["how"].startswith("given")
    p = res.predictions
    assert (p["score_prior_corrected"] > p["score"]).all()  # moved up towards 40 %
    assert roc_auc(p["label"], p["score_prior_corrected"]) == pytest.approx(roc_auc(p["label"], p["score"]))
    with pytest.raises(Exception, match="--test"):
        evaluate_table(train, label="bought", expected_rate=0.4)
    with pytest.raises(Exception, match="between 0 and 1"):
        evaluate_table(train, test=test, label="bought", expected_rate=30)


def test_the_rate_of_unlabelled_rows_under_a_pure_label_shift():
    rng = np.random.default_rng(0)

    def draw(n, rate):  # each outcome's customers look the same at any rate
        y = rng.random(n) < rate
        x = rng.normal(np.where(y, 1.5, 0.0), 1.0)
        lr = 0.1 / 0.9 * np.exp(1.5 * x - 1.125)
        return y, lr / (1 + lr)  # calibrated at a 10 % rate

    y_valid, p_valid = draw(5000, 0.1)
    _, p_test = draw(20000, 0.35)
    assert sh.estimate_rate(p_test, y_valid, p_valid) == pytest.approx(0.35, abs=0.03)
    assert sh.move_prior(np.array([0.1]), 0.1, 0.5)[0] == pytest.approx(0.5)


def test_delong_agrees_with_the_bootstrap():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 1500)
    s = np.vstack([y + rng.normal(size=1500), 0.6 * y + rng.normal(size=1500)])
    aucs, cov = delong(y, s)
    assert aucs == pytest.approx([roc_auc(y, s[0]), roc_auc(y, s[1])])
    draws = []
    for _ in range(400):
        i = rng.integers(0, 1500, 1500)
        draws.append(roc_auc(y[i], s[0][i]) - roc_auc(y[i], s[1][i]))
    assert np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]) == pytest.approx(np.std(draws), rel=0.2)


def test_one_standard_error_rule_prefers_the_simpler_model():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=1500), "b": rng.normal(size=1500)})
    y = (rng.random(1500) < _sigmoid(X.a - 0.5 * X.b)).astype(int)  # a linear world
    clf = AutoClassifier(max_trees=300).fit(X, y)
    c = clf.choice_
    assert c.kind == "logistic"
    best = c.validation[c.best]
    assert c.validation["w=0.0"] >= best - max(c.noise, 0.001)


def test_the_classic_rule_is_wider_than_the_paired_one():
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(size=3000)})
    y = (rng.random(3000) < _sigmoid(X.a + 1.2 * np.sin(2 * X.b))).astype(int)  # a bend only trees find
    paired = AutoClassifier(max_trees=300).fit(X, y).choice_
    classic = AutoClassifier(max_trees=300, noise="best").fit(X, y).choice_
    assert classic.noise > paired.noise and classic.weight <= paired.weight
    assert classic.noise_kind == "best" and "standard error of the difference" not in classic.describe()
    with pytest.raises(Exception, match="noise"):
        AutoClassifier(noise="loud").fit(X, y)


def test_the_linear_model_does_not_extrapolate():
    X = pd.DataFrame({"rate": np.linspace(4.0, 5.0, 100)})
    pre = TabularPreprocessor().fit(X)
    far = pre.linear_matrix(pd.DataFrame({"rate": [0.5, 4.0, 9.0, 5.0]}))
    assert np.allclose(far[0], far[1]) and np.allclose(far[2], far[3])
    back = TabularPreprocessor.from_dict(pre.to_dict())
    assert np.allclose(back.linear_matrix(pd.DataFrame({"rate": [0.5]})), far[0])
