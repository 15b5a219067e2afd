"""Champion / challenger: the decision rule, the judging window, retrain on a toy shop, shadow scoring,
rollback, the retrain policy, and the words in German."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_churn import T0, toy_world

import nomagic.cli.retrain  # noqa: F401  (registers `retrain` and `rollback` until cli/__init__ lists them)
from nomagic.cli import main
from nomagic.errors import InputError
from nomagic.lifecycle import retrain as rt
from nomagic.lifecycle.registry import CHALLENGER, CHAMPION, RETIRED, Registry
from nomagic.usecases import Churn
from nomagic.words import say

END_OLD, END_NEW = 330, 480  # days of data the champion saw, and the data a retraining sees


# -- the rule, on scores made to order -------------------------------------------------------------


def _scores(seed: int = 0, n: int = 1500):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    strong = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    weak = np.clip(0.15 * y + 0.85 * rng.random(n), 0, 1)
    noise = rng.random(n)
    return y, strong, weak, noise


@pytest.mark.parametrize(
    ("who", "action"),
    [
        (("weak", "strong", "weak"), rt.PROMOTE),  # champion, challenger, baseline
        (("strong", "strong", "weak"), rt.KEEP),
        (("noise", "noise", "strong"), rt.FALLBACK),
        (("weak", "noise", "noise"), rt.KEEP),
    ],
)
def test_the_decision_follows_the_paired_intervals(who, action):
    y, strong, weak, noise = _scores()
    s = {"strong": strong, "weak": weak, "noise": noise}
    ev = rt.judge(y, *(s[w] for w in who), n_boot=300)
    assert rt.decide(ev) == action
    d = ev["challenger_vs_champion"]["roc_auc"]
    assert d["ci"][0] <= d["value"] <= d["ci"][1]
    if who[0] == who[1]:  # the same scores: a difference of exactly zero, paired
        assert d["value"] == 0 and d["ci"] == [0, 0]


def test_a_baseline_serving_champion_never_beats_the_baseline_and_a_failed_gate_never_promotes():
    y, strong, weak, _ = _scores(1)
    ev = rt.judge(y, weak, strong, weak, n_boot=300)
    assert rt.decide(ev, champion_serves="baseline") == rt.PROMOTE
    assert rt.decide(ev, challenger_passed_gate=False) == rt.KEEP
    ev = rt.judge(y, strong, weak, weak, n_boot=300)  # the champion's model is better, but it serves the baseline
    assert rt.decide(ev, champion_serves="baseline") == rt.FALLBACK


def test_the_window_starts_where_the_champions_outcomes_end():
    record = {
        "split": {"final_train_cutoffs": ["2024-07-29T00:00:00", "2024-08-28T00:00:00"], "horizon_days": 90},
    }
    seen = rt.seen_until(record)
    assert seen == pd.Timestamp("2024-11-26")
    tests = [pd.Timestamp(d) for d in ("2024-10-27", "2024-11-26", "2024-12-26")]
    assert rt.judging_window(tests, seen) == tests[1:]
    assert rt.seen_until({"data": {"end": "2025-01-01T00:00:00Z"}}) == pd.Timestamp("2025-01-01")
    with pytest.raises(InputError, match="does not say which data"):
        rt.seen_until({"use_case": "churn"})


def test_the_decision_in_german_has_german_numbers():
    y, strong, weak, _ = _scores(2)
    ev = rt.judge(y, weak, strong, weak, n_boot=200)
    on = say("{n:,} predictions", "{n:,} Vorhersagen", n=12345)
    text = rt.explain(ev, rt.PROMOTE, on=on, champion="v0001")
    a = ev["metrics"]["champion"]["roc_auc"]["value"]
    assert f"{a:.3f}" in text and f"{a:.3f}".replace(".", ",") in text.de
    assert "12,345 predictions" in text and "12.345 Vorhersagen" in text.de
    assert "übernommen" in text.de and "95-%-KI" in text.de
    fb = rt.explain(ev, rt.FALLBACK, on=on, champion="v0001", shadow=True)
    assert "Baseline" in fb.de and "würde bewerten (Schattenlauf)" in fb.de and "would score (shadow run)" in fb


# -- a toy shop whose data grows after the champion was trained ------------------------------------


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A warehouse whose champion learnt from the first days; then the data grows (as it does in real life)."""
    from nomagic.warehouse import connect

    folder = tmp_path_factory.mktemp("shop")
    path = str(folder / "shop.duckdb")
    with connect(path) as wh:
        toy_world(wh, n=400, days=END_NEW)
        full = {t: wh.table(t).execute() for t in ("orders", "events")}
        cut = T0 + pd.Timedelta(days=END_OLD)
        wh.write("orders", full["orders"][full["orders"]["ordered_at"] < cut])
        wh.write("events", full["events"][full["events"]["occurred_at"] < cut])
        registry = Registry(folder / ".nomagic" / "registry")
        registry.register(Churn(n_boot=200, n_test=2).train(wh))
        for name, df in full.items():
            wh.write(name, df)
    return path, registry


def _copy(shop, tmp_path):
    """A private copy of the shop (warehouse and registry) for a test that changes it."""
    import shutil
    from pathlib import Path

    path, registry = shop
    src = Path(path).parent
    dst = tmp_path / "shop"
    shutil.copytree(src, dst)
    return str(dst / "shop.duckdb"), Registry(dst / ".nomagic" / "registry")


def test_retrain_judges_on_the_unseen_window_and_records_why(shop, tmp_path, monkeypatch):
    from nomagic.warehouse import connect

    path, registry = _copy(shop, tmp_path)
    champ = registry.get("churn")
    # a champion that has gone stale: its served scores are noise, so the evidence must replace it
    monkeypatch.setattr(rt, "_served", lambda uc, v, frame: np.random.default_rng(0).random(len(frame)))
    with connect(path) as wh:
        out = rt.retrain(rt.use_case_like(Churn, champ), wh, registry)
    assert out.action == rt.PROMOTE and out.applied
    assert registry.get("churn").version == out.challenger.version == "v0002"
    assert {v.version: v.status for v in registry.versions("churn")} == {"v0001": RETIRED, "v0002": CHAMPION}
    doc = json.loads((out.challenger.folder / "record.json").read_text())
    ev = doc["retrain"]
    seen = rt.seen_until(champ.record())
    assert ev["window"]["cutoffs"] and all(pd.Timestamp(c) >= seen for c in ev["window"]["cutoffs"])
    assert ev["champion"]["version"] == "v0001" and ev["action"] == rt.PROMOTE
    lo = ev["challenger_vs_champion"]["roc_auc"]["ci"][0]
    assert lo > 0 and doc["scorer"] == "model"
    assert "promoted" in ev["explanation"] and "übernommen" in ev["explanation_de"]
    # the config of the champion went on: same profit, same bootstrap
    assert out.challenger.meta["config"]["n_test"] == 2 and ev["n_boot"] == 200
    history = registry.history("churn")
    assert history[-1]["action"] == "retrain: promote challenger" and history[-1]["replaced"] == "v0001"
    # rollback: the previous champion serves again, nothing is lost
    old, new = registry.rollback("churn")
    assert (old.version, new.version) == ("v0002", "v0001")
    assert registry.get("churn", "v0002").status == RETIRED and registry.history("churn")[-1]["action"] == "rollback"


def test_cli_shadow_changes_nothing_served_then_rollback(shop, tmp_path, capsys, monkeypatch):
    from nomagic.warehouse import connect

    monkeypatch.delenv("NOMAGIC_REGISTRY", raising=False)
    path, registry = _copy(shop, tmp_path)
    main(["--lang", "de", "retrain", "churn", "--shadow", "-w", path, "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert "Schattenlauf" in out and "scores_churn_shadow" in out and "Champion v0001" in out
    assert {v.version: v.status for v in registry.versions("churn")} == {"v0001": CHAMPION, "v0002": CHALLENGER}
    with connect(path) as wh:
        shadow = wh.table("scores_churn_shadow").execute()
        assert not wh.has("scores_churn")  # what is served is untouched
    assert {"customer_id", "champion_score", "challenger_score", "champion_version", "challenger_version"} <= set(
        shadow.columns
    )
    assert shadow["champion_version"].eq("v0001").all() and shadow["challenger_version"].eq("v0002").all()
    assert shadow["challenger_score"].between(0, 1).all() and len(shadow) > 100
    record = json.loads((tmp_path / "r.json").read_text())
    assert record["retrain"]["shadow"] is True and record["retrain"]["applied"] is False
    # --to picks any version: the shadow challenger serves after a person decided so
    main(["rollback", "churn", "--to", "v0002", "-w", path])
    assert "v0002 is the champion again" in capsys.readouterr().out
    main(["--lang", "de", "rollback", "churn", "-w", path])
    assert "v0001 ist wieder der Champion" in capsys.readouterr().out
    assert registry.get("churn").version == "v0001"
    assert [e["action"] for e in registry.history("churn")] == [
        "register",
        "retrain: " + record["retrain"]["action"],
        "rollback",
        "rollback",
    ]


def test_bad_input_exits_2_with_a_clear_message(shop, tmp_path, capsys, monkeypatch):
    from nomagic.warehouse import connect

    monkeypatch.delenv("NOMAGIC_REGISTRY", raising=False)
    for argv, said in (
        (["retrain", "nonsense"], "unknown use case"),
        (["retrain", "clv"], "`nomagic train clv`"),
        (["retrain", "churn"], "no champion yet"),
        (["rollback", "churn"], "no trained version"),
    ):
        with pytest.raises(SystemExit) as exc:
            main([*argv, "-w", str(tmp_path / "empty.duckdb")])
        assert exc.value.code == 2 and said in capsys.readouterr().err
    # a champion trained on all the data: no later window whose outcomes have arrived
    path, registry = _copy(shop, tmp_path)
    with connect(path) as wh:
        registry.register(Churn(n_boot=50, n_test=1).train(wh))
    with pytest.raises(SystemExit) as exc:
        main(["--lang", "de", "retrain", "churn", "-w", path])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "kein neueres Fenster" in err and "Neuere Daten laden" in " ".join(err.split())
    with pytest.raises(SystemExit):
        main(["rollback", "churn", "--to", "v0009", "-w", path])
    assert "no churn version 'v0009'" in capsys.readouterr().err


# -- the policy ------------------------------------------------------------------------------------


def _fake_registry(tmp_path, created_at: str) -> Registry:
    reg = Registry(tmp_path / ".nomagic" / "registry")
    folder = reg.root / "churn" / "v0001"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps({"created_at": created_at, "status": "champion", "scorer": "model"}))
    (reg.root / "churn" / "index.json").write_text(
        json.dumps({"use_case": "churn", "versions": [{"version": "v0001", "status": "champion"}]})
    )
    return reg


def test_policy_from_config(tmp_path):
    path = tmp_path / "config.toml"
    assert rt.load_policy(path).policy == "on-alert"  # no file: the default
    path.write_text('[retrain]\npolicy = "both"\nevery = "4w"\n[retrain.propensity]\nevery = 14\n')
    assert rt.load_policy(path, "churn").every_days == 28
    assert rt.load_policy(path, "propensity").every_days == 14
    for text, said in (
        ('[retrain]\npolicy = "sometimes"\n', "retrain.policy = 'sometimes' is unknown"),
        ('[retrain]\npolicy = "schedule"\n', "needs retrain.every"),
        ('[retrain]\npolicy = "schedule"\nevery = "monthly"\n', "is not a period"),
        ("[retrain\n", "is not valid TOML"),
    ):
        path.write_text(text)
        with pytest.raises(InputError, match=said) as exc:
            rt.load_policy(path)
        assert str(path) in str(exc.value)


def test_due_on_schedule_and_on_alert(wh, tmp_path):
    reg = _fake_registry(tmp_path, "2026-01-01T00:00:00Z")
    now = pd.Timestamp("2026-01-20", tz="UTC")
    due, why = rt.is_due(rt.RetrainPolicy("schedule", 30), wh, reg, "churn", now)
    assert not due and "19 days ago" in why and "vor 19 Tagen" in why.de
    assert rt.is_due(rt.RetrainPolicy("schedule", 14), wh, reg, "churn", now)[0]
    assert not rt.is_due(rt.RetrainPolicy("never"), wh, reg, "churn", now)[0]
    # on alert, before the monitor ever wrote its table: say so, do nothing
    due, why = rt.is_due(rt.RetrainPolicy("on-alert"), wh, reg, "churn", now)
    assert not due and "no monitor_alerts table" in why
    alerts = pd.DataFrame(
        {
            "use_case": ["churn", "churn", "propensity", "churn"],
            "version": ["v0001", "v0001", "v0001", "v0000"],  # the last: about a retired version
            "kind": ["prior shift", "input drift", "input drift", "prediction drift"],
            "severity": ["high", "low", "high", "high"],
            "created_at": pd.to_datetime(["2025-12-30", "2026-01-10", "2026-01-10", "2026-01-11"]),
        }
    )
    wh.write("monitor_alerts", alerts.iloc[[0, 2]])  # an alert before the last training: handled by it
    assert not rt.is_due(rt.RetrainPolicy("on-alert"), wh, reg, "churn", now)[0]
    wh.write("monitor_alerts", alerts)
    due, why = rt.is_due(rt.RetrainPolicy("both", 30), wh, reg, "churn", now)
    assert due and "1 alert(s) on churn since the last training (input drift)" in why
    assert "1 Warnung(en) zu churn" in why.de


def test_due_when_the_champion_learnt_from_people_erased_since(wh, tmp_path, monkeypatch):
    from nomagic.privacy import subject

    reg = _fake_registry(tmp_path, "2026-01-01T00:00:00Z")
    now = pd.Timestamp("2026-01-05", tz="UTC")
    assert not rt.is_due(rt.RetrainPolicy("schedule", 30), wh, reg, "churn", now)[0]
    champ = reg.champion("churn").version
    flags = [{"use_case": "churn", "version": champ, "erased": 2, "last_erased_at": "2026-01-04T10:00:00"}]
    monkeypatch.setattr(subject, "versions_with_erased", lambda root: flags)
    due, why = rt.is_due(rt.RetrainPolicy("schedule", 30), wh, reg, "churn", now)
    assert due and f"the champion {champ} learnt from data of 2 person(s) erased since" in why
    assert "seither gelöschten Person(en) gelernt (zuletzt am 04.01.2026)" in why.de
    flags[0]["version"] = "v0099"  # another version's flag does not concern the champion
    assert not rt.is_due(rt.RetrainPolicy("schedule", 30), wh, reg, "churn", now)[0]


def test_cli_if_due_does_nothing_when_not_due(shop, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NOMAGIC_REGISTRY", raising=False)
    path, registry = _copy(shop, tmp_path)
    (registry.root.parent / "config.toml").write_text('[retrain]\npolicy = "on-alert"\n')
    main(["retrain", "churn", "--if-due", "-w", path])
    out = " ".join(capsys.readouterr().out.split())
    assert "no monitor_alerts table" in out and "not due; nothing retrained" in out
    assert [v.version for v in registry.versions("churn")] == ["v0001"]
