"""Uplift: metrics against scikit-uplift's definitions, learners, the choice, the CLI and the warehouse use case."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nomagic.cli import main
from nomagic.lifecycle.record import validate
from nomagic.usecases.uplift.learners import AutoUplift, UpliftModel, load_uplift_model
from nomagic.usecases.uplift.metrics import bootstrap_uplift, qini_auc, qini_curve, uplift_at, uplift_auc


def _toy(n=400, seed=7):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, n)
    x = rng.random(n)
    y = (rng.random(n) < 0.2 + 0.3 * t * x).astype(int)
    s = np.round(x + rng.normal(0, 0.3, n), 2)  # with ties
    return y, s, t


def test_metrics_equal_scikit_uplift_values():
    # reference values computed once with scikit-uplift 0.5.1 on this seeded data (ties included)
    y, s, t = _toy()
    assert qini_auc(y, s, t) == pytest.approx(0.060938938055868495, abs=1e-12)
    assert uplift_auc(y, s, t) == pytest.approx(0.065905663092131, abs=1e-12)


def test_perfect_and_reversed_rankings():
    y, _, t = _toy(2000, 1)
    perfect = y * t - y * (1 - t)
    assert qini_auc(y, perfect, t) == pytest.approx(1.0)
    assert qini_auc(y, -perfect, t) < 0
    assert np.isnan(uplift_at(y, perfect, t, 0.1))  # the top 10 % holds no control row: no rate to compare


def test_uplift_at_k_is_the_rate_difference_in_the_top_share():
    y = np.array([1, 0, 1, 0, 0, 0, 1, 0, 0, 0])
    t = np.array([1, 0, 1, 1, 0, 1, 0, 0, 1, 0])
    s = np.arange(10, 0, -1).astype(float)
    # top 40 %: rows 0-3 -> treated rows 0, 2, 3 (2 of 3 respond), control row 1 (0 of 1)
    assert uplift_at(y, s, t, 0.4) == pytest.approx(2 / 3)


def test_bootstrap_is_paired_and_keeps_group_sizes():
    y, s, t = _toy(3000, 3)
    res = bootstrap_uplift(y, t, {"model": s, "baseline": np.zeros_like(s) + np.arange(s.size) * 1e-9}, n_boot=200)
    assert res["model"]["qini_auc"]["ci"][0] <= res["model"]["qini_auc"]["value"] <= res["model"]["qini_auc"]["ci"][1]
    assert res["improvement"]["qini_auc"]["ci"][0] > 0  # the informative score beats an arbitrary order


def test_qini_curve_runs_from_zero_to_the_total_effect():
    y, s, t = _toy(1000, 5)
    c = qini_curve(y, s, t)
    assert c["qini"][0] == 0 and c["share"][-1] == 1.0
    assert c["qini"][-1] == pytest.approx(c["random"][-1])


def _experiment(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.random(n), "b": rng.choice(["x", "y", "z"], n), "noise": rng.normal(size=n)})
    t = rng.integers(0, 2, n)
    tau = 0.25 * X["a"].to_numpy() - 0.05 * (X["b"] == "z").to_numpy()
    y = (rng.random(n) < 0.1 + t * np.clip(tau, -0.1, None) + 0.1).astype(int)
    return X, t, y, tau


@pytest.mark.parametrize("learner", ["s", "t", "x", "transformed", "class"])
@pytest.mark.parametrize("base", ["logistic", "lightgbm"])
def test_every_learner_finds_the_effect(learner, base):
    X, t, y, tau = _experiment()
    u = UpliftModel(learner, base).fit(X, t, y).predict_uplift(X)
    # the outcome transformations learn from a much noisier target; over trees, on 3,000 rows, they find less
    noisy = learner in ("transformed", "class") and base == "lightgbm"
    assert np.corrcoef(u, tau)[0, 1] > (0.5 if noisy else 0.6)


def test_auto_uplift_chooses_inside_training_and_saves_without_pickle(tmp_path):
    X, t, y, tau = _experiment()
    auto = AutoUplift().fit(X, t, y)
    assert len(auto.scores_) == 16 and "cross-validated Qini (mean of 2 repeats)" in auto.choice_words_
    assert {"class/logistic", "s/logistic-strong", "class/lightgbm"} <= set(auto.scores_)
    # the mean of the best three by cross-validated Qini, refit on all rows
    best = sorted(auto.scores_, key=auto.scores_.get, reverse=True)[:3]
    assert [m.name for m in auto.chosen_.members] == best
    [path] = auto.chosen_.save(tmp_path)
    assert path.suffix == ".json"
    again = load_uplift_model(tmp_path)
    assert [m.C for m in again.members] == [m.C for m in auto.chosen_.members]
    assert np.allclose(again.predict_uplift(X), auto.predict_uplift(X))
    single = auto.chosen_.members[0]
    single.save(tmp_path)
    assert np.allclose(UpliftModel.load(tmp_path).predict_uplift(X), single.predict_uplift(X))


def test_class_transformation_weights_unequal_groups():
    # 80 % treated (as in the simulated campaigns): the group weights keep P(z=1|x) = (1 + tau) / 2
    rng = np.random.default_rng(4)
    n = 20000
    X = pd.DataFrame({"a": rng.random(n)})
    t = (rng.random(n) < 0.8).astype(int)
    tau = 0.3 * X["a"].to_numpy()
    y = (rng.random(n) < 0.2 + t * tau).astype(int)
    u = UpliftModel("class", "logistic").fit(X, t, y).predict_uplift(X)
    assert abs(u.mean() - tau.mean()) < 0.03 and np.corrcoef(u, tau)[0, 1] > 0.9


def _write_experiment(path, n=3000, seed=0):
    X, t, y, _ = _experiment(n, seed)
    df = X.assign(arm=np.where(t == 1, "mail", "ctrl"), bought=np.where(y == 1, "yes", "no"))
    df.loc[:99, "arm"] = "sms"  # a third arm, left out
    df.to_csv(path, index=False)
    return df


def test_cli_evaluate_uplift_writes_a_valid_record(tmp_path):
    data = tmp_path / "exp.csv"
    _write_experiment(data)
    out = tmp_path / "r.json"
    main(
        [
            "evaluate",
            "uplift",
            "--data",
            str(data),
            "--treatment",
            "arm=mail",
            "--control",
            "ctrl",
            "--label",
            "bought",
            "--bootstrap",
            "100",
            "--json",
            str(out),
        ]
    )
    record = validate(json.loads(out.read_text()))
    assert {"qini_auc", "uplift_auc", "uplift_at_30"} <= set(record["metrics"]["model"])
    assert record["metrics"]["model"]["qini_auc"]["value"] > 0.1
    assert any("other arms" in w for w in record["warnings"])


@pytest.mark.parametrize(
    "args, words",
    [
        (["--treatment", "arm"], "COLUMN=VALUE"),
        (["--treatment", "arm=post"], "no value 'post'"),
        (["--treatment", "nope=mail"], "no column 'nope'"),
        (["--treatment", "arm=mail", "--drop", "zzz"], "no column 'zzz'"),
    ],
)
def test_cli_bad_input_exits_2_and_says_why(tmp_path, capsys, args, words):
    data = tmp_path / "exp.csv"
    _write_experiment(data, n=600)
    base = ["evaluate-uplift", "--data", str(data), "--control", "ctrl", "--label", "bought"]
    with pytest.raises(SystemExit) as e:
        main(base + args)
    assert e.value.code == 2
    assert words in capsys.readouterr().err.replace("\n", " ")


def test_a_leaking_outcome_column_is_refused(tmp_path, capsys):
    data = tmp_path / "exp.csv"
    df = _write_experiment(data, n=2000)
    df["spend"] = np.where(df["bought"] == "yes", 30.0, 0.0)
    df.to_csv(data, index=False)
    with pytest.raises(SystemExit) as e:
        main(
            [
                "evaluate-uplift",
                "--data",
                str(data),
                "--treatment",
                "arm=mail",
                "--control",
                "ctrl",
                "--label",
                "bought",
            ]
        )
    assert e.value.code == 2
    assert "--drop" in capsys.readouterr().err


def test_warehouse_use_case_on_a_small_world(wh):
    from nomagic.simulate import simulate
    from nomagic.usecases.uplift import Uplift

    simulate(wh, customers=2500, days=400, seed=3)
    uc = Uplift(n_boot=100, test_days=60, train_days=120)
    ev = uc.evaluate(wh)
    record = validate(ev.record)
    assert record["verdict"] in ("promoted", "not better than baseline")
    assert record["split"]["kind"] == "time" and record["split"]["test_rows"] > 500
    # every test message was sent after every training message's month began: a time split
    assert pd.Timestamp(record["split"]["test_from"]) > pd.Timestamp(record["split"]["train_from"])
    # messages to customers who did not exist at the feature date are counted and said, not lost silently
    sent = wh.table("messages").count().execute()
    left_out = [w for w in record.get("warnings") or [] if "were left out" in w]
    assert left_out and sum(int(w.split()[0].replace(",", "")) for w in left_out) < sent
    scores = uc.score(wh)
    assert {"customer_id", "uplift", "rank", "contact", "sleeping_dog"} <= set(scores.columns)
    assert scores["contact"].sum() <= round(0.3 * len(scores))
    assert not scores.loc[scores["contact"], "sleeping_dog"].any()


def test_the_report_draws_the_qini_curves():
    pytest.importorskip("altair")
    pytest.importorskip("vl_convert")
    from nomagic import report
    from nomagic.report import charts
    from nomagic.usecases.uplift.evaluate import evaluate_frames

    X, t, y, _ = _experiment()
    ev = evaluate_frames(
        X[:1500],
        t[:1500],
        y[:1500],
        X[1500:],
        t[1500:],
        y[1500:],
        data={"source": "toy"},
        split={"kind": "given-test"},
        n_boot=50,
    )
    assert [name for name, _ in charts.use_case_charts(ev.record)] == ["qini"]
    html = report.render([ev.record])
    assert "Qini curve" in html and html.count("<svg") == 1
