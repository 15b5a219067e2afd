"""Consent and purpose (issue 19, item 1): the policy alone, then every output path of a simulated world.

The scan at the end is the promise a data-protection officer signs: after the demo world's scores, segments,
CLV, send times, uplift list, recommendations, shadow scores, exports, logged decisions and API answers,
no row and no file is about a customer without profiling consent (or on an e-mail list without e-mail
consent, or after an objection).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pandas as pd
import pytest

from nomagic.privacy import consent as C
from nomagic.warehouse import connect


@pytest.fixture
def wh():
    w = connect("duckdb://:memory:")
    w.write(
        "customers",
        pd.DataFrame(
            {
                "customer_id": ["a", "b", "c", "d", "e"],
                "created_at": pd.Timestamp("2025-01-01"),
                "country": "DE",
                "consent_profiling": [True, False, None, True, True],
                "consent_email": [True, True, True, None, False],
            }
        ),
    )
    yield w
    w.close()


def frame(*ids, col="customer_id"):
    return pd.DataFrame({col: list(ids), "score": range(len(ids))})


# ------------------------------------------------------------------------------------------- the rule


def test_null_and_false_mean_no(wh):
    assert C.allowed_ids(wh, C.PROFILING) == {"a", "d", "e"}
    assert C.allowed_ids(wh, C.EMAIL) == {"a", "b", "c"}
    assert C.allowed_ids(wh, (C.PROFILING, C.EMAIL)) == {"a"}  # a list built from a profile needs both
    assert C.denied_ids(wh, C.PROFILING) == {"b", "c"}
    t = C.consent_table(wh).set_index("customer_id")
    assert not t.loc["c", "profiling"] and not t.loc["d", "email"] and not t["objected"].any()


def test_missing_column_or_table_means_no():
    w = connect("duckdb://:memory:")
    assert C.allowed_ids(w, C.PROFILING) == set()  # no customers table: nobody has consented
    kept, left = C.keep_allowed(w, frame("a", "b"), C.PROFILING)
    assert kept.empty and left == 2 and "no customers table" in str(left.words)
    w.write("customers", pd.DataFrame({"customer_id": ["a", "b"], "consent_email": [True, True]}))
    assert C.allowed_ids(w, C.PROFILING) == set() and C.allowed_ids(w, C.EMAIL) == {"a", "b"}
    kept, left = C.keep_allowed(w, frame("a", "x"), C.EMAIL)
    assert list(kept["customer_id"]) == ["a"] and left.reasons == {"unknown": 1}  # x: no consent recorded


def test_integer_consent_counts_one_as_yes_and_text_is_refused():
    w = connect("duckdb://:memory:")
    w.write("customers", pd.DataFrame({"customer_id": [1, 2, 3], "consent_profiling": [1, 0, None]}))
    assert C.allowed_ids(w, C.PROFILING) == {"1"}  # ids compare as text
    w.write("customers", pd.DataFrame({"customer_id": ["a"], "consent_profiling": ["Yes"]}))
    with pytest.raises(C.ConsentError, match=r"\[values.consent_profiling\]") as exc:
        C.allowed_ids(w, C.PROFILING)
    assert "Mapping-Datei" in exc.value.lang("de")


def test_objection_stops_profiling_and_email(wh):
    wh.write("privacy_objections", pd.DataFrame({"customer_id": ["a"], "objected_at": [pd.Timestamp("2026-01-01")]}))
    assert "a" not in C.allowed_ids(wh, C.PROFILING) and "a" not in C.allowed_ids(wh, C.EMAIL)
    kept, left = C.keep_allowed(wh, frame("a", "b", "d"), C.PROFILING)
    assert list(kept["customer_id"]) == ["d"]
    assert left.reasons == {"objected": 1, "profiling": 1}
    assert str(left.words) == "2 customers left out: 1 objected (Art. 21 GDPR), 1 without profiling consent"
    view = C.ConsentView.load(wh)
    assert "Art. 21" in view.why_not("a") and "widersprochen" in view.why_not("a", C.EMAIL).de
    assert view.why_not("d") is None and "e-mail" in view.why_not("d", C.EMAIL)
    assert view.allows("session-17")  # not a known customer: nobody to refuse
    wh.write("privacy_objections", pd.DataFrame({"who": ["a"]}))
    with pytest.raises(C.ConsentError, match="privacy_objections has no column customer_id"):
        C.allowed_ids(wh, C.PROFILING)


def test_keep_allowed_counts_people_keeps_attrs_and_checks(wh):
    f = frame("a", "b", "b", "b", "c", "zz")  # b: three rows (three recommendations), one customer
    f.attrs["params"] = {"x": 1}
    kept, left = C.keep_allowed(wh, f, C.PROFILING)
    assert list(kept["customer_id"]) == ["a"] and kept.attrs["params"] == {"x": 1}
    assert int(left) == 3 and left.reasons == {"unknown": 1, "profiling": 2}
    again, more = C.keep_allowed(wh, kept, C.PROFILING)
    assert more == 0 and again.attrs["left_out"] == {"unknown": 1, "profiling": 2}  # counts add up
    units, left = C.keep_allowed(wh, frame("a", "b", "session-1", None, col="unit_id"), C.PROFILING,
                                 id_col="unit_id", unknown=True)  # fmt: skip
    assert list(units["unit_id"][:2]) == ["a", "session-1"] and units["unit_id"].isna().sum() == 1 and left == 1
    C.check_frame(wh, kept, C.PROFILING)
    with pytest.raises(C.ConsentError, match="clv_scores holds rows about people it may not: 1 customer left out"):
        C.check_frame(wh, frame("a", "b"), C.PROFILING, what="clv_scores")
    with pytest.raises(C.ConsentError, match="no column customer_id"):
        C.keep_allowed(wh, pd.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="unknown purpose"):
        C.purposes("marketing")
    assert C.denied_in(wh.table("customers").execute(), C.EMAIL) == ["d", "e"]


def test_words_in_german(wh):
    left = C.LeftOut({"profiling": 1234})
    assert str(left.words) == "1,234 customers left out: no profiling consent"
    assert left.words.de == "1.234 Kunden ausgelassen: keine Einwilligung ins Profiling"
    two = C.LeftOut({"objected": 2, "email": 10_000})
    assert (
        two.words.de
        == "10.002 Kunden ausgelassen: 2 Widerspruch eingelegt (Art. 21 DSGVO), 10.000 ohne Einwilligung in E-Mails"
    )
    assert C.LeftOut().words == "" and int(C.LeftOut()) == 0


def test_outputs_and_their_purposes():
    assert C.purposes_for("scores_churn") == (C.PROFILING,) == C.purposes_for("scores_churn_shadow")
    assert C.purposes_for("uplift_scores") == (C.PROFILING, C.EMAIL) == C.purposes_for("sendtime_scores")
    assert C.purposes_for("customers") is None and C.purposes_for("monitor_alerts") is None
    assert C.decision_purposes("bandit:subject-test") == (C.EMAIL,) == C.decision_purposes("email_campaign")
    assert C.decision_purposes("recommend") == (C.PROFILING,) == C.decision_purposes("bandit:homepage")


def test_violations_scan_outputs_and_the_decision_log(wh):
    wh.write("clv_scores", frame("a", "b", "c"))
    wh.write("uplift_scores", frame("a", "d"))  # d: profiled, but no e-mail consent
    wh.write("monitor_alerts", pd.DataFrame({"x": [1]}))  # not about people
    day = pd.Timestamp("2026-03-01")
    wh.write(
        "decisions",
        pd.DataFrame(
            {
                "unit_id": ["a", "a", "b", "session-1", "b"],
                "use_case": ["recommend", "recommend", "recommend", "recommend", "email_campaign"],
                "occurred_at": [day - pd.Timedelta(days=9), day + pd.Timedelta(days=1), day, day, day],
            }
        ),
    )
    wh.write("privacy_objections", pd.DataFrame({"customer_id": ["a"], "objected_at": [day]}))
    # clv: a objected, b and c no consent; uplift: a objected, d no e-mail; decisions: a after the objection, b
    # recommended without profiling consent (b's e-mail decision is fine: b consented to e-mail)
    assert C.violations(wh) == {"clv_scores": 3, "uplift_scores": 2, "decisions": 2}


# ------------------------------------------------------------------------------------------- the paths, small


def test_features_ask_the_policy(wh):
    """Churn and propensity filter in features: through the policy, objections included."""
    from nomagic.usecases.features import customers_at

    wh.write("privacy_objections", pd.DataFrame({"customer_id": ["d"], "objected_at": [pd.Timestamp("2026-01-01")]}))
    got = set(customers_at(wh, pd.Timestamp("2026-06-01").to_pydatetime()).execute()["customer_id"])
    assert got == {"a", "e"}


def test_lifecycle_write_scores_leaves_out_and_says_so(wh, tmp_path):
    from nomagic.lifecycle.scoring import write_scores

    where = write_scores(wh, frame("a", "b", "c"), "churn")
    assert list(wh.table("scores_churn").execute()["customer_id"]) == ["a"]
    assert "2 customers left out: no profiling consent" in where
    assert "2 Kunden ausgelassen" in where.de
    out = write_scores(wh, frame("a", "b"), "churn", tmp_path / "s.csv")
    assert list(pd.read_csv(tmp_path / "s.csv")["customer_id"]) == ["a"] and "1 customer left out" in out
    assert write_scores(None, frame("a", "b"), "churn", tmp_path / "own.csv") == str(tmp_path / "own.csv")  # own file


def test_bandit_log_and_online_decisions(tmp_path, wh):
    from nomagic.serve.decisions import DecisionLog
    from nomagic.usecases.bandits import ThompsonSampling
    from nomagic.usecases.bandits.log import log_decisions

    ts = ThompsonSampling(["A", "B"], seed=0)
    rows = log_decisions(wh, [ts.decide() for _ in range(4)], use_case="next_offer", model_version="v1",
                         unit_ids=["a", "b", "c", "session-9"])  # fmt: skip
    assert list(rows["unit_id"]) == ["a", "session-9"] and rows.attrs["left_out"] == {"profiling": 2}
    mails = log_decisions(wh, [ts.decide() for _ in range(2)], use_case="subject_lines", model_version="v1",
                          unit_ids=["b", "e"])  # fmt: skip
    assert list(mails["unit_id"]) == ["b"]  # e-mail decision: e-mail consent, not profiling, decides
    assert set(wh.table("decisions").execute()["unit_id"]) == {"a", "session-9", "b"}

    url = str(tmp_path / "w.duckdb")
    with connect(url) as w:
        w.write("customers", wh.table("customers").execute())
    log = DecisionLog(url, flush_seconds=3600)
    assert log.refusal("recommend", "a") is None and log.refusal("recommend", "nobody-known") is None
    why = log.refusal("recommend", "b")
    assert "not consented to profiling" in why and "Profiling" in why.de
    with pytest.raises(C.ConsentError):
        log.add("recommend", "b", ["p1"], [1.0], "v")
    assert log.add("recommend", "a", ["p1"], [1.0], "v") and log.pending == 1
    closed = DecisionLog(str(tmp_path / "missing" / "w.duckdb"))  # cannot read consent: refuses everyone
    assert "cannot be checked" in closed.refusal("recommend", "a")


# ------------------------------------------------------------------------------------------- the scan


CANONICAL_INPUT_DECISIONS = "email_campaign"  # the simulated company's own send log (input, not nomagic's)


def _denied(wh):
    t = C.consent_table(wh)
    return {
        C.PROFILING: set(t.loc[~t["profiling"] | t["objected"], "customer_id"]),
        C.EMAIL: set(t.loc[~t["email"] | t["objected"], "customer_id"]),
    }


def _table_violations(wh, denied) -> dict[str, int]:
    """Every table with a person's id that is an output (not canonical input, not truth_*), scanned here without
    the policy's own help: every output about a person is profiling; e-mail lists also need e-mail consent."""
    from nomagic.warehouse.schema import CANONICAL

    out = {}
    for name in sorted(wh.tables()):
        t = wh.table(name)
        id_col = next((c for c in ("customer_id", "unit_id") if c in t.columns), None)
        if id_col is None or name.startswith("truth_") or name == C.OBJECTIONS_TABLE:
            continue
        if name == "decisions":  # canonical, but nomagic's API and bandit logs write into it
            df = t.execute()
            df = df[df["use_case"] != CANONICAL_INPUT_DECISIONS]
            email = df["use_case"].fillna("").str.contains("subject|email", regex=True)
            ids = df[id_col].astype(str)
            out[name] = int((~email & ids.isin(denied[C.PROFILING])).sum() + (email & ids.isin(denied[C.EMAIL])).sum())
            continue
        if name in CANONICAL:
            continue
        assert C.purposes_for(name) is not None, f"{name} holds people but is not declared in consent.OUTPUTS"
        ids = t.select(id_col).execute()[id_col].astype(str)
        n = int(ids.isin(denied[C.PROFILING]).sum())
        if C.EMAIL in C.purposes_for(name):
            n += int(ids.isin(denied[C.EMAIL]).sum())
        out[name] = n
    return out


def _file_violations(folders, denied) -> dict[str, int]:
    """Files nomagic wrote next to the warehouse: tables by value, text (JSON, HTML, Markdown) by token."""
    bad = denied[C.PROFILING]
    out = {}
    for folder in folders:
        for p in Path(folder).rglob("*"):
            if not p.is_file() or p.suffix in (".duckdb", ".wal", ".lock") or p.name.startswith(".nomagic-world"):
                continue
            if p.suffix in (".csv", ".parquet"):
                df = pd.read_csv(p) if p.suffix == ".csv" else pd.read_parquet(p)
                cols = [c for c in ("customer_id", "unit_id") if c in df.columns]
                out[str(p)] = int(sum(df[c].astype(str).isin(bad).sum() for c in cols))
            else:
                text = p.read_text(encoding="utf-8", errors="ignore")
                if p.suffix == ".json":
                    text = json.dumps(json.loads(text))  # by value: every string in the document
                out[str(p)] = len(set(re.findall(r"[\w-]+", text)) & bad)
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    pytest.importorskip("fastapi")
    from nomagic.serve.demo import copy_world, shared_world

    shared = shared_world(tmp_path_factory)
    return copy_world(shared, tmp_path_factory.mktemp("privacy")), Path(shared).parent


def test_no_output_path_holds_a_person_it_may_not(world, caplog):
    from fastapi.testclient import TestClient

    from nomagic.cli import main
    from nomagic.lifecycle import retrain as rt
    from nomagic.lifecycle.registry import Registry
    from nomagic.lifecycle.scoring import score, write_scores
    from nomagic.serve import ServeConfig, create_app
    from nomagic.serve.keys import KeyStore
    from nomagic.usecases import REGISTRY
    from nomagic.usecases.bandits import ThompsonSampling
    from nomagic.usecases.bandits.log import log_decisions
    from nomagic.usecases.clv.usecase import Clv
    from nomagic.usecases.recommend import Recommend
    from nomagic.usecases.segments.usecase import Segments
    from nomagic.usecases.sendtime import SendTime

    world, shared_folder = world
    folder = Path(world).parent
    with connect(world) as wh:
        cust = C.consent_table(wh)
        before = set(wh.table("clv_scores").execute()["customer_id"])
        no_profiling = set(cust.loc[~cust["profiling"], "customer_id"])
        no_email = set(cust.loc[~cust["email"], "customer_id"])
        buyers = set(wh.table("orders").execute()["customer_id"].astype(str))
        # the world must hold people to leave out, or the scan proves nothing
        assert len(no_profiling & buyers) > 20 and len(no_email & buyers) > 20
        # an objection (Art. 21) from a customer who consented to everything and has been scored
        objector = sorted(before & set(cust.loc[cust["profiling"] & cust["email"], "customer_id"]))[0]
        wh.write("privacy_objections", pd.DataFrame({"customer_id": [objector], "objected_at": [pd.Timestamp.now()]}))

        # every batch output, written again after the objection
        registry = Registry.for_warehouse(wh.url)
        for name in ("churn", "propensity"):
            scores = score(REGISTRY[name](), wh, registry)
            write_scores(wh, scores, name)
            write_scores(wh, scores, name, folder / f"{name}_scores.csv")  # exports next to the warehouse
        write_scores(wh, score(REGISTRY["churn"](), wh, registry), "churn", folder / "churn_scores.parquet")
        versions = registry.versions("churn")
        if len(versions) >= 2:  # a challenger's shadow scores
            shadow = rt.shadow_scores(REGISTRY["churn"](), wh, registry, versions[0], versions[-1])
            rt.write_shadow(wh, shadow, "churn")
        clv = Clv(n_draws=20).write_scores(wh)
        assert clv.attrs["left_out"].get("profiling", 0) > 0 and clv.attrs["left_out"].get("objected") == 1
        segs, _, info = Segments(k_range=(2, 4), check_stability=False).write_scores(wh)
        assert "customers left out" in info["left_out_words"]
        heard = []
        SendTime().write_scores(wh, progress=lambda f, m: heard.append(m))
        assert any("left out" in str(m) for m in heard)
        grid = {"ease": [{"lam": 100.0, "half_life": None}]}
        recs = Recommend(kinds=("ease",), n=3, grid=grid).write_scores(wh)
        assert recs.attrs["left_out"]["profiling"] > 0
        ts = ThompsonSampling(["A", "B"], seed=0)
        sample = sorted(no_profiling)[:5] + sorted(no_email)[:5] + [objector, sorted(before - no_profiling)[0]]
        log_decisions(wh, [ts.decide() for _ in sample], use_case="next_offer", model_version="t", unit_ids=sample)
        log_decisions(wh, [ts.decide() for _ in sample], use_case="subject_lines", model_version="t", unit_ids=sample)
    main(["score-uplift", "--warehouse", world])  # an e-mail target list built from a profile

    # the API: answers about one customer, and the decisions it logs
    keys = folder / "keys.json"
    analyst = KeyStore(keys, recheck_seconds=0).create("analyst", name="privacy-test")[0]
    h = {"X-API-Key": analyst}
    app = create_app(ServeConfig(warehouse=world, keys=keys, fit_recommender=False, flush_seconds=3600))
    refused = sorted(no_profiling & buyers)[0]
    allowed = sorted(before - no_profiling - {objector})[0]
    caplog.set_level(logging.INFO, logger="nomagic")
    with TestClient(app) as client:
        for route in ("/api/v1/recommendations", "/api/v1/score/churn", "/api/v1/clv"):
            r = client.post(route, json={"customer_id": refused}, headers=h)
            assert r.status_code == 403 and "profiling" in r.json()["detail"], (route, r.text)
        r = client.post(
            "/api/v1/recommendations", json={"customer_id": objector}, headers={**h, "Accept-Language": "de"}
        )
        assert r.status_code == 403 and "widersprochen" in r.json()["detail"]
        assert client.post("/api/v1/recommendations", json={"customer_id": allowed}, headers=h).status_code == 200
        for unit, code in ((refused, 403), (objector, 403), (allowed, 200), ("visitor-1", 200)):
            r = client.post("/api/v1/bandits/homepage/decide", json={"unit_id": unit, "arms": ["A", "B"]}, headers=h)
            assert r.status_code == code, (unit, r.text)
    # leaving the client flushed the logged decisions into the warehouse
    # the server's logs name routes, never people (data minimisation: no id in a log line)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/api/v1/recommendations" in logged  # the access log did log these calls
    assert not [cid for cid in (refused, objector, allowed, "visitor-1") if cid in logged], logged

    with connect(world) as wh:
        denied = _denied(wh)
        everyone = set(C.consent_table(wh)["customer_id"])
        tables = _table_violations(wh, denied)
        assert {"scores_churn", "clv_scores", "segments", "sendtime_scores", "recommendations", "uplift_scores"} <= set(
            tables
        )
        assert sum(tables.values()) == 0, tables
        assert not any(C.violations(wh).values()), C.violations(wh)  # the policy's own scan agrees
        assert objector not in set(wh.table("clv_scores").execute()["customer_id"])
        served = wh.table("decisions").execute()
        assert {"recommend", "bandit:homepage"} <= set(served["use_case"])
    files = _file_violations([folder, shared_folder], denied)  # the copy's exports, the demo's report and registry
    # the demo's report describes groups: no customer of the world is named in it
    report = (shared_folder / "report.html").read_text(encoding="utf-8")
    named = [cid for cid in everyone if re.search(rf"\b{re.escape(cid)}\b", report)]
    assert not named, named[:5]
    assert any(f.endswith("churn_scores.csv") for f in files) and sum(files.values()) == 0, files


def test_clv_and_segments_say_so_when_nobody_may_be_profiled(tmp_path):
    """Orders without a customers table: nobody gave consent, so both stop with one clear reason."""
    from nomagic.errors import NotReadyError
    from nomagic.usecases.clv.usecase import Clv
    from nomagic.usecases.segments.usecase import Segments
    from nomagic.warehouse import connect

    with connect(str(tmp_path / "w.duckdb")) as wh:
        wh.write(
            "orders",
            pd.DataFrame(
                {
                    "order_id": ["o1", "o2"],
                    "customer_id": ["c1", "c2"],
                    "ordered_at": pd.to_datetime(["2026-01-01", "2026-02-01"]),
                    "revenue": [10.0, 20.0],
                }
            ),
        )
        for run, what in ((lambda: Segments().dataset(wh), "segments"), (lambda: Clv().score(wh), "lifetime value")):
            with pytest.raises(NotReadyError) as exc:
                run()
            assert "no customer with orders may be profiled" in str(exc.value) and what in str(exc.value)
            assert "zählen nur Kunden mit consent_profiling = true" in exc.value.lang("de")
