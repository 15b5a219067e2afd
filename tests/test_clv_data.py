"""From transactions to frequency / recency / T / spend: per-day aggregation, zero values, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nomagic.errors import InputError, NotReadyError
from nomagic.usecases.clv import read_transactions, summary_data


def _tx():
    return pd.DataFrame(
        {
            "cust": ["a", "a", "a", "a", "b", "b", "c", "d"],
            "when": [
                "2024-01-01",
                "2024-01-01",
                "2024-01-15",
                "2024-02-05",
                "2024-01-08",
                "2024-01-08",
                "2024-01-20",
                "2024-02-10",
            ],
            "amount": [10.0, 5.0, 20.0, 0.0, 7.0, 3.0, 9.0, 4.0],
        }
    )


def test_per_day_aggregation_and_columns():
    s = summary_data(
        _tx(), "cust", "when", "amount", "2024-01-29", "2024-02-26", min_repeat_buyers=1, today="2024-12-31"
    )
    a = s.loc["a"]
    assert a["frequency"] == 1  # two orders on Jan 1 are one purchase
    assert a["recency"] == pytest.approx(2.0) and a["T"] == pytest.approx(4.0)  # weeks
    assert a["monetary_value"] == pytest.approx(20.0) and a["spend_days"] == 1
    assert a["frequency_holdout"] == 1 and a["monetary_value_holdout"] == 0.0  # a $0 day counts, but not as spend
    assert s.loc["b", "frequency"] == 0  # two orders, one day
    assert "d" not in s.index  # first bought in the holdout
    at = s.attrs
    assert at["holdout_length"] == pytest.approx(4.0) and at["new_in_holdout"] == 1
    assert at["zero_value_orders"] == 1 and at["repeated_customer_days"] == 2
    assert any("value of 0" in w for w in at["warnings"]) and any("several orders" in w for w in at["warnings"])
    days = summary_data(
        _tx(), "cust", "when", "amount", "2024-01-29", time_unit="days", min_repeat_buyers=1, today="2024-12-31"
    )
    assert days.loc["a", "T"] == 28 and days.loc["a", "recency"] == 14


def test_dates_as_numbers_and_timestamps():
    tx = _tx()
    tx["when"] = pd.to_datetime(tx["when"]).dt.strftime("%Y%m%d").astype(int)
    s = summary_data(tx, "cust", "when", "amount", "2024-01-29", min_repeat_buyers=1, today="2024-12-31")
    assert s.loc["a", "frequency"] == 1
    tx["when"] = pd.to_datetime(tx["when"].astype(str)) + pd.Timedelta(hours=23)  # time of day is ignored
    s2 = summary_data(tx, "cust", "when", "amount", "2024-01-29", min_repeat_buyers=1, today="2024-12-31")
    pd.testing.assert_frame_equal(s[["frequency", "recency", "T"]], s2[["frequency", "recency", "T"]])


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda t: t.rename(columns={"amount": "x"}), "no value column 'amount'"),
        (lambda t: t.assign(when=["2024-01-01"] * 7 + ["not a date"]), "not dates.*row 8"),
        (lambda t: t.assign(when=["2024-01-01"] * 7 + ["2099-01-01"]), "in the future"),
        (lambda t: t.assign(amount=["1"] * 7 + ["lots"]), "not numbers"),
        (lambda t: t.assign(cust=["a"] * 7 + [None]), "blank"),
    ],
)
def test_bad_input_names_column_and_row(change, match):
    with pytest.raises(InputError, match=match):
        summary_data(change(_tx()), "cust", "when", "amount", "2024-01-29", min_repeat_buyers=1, source="orders.csv")


def test_not_ready_cases():
    with pytest.raises(NotReadyError, match="repeat buyers"):
        summary_data(_tx(), "cust", "when", "amount", "2024-01-29", today="2024-12-31")  # 1 repeat buyer < 20
    with pytest.raises(NotReadyError, match="no orders after the calibration end"):
        summary_data(
            _tx(), "cust", "when", "amount", "2024-03-01", "2024-04-01", min_repeat_buyers=1, today="2024-12-31"
        )
    with pytest.raises(InputError, match="must come after"):
        summary_data(
            _tx(), "cust", "when", "amount", "2024-01-29", "2024-01-10", min_repeat_buyers=1, today="2024-12-31"
        )


def test_read_transactions_formats(tmp_path):
    body = (
        " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  5   77.00\r\n"
    )
    ws = tmp_path / "master.txt"
    ws.write_bytes(body.encode())
    df = read_transactions(ws, ["customer_id", "date", "dollar_value"])
    assert list(df["customer_id"]) == ["00001", "00002"] and df["dollar_value"].iloc[1] == "77.00"
    csv = tmp_path / "t.csv"
    pd.DataFrame({"id": [1, 2], "d": ["2024-01-01", "2024-01-02"]}).to_csv(csv, sep=";", index=False)
    assert list(read_transactions(csv).columns) == ["id", "d"]
    pq = tmp_path / "t.parquet"
    pd.DataFrame({"id": ["1"], "d": pd.to_datetime(["2024-01-01"])}).to_parquet(pq)
    assert read_transactions(pq).shape == (1, 2)
    with pytest.raises(InputError, match=r"master.txt: no column 'revenue'; the file has: customer_id"):
        read_transactions(ws, ["customer_id", "revenue"])
    with pytest.raises(InputError, match="no such file"):
        read_transactions(tmp_path / "nope.csv")


def test_values_may_be_blank_and_negative_is_flagged():
    tx = _tx()
    tx.loc[2, "amount"] = np.nan
    tx.loc[6, "amount"] = -3.0
    s = summary_data(tx, "cust", "when", "amount", "2024-01-29", min_repeat_buyers=1, today="2024-12-31")
    assert s.loc["a", "spend_days"] == 0 and s.loc["a", "frequency"] == 1
    assert any("negative" in w for w in s.attrs["warnings"])
