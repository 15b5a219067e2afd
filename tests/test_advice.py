"""What to do now: one line of advice under every verdict, in English and German; never advice beyond the evidence."""

from __future__ import annotations

import pytest

from nomagic import report
from nomagic.report.advice import advice, fairness_note, not_advice
from nomagic.usecases import REGISTRY

VERDICTS = ("promoted", "not better than baseline", "not ready")


@pytest.mark.parametrize("use_case", sorted(REGISTRY))
def test_every_use_case_and_verdict_has_a_line_in_both_languages(use_case):
    lines = {(v, lang): advice({"use_case": use_case, "verdict": v}, lang) for v in VERDICTS for lang in ("en", "de")}
    assert all(lines.values())
    assert lines[("promoted", "en")].startswith("How to use it")
    assert lines[("not better than baseline", "en")].startswith(("What to use instead", "What to do instead"))
    assert lines[("promoted", "de")].startswith("So nutzen Sie es")
    assert lines[("not better than baseline", "de")].startswith("Was stattdessen")
    for v in VERDICTS:  # German is German, not the English line again
        assert lines[(v, "de")] != lines[(v, "en")]


def test_the_budget_and_the_customer_scores_get_their_own_advice():
    budget = advice({"use_case": "budget", "verdict": "not better than baseline"})
    churn = advice({"use_case": "churn", "verdict": "not better than baseline"})
    assert "lift test" in budget and "--lift-tests" in budget and budget != churn


def _record(verdict: str, **extra) -> dict:
    m = {"value": 0.8, "ci": [0.78, 0.82]}
    return {
        "use_case": "churn",
        "verdict": verdict,
        "explanation": "Compared on 100 rows: ...",
        "primary_metric": "roc_auc",
        "metrics": {"model": {"roc_auc": m}, "baseline": {"roc_auc": m}, "improvement": {"roc_auc": m}},
        **extra,
    }


def test_the_report_says_what_to_do_and_shows_fairness_flags_next_to_the_verdict():
    import numpy as np

    from nomagic.lifecycle import fairness as fr

    rng = np.random.default_rng(0)
    group = rng.choice(["f", "m"], 2000)
    score = rng.random(2000) + 0.5 * (group == "m")  # the model contacts men far more often
    fair = fr.audit(rng.integers(0, 2, 2000), np.clip(score / 1.5, 0, 1), {"gender": group})
    (flag, *_) = fr.flags(fair)
    page = report.render([_record("promoted", fairness=fair)])
    assert page.index("id='fairness-churn'") < page.index("Compared on 100 rows") < page.index("How to use it")
    assert page.index(flag.replace("'", "&#x27;")) < page.index("Compared on 100 rows") and "Options:" in page
    assert fairness_note(_record("promoted"), "de") is None
    assert "Optionen" in fairness_note(_record("promoted", fairness=fair), "de")[1]
    assert "What to use instead" in report.render([_record("not better than baseline")])


def test_no_advice_beyond_the_evidence():
    split = {"channels": ["tv"], "current": [1.0], "proposed": [2.0], "words": "TV +100 %"}
    weak = {"use_case": "budget", "verdict": "not better than baseline", "allocation": split}
    assert not_advice(weak).startswith("Not advice") and not_advice(weak, "de").startswith("Keine Empfehlung")
    assert not_advice({**weak, "verdict": "promoted"}) is None
    assert not_advice({"use_case": "churn", "verdict": "not better than baseline"}) is None  # nothing proposed
