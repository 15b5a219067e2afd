"""Early outcomes: labels part-way through their window against the champion's expectation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nomagic.monitor import early
from nomagic.words import say


def test_windows_are_whole_periods_near_a_third_and_two_thirds_of_the_horizon():
    assert early.windows(30, 90) == [30, 60]
    assert early.windows(7, 90) == [28, 63]
    assert early.windows(30, 30) == [15]  # no whole period inside the horizon: half of it
    assert early.windows(1, 1) == []


def test_tests_per_period_count_the_overall_check_and_each_segment_column_per_window():
    assert early.n_tests(2, 3) == 8 and early.n_tests(0, 0) == 1


def _cohort(rng, n, shift=0.0, offset=0.0):
    X = rng.normal(size=(n, 3)) + shift
    logit = -0.5 + X @ np.array([1.0, -0.5, 0.0]) + offset
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def test_same_world_rarely_pages_even_when_who_is_scored_moves():
    rng = np.random.default_rng(0)
    zs = []
    for _ in range(200):
        X_ref, y_ref = _cohort(rng, 1500)
        X_now, y_now = _cohort(rng, 1500, shift=0.4)  # other customers, the same outcome given their view
        zs.append(early.check(X_ref, y_ref, X_now, y_now)["z"])
    zs = np.array(zs)
    assert abs(zs.mean()) < 0.25 and 0.75 < zs.std() < 1.25  # a z-score: the variance is right


def _shown(judged):
    return {**judged, "cutoff": pd.Timestamp("2025-03-01"), "reference_cutoff": pd.Timestamp("2025-01-30")}


SO_FAR = say("have not ordered in the {d} days since", "haben in den {d} Tagen seither nicht bestellt", d=30)


def test_a_change_the_model_does_not_see_pages_with_the_right_direction():
    rng = np.random.default_rng(1)
    X_ref, y_ref = _cohort(rng, 2000)
    X_now, y_now = _cohort(rng, 2000, offset=0.5)  # the outcome became more likely at the same view
    judged = early.judge(early.check(X_ref, y_ref, X_now, y_now), [], early.ALPHA / 2)
    assert judged["pages"] == ["overall"] and judged["observed_rate"] > judged["expected_rate"]
    (page,) = early.alerts(_shown(judged), SO_FAR)
    assert page["kind"] == "early outcomes" and page["severity"] == "warning"
    assert "too low" in page["meaning"] and "zu niedrig" in page["meaning"].de
    assert "01.03.2025" in page["evidence"].de and "haben in den 30 Tagen seither nicht bestellt" in page["evidence"].de


def test_a_history_of_wide_swings_raises_the_bar():
    """Shocks common to a period (campaigns, seasons) spread past cohorts wider than binomial noise:
    a move of that size then pages no one."""
    rng = np.random.default_rng(2)
    X_ref, y_ref = _cohort(rng, 2000)
    X_now, y_now = _cohort(rng, 2000, offset=0.4)
    found = early.check(X_ref, y_ref, X_now, y_now)
    assert early.judge(found, [], 0.005)["pages"] == ["overall"]  # against binomial noise alone
    swings = [{"z": z * found["z"] / 4, "segments": {}} for z in (4.0, -3.5, 3.0, -4.5, 2.5, -3.0)]
    judged = early.judge(found, swings, 0.005)
    assert judged["pages"] == [] and judged["dispersion"] > 4 and judged["history"] == 6


def test_an_uneven_move_across_a_segment_pages_even_under_a_common_shock():
    rng = np.random.default_rng(3)
    n = 3000
    X_ref, y_ref = _cohort(rng, n)
    X_now = rng.normal(size=(n, 3))
    country = rng.choice(["DE", "FR", "US", "AT"], size=n, p=[0.5, 0.2, 0.2, 0.1])
    hit = np.isin(country, ["FR", "US"])
    # every customer moves a little (a campaign), FR and US much more (a competitor)
    logit = -0.5 + X_now @ np.array([1.0, -0.5, 0.0]) + 0.15 + 1.0 * hit
    y_now = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    calm = rng.choice(["DE", "FR", "US", "AT"], size=n, p=[0.5, 0.2, 0.2, 0.1])
    seg_ref = {"country": rng.choice(["DE", "FR", "US", "AT"], size=n, p=[0.5, 0.2, 0.2, 0.1])}
    past = [early.check(X_ref, y_ref, *_cohort(rng, n), {"country": calm}, seg_ref) for _ in range(5)]
    judged = early.judge(early.check(X_ref, y_ref, X_now, y_now, {"country": country}, seg_ref), past, early.ALPHA / 4)
    assert "country" in judged["pages"]
    seg = judged["segments"]["country"]
    moved = {x["level"] for x in seg["levels"] if x["z"] > 2}
    assert moved == {"FR", "US"} and seg["df"] == 3
    page = next(a for a in early.alerts(_shown(judged), SO_FAR) if a["kind"] == "early outcomes by segment")
    assert "'country'" in page["evidence"] and "FR" in page["meaning"] and "US" in page["meaning"]
    assert (
        "Chi-Quadrat" in page["evidence"].de and "haben in den 30 Tagen seither nicht bestellt" in page["evidence"].de
    )
    # the same common shock without the competitor: the levels move alike, no segment page
    even = (rng.random(n) < 1 / (1 + np.exp(-(logit - 1.0 * hit)))).astype(int)
    judged = early.judge(early.check(X_ref, y_ref, X_now, even, {"country": country}, seg_ref), past, early.ALPHA / 4)
    assert "country" not in judged["pages"]


def test_small_levels_are_pooled_and_a_view_without_variation_falls_back_to_the_reference_rate():
    X = np.zeros((400, 2))
    y = np.r_[np.ones(100), np.zeros(300)].astype(int)
    values = np.array(["A"] * 200 + ["B"] * 170 + ["C"] * 20 + ["D"] * 10)
    found = early.check(X, y, X, y, {"seg": values}, {"seg": values})
    assert found["expected_rate"] == pytest.approx(0.25, abs=0.01)
    assert {x["level"] for x in found["segments"]["seg"]["levels"]} == {"A", "B"}  # "other" has 30 rows: dropped
