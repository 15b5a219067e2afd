"""The gate, the evaluation record, the registry, the model card, fairness and the backtest plan."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nomagic.errors import InputError, NotReadyError
from nomagic.lifecycle import fairness as fair
from nomagic.lifecycle import record as rec
from nomagic.lifecycle.gate import NOT_BETTER, PROMOTED, gate
from nomagic.lifecycle.metrics import bootstrap
from nomagic.lifecycle.models import AutoClassifier, ScoreBaseline
from nomagic.lifecycle.registry import CHALLENGER, CHAMPION, RETIRED, Registry, registry_root
from nomagic.lifecycle.usecase import TrainResult, plan_backtest


def _metrics(lo, hi, value=None):
    value = (lo + hi) / 2 if value is None else value
    return {
        "model": {"roc_auc": {"value": 0.8, "ci": [0.78, 0.82]}},
        "baseline": {"roc_auc": {"value": 0.8 - value, "ci": [0.7, 0.8]}},
        "improvement": {"roc_auc": {"value": value, "ci": [lo, hi]}},
    }


def test_gate_promotes_only_a_sure_improvement():
    assert gate(_metrics(0.01, 0.05), "roc_auc").verdict == PROMOTED
    unsure = gate(_metrics(-0.01, 0.03), "roc_auc")
    assert unsure.verdict == NOT_BETTER
    assert "baseline scores" in unsure.explanation and "not promoted" in unsure.explanation
    worse = gate(_metrics(-0.05, -0.01), "roc_auc")
    assert worse.verdict == NOT_BETTER and "worse" in worse.explanation
    assert gate(_metrics(0.0, 0.02), "roc_auc").verdict == NOT_BETTER  # a lower bound of 0 is not > 0


def test_gate_on_a_model_no_better_than_its_baseline():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    p = np.clip(0.3 * y + 0.7 * rng.random(2000), 0, 1)
    same_signal = np.clip(p + rng.normal(0, 0.01, 2000), 0, 1)
    m = bootstrap(y, same_signal, p, n_boot=300)
    assert gate(m, "roc_auc").verdict == NOT_BETTER


def _record(verdict="promoted"):
    m = _metrics(0.01, 0.05)
    return rec.make_record(
        use_case="churn",
        data={"source": "x.csv", "fingerprint": "sha256:00", "rows": 10},
        split={"kind": "stratified-kfold", "folds": 5, "seed": 0},
        primary_metric="roc_auc",
        metrics=m,
        verdict=verdict,
        explanation="plain words",
        drivers=[
            {
                "feature": "a",
                "label": "a",
                "importance": 1.0,
                "share": 1.0,
                "direction": "higher",
                "summary": "higher a → risk up",
            }
        ],
    )


def test_record_has_the_design_keys_and_validates(tmp_path):
    r = _record()
    assert list(r)[:11] == list(rec.REQUIRED)
    assert r["schema"] == 1 and r["created_at"].endswith("Z")
    path = rec.write(r, tmp_path / "r.json")
    assert rec.read(path)["verdict"] == "promoted"
    bad = dict(r, metrics={"model": {"acuracy": {"value": 1, "ci": [1, 1]}}, "baseline": {}, "improvement": {}})
    with pytest.raises(InputError, match="unknown metric"):
        rec.validate(bad)
    with pytest.raises(InputError, match="lacks"):
        rec.validate({"schema": 1})
    with pytest.raises(ValueError):
        _record("great")


def test_fingerprints_are_stable_and_content_based(tmp_path):
    a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    assert rec.fingerprint_frame(a) == rec.fingerprint_frame(a.copy())
    assert rec.fingerprint_frame(a) != rec.fingerprint_frame(a.assign(x=[1, 3]))
    f = tmp_path / "f.csv"
    f.write_text("x\n1\n")
    assert rec.fingerprint_file(f).startswith("sha256:")


def _result(seed=0, verdict="promoted"):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"recency_days": rng.uniform(0, 300, 300), "orders": rng.integers(0, 9, 300)})
    y = (rng.random(300) < X.recency_days / 300).astype(int)
    model = AutoClassifier(candidates=("logistic",)).fit(X, y)
    base = ScoreBaseline("recency_days").fit(X, y)
    r = _record(verdict)
    r["scorer"] = "model" if verdict == "promoted" else "baseline"
    return TrainResult(r, model, base, None, config={"seed": seed}, fingerprint=f"sha256:{seed}")


def test_registry_versions_statuses_and_safe_artifacts(tmp_path):
    reg = Registry(tmp_path / "reg")
    with pytest.raises(NotReadyError, match="nomagic train churn"):
        reg.get("churn")
    v1 = reg.register(_result(0))
    assert (v1.version, v1.status, v1.scorer) == ("v0001", CHAMPION, "model")
    reg.register(_result(1, verdict="not better than baseline"))
    assert reg.get("churn").version == "v0002" and reg.get("churn").scorer == "baseline"
    assert [v.status for v in reg.versions("churn")] == [RETIRED, CHAMPION]
    v3 = reg.register(_result(2), challenger=True)
    assert v3.status == CHALLENGER and reg.get("churn").version == "v0002"
    reg.set_status("churn", "v0003", CHAMPION)
    assert [v.status for v in reg.versions("churn")] == [RETIRED, RETIRED, CHAMPION]
    files = sorted(p.name for p in v1.folder.iterdir())
    assert files == ["baseline.json", "card.html", "card.md", "meta.json", "model.json", "record.json"]
    meta = json.loads((v1.folder / "meta.json").read_text())
    assert meta["data_fingerprint"] == "sha256:0" and meta["config"] == {"seed": 0}
    for path in v1.folder.iterdir():  # JSON, Markdown, HTML: text, never a pickle
        path.read_text()
    X = pd.DataFrame({"recency_days": [10.0, 250.0], "orders": [3, 0]})
    assert reg.get("churn", "v0001").model().predict_proba(X).shape == (2, 2)
    assert reg.get("churn", "v0001").baseline().predict_proba(X)[1, 1] > 0.5
    with pytest.raises(InputError, match="known"):
        reg.get("churn", "v0099")


def test_registry_lives_next_to_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv("NOMAGIC_REGISTRY", raising=False)
    assert registry_root(str(tmp_path / "wh.duckdb")) == tmp_path.resolve() / ".nomagic" / "registry"
    monkeypatch.chdir(tmp_path)
    assert registry_root("duckdb://:memory:") == Path.cwd() / ".nomagic" / "registry"


def test_model_card_markdown_and_html():
    from nomagic.lifecycle import card

    r = _record()
    meta = {"version": "v0001", "created_at": "2026-01-01T00:00:00Z", "scorer": "model", "data_fingerprint": "sha256:0"}
    md = card.markdown(r, meta)
    assert md.startswith("# Model card: churn v0001")
    for heading in ("## Verdict", "## Data", "## Metrics", "## Drivers", "## Limitations"):
        assert heading in md
    html = card.html(r, meta)
    assert html.startswith("<!doctype html>") and "<table>" in html and "http" not in html.replace("http-equiv", "")


def test_fairness_flags_and_engines_agree():
    rng = np.random.default_rng(0)
    n = 4000
    g = rng.choice(["a", "b"], n)
    y = (rng.random(n) < np.where(g == "a", 0.4, 0.1)).astype(int)
    p = np.clip(0.25 * y + 0.5 * (g == "a") * rng.random(n) + 0.2 * rng.random(n), 0, 1)
    a = fair.audit(y, p, {"group": g}, engine="numpy")
    f = fair.audit(y, p, {"group": g}, engine="fairlearn")
    ga, gf = a["attributes"]["group"], f["attributes"]["group"]
    assert ga["ratios"] == pytest.approx(gf["ratios"])
    for x, z in zip(ga["groups"], gf["groups"], strict=True):
        assert x["selection_rate"] == pytest.approx(z["selection_rate"])
        assert x["true_positive_rate"] == pytest.approx(z["true_positive_rate"])
    assert ga["ratios"]["selection_rate"] < 0.8 and fair.flags(a)
    small = fair.audit(y[:150], p[:150], {"group": g[:150]}, engine="numpy")
    assert all(x["small"] for x in small["attributes"]["group"]["groups"])  # < 100 rows: not judged
    assert small["attributes"]["group"]["ratios"] == {}


def test_backtest_plan_never_trains_on_labels_from_after_the_cutoff():
    plan = plan_backtest("2024-01-01", "2025-12-31 18:00", 90, step_days=30, n_test=3, n_train=6)
    assert plan.end == pd.Timestamp("2026-01-01")
    assert plan.tests[-1] == plan.end - pd.Timedelta(days=90)
    for c in plan.tests:
        assert plan.train[c], c
        for t in plan.train[c]:
            assert t + pd.Timedelta(days=90) <= c  # the label window of every training cutoff closed by c
    assert max(plan.final_train) + pd.Timedelta(days=90) <= plan.end
    assert plan.score_as_of == plan.end
    with pytest.raises(NotReadyError, match="needs at least"):
        plan_backtest("2024-01-01", "2024-05-01", 90)


def test_report_renders_offline_with_and_without_charts(tmp_path, monkeypatch):
    from nomagic import report
    from nomagic.lifecycle.metrics import lift_curve, reliability_curve
    from nomagic.report import charts

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    r = _record()
    r["curves"] = {
        who: {"reliability": reliability_curve(y, p), "lift": lift_curve(y, p)} for who in ("model", "baseline")
    }
    html = report.render([r])
    assert html.count("<svg") == 3 and "Reality check" in html and "<script" not in html
    monkeypatch.setattr(charts, "available", lambda: False)
    plain = report.render([r])
    assert "<svg" not in plain and "class='bar'" in plain and "nomagic[report]" in plain
    with pytest.raises(InputError, match="nothing to report"):
        report.render([])
    rows = report.reality_rows([r, _record("not ready") | {"metrics": {}}])
    assert rows[0]["improvement"].startswith("+0.030 [") and rows[1]["model"] == "-"


def test_parse_times_reads_the_usual_formats_and_names_the_bad_row():
    import pandas as pd

    from nomagic.lifecycle.tabular import parse_times

    assert list(parse_times(pd.Series(["20240301", "20240302"])).dt.day) == [1, 2]
    zoned = parse_times(pd.Series(["2024-03-01T10:00:00+02:00"]))
    assert zoned.iloc[0] == pd.Timestamp("2024-03-01 08:00:00")  # UTC, naive
    assert parse_times(pd.Series(["2024-03-01", " "])).isna().tolist() == [False, True]
    with pytest.raises(InputError, match=r"f.csv: column 'sent', data row 2: the value is blank"):
        parse_times(pd.Series(["2024-03-01", ""]), "sent", "f.csv", blank_ok=False)
    with pytest.raises(InputError, match=r"1 value\(s\) that are not dates \(first in data row 3: 'soon'\)"):
        parse_times(pd.Series(["2024-03-01", "2024-03-02", "soon"]), "when")
    with pytest.raises(InputError, match="holds numbers"):
        parse_times(pd.Series([1.5, 2.5]), "when")


def test_correlated_columns_are_one_driver_with_the_direction_of_their_sum():
    from nomagic.lifecycle.explain import global_drivers

    rng = np.random.default_rng(0)
    n = 2000
    recency = rng.gamma(2.0, 30.0, n)
    gap_ratio = recency / 30 + rng.normal(0, 0.1, n)  # moves with recency
    tenure = rng.uniform(0, 1000, n)  # independent
    values = pd.DataFrame({"recency": recency, "gap_ratio": gap_ratio, "tenure": tenure})
    # the model splits the effect: alone, "lower recency -> risk up" would contradict "higher gap -> risk up"
    z = (recency - recency.mean()) / recency.std()
    g = (gap_ratio - gap_ratio.mean()) / gap_ratio.std()
    contrib = pd.DataFrame({"recency": -0.5 * z, "gap_ratio": 1.5 * g, "tenure": 0.2 * (tenure - 500) / 300})
    drivers = global_drivers(contrib, values)
    first = drivers[0]
    assert first["members"] == ["gap_ratio", "recency"] and first["direction"] == "higher"
    assert "counted as one with recency" in first["summary"]
    assert [d["feature"] for d in drivers] == ["gap_ratio", "tenure"]  # recency is not a driver of its own
    assert abs(sum(d["share"] for d in drivers) - 1) < 1e-3


def test_groups_do_not_chain():
    from nomagic.lifecycle.explain import correlated_groups

    rng = np.random.default_rng(1)
    a = rng.normal(size=5000)
    b = a + rng.normal(0, 0.6, 5000)  # rho(a, b) ~ 0.85
    c = b + rng.normal(0, 0.9, 5000)  # rho(b, c) ~ 0.75, rho(a, c) ~ 0.6
    groups = correlated_groups(pd.DataFrame({"a": a, "b": b, "c": c}), ["a", "b", "c"])
    assert groups == [["a", "b"]]
