"""Every mechanism of the demo world is really there: recoverable from the canonical tables alone.

One world of 50,000 customers over two fixed years (so that calendar effects do not move with
the day the tests run); each test estimates something from the canonical tables, as a model
would, and compares it with the recorded truth.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from nomagic import connect
from nomagic.simulate import simulate

START = date(2023, 1, 2)
DAYS = 730


@pytest.fixture(scope="module")
def world():
    wh = connect("duckdb://:memory:")
    sim = simulate(wh, customers=50_000, days=DAYS, seed=0, start=START)
    yield wh, sim
    wh.close()


def truth_params(wh) -> pd.DataFrame:
    return wh.table("truth_params").execute().set_index("name")


# --- purchase process --------------------------------------------------------------------


def bgnbd_fit(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    """Maximum likelihood r, alpha, a, b of the BG/NBD model (Fader, Hardie and Lee 2005)."""

    def nll(theta):
        r, alpha, a, b = np.exp(theta)
        common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        alive = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + big_t)
        dead = np.where(
            x > 0,
            special.betaln(a + 1, np.maximum(b + x - 1, 1e-12)) - special.betaln(a, b) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
        return -np.sum(common + np.logaddexp(alive, dead))

    res = optimize.minimize(nll, np.log([1.0, 10.0, 1.0, 1.0]), method="L-BFGS-B")
    assert res.success, res.message
    return np.exp(res.x)


def test_bgnbd_fit_on_the_orders_recovers_the_true_parameters(world):
    wh, sim = world
    orders = wh.table("orders")
    organic = orders.filter(orders.message_id.isnull())  # e-mail conversions come on top
    g = organic.group_by("customer_id").aggregate(
        first=organic.ordered_at.min(), last=organic.ordered_at.max(), n=organic.count()
    )
    df = g.execute()
    end = pd.Timestamp(sim.end)
    day = pd.Timedelta(days=1)
    x = (df.n - 1).to_numpy(float)
    t_x = ((df["last"] - df["first"]) / day).to_numpy()
    big_t = ((end - df["first"]) / day).to_numpy()
    fitted = bgnbd_fit(x, t_x, big_t)
    p = truth_params(wh).value
    true = np.array([p["r"], p["alpha"], p["a"], p["b"]])
    assert np.all(np.abs(fitted / true - 1) < 0.10), f"fitted {fitted.round(3)}, true {true}"


def test_order_values_follow_the_latent_spend(world):
    wh, _ = world
    o = wh.table("orders")
    g = o.group_by("customer_id").aggregate(mean=o.revenue.mean(), n=o.count()).execute()
    g = g[g.n >= 3]
    truth = wh.table("truth_customers").select("customer_id", "spend_mean").execute().set_index("customer_id")
    r = np.corrcoef(np.log(g["mean"]), np.log(truth.spend_mean.reindex(g.customer_id)))[0, 1]
    assert r > 0.8
    lines = wh.table("order_lines").execute()
    total = (lines.quantity * lines.price).groupby(lines.order_id).sum()
    revenue = o.select("order_id", "revenue").execute().set_index("order_id").revenue
    assert np.allclose(total.reindex(revenue.index), revenue, atol=0.011)


def test_recommendation_has_signal(world):
    """The products of a customer's last order are among what they viewed before far more often than
    among the most popular products."""
    wh, _ = world
    o = wh.table("orders").execute().sort_values(["customer_id", "ordered_at"])
    counts = o.customer_id.value_counts()
    last = o.groupby("customer_id").tail(1)
    last = last[last.customer_id.map(counts) >= 2].head(6_000)
    lines = wh.table("order_lines").execute()
    target = lines[lines.order_id.isin(last.order_id)].merge(last[["order_id", "customer_id"]], on="order_id")
    wanted = target.groupby("customer_id").product_id.apply(set)
    when = last.set_index("customer_id").ordered_at
    ev = wh.table("events")
    views = ev.filter((ev.type == "view") & ev.customer_id.isin(list(wanted.index))).execute()
    views = views[views.occurred_at < views.customer_id.map(when) - pd.Timedelta(hours=1)]
    top_viewed = views.groupby("customer_id").product_id.agg(lambda s: set(s.value_counts().index[:10]))
    earlier = lines.merge(o[["order_id", "ordered_at"]], on="order_id")
    popular = set(earlier.product_id.value_counts().index[:10])
    hit_personal = np.mean([bool(wanted[c] & top_viewed.get(c, set())) for c in wanted.index])
    hit_popular = np.mean([bool(wanted[c] & popular) for c in wanted.index])
    assert hit_personal > 2 * hit_popular
    assert hit_personal < 0.9  # signal, not a copy


# --- churn -------------------------------------------------------------------------------


def test_churn_probability_is_calibrated_and_drivers_are_visible(world):
    wh, sim = world
    cutoff = pd.Timestamp(sim.churn_cutoff)
    truth = wh.table("truth_customers").execute()
    t = truth[truth.churn_eligible].set_index("customer_id")
    churned = t.churned.astype(bool)
    assert abs(t.churn_prob.mean() - churned.mean()) < 0.015
    assert _auc(churned, t.churn_prob) > 0.8

    orders = wh.table("orders").execute()
    orders = orders[orders.ordered_at <= cutoff]
    recency = (cutoff - orders.groupby("customer_id").ordered_at.max()).dt.days.reindex(t.index)
    assert _auc(churned, recency) > 0.7

    msg = wh.table("messages").execute()
    recent = msg[(msg.sent_at <= cutoff) & (msg.sent_at > cutoff - pd.Timedelta(days=180)) & ~msg.in_control]
    open_rate = (recent.opened_at <= cutoff).groupby(recent.customer_id).mean()
    has = open_rate.index.intersection(t.index)
    assert _auc(churned[has], -open_rate[has]) > 0.6

    docs = wh.table("documents").execute()
    docs = docs[(docs.created_at <= cutoff) & docs.customer_id.notna()]
    tickets = docs[docs.source == "ticket"].groupby("customer_id").size().reindex(t.index, fill_value=0)
    assert churned[tickets > 0].mean() > churned[tickets == 0].mean() + 0.05

    customers = wh.table("customers").execute().set_index("customer_id").reindex(t.index)
    by_country = churned.groupby(customers.country).mean()
    assert by_country["US"] > by_country["DE"] + 0.03 > by_country["CH"] + 0.03
    by_gender = churned.groupby(customers.gender).mean()
    assert abs(by_gender["female"] - by_gender["male"]) < 0.03  # no effect, by design


def _auc(y, score) -> float:
    y = np.asarray(y, dtype=bool)
    ranks = pd.Series(np.asarray(score, dtype=float)).rank().to_numpy()
    n1, n0 = y.sum(), (~y).sum()
    return (ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


# --- e-mail --------------------------------------------------------------------------------


def _complete_messages(wh, sim) -> pd.DataFrame:
    m = wh.table("messages").execute()
    u = wh.table("truth_uplift").execute()
    m = m.merge(u[["message_id", "tau", "p_persuadable", "uplift_type"]], on="message_id")
    return m[m.sent_at + pd.Timedelta(days=7) < pd.Timestamp(sim.end)]


def test_randomised_email_arms_differ_by_the_true_average_effect(world):
    wh, sim = world
    m = _complete_messages(wh, sim)
    y = m.converted_at.notna().to_numpy()
    treated = ~m.in_control.to_numpy()
    p1, p0 = y[treated].mean(), y[~treated].mean()
    se = np.sqrt(p1 * (1 - p1) / treated.sum() + p0 * (1 - p0) / (~treated).sum())
    ate = m.tau.mean()
    assert ate > 0.005
    assert abs((p1 - p0) - ate) < 1.96 * se, f"observed {p1 - p0:.4f} +- {1.96 * se:.4f}, true {ate:.4f}"
    # heterogeneous: the effect is larger where persuadables are more likely
    tertile = pd.qcut(m.p_persuadable.rank(method="first"), 3, labels=False).to_numpy()
    high, low = tertile == 2, tertile == 0

    def uplift(mask):
        return y[mask & treated].mean() - y[mask & ~treated].mean()

    assert uplift(high) > uplift(low) + 0.01
    # propensities are the assignment probabilities of the logged arms
    per = m.groupby("campaign_id").agg(share=("in_control", "mean"), n=("in_control", "size"))
    logged = m[m.in_control].groupby("campaign_id").propensity.first().reindex(per.index)
    z = (per.share - logged) / np.sqrt(logged * (1 - logged) / per.n)
    assert (z.abs() < 4).all(), z.abs().max()


def test_sending_at_the_preferred_hour_raises_opens(world):
    wh, _ = world
    m = wh.table("messages").execute()
    m = m[~m.in_control]
    t = wh.table("truth_customers").select("customer_id", "preferred_hour", "machine_opener").execute()
    m = m.merge(t, on="customer_id")
    m = m[~m.machine_opener]
    d = (m.sent_at.dt.hour - m.preferred_hour).abs()
    d = np.minimum(d, 24 - d)
    opened = m.opened_at.notna()
    assert opened[d <= 1].mean() > opened[d >= 4].mean() + 0.05


# --- media -----------------------------------------------------------------------------------


def _transformed_spend(spend: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Adstock and Hill saturation of the canonical spend, with the recorded curve parameters."""
    out = {}
    for channel, s in spend.items():
        c = curves.loc[channel]
        carry, a = s.iloc[0], np.empty(len(s))
        for i, x in enumerate(s.to_numpy()):
            carry = (1 - c.adstock_alpha) * x + c.adstock_alpha * carry
            a[i] = carry
        out[channel] = a**c.hill_shape / (a**c.hill_shape + c.hill_half_sat**c.hill_shape)
    return pd.DataFrame(out, index=spend.index)


def test_sales_respond_to_spend_as_the_recorded_curves_say(world):
    wh, _ = world
    spend = wh.table("media_spend").execute().pivot(index="date", columns="channel", values="spend").sort_index()
    curves = wh.table("truth_media").execute().set_index("channel")
    burn = 90  # the adstock carries spend from before the period; after 90 days it is gone
    sat = _transformed_spend(spend, curves).iloc[burn:]
    recorded = wh.table("truth_media_daily").execute().pivot(index="date", columns="channel", values="saturated")
    assert np.allclose(sat, recorded.reindex(sat.index)[sat.columns], atol=1e-6)

    kpis = wh.table("kpis").execute().set_index("date").sort_index().iloc[burn:]
    when = pd.to_datetime(kpis.index)
    n = len(kpis)
    doy = when.day_of_year.to_numpy()
    holiday = kpis.holiday_name.fillna("")
    controls = [
        np.ones(n),
        np.arange(n) / 365.0,
        np.cos(2 * np.pi * doy / 365.25),
        np.sin(2 * np.pi * doy / 365.25),
        kpis.price_index.to_numpy(),
        *[(when.day_of_week == d).astype(float) for d in range(1, 7)],
        *[(holiday == h).to_numpy(float) for h in sorted(set(holiday) - {""})],
    ]
    channels = list(sat.columns)
    x = np.column_stack([*controls, *[sat[c].to_numpy() for c in channels]])
    y = kpis.revenue.to_numpy()
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    cov = resid @ resid / (n - x.shape[1]) * np.linalg.inv(x.T @ x)
    k = len(controls)
    for i, channel in enumerate(channels):
        est, se = coef[k + i], np.sqrt(cov[k + i, k + i])
        true = curves.loc[channel, "beta"]
        # within 3 standard errors: five channels at once, so a wider band than the usual 1.96
        assert abs(est - true) < 3 * se, f"{channel}: {est:.0f} +- {3 * se:.0f}, true {true:.0f}"
    # and the well-measured channels are pinned down closely
    for channel in ("search", "tv"):
        i = channels.index(channel)
        assert abs(coef[k + i] / curves.loc[channel, "beta"] - 1) < 0.25

    parts = wh.table("truth_kpis").execute().set_index("date")
    total = parts[["base", "trend", "season", "weekday", "holiday", "price", "media", "noise"]].sum(axis=1)
    all_kpis = wh.table("kpis").execute().set_index("date").revenue
    assert np.allclose(total.reindex(all_kpis.index), all_kpis, atol=0.01)


# --- auctions --------------------------------------------------------------------------------


def test_auctions_follow_the_recorded_models(world):
    wh, _ = world
    req = wh.table("ad_requests").execute()
    truth = wh.table("truth_ad_requests").execute().set_index("request_id").reindex(req.request_id)
    assert ((req.bid.to_numpy() > truth.market_price.to_numpy()) == req.won.to_numpy()).all()
    assert req.price[~req.won].isna().all() and req.clicked[~req.won].isna().all()
    won = req.won.to_numpy()
    clicks = req.clicked[won].astype(bool).to_numpy()
    ctr = truth.ctr.to_numpy()[won]
    se = np.sqrt(np.sum(ctr * (1 - ctr))) / won.sum()
    assert abs(clicks.mean() - ctr.mean()) < 2.58 * se
    by_format = pd.Series(clicks).groupby(req.ad_format[won].to_numpy()).mean()
    assert by_format["video"] > by_format["native"] > by_format["banner"]


# --- texts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["review", "ticket", "social"])
def test_a_simple_text_classifier_learns_but_is_not_perfect(world, source):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    wh, _ = world
    docs = wh.table("documents")
    d = docs.filter(docs.source == source).select("text", "label").execute().head(12_000)
    train_x, test_x, train_y, test_y = train_test_split(d.text, d.label, test_size=0.3, random_state=0)
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
    clf = LogisticRegression(max_iter=2_000, C=10.0).fit(vec.fit_transform(train_x), train_y)
    accuracy = (clf.predict(vec.transform(test_x)) == test_y).mean()
    majority = test_y.value_counts(normalize=True).iloc[0]
    assert accuracy > majority + 0.1, (accuracy, majority)
    assert accuracy < 0.95, accuracy
    assert set(d.label) >= {"positive", "negative"} or source == "ticket"
