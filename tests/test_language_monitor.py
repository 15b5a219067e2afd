"""Brand monitoring: spike alerts, brand matching, topics, the record, the report and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import shared_data

from nomagic.errors import InputError
from nomagic.usecases.language.monitor import find_brands, monitor, parse_brands, polarity_of
from nomagic.usecases.language.spikes import count_spikes, episodes, expected_counts, share_spikes

# ----------------------------------------------------------------------------- spikes


def test_quiet_poisson_series_raises_almost_no_alerts():
    rng = np.random.default_rng(0)
    false = sum(len(count_spikes(rng.poisson(20, 200))) for _ in range(30))
    assert false <= 1  # 6,000 quiet periods


def test_injected_spike_is_found_and_only_it():
    rng = np.random.default_rng(1)
    c = rng.poisson(20, 100)
    c[60] += 60
    assert [a["index"] for a in count_spikes(c)] == [60]


def test_daily_cycle_is_not_a_spike_but_a_night_burst_is():
    rng = np.random.default_rng(2)
    hours = np.arange(24 * 10)
    rate = 5 + 40 * (np.sin((hours % 24) / 24 * 2 * np.pi - np.pi / 2) + 1) / 2  # 5 at night, 45 mid-day
    c = rng.poisson(rate)
    assert count_spikes(c, cycle=24, window=168) == []
    night = 24 * 8 + 2
    c[night] += 40  # 40 extra at 2 am: a spike, although mid-day hours see as many
    assert [a["index"] for a in count_spikes(c, cycle=24, window=168)] == [night]


def test_nothing_is_judged_before_two_cycles_of_history():
    c = np.full(80, 20)
    c[30] = c[60] = 120
    assert [a["index"] for a in count_spikes(c, cycle=24)] == [60]


def test_two_weeks_of_days_do_not_make_a_weekday_pattern():
    rng = np.random.default_rng(5)
    false = sum(len(count_spikes(rng.poisson(30, 60), cycle=7)) for _ in range(30))
    assert false <= 1  # 1,800 quiet days


def test_overdispersed_noise_widens_the_band():
    rng = np.random.default_rng(3)
    c = rng.negative_binomial(2, 2 / 22, 300)  # mean 20, variance 220
    _, disp = expected_counts(c)
    assert disp > 3
    assert len(count_spikes(c)) <= 3


def test_share_spike_and_episodes():
    n = np.full(60, 100)
    hits = np.full(60, 20)
    hits[40:43] = 60
    found = share_spikes(hits, n)
    assert [a["index"] for a in found] == [40, 41, 42]
    eps = episodes(found)
    assert len(eps) == 1 and (eps[0]["first"], eps[0]["last"], eps[0]["periods"]) == (40, 42, 3)


# ----------------------------------------------------------------------------- brands and labels


def test_brand_matching_with_aliases_and_handles():
    brands = parse_brands("Virgin America, Acme=acme|acmeshop")
    assert brands == {"Virgin America": ["Virgin America"], "Acme": ["acme", "acmeshop"]}
    got = find_brands(
        ["@VirginAmerica rocks", "love #acmeshop", "acmes are not acme?", "nothing here", "acmeshopping"], brands
    )
    assert got == [["Virgin America"], ["Acme"], ["Acme"], [], []]


def test_polarity_of_user_labels():
    assert polarity_of(["Positive", "negativ", "NEU", "mixed"]).tolist() == ["positive", "negative", "neutral", "other"]


# ----------------------------------------------------------------------------- the record


def _mentions(seed: int = 0) -> pd.DataFrame:
    """Two brands over 12 days, hourly; Acme gets a storm of delivery complaints on day 10."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2026-03-01")
    calm = [
        "great product, love it",
        "order arrived fine",
        "nice shop",
        "ok price",
        "slow website today",
        "good service",
    ]
    for brand in ("Acme", "Globex"):
        for h in range(12 * 24):
            for _ in range(rng.poisson(3)):
                t = start + pd.Timedelta(hours=h, minutes=int(rng.integers(60)))
                txt = calm[rng.integers(len(calm))]
                rows.append(
                    (
                        f"{txt} @{brand} write to jo@example.com",
                        t,
                        brand,
                        "positive" if "love" in txt or "great" in txt else "neutral",
                    )
                )
    for i in range(60):
        t = start + pd.Timedelta(days=9, hours=10, minutes=i % 60)
        rows.append((f"@Acme where is my parcel? delivery late again #{i}", t, "Acme", "negative"))
    return pd.DataFrame(rows, columns=["text", "created", "brand", "sentiment"])


def test_monitor_finds_the_storm_and_explains_it():
    df = _mentions()
    rec = monitor(
        df, text="text", time_col="created", brand_col="brand", label_col="sentiment", topics=6, embedder=False
    )
    assert rec["data"]["period"] == "hour" and rec["data"]["brands"] == ["Acme", "Globex"]
    acme = [a for a in rec["alerts"] if a["brand"] == "Acme"]
    assert {a["kind"] for a in acme} == {"volume", "negative share"}
    assert all(a["start"].startswith("2026-03-10T10") for a in acme)
    assert any("parcel" in w or "delivery" in w for w in acme[0]["words"])
    assert not {"email", "mail"} & {w for a in rec["alerts"] for w in a["words"]}
    assert not [a for a in rec["alerts"] if a["brand"] == "Globex"]
    # the series adds up and the PII never reaches the record
    s = pd.DataFrame(rec["series"])
    assert s["mentions"].sum() == len(df)
    assert (s[["positive", "neutral", "negative"]].sum(axis=1) == s["mentions"]).all()
    assert "jo@example.com" not in json.dumps(rec)
    assert sum(t["mentions"] for t in rec["topics"]) == len(df)
    assert all("acme" not in t["label"].lower() for t in rec["topics"])


def test_topics_have_distinctive_labels_without_brands_or_placeholders():
    from nomagic.usecases.language.topics import find_topics

    rng = np.random.default_rng(0)
    kinds = {
        "luggage": [
            "lost my bag @Acme",
            "my luggage never arrived [EMAIL]",
            "suitcase lost again",
            "bag damaged, luggage gone",
        ],
        "delay": [
            "flight delayed three hours @Acme",
            "delayed again, hours late",
            "late departure, delayed",
            "delay delay hours",
        ],
        "thanks": [
            "thanks for the great help @Acme",
            "thank you, great crew",
            "great service thanks",
            "love the crew, thanks",
        ],
    }
    texts, truth = [], []
    for name, variants in kinds.items():
        for _ in range(40):
            texts.append(variants[rng.integers(4)] + f" #{rng.integers(1000)}")
            truth.append(name)
    t = find_topics(texts, k=3, embedder=False, exclude=["Acme"])
    words = {name: {w for x in t.topics for w in x["terms"] if truth[x["members"][0]] == name} for name in kinds}
    assert {"luggage", "bag"} & words["luggage"] and {"delayed", "hours"} & words["delay"]
    assert all(len({truth[i] for i in x["members"]}) == 1 for x in t.topics)  # clean clusters
    assert not any(w in ("acme", "email") for x in t.topics for w in x["terms"])


def test_monitor_bad_input():
    df = _mentions().head(50)
    with pytest.raises(InputError, match="column 'when' not found"):
        monitor(df, text="text", time_col="when")
    with pytest.raises(InputError, match="period"):
        monitor(df, text="text", time_col="created", period="month")


def test_volume_chart_data():
    pytest.importorskip("altair")
    from nomagic.report.monitor import render, volume_chart

    rec = monitor(_mentions(), text="text", time_col="created", brand_col="brand", label_col="sentiment", topics=False)
    chart = volume_chart(rec)
    data = pd.DataFrame(chart.data)
    series = data[data["layer"] == "series"]
    assert series["mentions"].sum() == sum(r["mentions"] for r in rec["series"])
    assert (data["layer"] == "alert").sum() == len(rec["alerts"])
    page = render(rec)
    assert "<svg" in page and "parcel" in page


# ----------------------------------------------------------------------------- CLI


def test_cli_monitor_brand(tmp_path, capsys):
    import nomagic.cli.monitor  # noqa: F401
    from nomagic.cli import main

    _mentions().to_csv(tmp_path / "m.csv", index=False)
    args = ["monitor", "brand", "--data", str(tmp_path / "m.csv"), "--text", "text", "--time", "created"]
    main([*args, "--brand", "brand", "--label", "sentiment", "--topics", "-1", "--json", str(tmp_path / "r.json")])
    rec = json.loads((tmp_path / "r.json").read_text())
    assert rec["use_case"] == "brand_monitoring" and rec["alerts"]
    assert "alert" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main([*args, "--brand", "shop"])
    assert exc.value.code == 2
    assert "no column 'shop'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([*args, "--brand", "brand", "--brands", "Acme"])
    assert exc.value.code == 2


def test_cli_monitor_brand_reads_the_warehouse_documents(tmp_path, capsys):
    import nomagic.cli.monitor  # noqa: F401
    from nomagic.cli import main
    from nomagic.warehouse import connect

    url = str(tmp_path / "wh.duckdb")
    with pytest.raises(SystemExit) as exc:
        main(["monitor-brand", "-w", url])
    assert exc.value.code == 2 and "no documents table" in capsys.readouterr().err
    docs = _mentions().rename(columns={"created": "created_at"}).assign(source="social", lang="en", label="")
    with connect(url) as wh:
        wh.con.create_table("documents", docs[["text", "created_at", "source", "lang", "label"]])
    main(
        [
            "monitor-brand",
            "-w",
            url,
            "--brands",
            "Acme,Globex",
            "--model",
            "lexicon",
            "--topics",
            "-1",
            "--json",
            str(tmp_path / "r.json"),
        ]
    )
    rec = json.loads((tmp_path / "r.json").read_text())
    assert rec["data"]["source"] == "documents (social)" and set(rec["data"]["brands"]) == {"Acme", "Globex"}
    assert rec["sentiment"]["source"].startswith("lexicon")


# ----------------------------------------------------------------------------- real data


@pytest.mark.realdata
def test_twitter_airline_alerts():
    path = shared_data("twitter_airline_sentiment", "Tweets.csv")
    df = pd.read_csv(path)
    rec = monitor(
        df, text="text", time_col="tweet_created", brand_col="airline", label_col="airline_sentiment", topics=False
    )
    american = [a for a in rec["alerts"] if a["brand"] == "American"]
    assert american and american[0]["new_source"]  # collection of @AmericanAir starts on Feb 22
    assert any("fleek" in a["words"] for a in rec["alerts"] if a["brand"] == "Delta")  # the "on fleek" storm
    assert len(rec["alerts"]) <= 20
