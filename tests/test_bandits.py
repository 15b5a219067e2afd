"""Bandit policies, the stopping rule, off-policy evaluation, decision logging and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nomagic.errors import InputError
from nomagic.usecases.bandits import (
    UCB1,
    EpsilonGreedy,
    LinearThompsonSampling,
    LinUCB,
    ThompsonSampling,
    off_policy_value,
    stopping_rule,
)
from nomagic.usecases.bandits.log import log_decisions
from nomagic.usecases.bandits.policies import DEFAULT_EXPLORATION
from nomagic.usecases.bandits.sim import BernoulliWorld, reward_tape, run_bandit, run_logged

# --------------------------------------------------------------------------- policies


def _trained(cls, rng, contextual=False, **kw):
    arms = ["A", "B", "C", "D"]
    pol = cls(arms, seed=0, **kw)
    n = 300
    acts = rng.choice(arms, n)
    rewards = (rng.random(n) < np.where(acts == "B", 0.6, 0.1)).astype(float)
    X = rng.standard_normal((n, 2)) if contextual else None
    return pol.fit(acts, rewards, X), X


@pytest.mark.parametrize(
    "cls,contextual",
    [(ThompsonSampling, False), (UCB1, False), (EpsilonGreedy, False), (LinearThompsonSampling, True), (LinUCB, True)],
)
def test_propensities_sum_to_one_and_respect_the_floor(cls, contextual):
    rng = np.random.default_rng(1)
    pol, X = _trained(cls, rng, contextual)
    ctx = rng.standard_normal((20, 2)) if contextual else None
    P = pol.predict_proba(ctx, n=20)
    assert P.shape == (20, 4)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert P.min() >= pol.floor_ - 1e-12
    assert pol.floor_ > 0
    d = pol.decide(ctx[0] if contextual else None)
    assert d.propensity == pytest.approx(d.probabilities[d.action])
    assert d.propensity >= pol.floor_ - 1e-12


def test_the_learned_arm_gets_most_of_the_traffic_but_others_keep_their_floor():
    pol, _ = _trained(ThompsonSampling, np.random.default_rng(2))
    p = pol.probabilities()
    assert p[pol.arms_.index("B")] > 0.9
    assert p.min() == pytest.approx(pol.floor_, abs=1e-9)  # the losers sit at the floor: exploration / 4 arms


def test_exploration_of_zero_is_refused():
    with pytest.raises(InputError, match="propensities"):
        ThompsonSampling(["A", "B"], exploration=0.0).fit(["A"], [1])


def test_thompson_sampling_converges_to_the_best_arm():
    world = BernoulliWorld([0.03, 0.08, 0.05])
    ts = ThompsonSampling(3, seed=0)
    out = run_bandit(ts, world, horizon=6000, seed=0)
    assert out["pulls"][1] / 6000 > 0.8
    assert ts.prob_best()[1] > 0.95
    # less regret than epsilon-greedy on average over seeds (paired: the same reward tape per seed);
    # single seeds go either way
    ts_r = [run_bandit(ThompsonSampling(3, seed=s), world, 6000, seed=s)["regret"][-1] for s in range(10)]
    eg_r = [run_bandit(EpsilonGreedy(3, epsilon=0.1, seed=s), world, 6000, seed=s)["regret"][-1] for s in range(10)]
    assert np.mean(ts_r) < np.mean(eg_r)


def test_simulated_policies_share_their_random_rewards():
    # common random numbers: the n-th pull of arm k gives tape[k, n], whichever policy pulls it
    world = BernoulliWorld([0.2, 0.5, 0.4])
    tape = reward_tape(world, 500, seed=3)
    for pol in (ThompsonSampling(3, seed=1), EpsilonGreedy(3, epsilon=0.2, seed=2)):
        out = run_bandit(pol, world, horizon=500, seed=3)
        for k in range(3):
            got = out["rewards"][out["actions"] == k]
            np.testing.assert_array_equal(got, tape[k, : got.size])
    a = run_bandit(ThompsonSampling(3, seed=1), world, horizon=500, seed=3)
    b = run_bandit(ThompsonSampling(3, seed=1), world, horizon=500, seed=3)
    np.testing.assert_array_equal(a["regret"], b["regret"])


def test_logged_runs_keep_every_propensity_at_or_above_the_floor():
    world = BernoulliWorld([0.02, 0.08, 0.05])
    ts = ThompsonSampling(3, exploration=0.02, n_draws=1000, seed=0)
    out = run_logged(ts, world, horizon=3000, seed=0, wave=100)
    assert out["propensities"].min() >= ts.floor_ - 1e-12
    assert out["propensities"].max() <= 1
    assert out["pulls"].sum() == 3000 and out["pulls"][1] == out["pulls"].max()
    assert np.all(np.diff(out["regret"]) >= 0)


def test_the_default_exploration_is_shared():
    assert ThompsonSampling(2).exploration == DEFAULT_EXPLORATION
    assert UCB1(2).exploration == DEFAULT_EXPLORATION
    assert 0 < DEFAULT_EXPLORATION <= 0.05


def test_thompson_rejects_rewards_outside_zero_one():
    with pytest.raises(InputError, match="between 0 and 1"):
        ThompsonSampling(["A", "B"]).fit(["A"], [3.0])


# --------------------------------------------------------------------------- stopping rule


def test_stopping_rule_fires_on_a_clear_winner():
    d = stopping_rule([500, 300, 310], [10_000, 10_000, 10_000], arms=["A", "B", "C"])
    assert d.stop and d.best == "A"
    assert d.value_remaining <= 0.01
    assert "Stop" in d.message and "95%" in d.message


def test_stopping_rule_keeps_testing_when_unclear():
    d = stopping_rule([31, 29, 30], [1000, 1000, 1000])
    assert not d.stop
    assert d.value_remaining > 0.01
    assert d.message.startswith("Keep testing")


def test_stopping_rule_parameters_matter():
    s, n = [1030, 1000], [10_000, 10_000]
    assert not stopping_rule(s, n, threshold=0.01).stop
    assert stopping_rule(s, n, threshold=0.5).stop  # accepting a 50 % loss: stop at once
    assert not stopping_rule([500, 300], [10_000, 10_000], min_trials=20_000).stop


# --------------------------------------------------------------------------- off-policy evaluation


def test_ips_is_unbiased_on_a_known_toy():
    # logging policy 0.7 / 0.3 over two arms with rates 0.2 / 0.5; new policy: always arm 1 (true value 0.5)
    est = []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        a = (rng.random(400) < 0.3).astype(int)
        p = np.where(a == 1, 0.3, 0.7)
        r = (rng.random(400) < np.where(a == 1, 0.5, 0.2)).astype(float)
        est.append(off_policy_value(a, p, r, 1, n_boot=0, estimators=("ips",), primary="ips").estimates["ips"]["value"])
    est = np.asarray(est)
    assert abs(est.mean() - 0.5) < 3 * est.std() / np.sqrt(est.size)
    assert abs(est.mean() - 0.5) < 0.01


def test_doubly_robust_is_less_noisy_than_ips_when_the_model_is_good():
    # the new arm was logged rarely (20 %) and the context explains most of the reward
    ips, dr = [], []
    for seed in range(80):
        rng = np.random.default_rng(seed)
        n = 1000
        x = rng.standard_normal(n)
        a = (rng.random(n) < 0.2).astype(int)
        mu = 1 / (1 + np.exp(-(4.0 * x + np.where(a == 1, 0.5, -0.5))))
        r = (rng.random(n) < mu).astype(float)
        p = np.where(a == 1, 0.2, 0.8)
        res = off_policy_value(a, p, r, 1, contexts=x[:, None], reward_model="logistic", n_boot=0)
        ips.append(res.estimates["ips"]["value"])
        dr.append(res.estimates["dr"]["value"])
    assert np.var(dr) < 0.6 * np.var(ips)
    # and it is not biased on the way
    truth = np.mean(1 / (1 + np.exp(-(4.0 * np.random.default_rng(99).standard_normal(400_000) + 0.5))))
    assert abs(np.mean(dr) - truth) < 0.01


def test_intervals_and_verdict():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, 6000)
    r = (rng.random(6000) < np.array([0.1, 0.2, 0.1])[a]).astype(float)
    better = off_policy_value(a, np.full(6000, 1 / 3), r, {1: 1.0}, n_boot=300)
    assert better.better and better.verdict_words() == "better"
    for k, m in better.estimates.items():
        assert m["ci"][0] <= m["value"] <= m["ci"][1], k
    assert better.improvement["dr"]["ci"][0] > 0
    worse = off_policy_value(a, np.full(6000, 1 / 3), r, {0: 1.0}, n_boot=300)
    assert not worse.better and worse.verdict_words() == "worse"
    m = better.metrics()
    assert set(m) == {"model", "baseline", "improvement"} and "value_dr" in m["model"]


@pytest.mark.parametrize(
    "p,match",
    [
        ([0.5, 0.0, 0.5], "row 2, column 'propensity': the propensity is 0"),
        ([0.5, np.nan, 0.5], "row 2, column 'propensity': the propensity is missing"),
        ([0.5, 1.5, 0.5], "cannot exceed 1"),
    ],
)
def test_bad_propensities_are_named(p, match):
    with pytest.raises(InputError, match=match):
        off_policy_value(["A", "B", "A"], p, [1, 0, 1], "A", n_boot=0)


def test_actions_the_logs_never_took_are_refused():
    with pytest.raises(InputError, match="never took"):
        off_policy_value(["A", "B", "A"], [0.5, 0.5, 0.5], [1, 0, 1], {"A": 0.5, "C": 0.5}, n_boot=0)
    with pytest.raises(InputError, match="reward is missing"):
        off_policy_value(["A", "B", "A"], [0.5, 0.5, 0.5], [1, None, 1], "A", n_boot=0)


# --------------------------------------------------------------------------- logging


def test_decisions_are_logged_to_the_canonical_table(wh):
    from nomagic.warehouse.contracts import validate

    ts = ThompsonSampling(["A", "B"], seed=0)
    log_decisions(
        wh,
        [ts.decide() for _ in range(5)],
        use_case="subject_lines",
        model_version="ts-1",
        unit_ids=[f"c{i}" for i in range(5)],
    )
    log_decisions(wh, [ts.decide()], use_case="subject_lines", model_version="ts-1", unit_ids=["c9"], rewards=[1.0])
    df = wh.table("decisions").execute()
    assert len(df) == 6
    assert list(df.columns[:8]) == [
        "decision_id",
        "occurred_at",
        "use_case",
        "unit_id",
        "action",
        "propensity",
        "model_version",
        "reward",
    ]
    assert df["propensity"].between(ts.floor_, 1).all()
    assert df["reward"].isna().sum() == 5
    assert validate(wh, "decisions") == []  # the canonical contract holds


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def logs(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    a = rng.choice(["A", "B"], n)
    r = (rng.random(n) < np.where(a == "B", 0.4, 0.2)).astype(int)
    path = tmp_path / "logs.csv"
    pd.DataFrame({"act": a, "p": 0.5, "y": r}).to_csv(path, index=False)
    return path


def _cli(args):
    import nomagic.cli.bandits  # noqa: F401  (registers the commands)
    from nomagic.cli import main

    with pytest.raises(SystemExit) as exc:
        main(args)
        raise SystemExit(0)
    return exc.value.code


def test_cli_evaluates_a_policy_and_writes_a_record(logs, tmp_path):
    from nomagic.lifecycle.record import read

    out = tmp_path / "rec.json"
    base = ["evaluate-policy", "--logs", str(logs), "--action", "act", "--propensity", "p", "--reward", "y"]
    assert _cli([*base, "--policy", "always:B", "--n-boot", "200", "--json", str(out)]) == 0
    rec = read(out)
    assert rec["use_case"] == "policy" and rec["primary_metric"] == "value_dr"
    assert rec["verdict"] == "promoted"
    assert rec["metrics"]["improvement"]["value_dr"]["ci"][0] > 0
    assert json.loads(out.read_text())["off_policy"]["diagnostics"]["rows"] == 600


def test_cli_bad_input_exits_2_naming_file_line_and_column(logs, tmp_path, capsys):
    df = pd.read_csv(logs)
    df.loc[4, "p"] = 0
    bad = tmp_path / "bad.csv"
    df.to_csv(bad, index=False)
    base = ["evaluate-policy", "--action", "act", "--propensity", "p", "--reward", "y", "--policy", "always:B"]
    assert _cli([*base, "--logs", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "line 6" in err and "'p'" in err
    assert _cli([*base, "--logs", str(tmp_path / "missing.csv")]) == 2
    good = ["evaluate-policy", "--logs", str(logs), "--propensity", "p", "--reward", "y"]
    assert _cli([*good, "--action", "nope", "--policy", "uniform"]) == 2  # no such column
    assert _cli([*good, "--action", "act", "--policy", "always:Z"]) == 2  # an action the logs never took
    assert _cli([*good, "--action", "act", "--policy", "mix:A=0.5,B=0.6"]) == 2  # does not sum to 1


def test_cli_stopping_rule(capsys):
    assert _cli(["bandit-stop", "--successes", "500,300", "--trials", "10000,10000", "--arms", "A,B"]) == 0
    assert "Stop: send variant A" in capsys.readouterr().out
    assert _cli(["bandit-stop", "--successes", "5,x", "--trials", "10,10"]) == 2


# --------------------------------------------------------------------------- contextual and use case


def test_linear_thompson_sampling_learns_the_best_arm_per_context():
    rng = np.random.default_rng(0)
    n = 3000
    X = rng.standard_normal((n, 1))
    a = rng.integers(0, 2, n)
    best = np.where(X[:, 0] > 0, 1, 0)
    r = (rng.random(n) < np.where(a == best, 0.6, 0.2)).astype(float)
    pol = LinearThompsonSampling(2, seed=0).fit(a, r, X)
    P = pol.predict_proba(np.array([[2.0], [-2.0]]))
    assert P[0, 1] > 0.9 and P[1, 0] > 0.9


def test_the_use_case_on_a_small_simulated_world(wh, tmp_path):
    from nomagic.lifecycle.record import validate
    from nomagic.lifecycle.registry import Registry
    from nomagic.simulate import simulate
    from nomagic.usecases.bandits.usecase import Bandits

    simulate(wh, customers=1500, days=400, seed=3)
    res = Bandits(n_boot=200).train(wh)
    rec = validate(res.record)
    assert rec["use_case"] == "bandits" and rec["primary_metric"] == "value_dr"
    assert rec["verdict"] in ("promoted", "not better than baseline")
    assert rec["split"]["kind"] == "within-campaign-time" and rec["split"]["test_rows"] > 0
    imp = rec["metrics"]["improvement"]["value_dr"]
    assert imp["ci"][0] <= imp["value"] <= imp["ci"][1]
    for c in rec["model"]["campaigns"]:
        assert abs(sum(c["policy"].values()) - 1) < 1e-3 and min(c["policy"].values()) >= DEFAULT_EXPLORATION / 3 - 1e-3
    # the promoted thing is the policy: registered with its settings, champion when ready
    version = Registry(tmp_path / "registry").register(res)
    assert version.status == "champion" and (version.folder / "policy.json").exists()


def test_the_use_case_is_not_ready_without_tests(wh):
    import pandas as pd

    from nomagic.usecases.bandits.usecase import Bandits

    wh.write(
        "messages",
        pd.DataFrame(
            {
                "message_id": ["M1", "M2", "M3"],
                "campaign_id": ["E1"] * 3,
                "sent_at": pd.to_datetime(["2024-01-01"] * 3),
                "variant": ["A", "A", "A"],
                "in_control": [False] * 3,
                "opened_at": pd.to_datetime([None, None, None]),
                "clicked_at": pd.to_datetime([None, None, None]),
                "propensity": [1.0] * 3,
            }
        ),
    )
    rec = Bandits().train(wh).record
    assert rec["verdict"] == "not ready" and "two subject-line variants" in rec["explanation"]
