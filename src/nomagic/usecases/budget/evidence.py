"""Judge a marketing-mix model on what it is used for: its ROIs, its curves and the split it proposes.

A good forecast of revenue does not make a channel's ROI right: a model can fit the weeks well
and still give one channel the credit of another. So the gate weighs the strongest evidence there is
about the ROIs and the curves, and names it in the record (``record["evidence"]``):

* ``"truth"`` (a simulated world, whose true curves the simulator recorded): the true ROI against
  each channel's 90 % posterior interval, the channels' ranking by ROI (Spearman, with its posterior
  interval), the curve error over the spend seen, and what the decision is worth: the revenue the
  proposed split earns under the *true* curves against today's split (the baseline: keep the split).
  Passed when the proposal does not earn less than today's split, the intervals hold the truth about as often
  as a 90 % interval should (not fewer than a binomial test at 5 % allows: with 5 channels at least 3),
  and the ranking agrees more than it disagrees (Spearman above 0, with 3 channels or more).
* ``"lift tests"``: experiments the model has not seen. A fit on all periods *without* them predicts
  each test's lift (the steady-state response between the two spends, with its posterior spread);
  passed when the measured lifts are consistent with the predictions (chi-square of the standardised
  differences, p >= 0.05) and the predictions score better than "no media effect" (the no-media
  baseline's prediction: zero lift) by the log predictive density. The record's ROIs and split then
  come from a fit calibrated with the tests.
* ``"holdout fit only"``: nothing checks the ROIs; the record says so and the model is not promoted.

The holdout MAPE against the same base without media stays a sanity check: a model surely worse
than the base (the improvement's 95 % interval below zero) is never promoted, whatever the evidence;
a better forecast alone never promotes. Nothing here is fitted to or tuned on the truth or the tests:
the thresholds are set above, before any data.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from nomagic.words import Text, join, say

TRUTH, LIFT_TESTS, FIT_ONLY = "truth", "lift tests", "holdout fit only"
LEVEL = 0.90  # the intervals the record reports
ALPHA = 0.05  # significance of the coverage and lift-test consistency checks
CURVE_GRID = 25

EVIDENCE_WORDS = {
    TRUTH: ("the known truth of the simulated world", "die bekannte Wahrheit der simulierten Welt"),
    LIFT_TESTS: ("lift tests the model had not seen", "Lift-Tests, die das Modell nicht gesehen hatte"),
    FIT_ONLY: ("the holdout fit only", "nur die Anpassung im Testzeitraum"),
}


def evidence_words(kind: str) -> Text:
    en, de = EVIDENCE_WORDS.get(kind, (kind, kind))
    return Text(en, de)


def _q(a, axis=0):
    return np.quantile(a, (1 - LEVEL) / 2, axis=axis), np.quantile(a, 1 - (1 - LEVEL) / 2, axis=axis)


def _iv(a) -> list[float]:
    lo, hi = _q(np.asarray(a, float))
    return [float(lo), float(hi)]


# ---------------------------------------------------------------------------------------------- truth
def roi_draws(m) -> np.ndarray:
    """(draws, channels) ROI over the fitted periods: each draw's contribution divided by the spend."""
    spend = np.array([float(m.data_[c].sum()) for c in m.channels])
    return m.contrib_draws_.sum(axis=2) / np.where(spend > 0, spend, np.nan)


def _spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``a`` with ``b``."""
    ra = stats.rankdata(np.atleast_2d(a), axis=1)
    rb = stats.rankdata(b)
    ra = ra - ra.mean(axis=1, keepdims=True)
    rb = rb - rb.mean()
    den = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum())
    return (ra @ rb) / np.where(den > 0, den, np.nan)


def coverage_holds(inside: int, n: int) -> bool:
    """Whether ``inside`` of ``n`` true values in 90 % intervals is what honest intervals give (binomial, 5 %)."""
    return n == 0 or float(stats.binom.cdf(inside, n, LEVEL)) >= ALPHA


def judge_truth(m, truth, period_days: float, allocation: dict | None = None) -> dict:
    """Compare the fitted model ``m`` with the true curves (see the module docstring); the figures and ``passed``."""
    from nomagic.usecases.budget.optimise import allocate

    names = [c for c in m.channels if c in truth.curves and c in truth.roi]
    if not names:
        return {}
    idx = [m.channels.index(c) for c in names]
    draws = roi_draws(m)[:, idx]
    true_roi = np.array([truth.roi[c] for c in names])
    channels = {}
    for j, c in enumerate(names):
        p = m.params_[c]["roi"]
        lo, hi = p["interval_90"]
        grid = np.linspace(float(m.data_[c].min()), float(m.data_[c].max()), CURVE_GRID)
        model = m.response(c, grid)  # (draws, grid)
        true = truth.response(c, grid, period_days)
        err = np.abs(model - true).mean(axis=1) / max(float(np.mean(true)), 1e-12)
        channels[c] = {
            "roi": p["value"],
            "roi_interval_90": [lo, hi],
            "true_roi": float(true_roi[j]),
            "inside": bool(lo <= true_roi[j] <= hi),
            "roi_relative_error": float((p["value"] - true_roi[j]) / true_roi[j]) if true_roi[j] else None,
            "roi_relative_error_interval_90": [
                float((lo - true_roi[j]) / true_roi[j]),
                float((hi - true_roi[j]) / true_roi[j]),
            ]
            if true_roi[j]
            else [None, None],
            "curve_error": float(np.median(err)),
            "curve_error_interval_90": _iv(err),
            "spend_range": [float(grid[0]), float(grid[-1])],
        }
    n = len(names)
    inside = sum(v["inside"] for v in channels.values())
    out: dict = {
        "evidence": TRUTH,
        "channels": channels,
        "roi_inside_90": int(inside),
        "roi_judged": n,
        "roi_coverage_holds": coverage_holds(inside, n),
        "curve_error_mean": float(np.mean([v["curve_error"] for v in channels.values()])),
    }
    if n >= 3:
        point = np.array([m.params_[c]["roi"]["value"] for c in names])
        rho = _spearman(draws, true_roi)
        out["rank_spearman"] = float(_spearman(point, true_roi)[0])
        out["rank_spearman_interval_90"] = _iv(rho[np.isfinite(rho)]) if np.isfinite(rho).any() else [None, None]
        out["ranking_agrees"] = out["rank_spearman"] > 0
    else:
        out["rank_spearman"], out["ranking_agrees"] = None, True
    if allocation and set(allocation["channels"]) <= set(names):
        a = allocation
        order = a["channels"]

        def true_total(x) -> float:
            return float(sum(truth.response(c, x[i], period_days) for i, c in enumerate(order)))

        cur, prop = np.array(a["current"]), np.array(a["proposed"])
        best = allocate(true_total, a["budget"], np.array(a["lower"]), np.array(a["upper"]), starts=[cur, prop])
        now, new, top = true_total(cur), true_total(prop), max(true_total(best), true_total(prop), true_total(cur))
        lo, hi = a["uplift"]["interval_90"]
        gain = new - now
        out["decision"] = {
            "true_response_today": now,
            "true_response_proposed": new,
            "true_response_best": top,
            "true_gain": gain,
            "share_of_best_proposed": new / top if top > 0 else None,
            "share_of_best_today": now / top if top > 0 else None,
            "promised_gain": a["uplift"]["value"],
            "promised_gain_interval_90": [lo, hi],
            "promise_kept": bool(lo <= gain <= hi),
        }
        out["decision_pays"] = gain >= -1e-6 * abs(now)  # it does not lose (no change is no loss)
    else:
        out["decision"], out["decision_pays"] = None, True
    out["passed"] = bool(out["decision_pays"] and out["roi_coverage_holds"] and out["ranking_agrees"])
    out["words"] = _words_truth(out)
    return out


def _words_truth(t: dict) -> Text:
    from nomagic.usecases.budget.optimise import money

    parts = []
    d = t.get("decision")
    if d:
        parts.append(
            say(
                "under the true curves the proposed split earns {gain} per period against today's "
                "({share:.1%} of the best split within the same bounds; today's {today:.1%})",
                "unter den wahren Kurven bringt die vorgeschlagene Aufteilung {gain} je Periode gegenüber "
                "der heutigen ({share:.1%} der besten Aufteilung in denselben Grenzen; die heutige {today:.1%})",
                gain=money(d["true_gain"], "+"),
                share=d["share_of_best_proposed"] or 0.0,
                today=d["share_of_best_today"] or 0.0,
            )
        )
    parts.append(
        say(
            "the true ROI lies inside the 90% interval for {k} of {n} channels",
            "der wahre ROI liegt bei {k} von {n} Kanälen im 90-%-Intervall",
            k=t["roi_inside_90"],
            n=t["roi_judged"],
        )
    )
    if t.get("rank_spearman") is not None:
        lo, hi = t["rank_spearman_interval_90"]
        parts.append(
            say(
                "the channels' ranking by ROI {agrees} with the truth (Spearman {rho:.2f}, 90% interval {lo:.2f} "
                "to {hi:.2f})",
                "die Rangfolge der Kanäle nach ROI stimmt {agrees}mit der Wahrheit überein (Spearman {rho:.2f}, "
                "90-%-Intervall {lo:.2f} bis {hi:.2f})",
                agrees=Text("agrees", "") if t["ranking_agrees"] else Text("does not agree", "nicht "),
                rho=t["rank_spearman"],
                lo=lo if lo is not None else float("nan"),
                hi=hi if hi is not None else float("nan"),
            )
        )
    parts.append(
        say(
            "the response curves are off by {err:.0%} on average over the spend seen",
            "die Reaktionskurven weichen über die gesehenen Ausgaben im Mittel um {err:.0%} ab",
            err=t["curve_error_mean"],
        )
    )
    return join(parts, "; ")


# ---------------------------------------------------------------------------------------------- lift tests
def judge_lift_tests(m, tests) -> dict:
    """Predict each lift test with ``m`` (fitted *without* the tests) and compare (see the module docstring)."""
    rows, z2, ls_model, ls_zero = [], 0.0, 0.0, 0.0
    rng = np.random.default_rng(0)
    for t in tests:
        if t.channel not in m.channels:
            continue
        r = m.response(t.channel, [t.x0, t.x1])
        lift = r[:, 1] - r[:, 0]
        mean, sd = float(lift.mean()), float(lift.std())
        scale = float(np.hypot(sd, t.se))
        z = (t.delta - mean) / scale
        lo, hi = _q(lift + rng.normal(0.0, t.se, len(lift)))
        z2 += z * z
        ls_model += float(stats.norm.logpdf(t.delta, mean, scale))
        ls_zero += float(stats.norm.logpdf(t.delta, 0.0, t.se))
        rows.append(
            {
                "channel": t.channel,
                "x0": t.x0,
                "x1": t.x1,
                "measured": t.delta,
                "se": t.se,
                "predicted": mean,
                "predicted_interval_90": [float(lo), float(hi)],
                "inside": bool(lo <= t.delta <= hi),
                "z": float(z),
            }
        )
    if not rows:
        return {}
    n = len(rows)
    p = float(stats.chi2.sf(z2, n))
    out = {
        "evidence": LIFT_TESTS,
        "tests": rows,
        "n_tests": n,
        "inside_90": int(sum(r["inside"] for r in rows)),
        "chi2": float(z2),
        "p_value": p,
        "consistent": p >= ALPHA,
        "log_score_model": ls_model,
        "log_score_no_effect": ls_zero,
        "better_than_no_effect": ls_model > ls_zero,
        "channels_tested": sorted({r["channel"] for r in rows}),
        "channels_untested": [c for c in m.channels if c not in {r["channel"] for r in rows}],
    }
    out["passed"] = bool(out["consistent"] and out["better_than_no_effect"])
    out["words"] = _lift_words(out)
    return out


def _lift_words(t: dict) -> Text:
    parts = [
        say(
            "a fit without the {n} lift tests predicted {k} of them inside its 90% interval",
            "eine Anpassung ohne die {n} Lift-Tests sagte {k} davon in ihrem 90-%-Intervall voraus",
            n=t["n_tests"],
            k=t["inside_90"],
        ),
        say(
            "the measured lifts are {cons} with its predictions (chi-square p = {p:.2f})",
            "die gemessenen Lifts sind mit den Vorhersagen {cons} (Chi-Quadrat p = {p:.2f})",
            cons=Text("consistent", "vereinbar") if t["consistent"] else Text("not consistent", "nicht vereinbar"),
            p=t["p_value"],
        ),
        say(
            'and they are predicted {better} than by "no media effect"',
            "und sie werden {better} vorhergesagt als mit „keine Medienwirkung“",
            better=Text("better", "besser") if t["better_than_no_effect"] else Text("no better", "nicht besser"),
        ),
    ]
    words = join(parts[:2], "; ") + " " + parts[2]
    if t["channels_untested"]:
        words = words + say(
            "; untested, so resting on the fit alone: {names}",
            "; ungetestet, also nur auf die Anpassung gestützt: {names}",
            names=", ".join(t["channels_untested"]),
        )
    return words


# ---------------------------------------------------------------------------------------------- the gate
def sanity(metrics: dict, primary: str = "holdout_mape") -> dict:
    """The holdout check: ``blocks`` when the model is surely worse than the base without media."""
    imp = metrics["improvement"][primary]
    lo, hi = imp["ci"]
    return {
        "better": bool(lo is not None and lo > 0),
        "blocks": bool(hi is not None and hi < 0),
    }


def decide(check: dict | None, sane: dict) -> tuple[str, str, bool]:
    """``(verdict, evidence, roi_verified)`` from the purpose check (truth or lift tests, or None) and the sanity check."""
    from nomagic.lifecycle.gate import NOT_BETTER, PROMOTED

    if not check:
        return NOT_BETTER, FIT_ONLY, False
    verified = bool(check["passed"])
    return (PROMOTED if verified and not sane["blocks"] else NOT_BETTER), check["evidence"], verified


def explain(verdict: str, evidence: str, check: dict | None, sane: dict, holdout_words: Text) -> Text:
    """The plain words of the gate: which evidence decided, what it showed, the sanity check, the verdict."""
    if evidence == FIT_ONLY:
        head = say(
            "Only the fit was checked: {holdout} A good forecast does not make the ROIs right, and without lift "
            "tests or known truth the model's ROIs, curves and proposed split are not verified, so it is not "
            "promoted. Lift tests given with --lift-tests would judge it on what it is used for.",
            "Geprüft wurde nur die Anpassung: {holdout} Eine gute Vorhersage macht die ROIs nicht richtig; ohne "
            "Lift-Tests oder bekannte Wahrheit sind ROIs, Kurven und vorgeschlagene Aufteilung des Modells nicht "
            "geprüft, daher wird es nicht übernommen. Lift-Tests (--lift-tests) würden es an dem messen, wofür es "
            "dient.",
            holdout=holdout_words,
        )
        return head
    head = say(
        "Judged on what the model is used for, against {evidence}: {words}.",
        "Beurteilt an dem, wofür das Modell dient, gegen {evidence}: {words}.",
        evidence=evidence_words(evidence),
        words=check["words"],
    )
    check_words = say("Sanity check: {holdout}", "Plausibilitätsprüfung: {holdout}", holdout=holdout_words)
    if verdict == "promoted":
        tail = say(
            "The evidence supports the ROIs and the proposed split, and the forecast is not worse than the base, so "
            "the model is promoted.",
            "Die Belege stützen die ROIs und die vorgeschlagene Aufteilung, und die Vorhersage ist nicht schlechter "
            "als die Basis, daher wird das Modell übernommen.",
        )
    elif check["passed"] and sane["blocks"]:
        tail = say(
            "The evidence agrees, but the model forecasts the held-out periods worse than the same base without "
            "media, so it is not promoted.",
            "Die Belege stimmen, aber das Modell sagt den Testzeitraum schlechter vorher als dieselbe Basis ohne "
            "Medien, daher wird es nicht übernommen.",
        )
    else:
        tail = say(
            "The evidence does not support the model's ROIs or its split ({why}), so it is not promoted; keep the "
            "current split.",
            "Die Belege stützen die ROIs oder die Aufteilung des Modells nicht ({why}), daher wird es nicht "
            "übernommen; die heutige Aufteilung beibehalten.",
            why=failed(check),
        )
    return join([head, check_words, tail])


def failed(check: dict) -> Text:
    """What failed in a purpose check, in words."""
    out = []
    if check.get("evidence") == TRUTH:
        if not check["decision_pays"]:
            out.append(
                Text(
                    "the proposed split earns less than today's",
                    "die vorgeschlagene Aufteilung bringt weniger als die heutige",
                )
            )
        if not check["roi_coverage_holds"]:
            out.append(
                say(
                    "the 90% intervals hold the true ROI for only {k} of {n} channels",
                    "die 90-%-Intervalle enthalten den wahren ROI nur bei {k} von {n} Kanälen",
                    k=check["roi_inside_90"],
                    n=check["roi_judged"],
                )
            )
        if not check["ranking_agrees"]:
            out.append(Text("the channels are ranked wrongly", "die Kanäle sind falsch gereiht"))
    else:
        if not check.get("consistent", True):
            out.append(
                Text("the lift tests contradict the predictions", "die Lift-Tests widersprechen den Vorhersagen")
            )
        if not check.get("better_than_no_effect", True):
            out.append(
                Text(
                    '"no media effect" predicts the lift tests as well',
                    "„keine Medienwirkung“ sagt die Lift-Tests ebenso gut vorher",
                )
            )
    return join(out, "; ")


__all__ = [
    "FIT_ONLY",
    "LIFT_TESTS",
    "TRUTH",
    "coverage_holds",
    "decide",
    "evidence_words",
    "explain",
    "judge_lift_tests",
    "judge_truth",
    "roi_draws",
    "sanity",
]
