"""The budget gate judges the model on what it is used for: its ROIs, curves and split against the known
truth or held-out lift tests; the holdout fit is only a sanity check that can block, never promote alone."""

from __future__ import annotations

import numpy as np
import pytest
from test_budget import TRUE, synthetic

from nomagic.usecases.budget.data import clean
from nomagic.usecases.budget.evaluate import evaluate_frame
from nomagic.usecases.budget.evidence import FIT_ONLY, LIFT_TESTS, TRUTH, coverage_holds, decide, sanity
from nomagic.usecases.budget.model import MMM, LiftTest

CHANNELS = ["tv", "search"]


class KnownCurves:
    """The synthetic world's true steady-state curves (``beta * tanh(lam / 2 * spend / max spend)``)."""

    def __init__(self, df, roi, swap: bool = False):
        self.scale = {c: float(df[c].max()) for c in TRUE}
        names = dict(zip(CHANNELS, CHANNELS[::-1] if swap else CHANNELS, strict=True))  # swap: the wrong truth
        self.curves = {c: TRUE[names[c]] for c in CHANNELS}
        self.roi = {c: roi[names[c]] * (3.0 if swap else 1.0) for c in CHANNELS}
        self.names = names

    def response(self, channel, spend, period_days=7.0):
        t = self.curves[channel]
        return t["beta"] * np.tanh(0.5 * t["lam"] * np.asarray(spend, float) / self.scale[self.names[channel]])


@pytest.fixture(scope="module")
def world():
    df, roi = synthetic()
    cl, warns = clean(df, date="week", target="sales", channels=CHANNELS, controls=["price"])
    return df, roi, cl, warns


def _evaluate(cl, warns, **kw):
    lifts = kw.pop("lift_tests", ())
    make = lambda: MMM(CHANNELS, date="week", target="sales", controls=["price"], lift_tests=lifts)  # noqa: E731
    return evaluate_frame(cl, make, n_boot=200, warnings=warns, **kw).record


def _true_lift(df, c, x0, x1):
    t = TRUE[c]
    s = df[c].max()
    return t["beta"] * (np.tanh(0.5 * t["lam"] * x1 / s) - np.tanh(0.5 * t["lam"] * x0 / s))


def test_the_fit_alone_never_promotes(world):
    _, _, cl, warns = world
    r = _evaluate(cl, warns)
    assert sanity(r["metrics"])["better"]  # the forecast beats the base without media ...
    assert r["verdict"] == "not better than baseline" and r["evidence"] == FIT_ONLY  # ... and that is not enough
    assert r["roi_verified"] is False and r["roi_check"]["passed"] is None
    assert "Only the fit was checked" in r["explanation"] and "not verified" in r["roi_check"]["words"]


def test_the_known_truth_decides(world):
    df, roi, cl, warns = world
    r = _evaluate(cl, warns, truth=KnownCurves(df, roi))
    c = r["roi_check"]
    assert r["evidence"] == TRUTH and r["verdict"] == "promoted", r["explanation"]
    assert c["roi_inside_90"] >= 1 and c["roi_coverage_holds"] and c["rank_spearman"] is None  # 2 channels: no rank
    for ch in CHANNELS:
        assert c["channels"][ch]["true_roi"] == pytest.approx(roi[ch])
        assert abs(c["channels"][ch]["roi_relative_error"]) < 0.15
        assert c["channels"][ch]["curve_error"] < 0.15  # the curves over the spend seen are recovered
    d = c["decision"]  # today's split is already about the best here: the proposal keeps it
    assert d["true_gain"] >= 0 and d["share_of_best_proposed"] > 0.999
    assert "known truth" in r["explanation"] and "Sanity check" in r["explanation"]


def test_a_wrong_truth_is_not_promoted(world):
    """The check can fail: against curves and ROIs that are not the world's, the model's ROIs are wrong."""
    df, roi, cl, warns = world
    r = _evaluate(cl, warns, truth=KnownCurves(df, roi, swap=True))
    assert r["evidence"] == TRUTH and r["verdict"] == "not better than baseline"
    assert r["roi_check"]["roi_inside_90"] == 0 and not r["roi_check"]["roi_coverage_holds"]
    assert "not promoted" in r["explanation"] and "hold the true ROI for only 0 of 2" in r["explanation"]


def test_held_out_lift_tests_decide(world):
    df, _, cl, warns = world
    plan = (("tv", 500.0, 1000.0), ("search", 300.0, 600.0))
    right = [LiftTest(c, a, b, _true_lift(df, c, a, b), 0.1 * _true_lift(df, c, a, b)) for c, a, b in plan]
    r = _evaluate(cl, warns, lift_tests=right)
    c = r["roi_check"]
    assert r["evidence"] == LIFT_TESTS and r["verdict"] == "promoted", r["explanation"]
    assert c["consistent"] and c["better_than_no_effect"] and c["inside_90"] == 2
    # lift tests that contradict the data: the fit that did not see them cannot predict them
    wrong = [LiftTest(t.channel, t.x0, t.x1, 0.3 * t.delta, t.se) for t in right]
    r = _evaluate(cl, warns, lift_tests=wrong)
    c = r["roi_check"]
    assert r["evidence"] == LIFT_TESTS and r["verdict"] == "not better than baseline"
    assert not c["consistent"] and c["p_value"] < 0.05
    # judged on a fit without them: its predictions are the data's, not the (wrong) tests'
    for t, row in zip(right, c["tests"], strict=True):
        assert row["predicted"] == pytest.approx(t.delta, rel=0.25)


def test_the_holdout_can_block_but_not_promote():
    passed = {"evidence": TRUTH, "passed": True}
    assert decide(passed, {"better": False, "blocks": False}) == ("promoted", TRUTH, True)
    assert decide(passed, {"better": False, "blocks": True}) == ("not better than baseline", TRUTH, True)
    assert decide({"evidence": LIFT_TESTS, "passed": False}, {"better": True, "blocks": False})[0] != "promoted"
    assert decide(None, {"better": True, "blocks": False}) == ("not better than baseline", FIT_ONLY, False)


def test_honest_intervals_hold_the_truth_often_enough():
    # 90 % intervals: 3 of 5 is still plausible (p = 0.08), 2 of 5 is not (p = 0.009)
    assert coverage_holds(3, 5) and not coverage_holds(2, 5)
    assert coverage_holds(1, 2) and not coverage_holds(0, 2) and coverage_holds(0, 0)


def test_the_command_line_judges_on_lift_tests_and_refuses_bad_ones_in_german(tmp_path, world):
    import json
    import os
    import subprocess
    import sys

    df, _, _, _ = world
    data = tmp_path / "weekly.csv"
    df.to_csv(data, index=False)
    tests = tmp_path / "lift.csv"
    rows = [(c, a, b, _true_lift(df, c, a, b)) for c, a, b in (("tv", 500.0, 1000.0), ("search", 300.0, 600.0))]
    tests.write_text("channel,x0,x1,delta,se\n" + "".join(f"{c},{a},{b},{d},{0.1 * d}\n" for c, a, b, d in rows))
    out = tmp_path / "rec.json"
    args = ["--data", str(data), "--date", "week", "--target", "sales", "--channels", "tv,search"]

    def cli(*more, lang="en"):
        env = {**os.environ, "NOMAGIC_LANG": lang}
        return subprocess.run(
            [sys.executable, "-m", "nomagic", "evaluate-budget", *args, *more],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )

    r = cli("--controls", "price", "--lift-tests", str(tests), "--n-boot", "200", "--json", str(out))
    assert r.returncode == 0, r.stderr
    rec = json.loads(out.read_text())
    assert rec["evidence"] == "lift tests" and rec["verdict"] == "promoted" and rec["roi_check"]["n_tests"] == 2
    assert rec["explanation_de"].startswith("Beurteilt an dem, wofür das Modell dient, gegen Lift-Tests")
    tests.write_text("channel,x0,x1,delta,se\nradio,1,2,3,0.5\n")
    r = cli("--lift-tests", str(tests), lang="de")
    assert r.returncode == 2 and "Zeile 2, Spalte 'channel': 'radio' ist keiner der --channels" in r.stderr
