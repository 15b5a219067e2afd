"""``nomagic evaluate`` on a user's plain table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nomagic.cli import main
from nomagic.lifecycle import record as rec
from nomagic.lifecycle.plain import evaluate_table, read_table


def churn_table(n=900, seed=0, leak=False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.25, 0.2])
    tenure = rng.integers(1, 72, n)
    monthly = rng.uniform(20, 110, n).round(2)
    logit = -0.6 + 1.6 * (contract == "Month-to-month") - 0.05 * tenure + 0.015 * monthly
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    total = (monthly * tenure).round(2).astype(str)
    total[rng.random(n) < 0.02] = " "  # blanks, as Telco has them
    df = pd.DataFrame(
        {
            "customerID": [f"{i:04d}-X" for i in range(n)],
            "gender": rng.choice(["Female", "Male"], n),
            "Contract": contract,
            "tenure": tenure,
            "MonthlyCharges": monthly,
            "TotalCharges": total,
            "signup": pd.date_range("2023-01-01", periods=n, freq="6h").strftime("%Y-%m-%d %H:%M"),
            "Churn": np.where(churn, "Yes", "No"),
        }
    )
    if leak:
        df["cancel_reason_code"] = np.where(churn, "R" + pd.Series(rng.integers(1, 4, n)).astype(str), "none")
    return df


def write(tmp_path, name, df) -> str:
    path = tmp_path / name
    df.to_csv(path, index=False)
    return str(path)


def run_cli(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_cross_validation_record(tmp_path):
    path = write(tmp_path, "churn.csv", churn_table())
    res = evaluate_table(
        read_table(path), label="Churn", id="customerID", sensitive=("gender",), n_boot=200, source=path
    )
    r = rec.validate(res.record)
    assert r["split"].items() >= {"kind": "stratified-kfold", "folds": 5, "seed": 0, "validation": "k-fold"}.items()
    assert (
        r["data"]["rows"] == 900 and r["data"]["fingerprint"].startswith("sha256:") and r["data"]["positive"] == "Yes"
    )
    assert r["verdict"] in ("promoted", "not better than baseline")
    assert r["metrics"]["model"]["roc_auc"]["value"] > 0.7
    assert set(r["metrics"]["model"]) == set(r["metrics"]["baseline"]) == set(r["metrics"]["improvement"])
    assert "gender" not in r["model"]["features"] and "customerID" not in r["model"]["features"]
    assert "signup" not in r["model"]["features"]  # a date column is left out, with a note
    assert any("signup" in w for w in r["warnings"])
    assert "gender" in r["fairness"]["attributes"]
    assert r["drivers"][0]["feature"] in ("Contract", "tenure", "TotalCharges", "MonthlyCharges")
    p = res.predictions
    assert len(p) == 900 and p["fold"].nunique() == 5 and p["score"].between(0, 1).all()
    assert p["reason_1"].str.startswith(("risk up", "risk down")).all()


def test_time_split_and_given_test(tmp_path):
    df = churn_table(1200, seed=1)
    res = evaluate_table(df, label="Churn", time="signup", id="customerID", n_boot=100)
    assert res.record["split"]["kind"] == "time-rolling" and res.record["split"]["folds"] == 3
    p = res.predictions
    # every judged row is later than every row its model learned from: the latest 30% only
    assert len(p) == pytest.approx(0.3 * 1200, abs=5)
    assert p["row"].min() >= 0.69 * 1200
    train, test = df.iloc[:800], df.iloc[800:]
    res = evaluate_table(train, test=test, label="Churn", id="customerID", n_boot=100, test_source="t.csv")
    assert res.record["split"]["kind"] == "given-test" and res.record["split"]["test_rows"] == 400
    assert len(res.predictions) == 400


def test_cli_evaluate_writes_the_record(tmp_path, capsys):
    path = write(tmp_path, "churn.csv", churn_table())
    out = tmp_path / "record.json"
    scores = tmp_path / "scores.csv"
    code = run_cli(
        "evaluate",
        "churn",
        "--data",
        path,
        "--label",
        "Churn",
        "--id",
        "customerID",
        "--json",
        str(out),
        "--scores",
        str(scores),
        "--bootstrap",
        "200",
    )
    text = capsys.readouterr().out
    assert code == 0, text
    assert "Reality check" in text and "ROC-AUC" in text
    r = rec.read(out)
    assert r["use_case"] == "churn" and json.loads(out.read_text())["schema"] == 1
    assert pd.read_csv(scores).shape[0] == 900


def test_cli_evaluate_stops_on_leakage(tmp_path, capsys):
    path = write(tmp_path, "leaky.csv", churn_table(leak=True))
    out = tmp_path / "r.json"
    code = run_cli("evaluate", "churn", "--data", path, "--label", "Churn", "--json", str(out))
    text = capsys.readouterr().out
    assert code == 1
    assert "cancel_reason_code" in text
    r = rec.read(out)
    assert r["verdict"] == "not ready" and "cancel_reason_code" in r["explanation"]
    # dropping the leaky column makes it ready again
    code = run_cli(
        "evaluate", "churn", "--data", path, "--label", "Churn", "--drop", "cancel_reason_code", "--bootstrap", "100"
    )
    assert code == 0


def test_cli_evaluate_errors_are_clear(tmp_path, capsys):
    path = write(tmp_path, "churn.csv", churn_table(200))
    assert run_cli("evaluate", "churn", "--data", path, "--label", "Nope", "--skip-check") == 2
    assert "Nope" in capsys.readouterr().err
    assert run_cli("evaluate", "clv2", "--data", path, "--label", "Churn") == 2
    assert "unknown use case" in capsys.readouterr().err
    df = churn_table(200)
    df["Churn"] = np.random.default_rng(0).choice(["gold", "silver", "bronze"], 200)
    path = write(tmp_path, "multi.csv", df)
    assert run_cli("evaluate", "churn", "--data", path, "--label", "Churn", "--skip-check") == 2
    assert "--positive" in capsys.readouterr().err
    assert run_cli("evaluate", "churn", "--data", str(tmp_path / "missing.csv"), "--label", "Churn") == 2


@pytest.mark.slow
@pytest.mark.realdata
def test_telco_reaches_the_bar():
    from conftest import shared_data

    path = shared_data("telco_churn", "Telco-Customer-Churn_IBM.csv")
    res = evaluate_table(read_table(path), label="Churn", id="customerID", n_boot=200, source=str(path))
    m = res.record["metrics"]
    assert m["model"]["roc_auc"]["value"] >= 0.845
    assert m["model"]["ece"]["value"] <= 0.02
    assert res.record["verdict"] == "promoted"
