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


def test_threshold_splits_the_false_alarm_rate_over_the_cohorts():
    assert early.threshold(1) == pytest.approx(2.807, abs=1e-3)
    assert early.threshold(2) > early.threshold(1)


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
    assert (np.abs(zs) > early.threshold(2)).mean() <= 0.02


def test_a_change_the_model_does_not_see_pages_with_the_right_direction():
    rng = np.random.default_rng(1)
    X_ref, y_ref = _cohort(rng, 2000)
    X_now, y_now = _cohort(rng, 2000, offset=0.5)  # the outcome became more likely at the same view
    found = early.check(X_ref, y_ref, X_now, y_now)
    assert found["z"] > early.threshold(2) and found["observed_rate"] > found["expected_rate"]
    page = early.alert(
        {**found, "cutoff": pd.Timestamp("2025-03-01"), "days": 30, "reference_cutoff": pd.Timestamp("2025-01-30")},
        say("have not ordered in the {d} days since", "haben in den {d} Tagen seither nicht bestellt", d=30),
        early.threshold(2),
    )
    assert page["kind"] == "early outcomes" and page["severity"] == "warning"
    assert "too low" in page["meaning"] and "zu niedrig" in page["meaning"].de
    assert "01.03.2025" in page["evidence"].de and "haben in den 30 Tagen seither nicht bestellt" in page["evidence"].de
    quiet = early.check(X_ref, y_ref, X_ref[:1000], y_ref[:1000])
    assert early.alert({**quiet, "cutoff": "c", "days": 30, "reference_cutoff": "r"}, "", 3.0) is None


def test_a_view_without_variation_falls_back_to_the_reference_rate():
    X = np.zeros((400, 2))
    y = np.r_[np.ones(100), np.zeros(300)].astype(int)
    found = early.check(X, y, X[:200], y[:200])
    assert found["expected_rate"] == pytest.approx(0.25, abs=0.01)
