"""German for churn, propensity, CLV and recommendations: feature words, records, errors, reasons, CLI.

Every sentence these use cases say is a :class:`nomagic.words.Text`; these tests read its German
(``.de``, or the ``<key>_de`` sibling of a written record) and the German number and date formats.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import nomagic.cli.clv  # noqa: F401  (registers the commands)
import nomagic.cli.recommend  # noqa: F401
from nomagic.cli import main
from nomagic.errors import InputError
from nomagic.lifecycle.record import dumps
from nomagic.usecases import Churn, Propensity
from nomagic.usecases.clv import evaluate as evaluate_clv
from nomagic.usecases.clv import summary_data
from nomagic.usecases.clv.usecase import Clv
from nomagic.usecases.features import feature_texts
from nomagic.usecases.recommend.evaluate import evaluate as evaluate_recommend
from nomagic.usecases.recommend.online import Recommender
from nomagic.usecases.recommend.usecase import Recommend
from nomagic.words import Text

START = pd.Timestamp("2023-01-02")
GERMAN_DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
GERMAN_DECIMAL = re.compile(r"\b\d+,\d{3}\b")  # 0,817


def _transactions(n=1500, seed=0, days=420) -> pd.DataFrame:
    """Orders by BG/NBD-like customers (rates per day), gamma spend; customers acquired in the first 90 days."""
    rng = np.random.default_rng(seed)
    lam, p, nu = rng.gamma(0.8, 1 / 20.0, n), rng.beta(0.5, 4.0, n), rng.gamma(4.0, 1 / 15.0, n)
    rows = []
    for i in range(n):
        t = float(rng.integers(0, 90))
        rows.append((f"c{i:05d}", t, rng.gamma(6.0, 1 / nu[i])))
        while (t := t + rng.exponential(1 / lam[i])) <= days:
            rows.append((f"c{i:05d}", t, rng.gamma(6.0, 1 / nu[i])))
            if rng.random() < p[i]:
                break
    df = pd.DataFrame(rows, columns=["customer", "t", "amount"])
    df["ordered"] = START + pd.to_timedelta(np.floor(df["t"]), unit="D")
    return df.drop(columns="t")


@pytest.fixture(scope="module")
def tx():
    return _transactions()


# --------------------------------------------------------------------------- words of the features


def test_feature_words_read_german_with_german_numbers():
    t = feature_texts(["recency_days", "open_rate_90d", "overdue_ratio", "revenue_365d", "share_tea", "segment"])
    assert t["recency_days"].label.de == "Tage seit der letzten Bestellung"
    said = t["recency_days"].say(10000.0)
    assert str(said) == "no order for 10,000 days" and said.de == "seit 10.000 Tagen keine Bestellung"
    assert t["recency_days"].say(float("nan")).de == "noch nie bestellt"
    assert t["open_rate_90d"].say(0.429).de == "43 % der E-Mails geöffnet"
    assert t["overdue_ratio"].say(2.5).de == "seit der letzten Bestellung das 2,5-Fache des üblichen Abstands"
    assert t["revenue_365d"].say(12345.6).de == "12.346 Umsatz im letzten Jahr"
    assert t["share_tea"].label.de == "Anteil der Ausgaben für tea"
    assert t["share_tea"].say(0.25).de == "25 % der Ausgaben des letzten Jahres für tea"
    assert t["segment"].label.de == "segment"  # an attribute: its column name in both languages


def test_use_case_sentences_have_german():
    assert Churn.question.de == "Welche aktiven Kunden werden in den nächsten 90 Tagen nicht bestellen?"
    assert (Churn.words.up.de, Churn.words.down.de) == ("Risiko höher", "Risiko niedriger")
    assert Propensity.words.up.de == "Kauf wahrscheinlicher"
    assert Churn().baseline().label.de == "Tage seit der letzten Bestellung"
    for uc in (Churn, Propensity, Clv, Recommend):
        assert isinstance(uc.question, Text) and uc.question.de != str(uc.question)
        assert uc.limitations and all(isinstance(x, Text) and x.de != str(x) for x in uc.limitations)
    assert Churn.limitations[0].de.startswith("Abwanderung heißt hier")


# --------------------------------------------------------------------------- CLV


def test_clv_record_explains_itself_in_german(tx):
    ev = evaluate_clv(tx, "customer", "ordered", "amount", "2023-08-31", "2024-02-25", n_boot=100)
    rec = ev.record
    de = rec["explanation"].de
    assert str(rec["explanation"]).startswith("Compared on 1,")  # the English stays as it was
    assert de.startswith("Verglichen an 1.") and "95-%-KI" in de and "Baseline" in de
    assert "übernommen" in de and GERMAN_DECIMAL.search(de)
    assert "31.08.2023" in de and not ISO_DATE.search(de)  # dates as Germans write them
    assert rec["model_choice"]["reason"].de in de  # the choice's reason, in German, ends the explanation
    assert " und " in rec["model_choice"]["reason"].de and " and " not in rec["model_choice"]["reason"].de
    written = json.loads(dumps(rec))  # a written record carries the German next to the English
    assert written["explanation_de"] == de and written["explanation"] == str(rec["explanation"])
    assert written["model_choice"]["reason_de"] == rec["model_choice"]["reason"].de
    assert written["baseline"]["description_de"].startswith("jeder Kunde kauft weiter")
    assert written["curves"]["tracking"]["what_de"].startswith("kumulierte Wiederkaufstage")
    assert all("_de" not in k for k in written["metrics"]["model"])  # metric keys stay English


def test_clv_notes_and_errors_in_german(tx):
    twice = pd.concat([tx, tx.assign(amount=1.0)], ignore_index=True)  # every customer-day twice
    s = summary_data(twice, "customer", "ordered", "amount", "2023-08-31", today="2025-01-01")
    note = next(w for w in s.attrs["warnings"] if "several orders" in w)
    n = s.attrs["repeated_customer_days"]
    assert n >= 1000 and note.de.startswith(f"{n:,}".replace(",", ".") + " Kundentag(e)")
    bad = tx.head(8).assign(amount=["1"] * 7 + ["lots"])
    with pytest.raises(InputError) as exc:
        summary_data(bad, "customer", "ordered", "amount", "2023-08-31", min_repeat_buyers=1, source="orders.csv")
    de = exc.value.lang("de")
    assert de.startswith("orders.csv: Spalte 'amount' hat 1 Wert(e)") and "Datenzeile 8: 'lots'" in de
    assert "column 'amount'" in str(exc.value)  # English for English readers
    few = evaluate_clv(tx[tx["customer"] < "c00010"], "customer", "ordered", "amount", "2023-08-31")
    assert few.verdict == "not ready"
    assert few.record["explanation"].de.startswith("Nicht bewertet: nur ")
    assert "31.08.2023" in few.record["explanation"].de


def test_cli_evaluate_clv_speaks_german(tmp_path, tx, capsys, monkeypatch):
    data = tmp_path / "orders.csv"
    tx.to_csv(data, index=False)
    monkeypatch.setenv("NOMAGIC_LANG", "de")
    main(
        ["evaluate-clv", "--data", str(data), "--id", "customer", "--time", "ordered", "--value", "amount",
         "--calibration-end", "2023-08-31", "--n-boot", "50"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "Testzeitraum 01.09.2023 bis" in out and "Verbesserung" in out and "niedriger ist besser" in out
    assert "Verglichen an" in out and GERMAN_DECIMAL.search(out) and "Compared on" not in out
    with pytest.raises(SystemExit):
        main(["evaluate-clv", "--data", str(data), "--id", "customer", "--time", "when",
              "--calibration-end", "2023-08-31"])  # fmt: skip
    assert "keine Spalte 'when'" in capsys.readouterr().err


# --------------------------------------------------------------------------- recommendations


def test_recommendation_reasons_name_products_in_both_languages():
    names = {"p0": Text("green tea", "Grüner Tee"), "p1": Text("black tea", "Schwarzer Tee")}
    r = Recommender(
        ["a"],
        np.array([[1, 0]]),
        np.array([[2.0, 1.0]]),
        ["p0", "p1"],
        reasons=np.array([[0, 1]]),
        reason_kinds=np.array([[0, 1]], dtype=np.int8),
        popular=np.array([0, 1]),
        segment_popular={"DE": np.array([1, 0])},
        segment_of={"new": "DE"},
        segment_label="country",
        names=names,
    )
    first, second = r.recommend("a", 2)
    assert (
        str(first["reason"]) == "because you bought green tea"
        and first["reason"].de == "passend zu Ihrem Kauf: Grüner Tee"
    )
    assert second["reason"].de == "ähnlich wie Ihr Kauf: Schwarzer Tee"
    cold = r.recommend("new", 1)[0]["reason"]
    assert str(cold) == "popular in country DE" and cold.de == "beliebt bei Kunden aus DE"
    assert r.recommend("stranger", 1)[0]["reason"].de == "insgesamt beliebt"


def test_recommend_record_in_german():
    rng = np.random.default_rng(0)
    n = 1500
    u = rng.integers(0, 80, n)
    df = pd.DataFrame({"user": u, "item": (u % 5) * 6 + rng.integers(0, 6, n), "ts": rng.integers(0, 10_000, n)})
    grid = {"ease": [{"lam": 10.0, "half_life": None, "recent": 0.0}], "item_knn": [{"k": 50, "shrink": 10}]}
    rec = evaluate_recommend(df, "user", "item", "ts", n_boot=50, grid=grid).record
    de = rec["explanation"].de
    assert "NDCG@10" in de and GERMAN_DECIMAL.search(de) and "Testzeitraum wurde einmal verwendet" in de
    assert ("übernommen" in de) or ("Popularitätsliste beibehalten" in de)
    written = json.loads(dumps(rec))
    assert written["model"]["words_de"] and written["baseline"]["words_de"].startswith("die beliebtesten")
    with pytest.raises(InputError) as exc:
        evaluate_recommend(df.assign(ts=["x"] + ["2024-01-01"] * (n - 1)), "user", "item", "ts")
    assert exc.value.lang("de").startswith("Spalte 'ts', Datenzeile 1: 'x' ist weder eine Zahl noch ein Datum")
