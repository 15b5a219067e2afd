"""Send-time optimisation: machine-open filter, shrinkage, the policy beating the global hour, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nomagic.cli.sendtime  # noqa: F401  (registers the commands)
from nomagic.cli import main
from nomagic.lifecycle.record import validate
from nomagic.usecases.sendtime import MachineFilter, SendTimeModel, evaluate_log, send_log

START = pd.Timestamp("2024-01-01")


def synthetic_log(n_cust=1500, sends=40, seed=0, machine_share=0.1):
    """Customers with a favourite hour (morning 8 or evening 20); sends at random hours 6-21."""
    rng = np.random.default_rng(seed)
    fav = np.where(rng.random(n_cust) < 0.5, 8, 20)
    base = rng.uniform(0.1, 0.3, n_cust)
    machine = rng.random(n_cust) < machine_share
    rows = []
    for c in range(n_cust):
        day = np.sort(rng.choice(365, sends, replace=False))
        hour = rng.integers(6, 22, sends)
        d = np.abs(hour - fav[c])
        p = np.clip(base[c] * (1 + 2.0 * np.exp(-(d**2) / 2)), 0, 0.95)
        human = rng.random(sends) < p
        sent = START + pd.to_timedelta(day, "D") + pd.to_timedelta(hour * 3600 + rng.integers(0, 3600, sends), "s")
        delay = np.where(machine[c], rng.uniform(1, 60, sends), rng.exponential(3600, sends) + 200)
        opened = pd.Series(sent + pd.to_timedelta(delay, "s")).where(machine[c] | human)
        rows.append(pd.DataFrame({"cust": f"c{c}", "sent": sent, "opened": opened, "fav": fav[c]}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def raw():
    return synthetic_log()


def canonical(raw):
    return send_log(raw, "cust", "sent", "opened")


def test_machine_opens_filtered(raw):
    log = canonical(raw)
    mf = MachineFilter(machine_seconds=120)
    machines = set(mf.machine_customers(log))
    truly = set(raw.cust)
    eng = mf.engagement(log)
    # machine openers found: their opens are all within 60 s
    fast_share = eng.groupby("customer_id")["machine_open"].mean()
    assert machines == set(fast_share[fast_share > 0.5].index) and 0.05 < len(machines) / len(truly) < 0.15
    assert not eng.loc[eng.customer_id.isin(machines), "opened_human"].any()  # none of their opens count
    # a single fast open by a human is not counted either
    one = log.iloc[[0]].copy()
    one["opened"] = True
    one["opened_at"] = one["sent_at"] + pd.Timedelta(seconds=5)
    assert not mf.engagement(one)["opened_human"].iloc[0]
    assert MachineFilter(machine_seconds=0).engagement(one)["opened_human"].iloc[0]


def test_shrinkage_pulls_sparse_customers_to_the_segment():
    rng = np.random.default_rng(1)
    # many evening customers; one sparse customer with a single open at 07:00; one rich morning customer
    n = 20000
    cust = rng.integers(0, 400, n).astype(str)
    hour = rng.integers(6, 22, n)
    p = np.where(np.abs(hour - 20) <= 1, 0.5, 0.15)
    rows = pd.DataFrame(
        {"customer_id": cust, "sent_at": START + pd.to_timedelta(rng.integers(0, 300, n) * 24 + hour, "h")}
    )
    rows["opened_human"] = rng.random(n) < p
    sparse = pd.DataFrame(
        {"customer_id": ["sparse"], "sent_at": [START + pd.Timedelta(hours=7)], "opened_human": [True]}
    )
    h = np.tile(np.arange(6, 22), 6)
    rich = pd.DataFrame(
        {
            "customer_id": "rich",
            "sent_at": START + pd.to_timedelta(np.arange(h.size) * 24 + h, "h"),
            "opened_human": h == 7,
        }
    )
    log = pd.concat([rows, sparse, rich], ignore_index=True)
    m = SendTimeModel().fit(log)
    assert m.global_best_hour_ in (19, 20, 21)
    best = dict(zip(["sparse", "rich"], m.best_hour(["sparse", "rich"]), strict=True))
    assert abs(best["sparse"] - 20) <= 1  # one open is not enough to move it
    assert abs(best["rich"] - 7) <= 1  # a clear history keeps its own hour
    assert abs(m.best_hour(["never-seen"])[0] - 20) <= 1
    conf, own = m.confidence(["sparse", "rich"])
    assert own.tolist() == [1, h.size] and conf[1] > 0.5


def test_chosen_hours_beat_the_global_hour(raw):
    ev = evaluate_log(canonical(raw), n_boot=300)
    rec = validate(ev.record)
    assert rec["use_case"] == "sendtime" and rec["primary_metric"] == "open_rate"
    assert rec["verdict"] == "promoted", rec["explanation"]
    assert rec["metrics"]["improvement"]["open_rate"]["ci"][0] > 0
    # the chosen hours are near the true favourite for most customers with history
    test = ev.test.drop_duplicates("customer_id").merge(
        raw.drop_duplicates("cust")[["cust", "fav"]], left_on="customer_id", right_on="cust"
    )
    assert (np.abs(test.model_hour - test.fav) <= 2).mean() > 0.7


def test_not_ready_when_hour_was_fixed(raw):
    fixed = raw.copy()
    fixed["sent"] = fixed["sent"].dt.normalize() + pd.Timedelta(hours=10)
    fixed["opened"] = fixed["opened"].where(fixed["opened"].isna(), fixed["sent"] + pd.Timedelta(hours=1))
    assert evaluate_log(canonical(fixed), n_boot=50).verdict == "not ready"


def test_warehouse_use_case_runs_on_a_small_world(tmp_path):
    from nomagic.simulate import simulate
    from nomagic.usecases.sendtime import SendTime
    from nomagic.warehouse import connect

    with connect(str(tmp_path / "w.duckdb")) as wh:
        simulate(wh, customers=1500, days=400, seed=3)
        res = SendTime(n_boot=200).train(wh)
        validate(res.record)
        assert res.record["verdict"] in ("promoted", "not better than baseline", "not ready")
        from nomagic.cli.lifecycle import train_use_case
        from nomagic.lifecycle.registry import Registry

        record, version = train_use_case(wh, SendTime, Registry(tmp_path / "reg"), source=wh.url)  # as the demo does
        assert record["use_case"] == "sendtime"
        if version is not None:
            assert (version.folder / "sendtime_model.json").exists()
        df = SendTime().write_scores(wh)
        assert set(df.columns) >= {"customer_id", "best_hour", "confidence"} and wh.has("sendtime_scores")
        assert df["best_hour"].between(6, 21).all() and df["machine_opener"].any()


def test_cli_evaluate_and_bad_input(raw, tmp_path, capsys):
    f = tmp_path / "sends.csv"
    raw.to_csv(f, index=False)
    out = tmp_path / "rec.json"
    main(["evaluate-sendtime", "--data", str(f), "--id", "cust", "--sent", "sent", "--opened", "opened",
          "--json", str(out), "--n-boot", "100"])  # fmt: skip
    assert validate(pd.read_json(out, typ="series").to_dict())["use_case"] == "sendtime"
    bad = raw.head(50).astype(str)
    bad.loc[7, "sent"] = "not a time"
    g = tmp_path / "bad.csv"
    bad.to_csv(g, index=False)
    with pytest.raises(SystemExit) as exc:
        main(["evaluate-sendtime", "--data", str(g), "--id", "cust", "--sent", "sent", "--opened", "opened"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "'sent'" in err and "row 8" in err
    with pytest.raises(SystemExit) as exc:
        main(["evaluate-sendtime", "--data", str(g), "--id", "cust", "--sent", "nope", "--opened", "opened"])
    assert exc.value.code == 2 and "'nope'" in capsys.readouterr().err
