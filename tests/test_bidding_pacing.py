"""The pacer (issue #20, item 5): follows the traffic-shaped target and never overspends."""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nomagic.errors import InputError
from nomagic.simulate.customers import HOUR_WEIGHTS
from nomagic.usecases.bidding.pacing import MICRO, Pacer

START = datetime(2026, 5, 4)  # a Monday


def _invariant(p: Pacer) -> None:
    # the hard promise, in exact integer micros: spend plus what open bids may cost fits the budget
    # (a win notice after its bid timed out is the documented exception)
    assert 0 <= p._reserved and 0 <= p._spent
    assert p._spent + p._reserved <= p._budget or p.counts["late_wins"] > 0
    assert p._reserved == sum(a for a, _ in p._outstanding.values())


ops = st.lists(
    st.one_of(
        st.tuples(st.just("bid"), st.floats(0, 50, allow_nan=False), st.floats(0, 1)),
        st.tuples(st.just("win"), st.integers(0, 1000), st.floats(0, 1)),
        st.tuples(st.just("loss"), st.integers(0, 1000), st.just(0.0)),
        st.tuples(st.just("wait"), st.floats(0, 30), st.just(0.0)),  # minutes; then expire
        st.tuples(st.just("again"), st.integers(0, 1000), st.floats(0, 1)),  # a duplicate or late notice
    ),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(budget=st.floats(0, 60, allow_nan=False), steps=ops, hours=st.floats(1, 72), paced=st.booleans())
def test_random_streams_never_overspend(budget, steps, hours, paced):
    # unpaced (multiplier fixed at 1), the budget binds often: the reservations alone must hold it
    limits = {} if paced else {"min_multiplier": 1.0, "max_multiplier": 1.0}
    p = Pacer(budget, START, START + timedelta(hours=hours), HOUR_WEIGHTS, timeout=timedelta(minutes=10), **limits)
    now = START
    open_bids: dict[str, float] = {}
    settled: list[tuple[str, float]] = []
    paid = []  # the prices of the accepted win notices
    for op, a, b in steps:
        if op == "bid":
            bid, token = p.bid(now, a, floor=b * 5)
            if bid is not None:
                assert bid >= b * 5 - 1e-9 and bid <= a * p.max_multiplier + 1e-9
                open_bids[token] = bid
        elif op in ("win", "loss") and open_bids:
            token = list(open_bids)[a % len(open_bids)]
            bid = open_bids.pop(token)
            if op == "win":
                price = bid * b  # second price: at most the bid
                p.win(token, price, now)
                paid.append(price)
            else:
                p.loss(token)
            settled.append((token, bid))
        elif op == "wait":
            now += timedelta(minutes=a)
            p.expire(now)
            for token in [t for t in open_bids if t not in p._outstanding]:
                settled.append((token, open_bids.pop(token)))  # timed out: its reservation is freed
        elif op == "again" and settled:
            token, bid = settled[a % len(settled)]
            before = p._spent
            p.win(token, bid * b, now)  # duplicates are ignored; only a timed-out bid may still be charged
            if p._spent != before:
                paid.append(bid * b)
        _invariant(p)
    if p.counts["late_wins"] == 0:  # late wins after a timeout are the documented exception
        assert math.fsum(paid) <= budget + 1e-9 * len(paid)
    assert p.spent <= budget or p.counts["late_wins"] > 0
    assert p.spent >= math.fsum(paid) - 1e-6 * len(paid)  # prices are charged, rounded up to a millionth


def test_concurrent_auctions_never_overspend():
    budget = 500.0
    p = Pacer(budget, START, START + timedelta(days=1), max_multiplier=3.0)
    now = START + timedelta(hours=12)
    charged = []
    lock = threading.Lock()

    def worker(seed):
        rng = np.random.default_rng(seed)
        mine = []
        for _ in range(3000):
            bid, token = p.bid(now, float(rng.lognormal(1.0, 0.7)))
            if bid is not None:
                mine.append((token, bid))
            if len(mine) > 20 or (mine and rng.random() < 0.3):  # many auctions open at once
                token, bid = mine.pop(int(rng.integers(len(mine))))
                if rng.random() < 0.6:
                    price = bid * float(rng.random())
                    p.win(token, price, now)
                    with lock:
                        charged.append(math.ceil(price * MICRO - 1e-6))
                else:
                    p.loss(token)
        for token, _ in mine:
            p.loss(token)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = p.state()
    assert s["reserved"] == 0 and s["outstanding"] == 0
    assert p._spent == sum(charged) and p.spent <= budget
    assert p.spent > 0.95 * budget  # demand far above the budget: it is used up, and not exceeded
    assert s["wins"] == len(charged)


def _steady_stream(pacer_shape, days=2, per_day=6000, demand=3.0, seed=0):
    rng = np.random.default_rng(seed)
    n = per_day * days
    hours = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    t = np.sort(rng.integers(0, days, n) * 24 + hours + rng.random(n))
    price, raw = rng.lognormal(1.0, 0.5, n), rng.lognormal(1.0, 0.5, n)
    budget = price[raw > price].sum() / demand  # unpaced, the bids would spend `demand` budgets
    p = Pacer(budget, START, START + timedelta(days=days), pacer_shape)
    gaps = []
    for ti, pr, rb in zip(t.tolist(), price.tolist(), raw.tolist(), strict=True):
        now = START + timedelta(hours=ti)
        bid, token = p.bid(now, rb)
        if bid is not None:
            p.win(token, pr, now) if bid > pr else p.loss(token)
        if ti > 6:
            gaps.append(abs(p.spent - p.target(now)) / budget)
    return p, budget, np.array(gaps)


@pytest.mark.parametrize("demand", [3.0, 0.8])
def test_spend_follows_the_target_curve(demand):
    p, budget, gaps = _steady_stream(HOUR_WEIGHTS, demand=demand)
    assert gaps.max() < 0.02  # after the first hours, within 2 % of the budget of the target
    assert 0.98 * budget < p.spent <= budget
    assert p.min_multiplier <= p.multiplier <= p.max_multiplier


def test_target_curve_follows_the_traffic_shape():
    p = Pacer(240.0, START, START + timedelta(days=2), HOUR_WEIGHTS)
    day = HOUR_WEIGHTS.sum()
    assert p.target(START) == 0 and p.target(START + timedelta(days=2)) == 240.0
    assert p.target(START + timedelta(days=1)) == pytest.approx(120.0)
    assert p.target(START + timedelta(hours=1)) == pytest.approx(120.0 * HOUR_WEIGHTS[0] / day)
    assert p.target(START + timedelta(hours=20, minutes=30)) == pytest.approx(
        120.0 * (HOUR_WEIGHTS[:20].sum() + HOUR_WEIGHTS[20] / 2) / day
    )
    flat = Pacer(70.0, START, START + timedelta(days=7), weekday_shape=[1, 1, 1, 1, 1, 0, 0])
    assert flat.target(START + timedelta(days=5)) == pytest.approx(70.0)  # nothing planned for the weekend
    odd = Pacer(10.0, START + timedelta(minutes=30), START + timedelta(hours=2, minutes=30))
    assert odd.target(START + timedelta(hours=1, minutes=30)) == pytest.approx(5.0)


def test_notices_timeouts_and_floors():
    # multiplier fixed at 1: this test is about the accounting, not the controller
    p = Pacer(10.0, START, START + timedelta(days=1), timeout=timedelta(minutes=5), min_multiplier=1, max_multiplier=1)
    t = START + timedelta(hours=1)
    assert p.bid(START - timedelta(seconds=1), 1.0) == (None, None)  # before the campaign
    bid, token = p.bid(t, 4.0)
    assert p.reserved == bid and p.available == pytest.approx(10.0 - bid)
    assert p.bid(t, 0.5, floor=50.0) == (None, None)  # below the auction's floor
    p.win(token, bid / 2, t)
    p.win(token, bid / 2, t)  # a duplicate notice: ignored
    assert p.spent == pytest.approx(bid / 2) and p.reserved == 0 and p.counts["unknown_notices"] == 1
    _, late = p.bid(t, 1.0)
    assert p.expire(t + timedelta(minutes=6)) == 1 and p.reserved == 0
    p.win(late, 0.5, t + timedelta(minutes=7))  # a win after the timeout is still money spent
    assert p.counts["late_wins"] == 1 and p.spent == pytest.approx(bid / 2 + 0.5)
    bid, token = p.bid(t, 1e9)  # never more than what is left
    assert bid == pytest.approx(p.remaining) and p.available == 0
    assert p.bid(t, 1.0) == (None, None)
    p.loss(token)
    assert p.available == pytest.approx(p.remaining)
    assert p.bid(START + timedelta(days=1), 1.0) == (None, None)  # after the end


def test_a_price_above_the_bid_is_charged_and_reported():
    p = Pacer(10.0, START, START + timedelta(days=1))
    bid, token = p.bid(START, 1.0)
    assert bid == 1.0
    with pytest.raises(InputError, match="above the bid") as e:
        p.win(token, 1500.0)
    assert "liegt über dem Gebot" in e.value.lang("de")
    assert p.spent == 1500.0 and p.counts["overcharges"] == 1
    assert p.bid(START, 1.0) == (None, None)  # nothing left: no more bids


def test_bad_settings_are_input_errors_in_both_languages():
    with pytest.raises(InputError, match="budget") as e:
        Pacer(-1, START, START + timedelta(days=1))
    assert "Budget" in e.value.lang("de")
    with pytest.raises(InputError) as e:
        Pacer(1, START, START)
    assert e.value.lang("de").startswith("Pacer: die Kampagne muss nach ihrem Beginn enden")
    with pytest.raises(InputError) as e:
        Pacer(1, START, START + timedelta(days=1), traffic_shape=[1] * 23)
    assert e.value.lang("de") == "Pacer: traffic_shape muss aus 24 Gewichten von mindestens 0 bestehen"
    with pytest.raises(InputError, match="-1.5"):
        Pacer(1, START, START + timedelta(days=1)).win("1", -1.5)


def test_state_is_a_snapshot():
    p = Pacer(1000.0, START, START + timedelta(days=2), HOUR_WEIGHTS)
    bid, token = p.bid(START + timedelta(hours=20), 2.0)
    p.win(token, 1.25, START + timedelta(hours=20))
    s = p.state()
    assert s["spent"] == 1.25 and s["remaining"] == 998.75 and s["bids"] == 1 and s["wins"] == 1
    assert s["target"] == pytest.approx(p.target(START + timedelta(hours=20)))
    assert s["multiplier"] > 1  # far behind the target: it bids up


@settings(max_examples=200, deadline=None)
@given(
    budget=st.floats(1, 60, allow_nan=False),
    before=st.lists(st.tuples(st.floats(0, 20, allow_nan=False), st.booleans(), st.floats(0, 1)), max_size=80),
    after=st.lists(st.tuples(st.floats(0, 20, allow_nan=False), st.floats(0, 1)), max_size=80),
    step=st.sampled_from([0.001, 0.01, 0.2]),
)
def test_a_crash_and_a_restart_from_the_ledger_never_spend_more_than_the_budget(budget, before, after, step):
    """The first process crashes with bids open (they may all still win: the money is gone); the second starts
    from the last lease its ledger wrote. Together they never spend more than the budget."""
    written: list[float] = []
    end = START + timedelta(hours=48)
    first = Pacer(budget, START, end, HOUR_WEIGHTS, ledger=written.append, lease_step=step)
    now, paid, open_bids = START + timedelta(hours=1), 0.0, []
    for raw, settle, frac in before:
        bid, token = first.bid(now, raw)
        if bid is None:
            continue
        if settle:
            first.win(token, bid * frac, now)
            paid += bid * frac
        else:
            open_bids.append(bid)
    paid += sum(open_bids)  # the crash: every open bid wins at its full bid, and nobody hears of it
    assert paid <= (written[-1] if written else 0.0) + 1e-9  # the ledger had it written down before
    second = Pacer(budget, START, end, HOUR_WEIGHTS, spent=written[-1] if written else 0.0, ledger=written.append)
    for raw, frac in after:
        bid, token = second.bid(now, raw)
        if bid is not None:
            second.win(token, bid * frac, now)
            paid += bid * frac
    assert paid <= budget + 1e-6


def test_a_ledger_that_cannot_write_stops_the_bidding():
    def broken(_):
        raise OSError("disk full")

    p = Pacer(100.0, START, START + timedelta(hours=10), ledger=broken)
    assert p.bid(START + timedelta(hours=1), 2.0) == (None, None)
    assert p.counts["ledger_errors"] == 1 and p.state()["lease"] == 0.0
