"""Early outcomes: labels part-way through their window, against what the champion's scores expect.

A churn label needs 90 days, but an order in the first 30 already decides it for that customer. At the
end of each period, the customers scored ``d`` days ago (a *cohort*, ``d`` shorter than the horizon)
show their label *as it stands* (:meth:`~nomagic.lifecycle.usecase.UseCase.early_labels`). What the
champion's scores expect of it comes from a *reference*: the latest cohort already followed for ``d``
days by the cohort's own cutoff (scored ``d`` days before it, so the nearest in time). How the early
label depends on the score is fitted there and applied to the cohort's own scores: a change of who
is scored (more customers who look inactive) moves the expectation with it, and only a change the
model does not see — customers who stop ordering while their history still looks fine, as when a
competitor poaches them — is left over. Once the change reaches into the reference's window it
becomes the reference: the check says *when* the world changed, the labels say the rest.

The test is a z-score of observed against expected counts; its variance adds the cohort's binomial
noise and the fit's. A period runs at most two cohorts (about a third and two thirds of the
horizon), two-sided at 0.5 % in all (Bonferroni): a stationary world rarely pages, and a change shows
within a period or two, long before its labels are complete, where the shop is large enough for it
to stand out of the binomial noise (``bench/monitor_models.py`` measures both).

Why not a library: NannyML and Evidently have no notion of a label that is decided early for some rows
and late for others; this is a short, explicit calculation.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression

from nomagic.words import Text, say

#: two-sided false-alarm rate of one period's early checks, split over its cohorts
ALPHA = 0.005
#: standardised views beyond this many standard deviations are clipped (one odd customer must not carry
#: the expectation of a whole cohort)
CLIP = 5.0


def windows(step_days: int, horizon_days: int) -> list[int]:
    """The follow-up lengths checked each period: whole periods shorter than the horizon, the ones
    nearest a third and two thirds of it (half the horizon where a period is as long as it)."""
    h = int(horizon_days)
    whole = [k * step_days for k in range(1, h // max(step_days, 1) + 1) if k * step_days < h]
    if not whole:
        return [h // 2] if h >= 2 else []
    return sorted({min(whole, key=lambda d: (abs(d - h * q), d)) for q in (1 / 3, 2 / 3)})


def threshold(n_windows: int) -> float:
    """The |z| an early check needs to page (Bonferroni over the period's cohorts)."""
    return float(norm.isf(ALPHA / (2 * max(n_windows, 1))))


def expectation(X_ref, y_ref, X_now) -> tuple[float, float]:
    """(expected count of label 1 among ``X_now``'s rows, its variance).

    ``X_*`` is the champion's view of each customer: its log-odds (one column; more columns work
    alike). A logistic regression of the early label on it, fitted on the reference cohort,
    recalibrates the score for the shorter window and follows a change in who is scored; the
    variance holds the cohort's binomial noise and the fit's (delta method, Fisher information).
    The score alone, not the model's per-column contributions: with some thirty columns the fit's
    own noise drowned a real change on the simulator (1,500 customers), and the score kept the
    stationary z-scores as close to N(0, 1)."""
    X_ref, X_now = np.asarray(X_ref, dtype=float), np.asarray(X_now, dtype=float)
    y_ref = np.asarray(y_ref, dtype=float)
    mu, sd = X_ref.mean(axis=0), X_ref.std(axis=0)
    keep = sd > 1e-9
    if keep.any():
        design = LogisticRegression(C=1.0, max_iter=1000).fit((X_ref[:, keep] - mu[keep]) / sd[keep], y_ref)
        A = np.column_stack([np.ones(len(X_ref)), np.clip((X_ref[:, keep] - mu[keep]) / sd[keep], -CLIP, CLIP)])
        B = np.column_stack([np.ones(len(X_now)), np.clip((X_now[:, keep] - mu[keep]) / sd[keep], -CLIP, CLIP)])
        beta = np.concatenate([design.intercept_, design.coef_[0]])
    else:  # nothing varies: the reference's rate
        A, B = np.ones((len(X_ref), 1)), np.ones((len(X_now), 1))
        beta = np.array([np.log((y_ref.sum() + 0.5) / (len(y_ref) - y_ref.sum() + 0.5))])
    r_ref = 1 / (1 + np.exp(-A @ beta))
    r_now = 1 / (1 + np.exp(-B @ beta))
    info = (A * (r_ref * (1 - r_ref))[:, None]).T @ A + 1e-6 * np.eye(A.shape[1])
    g = (B * (r_now * (1 - r_now))[:, None]).sum(axis=0)
    var = float((r_now * (1 - r_now)).sum() + g @ np.linalg.solve(info, g))
    return float(r_now.sum()), var


def check(X_ref, y_ref, X_now, y_now) -> dict:
    """One cohort: observed and expected shares of label 1 so far, and the z-score of the difference."""
    y_now = np.asarray(y_now, dtype=float)
    mean, var = expectation(X_ref, y_ref, X_now)
    n = len(y_now)
    observed = float(y_now.sum())
    z = (observed - mean) / np.sqrt(var) if var > 0 else 0.0
    return {
        "rows": int(n),
        "observed_rate": round(observed / n, 6),
        "expected_rate": round(mean / n, 6),
        "z": round(float(z), 3),
    }


def alert(found: dict, so_far: Text, limit: float) -> dict | None:
    """The page for one cohort's check (``found`` from :func:`check`, with ``cutoff``, ``days`` and
    ``reference_cutoff``), or None while |z| stays within ``limit``."""
    if abs(found["z"]) <= limit:
        return None
    up = found["z"] > 0
    return {
        "kind": "early outcomes",
        "severity": "warning",
        "evidence": say(
            "{o:.1%} of the {n:,} customers scored on {c} {so_far}; the champion's scores expected {e:.1%}, read "
            "off the customers scored on {r} and followed as long (z = {z:+.1f}, limit {lim:.1f})",
            "{o:.1%} der {n:,} am {c} bewerteten Kunden {so_far}; nach den Werten des Champions waren {e:.1%} zu "
            "erwarten, abgelesen an den am {r} bewerteten und ebenso lange verfolgten Kunden (z = {z:+.1f}, "
            "Grenze {lim:.1f})",
            n=found["rows"],
            c=found["cutoff"],
            o=found["observed_rate"],
            so_far=so_far,
            e=found["expected_rate"],
            r=found["reference_cutoff"],
            z=found["z"],
            lim=limit,
        ),
        "meaning": say(
            "the outcome moves away from what the model's scores expect before its full labels arrive: its "
            "probabilities are {how} for the customers scored since about {c}, and its ranking may suffer too",
            "das Ergebnis entfernt sich von dem, was die Werte des Modells erwarten lassen, bevor alle Labels da "
            "sind: seine Wahrscheinlichkeiten sind für die seit etwa {c} bewerteten Kunden {how}, und auch seine "
            "Reihenfolge kann leiden",
            how=say("too low", "zu niedrig") if up else say("too high", "zu hoch"),
            c=found["cutoff"],
        ),
        "what_to_do": say(
            "look for what changed around {c} (a competitor, a price, a campaign, a data source); plan with the "
            "probabilities as {how}; retrain as labels arrive and let the challenger prove itself on the same window",
            "prüfen, was sich um den {c} geändert hat (ein Wettbewerber, ein Preis, eine Kampagne, eine Datenquelle); "
            "bei der Planung die Wahrscheinlichkeiten als {how} behandeln; mit eintreffenden Labels neu trainieren "
            "und den Herausforderer auf demselben Fenster beweisen lassen",
            c=found["cutoff"],
            how=say("too low", "zu niedrig") if up else say("too high", "zu hoch"),
        ),
    }
