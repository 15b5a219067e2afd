"""monitor backtest: late labels, alerts on a real change, quiet on a stationary stream, bad input, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nomagic.errors import InputError
from nomagic.monitor import ACTIONS, Policy, backtest

FAST = {"candidates": ("logistic",)}


def prior_world(n: int, *, change: int | None = None, rate=(0.25, 0.5), seed: int = 0) -> pd.DataFrame:
    """Outcome first, then features given the outcome: from row ``change`` on only the rate moves."""
    rng = np.random.default_rng(seed)
    r = np.where(np.arange(n) >= (change if change is not None else n), rate[1], rate[0])
    y = (rng.random(n) < r).astype(int)
    return pd.DataFrame(
        {
            "a": rng.normal(size=n) + 1.0 * y,
            "b": rng.normal(size=n) - 0.7 * y,
            "plan": np.where(rng.random(n) < 0.3 + 0.3 * y, "monthly", "yearly"),
            "week": np.arange(n) // 250,  # a calendar column that moves all the time; the outcome ignores it
            "churned": np.where(y == 1, "Yes", "No"),
        }
    )


def test_each_chunk_is_monitored_without_its_own_labels():
    doc = backtest(
        prior_world(2400), label="churned", initial_rows=1200, chunk_rows=300, label_delay=2, model_params=FAST
    )
    assert len(doc["chunks"]) == 4
    for c in doc["chunks"]:
        assert c["labels_known_through"] == c["index"] - 2  # never its own, nor the one before
        for key in (
            "index",
            "rows",
            "estimated_positive_rate",
            "estimated_roc_auc",
            "alert",
            "alert_reasons",
            "action",
            "realized_positive_rate",
            "realized_roc_auc",
        ):
            assert key in c
        assert c["action"] in ACTIONS
        assert (c["estimated_roc_auc"] is None) == (c["estimated_roc_auc_reason"] is not None)
    # with labels two chunks late, the first chunks see only the first rows' labels: the naive rate is theirs
    assert doc["chunks"][0]["rate_method"] == "last_labelled"


def test_a_prior_shift_is_alerted_within_two_chunks_and_a_stationary_stream_stays_quiet():
    change_chunk = 4
    df = prior_world(1500 + 10 * 300, change=1500 + change_chunk * 300, rate=(0.2, 0.45), seed=1)
    doc = backtest(df, label="churned", initial_rows=1500, chunk_rows=300, model_params=FAST, seed=1)
    alerted = doc["summary"]["alerted_chunks"]
    assert not [k for k in alerted if k < change_chunk]
    assert alerted and alerted[0] <= change_chunk + 1
    first = doc["chunks"][alerted[0]]
    kinds = {a["kind"] for a in first["alert_reasons"]}
    assert kinds & {"prior shift", "prediction drift", "input drift", "rate moved"}
    for a in first["alert_reasons"]:
        assert a["severity"] in ("warning", "critical")
        assert a["evidence"].de != str(a["evidence"]) and a["what_to_do"].de
    # the calendar column moved all along, but never paged anyone
    quiet = backtest(
        prior_world(1500 + 8 * 300, seed=2),
        label="churned",
        initial_rows=1500,
        chunk_rows=300,
        model_params=FAST,
        seed=2,
    )
    assert quiet["summary"]["alerts"] <= 1
    assert all(c["action"] == "keep" for c in quiet["chunks"] if not c["alert"])


def test_label_free_rate_is_validated_against_the_last_labelled_chunk():
    df = prior_world(1500 + 12 * 300, change=1500 + 5 * 300, rate=(0.2, 0.5), seed=3)
    doc = backtest(
        df, label="churned", initial_rows=1500, chunk_rows=300, policy=Policy(on_alert=False), model_params=FAST, seed=3
    )
    chunks = doc["chunks"]
    assert all(c["action"] == "keep" for c in chunks)
    # before three labelled chunks exist, the naive rate is used, and the entry says why
    assert chunks[0]["rate_method"] == "last_labelled" and "validate" in chunks[0]["rate_why"]
    mae = doc["summary"]["positive_rate_mae"]
    assert mae["used"] <= mae["last_labelled_chunk"] + 0.01
    # the label-free estimate follows the jump the naive rate only sees a chunk late
    after = chunks[5]
    assert abs(after["rate_estimates"]["acc"]["value"] - after["realized_positive_rate"]) < 0.12


def test_policy_retrains_on_schedule_and_judges_on_fresh_labels():
    df = prior_world(1500 + 6 * 300, seed=4)
    doc = backtest(
        df,
        label="churned",
        initial_rows=1500,
        chunk_rows=300,
        policy=Policy(on_alert=False, every=2),
        model_params=FAST,
        seed=4,
    )
    judged = [c["decision"] for c in doc["chunks"] if c["decision"] and c["decision"]["judged"]]
    assert judged
    d = judged[0]
    assert d["window"]["first_row"] > d["challenger_trained_on"]["last_row"]
    assert set(d["roc_auc"]) == {"champion", "challenger", "baseline"}
    assert d["why"].de


@pytest.mark.parametrize(
    ("kw", "en", "de"),
    [
        ({"chunk_rows": 40}, "too few rows per chunk", "zu wenige Zeilen je Block"),
        ({"initial_rows": 100, "chunk_rows": 100}, "too few rows for the first champion", "zu wenige Zeilen"),
        ({"label_delay": 0}, "labels never arrive", "Labels treffen nie"),
        ({"label": "Churn"}, "has no label column 'Churn'", "hat keine Zielspalte 'Churn'"),
        ({"initial_rows": 1500, "chunk_rows": 600}, "leave no chunk", "keinen Block"),
    ],
)
def test_bad_input_says_what_and_where(kw, en, de):
    df = prior_world(1800)
    args = {"label": "churned", "initial_rows": 1200, "chunk_rows": 300, "label_delay": 1, **kw}
    with pytest.raises(InputError) as exc:
        backtest(df, model_params=FAST, source="stream.csv", **args)
    assert en in str(exc.value.args[0]) and de in exc.value.lang("de")


def test_no_labels_ever():
    df = prior_world(1800)
    df["churned"] = "No"
    with pytest.raises(InputError, match="only one value"):
        backtest(df, label="churned", initial_rows=1200, chunk_rows=300, model_params=FAST)
    df = prior_world(1800)
    df.loc[:1199, "churned"] = "No"
    df.loc[0, "churned"] = "Yes"
    with pytest.raises(InputError) as exc:
        backtest(df, label="churned", initial_rows=1200, chunk_rows=300, model_params=FAST, source="s.csv")
    assert "1 positive" in str(exc.value.args[0]) and "1 positive" in exc.value.lang("de")


def test_time_column_orders_the_rows():
    df = prior_world(2100, seed=5)
    df["when"] = pd.date_range("2026-01-01", periods=len(df), freq="h")
    shuffled = df.sample(frac=1.0, random_state=0)
    doc = backtest(shuffled, label="churned", time="when", initial_rows=1200, chunk_rows=300, model_params=FAST)
    assert doc["chunks"][0]["start"].startswith("2026-02-20")  # row 1200 in time order
    assert "when" not in doc["features"]


def test_cli_writes_the_backtest_in_both_languages(tmp_path, capsys, monkeypatch):
    import nomagic.cli.monitor_models  # noqa: F401  (registers monitor-backtest)
    from nomagic.cli import main

    path = tmp_path / "stream.csv"
    prior_world(1500 + 3 * 300, seed=6).to_csv(path, index=False)
    out = tmp_path / "bt.json"
    main(
        [
            "--lang",
            "de",
            "monitor-backtest",
            "churn",
            "--data",
            str(path),
            "--label",
            "churned",
            "--initial-rows",
            "1500",
            "--chunk-rows",
            "300",
            "--label-delay",
            "1",
            "--json",
            str(out),
        ]
    )
    doc = json.loads(out.read_text())
    assert len(doc["chunks"]) == 3 and "explanation_de" in doc
    assert "Blöcke abgespielt" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "monitor-backtest",
                "clv",
                "--data",
                str(path),
                "--label",
                "churned",
                "--initial-rows",
                "1500",
                "--chunk-rows",
                "300",
            ]
        )
    assert exc.value.code == 2
    assert "binary outcome" in capsys.readouterr().err
