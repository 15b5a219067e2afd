"""Subject lines: features (emoji, personalisation, German / English), the model, the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nomagic.cli.sendtime  # noqa: F401  (registers the commands)
from nomagic.cli import main
from nomagic.lifecycle.record import validate
from nomagic.usecases.subject_lines import evaluate_subjects, features, language, predict_open_rate


def test_features_detected():
    f = features(
        [
            "Hallo {first_name}, nur heute 20% Rabatt 🎉",
            "Your order is on its way",
            "*|FNAME|*, last chance?",
            "Neue Herbstmode für dich!",
            "SALE: 50 € off",
        ]
    )
    assert f["personalised"].tolist() == [1, 0, 1, 0, 0]
    assert f["emoji"].tolist() == [1, 0, 0, 0, 0]
    assert f["urgency"].tolist()[:3] == [1, 0, 1]
    assert f["percent"].tolist() == [1, 0, 0, 0, 0]
    assert f["price"].tolist() == [0, 0, 0, 0, 1]
    assert f["question"].tolist() == [0, 0, 1, 0, 0] and f["exclamation"].tolist() == [0, 0, 0, 1, 0]
    assert f["caps_words"].iloc[4] == 1
    assert f["lang"].tolist()[:4] == ["de", "en", "other", "de"]  # no stopword in line 3: not guessed
    assert language("Das ist die neue Kollektion") == "de" and language("This is the new collection") == "en"


def history(n=6000, seed=0, signal=True):
    rng = np.random.default_rng(seed)
    lines = [
        "Hallo {first_name}, neue Angebote",
        "Neue Angebote für dich",
        "{first_name}, your picks are here",
        "Our picks for you",
        "Hi {first_name}: the new collection",
        "The new collection",
        "Sale now on",
        "Jetzt im Sale",
    ]
    subj = rng.choice(lines, n)
    p = np.where(pd.Series(subj).str.contains("first_name"), 0.35, 0.2) if signal else np.full(n, 0.25)
    return pd.DataFrame(
        {
            "subject": subj,
            "opened": (rng.random(n) < p).astype(int),
            "time": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 365 * 24, n)), "h"),
        }
    )


def test_model_finds_personalisation_and_is_honest_without_signal():
    ev = evaluate_subjects(history(), n_boot=200)
    validate(ev.record)
    assert ev.record["drivers"][0]["feature"] == "personalised"
    p = predict_open_rate(["Hallo {first_name}", "Angebote"], history())
    assert p[0] > p[1] + 0.08
    flat = evaluate_subjects(history(signal=False), n_boot=200)
    assert flat.verdict == "not better than baseline", flat.record["explanation"]


def test_cli_subject_lines(tmp_path, capsys):
    f = tmp_path / "h.csv"
    history().to_csv(f, index=False)
    main(["evaluate-subject-lines", "--data", str(f), "--subject", "subject", "--opened", "opened", "--time", "time",
          "--n-boot", "100"])  # fmt: skip
    main(["suggest-subject", "--data", str(f), "--subject", "subject", "--opened", "opened",
          "--candidates", "Hallo {first_name}!", "Newsletter"])  # fmt: skip
    out = capsys.readouterr().out
    assert out.index("Hallo {first_name}!") < out.index("Newsletter") and "beat the historical" in out
    flat = tmp_path / "flat.csv"
    history(signal=False).to_csv(flat, index=False)
    main(["suggest-subject", "--data", str(flat), "--subject", "subject", "--opened", "opened",
          "--candidates", "Newsletter", "Hallo {first_name}!"])  # fmt: skip
    out = capsys.readouterr().out
    assert "did NOT beat" in " ".join(out.split()) and out.index("Newsletter") < out.index("Hallo {first_name}!")
    bad = history().head(100)
    bad["opened"] = bad["opened"].astype(str)
    bad.loc[5, "opened"] = "maybe"
    g = tmp_path / "bad.csv"
    bad.to_csv(g, index=False)
    with pytest.raises(SystemExit) as exc:
        main(["evaluate-subject-lines", "--data", str(g), "--subject", "subject", "--opened", "opened"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "'opened'" in err and "row 6" in err


def test_warehouse_subject_lines(tmp_path):
    from nomagic.cli.lifecycle import train_use_case
    from nomagic.lifecycle.registry import Registry
    from nomagic.simulate import simulate
    from nomagic.usecases.subject_lines import SubjectLines, warehouse_history
    from nomagic.warehouse import connect

    with connect(str(tmp_path / "w.duckdb")) as wh:
        simulate(wh, customers=800, days=300, seed=2)
        hist = warehouse_history(wh)
        assert hist["subject"].str.len().gt(0).all() and hist["subject"].nunique() >= 5
        record, version = train_use_case(wh, SubjectLines, Registry(tmp_path / "reg"), source=wh.url)
        validate(record)
        # subject effects in the simulator are random per campaign, unrelated to the text: no magic
        assert record["verdict"] in ("not better than baseline", "not ready"), record["explanation"]
