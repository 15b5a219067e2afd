"""The rights of the person the data is about: export (Art. 15 / 20) against its JSON schema, erasure (Art. 17)
that leaves the id in no table and no file and survives a re-load of the original files, objection (Art. 21),
atomicity, the suppression hook of `nomagic load`, and a property test over random load / erase / re-load /
score / train sequences; the words in English and German."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import nomagic.cli.privacy  # noqa: F401  (registers `privacy` until cli/__init__ lists it)
from nomagic import cli
from nomagic.cli import main
from nomagic.errors import WarehouseError
from nomagic.privacy import audit, consent, subject, subject_store
from nomagic.warehouse import connect, ingest, load

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "privacy-export.schema.json"


@pytest.fixture(autouse=True)
def _own_folder(tmp_path, monkeypatch):
    """Each test's .nomagic and embeddings cache in its own temp folder, whatever the environment says."""
    monkeypatch.chdir(tmp_path)
    for var in ("NOMAGIC_REGISTRY", "NOMAGIC_SALT", "NOMAGIC_WAREHOUSE", "NOMAGIC_KEYS", "NOMAGIC_LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NOMAGIC_CACHE", str(tmp_path / "cache"))
    for con in (cli.console, cli.err_console):  # no line wrapping inside the paths the tests look for
        monkeypatch.setattr(con, "width", 400)


def _run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    return 0


def _said(capsys, err: bool = False) -> str:
    """What the command printed, with Rich's line wrapping undone."""
    out = capsys.readouterr()
    return " ".join((out.err if err else out.out).split())


def _validate(doc: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=str)
    assert not errors, [e.message for e in errors[:5]]


def _in_tables(path, needle: str) -> dict[str, int]:
    """Rows of any table where any text column holds ``needle`` as its whole value."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        cols = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
        ).fetchall()
        for table, col in cols:
            n = con.execute(f'SELECT count(*) FROM "{table}" WHERE trim("{col}") = ?', [needle]).fetchone()[0]
            if n:
                out[f"{table}.{col}"] = n
        return out
    finally:
        con.close()


def _in_files(folder: Path, needle: str) -> list[str]:
    """Files under ``folder`` whose bytes hold ``needle``, and Parquet files that hold it as a value."""
    hits = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        if needle.encode() in p.read_bytes():
            hits.append(str(p))
        elif p.suffix == ".parquet":
            frame = pq.read_table(p).to_pandas().astype(str)
            if (frame == needle).any().any():
                hits.append(f"{p} (by value)")
    return hits


def _cache(path: Path, texts: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        # the demo's own topic model may have created the cache already
        db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, dim INTEGER, vec BLOB, PRIMARY KEY (model, key))"
        )
        for t in texts:
            db.execute(
                "INSERT OR REPLACE INTO vectors VALUES ('use', ?, 2, ?)",
                (hashlib.sha256(t.encode()).hexdigest(), b"\0" * 8),
            )


def _cached_keys(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {k for (k,) in db.execute("SELECT key FROM vectors")}


# ------------------------------------------------------------------------------------ the full demo world


def _pick(wh) -> str:
    """A live customer with orders, churn scores with reasons, decisions, a document and a segment."""
    con = wh.con.con
    row = con.execute(
        """SELECT c.customer_id FROM customers c JOIN scores_churn s USING (customer_id)
           JOIN segments g USING (customer_id)
           WHERE s.reason_1 IS NOT NULL
             AND EXISTS (SELECT 1 FROM decisions d WHERE d.unit_id = c.customer_id)
             AND EXISTS (SELECT 1 FROM documents d WHERE d.customer_id = c.customer_id)
             AND (SELECT count(*) FROM orders o WHERE o.customer_id = c.customer_id) >= 2
           ORDER BY c.customer_id LIMIT 1"""
    ).fetchone()
    assert row, "the demo world has no customer with orders, scores, decisions and a document"
    return row[0]


def test_export_then_erase_a_customer_of_the_demo_world(tmp_path_factory, tmp_path, monkeypatch, capsys):
    from nomagic.serve.demo import copy_world, shared_world

    world = Path(copy_world(shared_world(tmp_path_factory), tmp_path / "world"))
    folder, state = world.parent, world.parent / ".nomagic"
    sources = tmp_path / "sources"  # the user's original files, elsewhere (not rewritten by the erasure)
    sources.mkdir()
    with connect(str(world)) as wh:
        cid = _pick(wh)
        other = wh.con.con.execute("SELECT min(customer_id) FROM customers WHERE customer_id <> ?", [cid]).fetchone()[0]
        con = wh.con.con
        for table in ("customers", "orders", "order_lines"):
            con.execute(f"COPY (SELECT * FROM {table}) TO '{sources / (table + '.csv')}' (HEADER)")
        # files nomagic keeps: a score export next to the warehouse, a send-time model's customers in the
        # registry, an experiment's state in .nomagic, a decision log as JSON lines
        con.execute(f"COPY (SELECT * FROM scores_churn) TO '{folder / 'churn_scores.csv'}' (HEADER)")
        scored = len((folder / "churn_scores.csv").read_text().splitlines())
        version = state / "registry" / "sendtime" / "v0001"
        version.mkdir(parents=True)
        pq.write_table(
            pa.table({"customer_id": [cid, other], "best_hour": [9, 18], "confidence": [0.7, 0.4]}),
            version / "sendtime_customers.parquet",
        )
        (state / "bandits").mkdir()
        (state / "bandits" / "subject-test.json").write_text(
            json.dumps({"arms": ["A", "B"], "units": [{"unit_id": cid, "arm": "A"}, {"unit_id": other, "arm": "B"}]})
        )
        lines = [json.dumps({"unit_id": u, "action": "A"}) for u in (cid, other)]
        (folder / "decisions_log.jsonl").write_text("\n".join(lines) + "\n")
        # a quarantined row of theirs (a negative revenue) and an objection
        bad = tmp_path / "late_orders.csv"
        bad.write_text(
            f"order_id,customer_id,ordered_at,revenue\nLATE-1,{cid},2026-01-05,-3\nLATE-2,{other},2026-01-05,4\n"
        )
        assert load(wh, "orders", str(bad)).quarantined == 1
        subject.object_to_processing(wh, cid)
        # the texts they wrote, embedded and cached (keyed by the text's sha256)
        texts = list(wh.table("documents").filter(lambda t: t.customer_id == cid).text.execute())
        others = list(wh.table("documents").filter(lambda t: t.customer_id == other).text.execute()) or ["a text"]
        cache = tmp_path / "cache" / "embeddings" / "embeddings.sqlite"
        _cache(cache, texts + others)

    # -- Art. 15 / 20: the export of a live customer ---------------------------------------------------
    out = tmp_path / "export.json"
    assert _run(["privacy", "export", "--customer", cid, "--out", str(out), "-w", str(world)]) == 0
    doc = json.loads(out.read_text())
    _validate(doc)
    assert doc["found"] and doc["customer_id"] == cid
    assert len(doc["tables"]["orders"]["rows"]) >= 2 and all(
        r["customer_id"] == cid for r in doc["tables"]["orders"]["rows"]
    )
    assert doc["tables"]["order_lines"]["rows"], "order lines of their orders are theirs too"
    churn = [s for s in doc["scores"] if s["table"] == "scores_churn"]
    assert churn and churn[0]["reasons"] and len(churn[0]["reasons_de"]) == len(churn[0]["reasons"])
    assert churn[0]["reasons_de"] != churn[0]["reasons"], "the reasons in German as stored"
    assert doc["decisions"] and all(d["unit_id"] == cid for d in doc["decisions"])
    assert doc["segments"] and doc["segments"][0]["segment"]
    assert {"use_case": "churn", "version": "v0001"}.items() <= next(
        m for m in doc["models"] if m["use_case"] == "churn"
    ).items()
    assert any("trained" in m["how"] for m in doc["models"]) and any("decided" in m["how"] for m in doc["models"])
    assert doc["consent"]["objected_at"]
    files = {Path(f["path"]).name: f for f in doc["files"]}
    assert {"churn_scores.csv", "sendtime_customers.parquet", "subject-test.json", "decisions_log.jsonl"} <= set(files)
    assert files["sendtime_customers.parquet"]["records"] == [{"customer_id": cid, "best_hour": 9, "confidence": 0.7}]
    assert doc["caches"] and doc["caches"][0]["entries"] == len(set(texts))
    assert "quarantine" in doc["tables"]
    out.unlink()  # the export is theirs to take away; it is not kept next to the warehouse

    # -- Art. 17: erase ---------------------------------------------------------------------------
    capsys.readouterr()
    rc = _run(
        ["privacy", "erase", "--customer", cid, "--reason", f"asked by {cid} on the phone", "--yes", "-w", str(world)]
    )
    said = _said(capsys)
    assert rc == 0, said
    assert "erased ps_" in said and "on the suppression list" in said and "flagged for retraining" in said
    assert _in_tables(world, cid) == {}
    assert _in_files(folder, cid) == []  # the warehouse file itself (compacted), .nomagic, exports, the registry
    kept = _cached_keys(cache)
    assert {hashlib.sha256(t.encode()).hexdigest() for t in others} <= kept
    assert not kept & {hashlib.sha256(t.encode()).hexdigest() for t in texts if t not in others}
    assert pq.read_table(version / "sendtime_customers.parquet").to_pydict()["customer_id"] == [other]
    assert len((folder / "churn_scores.csv").read_text().splitlines()) == scored - 1  # only their row went
    assert other in (folder / "decisions_log.jsonl").read_text()

    with connect(str(world)) as wh:
        ps = audit.pseudonym(cid, audit.load_salt(wh.url))
        entries = audit.read(wh)
        last = entries.iloc[-1]
        assert (last["action"], last["target"]) == ("privacy.erase", ps)
        details = json.loads(last["details"])
        assert details["tables"]["orders"] >= 2 and details["reason"] == f"asked by {ps} on the phone"
        assert cid not in entries.to_csv()
        assert audit.verify(wh).intact
        assert ps in set(wh.table("privacy_suppressed").execute()["hash"])
        assert wh.table("customers").count().execute() > 0  # everyone else stays
    flagged = subject.versions_with_erased(state / "registry")
    trained = {(m["use_case"], m["version"]) for m in doc["models"] if "trained" in m["how"]}
    assert trained and {(v["use_case"], v["version"]) for v in flagged} == trained
    assert ("budget", "v0001") not in {(v["use_case"], v["version"]) for v in flagged}  # spend and KPIs only
    assert cid not in (state / "erasures.json").read_text()

    # -- a re-load of the original files does not bring them back ----------------------------------
    for table in ("customers", "orders", "order_lines"):
        capsys.readouterr()
        assert _run(["load", table, str(sources / f"{table}.csv"), "-w", str(world)]) == 0
        assert "erased people left out" in _said(capsys)
    assert _in_tables(world, cid) == {}

    # -- the export of an erased id says "no data" -------------------------------------------------
    capsys.readouterr()
    assert _run(["privacy", "export", "--customer", cid, "--out", str(out), "-w", str(world)]) == 0
    assert "no data held about this person" in _said(capsys)
    gone = json.loads(out.read_text())
    _validate(gone)
    assert gone["found"] is False and gone["erased_at"] and "tables" not in gone


# ------------------------------------------------------------------------------------ a small world


def _small(folder: Path, n: int = 6) -> Path:
    """A warehouse with n customers, two orders each, a scores table with reasons; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    src = folder.parent / f"{folder.name}-sources"
    src.mkdir(exist_ok=True)
    ids = [f"K{i:03d}" for i in range(n)]
    pd.DataFrame(
        {
            "customer_id": ids,
            "created_at": ["2026-01-01"] * n,
            "country": ["DE"] * n,
            "consent_email": [True] * n,
            "consent_profiling": [True] * n,
        }
    ).to_csv(src / "customers.csv", index=False)
    pd.DataFrame(
        {
            "order_id": [f"O{i:03d}-{j}" for i in range(n) for j in range(2)],
            "customer_id": [c for c in ids for _ in range(2)],
            "ordered_at": ["2026-02-01"] * (2 * n),
            "revenue": [10.0] * (2 * n),
        }
    ).to_csv(src / "orders.csv", index=False)
    path = folder / "wh.duckdb"
    with connect(str(path)) as wh:
        load(wh, "customers", str(src / "customers.csv"))
        load(wh, "orders", str(src / "orders.csv"))
        _score(wh)
    return path


def _score(wh) -> None:
    """What a use case's writer does: a score and its reasons per customer who may be profiled."""
    ids = sorted(consent.allowed_ids(wh, consent.PROFILING))
    wh.write(
        "scores_toy",
        pd.DataFrame(
            {
                "customer_id": ids,
                "score": [0.5] * len(ids),
                "reason_1": ["2 orders in 90 days"] * len(ids),
                "reason_1_de": ["2 Bestellungen in 90 Tagen"] * len(ids),
                "model_version": ["v0001"] * len(ids),
            }
        ),
    )


def _train(path: Path, version: str) -> None:
    """A registry version as lifecycle.registry writes it (index, meta, record): trained on customers and orders."""
    root = path.parent / ".nomagic" / "registry" / "toy"
    (root / version).mkdir(parents=True, exist_ok=True)
    index = json.loads((root / "index.json").read_text()) if (root / "index.json").exists() else {"versions": []}
    now = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    index["versions"].append({"version": version, "status": "champion", "created_at": now})
    (root / "index.json").write_text(json.dumps(index))
    record = {"use_case": "toy", "data": {"tables": ["customers", "orders"], "end": "2026-03-01T00:00:00"}}
    (root / version / "record.json").write_text(json.dumps(record))
    (root / version / "meta.json").write_text(json.dumps({"version": version}))


def test_export_of_a_small_world_validates_and_says_no_data_for_strangers(tmp_path, capsys):
    path = _small(tmp_path / "w")
    _train(path, "v0001")
    with connect(str(path)) as wh:
        doc = subject.export(wh, "K001", tmp_path / "k1.json")
        _validate(doc)
        assert [s["reasons"] for s in doc["scores"]] == [["2 orders in 90 days"]]
        assert doc["scores"][0]["reasons_de"] == ["2 Bestellungen in 90 Tagen"]
        assert doc["models"] == [
            {
                "use_case": "toy",
                "version": "v0001",
                "status": "champion",
                "created_at": doc["models"][0]["created_at"],
                "how": ["trained", "scored"],
            }
        ]
        assert doc["message"] == "4 rows in 3 tables and 0 files hold data about K001"
        assert doc["message_de"] == "4 Zeilen in 3 Tabellen und 0 Dateien enthalten Daten zu K001"
        nobody = subject.export(wh, "nobody", tmp_path / "nobody.json")
        _validate(nobody)
        assert nobody["found"] is False and nobody["erased_at"] is None
        assert nobody["message_de"].startswith("keine Daten zu dieser Person gespeichert")
        actions = list(audit.read(wh)["action"])
        assert actions.count("privacy.export") == 2 and "K001" not in audit.read(wh).to_csv()
    assert (
        _run(["--lang", "de", "privacy", "export", "-c", "nobody", "-o", str(tmp_path / "n.json"), "-w", str(path)])
        == 0
    )
    assert "keine Daten zu dieser Person gespeichert" in _said(capsys)


def test_files_are_rewritten_by_value_and_what_cannot_be_is_named(tmp_path, capsys):
    path = _small(tmp_path / "w")
    state = path.parent / ".nomagic"
    state.mkdir(exist_ok=True)
    (path.parent / "export.csv").write_text("customer_id;score\nK001;0,5\nK0011;0,7\nK002;0,1\n")  # K0011 is not K001
    (state / "notes.csv").write_text("customer_id,note\nK001,x\nK003,called after K001 complained\n")
    (state / "doc.json").write_text(
        json.dumps({"K001": 1, "top": ["K002", "K001"], "rows": [{"id": "K001", "x": 1}], "n": 3})
    )
    (path.parent / "report.html").write_text("<p>Customer K001 is likely to churn.</p>")
    with connect(str(path)) as wh:
        held = subject.holdings(wh, "K001")
        by_name = {h.path.name: h for h in held["files"]}
        assert by_name["export.csv"].count == 1 and by_name["export.csv"].records == [
            {"customer_id": "K001", "score": "0,5"}
        ]
        assert by_name["report.html"].rewritable is False
    capsys.readouterr()
    assert _run(["privacy", "erase", "-c", "K001", "-y", "-w", str(path)]) == 1  # the report is still there
    said = _said(capsys)
    assert "report.html mentions the person" in said
    assert "notes.csv mentions the person (1 times)" in said  # their row went; the note about them is named
    assert (state / "notes.csv").read_text() == "customer_id,note\nK003,called after K001 complained\n"
    assert (path.parent / "export.csv").read_text() == "customer_id;score\nK0011;0,7\nK002;0,1\n"
    assert json.loads((state / "doc.json").read_text()) == {"top": ["K002"], "rows": [], "n": 3}
    assert _in_tables(path, "K001") == {}


def test_a_failed_statement_removes_nothing_and_names_the_table(tmp_path, monkeypatch):
    path = _small(tmp_path / "w")
    (path.parent / "scores.csv").write_text("customer_id,score\nK001,0.5\nK002,0.1\n")
    real = subject_store.statements

    def broken(wh, found, *a, **kw):
        stmts = real(wh, found, *a, **kw)
        return stmts[:1] + [("orders", 'DELETE FROM "no_such_table"', 0)] + stmts[1:]

    monkeypatch.setattr(subject_store, "statements", broken)
    with connect(str(path)) as wh:
        before = {t: wh.table(t).count().execute() for t in ("customers", "orders", "scores_toy")}
        with pytest.raises(WarehouseError) as err:
            subject.erase(wh, "K001")
        assert "stopped at table orders" in str(err.value) and "nothing was removed" in str(err.value)
        assert "bei Tabelle orders ab" in err.value.lang("de")
        assert {t: wh.table(t).count().execute() for t in before} == before
        assert not wh.has("privacy_suppressed")
        assert "privacy.erase" not in set(audit.read(wh)["action"])
    assert "K001" in (path.parent / "scores.csv").read_text()
    assert [p.name for p in path.parent.iterdir() if ".erase-" in p.name] == []


def test_objection_is_recorded_once_audited_and_asked_by_consent(tmp_path, capsys):
    path = _small(tmp_path / "w")
    assert _run(["privacy", "object", "--customer", "K002", "-w", str(path)]) == 0
    assert "objection of ps_" in _said(capsys)
    assert _run(["--lang", "de", "privacy", "object", "-c", "K002", "-w", str(path)]) == 0
    assert "hat bereits am" in _said(capsys)
    assert _run(["privacy", "object", "-c", "NEW-1", "-w", str(path)]) == 0
    assert "holds when they are loaded" in _said(capsys)
    with connect(str(path)) as wh:
        rows = wh.table("privacy_objections").execute()
        assert sorted(rows["customer_id"]) == ["K002", "NEW-1"]
        assert "K002" not in consent.allowed_ids(wh, consent.PROFILING)
        log = audit.read(wh, action="privacy.object")
        assert len(log) == 2 and "K002" not in log.to_csv()


def test_bad_input_exits_2_and_an_unconfirmed_erasure_changes_nothing(tmp_path, monkeypatch, capsys):
    path = _small(tmp_path / "w")
    assert _run(["privacy", "export", "-c", "  ", "-o", str(tmp_path / "x.json"), "-w", str(path)]) == 2
    assert "--customer" in _said(capsys, err=True)
    assert _run(["privacy", "export", "-c", "K001", "-o", str(tmp_path / "no" / "x.json"), "-w", str(path)]) == 2
    assert "does not exist" in _said(capsys, err=True)
    assert _run(["privacy", "erase", "-c", "K001", "-y", "-w", str(tmp_path / "missing.duckdb")]) == 2
    assert "no warehouse at" in _said(capsys, err=True)
    assert not (tmp_path / "missing.duckdb").exists()
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    assert _run(["privacy", "erase", "-c", "K001", "-w", str(path)]) == 1
    said = _said(capsys)
    assert "table orders: 2 rows" in said and "not erased; nothing was changed" in said
    with connect(str(path)) as wh:
        assert wh.table("orders").filter(lambda t: t.customer_id == "K001").count().execute() == 2


def test_words_in_german():
    e = subject.Erasure("ps_x", {"orders": 1234, "customers": 1}, [{"path": "a", "rows": 1}], 2, [])
    assert str(e.words).startswith("erased ps_x: 1,235 rows from 2 tables, 1 files rewritten, 2 cached")
    assert e.words.de.startswith("ps_x gelöscht: 1.235 Zeilen aus 2 Tabellen, 1 Dateien neu geschrieben")
    empty = subject.Erasure("ps_y", {}, [], 0, [])
    assert empty.words.de.startswith("zu ps_y waren keine Daten gespeichert")
    assert empty.to_dict()["message_de"] == empty.words.de


def test_a_reload_leaves_erased_people_out_and_says_so_and_fails_closed_without_the_hook(tmp_path, monkeypatch):
    path = _small(tmp_path / "w")
    src = path.parent.parent / "w-sources" / "customers.csv"
    with connect(str(path)) as wh:
        subject.erase(wh, "K001")
        res = load(wh, "customers", str(src))
        assert (res.suppressed, res.inserted, res.unchanged) == (1, 0, 5)
        assert (
            res.warnings[0].de
            == "1 Zeile(n) gelöschter Personen ausgelassen (sie stehen auf der Sperrliste privacy_suppressed)"
        )
        monkeypatch.setattr(ingest, "_hasher_factory", None)
        with pytest.raises(WarehouseError, match="suppression list"):
            load(wh, "customers", str(src))
        assert wh.table("customers").filter(lambda t: t.customer_id == "K001").count().execute() == 0


def test_configured_id_columns_and_linked_rows(tmp_path):
    path = _small(tmp_path / "w")
    (path.parent / ".nomagic").mkdir(exist_ok=True)
    (path.parent / ".nomagic" / "config.toml").write_text('[privacy]\nid_columns = ["member_no"]\n')
    with connect(str(path)) as wh:
        wh.write("loyalty", pd.DataFrame({"member_no": ["K001", "K002"], "points": [10, 20]}))
        wh.write("order_lines", pd.DataFrame({"order_id": ["O001-0", "O002-0"], "product_id": ["P1", "P1"]}))
        counts = {t: len(f) for t, f in subject.holdings(wh, "K001")["tables"].items()}
        assert counts == {"customers": 1, "loyalty": 1, "orders": 2, "scores_toy": 1, "order_lines": 1}
        result = subject.erase(wh, "K001")
        assert result.tables == counts and not result.remaining and result.compacted
        assert list(wh.table("order_lines").execute()["order_id"]) == ["O002-0"]
        kinds = wh.table("privacy_suppressed").execute()["kind"].value_counts().to_dict()
        assert kinds == {"person": 1, "order_id": 2}


def test_compaction_steps_aside_while_another_connection_holds_the_file(tmp_path):
    path = _small(tmp_path / "w")
    with connect(str(path)) as wh, connect(str(path)) as other:
        result = subject.erase(wh, "K001")
        assert not result.compacted and "was not compacted" in str(result.warnings[0])
        assert "nicht verdichtet" in result.warnings[0].de
        other.write("later", pd.DataFrame({"x": [1]}))  # the other connection still writes the real file
        assert wh.table("orders").count().execute() == other.table("orders").count().execute() == 10
    assert _in_tables(path, "K001") == {}
    with connect(str(path)) as wh:
        assert wh.has("later")
        assert subject.erase(wh, "K001").compacted  # alone on the file: the second run compacts it
    assert _in_files(path.parent, "K001") == []


# ------------------------------------------------------------------------------------ property test


def _check_no_leak(path: Path, erased: set[str]) -> None:
    for cid in erased:
        assert _in_tables(path, cid) == {}, cid
        assert _in_files(path.parent, cid) == [], cid
    with connect(str(path)) as wh:
        for cid in erased:
            assert subject.export_document(wh, cid)["found"] is False


def _sequence(ops: list[tuple[str, int]]) -> None:
    base = Path(tempfile.mkdtemp(prefix="nm-subject-"))
    try:
        _steps(base, ops)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _steps(base: Path, ops: list[tuple[str, int]]) -> None:
    path = _small(base / "w", n=4)
    src = base / "w-sources"
    erased: set[str] = set()
    versions = 0
    for op, i in ops:
        cid = f"K{i:03d}"
        with connect(str(path)) as wh:
            if op == "erase":
                subject.erase(wh, cid, reason="property test")
                erased.add(cid)
            elif op == "reload":
                load(wh, "customers", str(src / "customers.csv"))
                load(wh, "orders", str(src / "orders.csv"))
            elif op == "score":
                _score(wh)
            elif op == "export":
                subject.export_document(wh, cid)
        if op == "train":
            versions += 1
            _train(path, f"v{versions:04d}")
        _check_no_leak(path, erased)
    flagged = subject.versions_with_erased(path.parent / ".nomagic" / "registry")
    assert all(v["use_case"] == "toy" for v in flagged)


def test_random_sequences_never_leak_an_erased_id():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    op = st.tuples(st.sampled_from(["erase", "reload", "score", "train", "export"]), st.integers(0, 3))

    @hypothesis.settings(max_examples=8, deadline=None, database=None)
    @hypothesis.given(st.lists(op, min_size=2, max_size=6))
    def run(ops):
        _sequence(ops)

    run()


def test_erasure_on_postgresql_removes_the_person_and_a_reload_keeps_them_out(pg_wh, tmp_path):
    src = _small(tmp_path / "w").parent.parent / "w-sources"
    load(pg_wh, "customers", str(src / "customers.csv"))
    load(pg_wh, "orders", str(src / "orders.csv"))
    _score(pg_wh)
    before = {t: len(f) for t, f in subject.holdings(pg_wh, "K001")["tables"].items()}
    assert before == {"customers": 1, "orders": 2, "scores_toy": 1}
    result = subject.erase(pg_wh, "K001", reason="ticket 9")
    assert result.tables == before and not result.remaining
    for name in ("customers", "orders", "scores_toy"):
        assert "K001" not in set(pg_wh.table(name).execute()["customer_id"]), name
    assert len(pg_wh.table("customers").execute()) == 5  # the others stay
    res = load(pg_wh, "customers", str(src / "customers.csv"))
    assert res.suppressed == 1 and res.inserted == 0
    assert subject.export_document(pg_wh, "K001")["found"] is False
    log = audit.read(pg_wh, action="privacy")
    assert list(log["action"]) == ["privacy.erase"] and "K001" not in log.astype(str).to_csv()
    assert audit.verify(pg_wh).intact
