"""The audit trail: an append-only hash chain in the warehouse; `nomagic audit verify` names the first
edited, deleted or moved entry; loads, trainings, rollbacks and key changes leave an entry; pseudonyms
keep people out of the log; the words in English and German."""

from __future__ import annotations

import json
import os
import re
import stat
import threading

import pandas as pd
import pytest

import nomagic.cli.audit  # noqa: F401  (registers `audit` until cli/__init__ lists it)
import nomagic.cli.serve  # noqa: F401  (registers `keys`)
from nomagic.cli import main
from nomagic.privacy import audit
from nomagic.warehouse import connect


@pytest.fixture(autouse=True)
def _own_folder(tmp_path, monkeypatch):
    """Each test's .nomagic (salt, head file, registry) in its own temp folder, whatever the environment says."""
    monkeypatch.chdir(tmp_path)
    for var in ("NOMAGIC_REGISTRY", "NOMAGIC_SALT", "NOMAGIC_WAREHOUSE", "NOMAGIC_KEYS", "NOMAGIC_LANG"):
        monkeypatch.delenv(var, raising=False)


def _run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    return 0


def _filled(path: str, n: int = 4) -> None:
    with connect(path) as wh:
        for i in range(n):
            audit.record(wh, "data.load", target="orders", details={"rows": 1000 * (i + 1)}, actor="os:ada")


# -- the chain -------------------------------------------------------------------------------------


def test_a_chain_of_records_verifies_and_reads_back(wh):
    entries = [
        audit.record(wh, "data.load", target="orders", details={"rows": 1200, "file": "orders.csv"}),
        audit.record(wh, "model.train", target="churn v0001", details={"status": "champion"}, actor="os:bob"),
        audit.record(wh, "key.create", target="key:1a2b3c4d", actor=audit.key_actor("1a2b3c4d", "crm")),
        audit.record(wh, "model.rollback", details={"restored": "v0001"}),
    ]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev_hash"] == audit.GENESIS and entries[1]["prev_hash"] == entries[0]["hash"]
    assert entries[0]["actor"] == audit.os_user() and entries[0]["actor"].startswith("os:")
    report = audit.verify(wh)
    assert report.intact and report.entries == 4 and report.last_hash == entries[-1]["hash"]
    assert str(report.message) == "chain intact: 4 entries" and report.message.de == "Kette intakt: 4 Einträge"

    rows = audit.read(wh)
    assert list(rows["seq"]) == [1, 2, 3, 4] and json.loads(rows["details"][0]) == {"file": "orders.csv", "rows": 1200}
    assert rows["target"][3] is None
    assert list(audit.read(wh, action="model")["seq"]) == [2, 4]
    assert list(audit.read(wh, action="model.train")["seq"]) == [2]
    assert list(audit.read(wh, actor="bob")["seq"]) == [2]
    assert list(audit.read(wh, actor="1a2b3c4d")["seq"]) == [3]
    assert list(audit.read(wh, limit=2)["seq"]) == [3, 4]  # the latest, oldest first
    today = pd.Timestamp.now(tz="UTC").date()
    assert len(audit.read(wh, since=today, until=today.isoformat())) == 4  # a date as `until` holds its whole day
    assert audit.read(wh, until="2000-01-01").empty
    with pytest.raises(audit.InputError, match="--since 'yesterday'"):
        audit.read(wh, since="yesterday")


def test_counts_and_numbers_in_german():
    assert (str(audit.entries(1)), audit.entries(1).de) == ("1 entry", "1 Eintrag")
    assert (str(audit.entries(1200)), audit.entries(1200).de) == ("1,200 entries", "1.200 Einträge")
    assert audit.verify(connect("duckdb://:memory:")).message.de == "noch kein Audit-Protokoll: 0 Einträge"


def test_the_module_only_appends():
    public = [n for n in dir(audit) if not n.startswith("_")]
    assert not [n for n in public if any(w in n.lower() for w in ("update", "delete", "remove", "erase", "truncate"))]


def test_an_edited_row_is_named_by_its_seq(wh):
    for i in range(4):
        audit.record(wh, "data.load", target="orders", details={"rows": 1000 * (i + 1)})
    wh.con.raw_sql("UPDATE audit_log SET details = '{\"rows\":1}' WHERE seq = 2")
    report = audit.verify(wh)
    assert not report.intact and (report.seq, report.problem) == (2, "edited")
    assert "entry 2 (data.load" in report.message and "changed after it was written" in report.message
    assert "Eintrag 2 (data.load" in report.message.de and "verändert" in report.message.de


def test_a_row_edited_with_its_hash_recomputed_breaks_the_next_link(wh):
    for i in range(3):
        audit.record(wh, "data.load", target=f"t{i}")
    row = audit.read(wh).iloc[1]
    forged = audit.entry_hash(row["prev_hash"], 2, row["at"], "os:mallory", row["action"], row["target"], "{}")
    wh.con.raw_sql(f"UPDATE audit_log SET actor = 'os:mallory', details = '{{}}', hash = '{forged}' WHERE seq = 2")
    report = audit.verify(wh)
    assert (report.seq, report.problem) == (3, "link") and "entry 3 does not follow entry 2" in report.message


def test_deleted_and_reordered_rows_are_detected(tmp_path):
    path = str(tmp_path / "w.duckdb")
    _filled(path, 5)
    with connect(path) as wh:
        wh.con.raw_sql("DELETE FROM audit_log WHERE seq = 3")
        report = audit.verify(wh)
        assert (report.seq, report.problem) == (3, "missing")
        assert "entry 3 is missing: the log jumps from 2 to 4" in report.message
        assert "Eintrag 3 fehlt: das Protokoll springt von 2 auf 4" in report.message.de
    _filled(path2 := str(tmp_path / "w2.duckdb"), 5)
    with connect(path2) as wh:  # two entries swap places
        wh.con.raw_sql("UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 4 WHEN 4 THEN 2 ELSE seq END")
        report = audit.verify(wh)
        assert (report.seq, report.problem) == (2, "edited")
    _filled(path3 := str(tmp_path / "w3.duckdb"), 5)
    with connect(path3) as wh:  # the newest entries deleted: only the head file knows they were there
        wh.con.raw_sql("DELETE FROM audit_log WHERE seq >= 4")
        report = audit.verify(wh)
        assert (report.seq, report.problem) == (4, "truncated") and "entries 4 to 5 are missing" in report.message
        wh.con.raw_sql("UPDATE audit_log SET seq = seq + 1")
        report = audit.verify(wh)
        assert (report.seq, report.problem) == (1, "missing") and "entry 1 is missing" in report.message
        wh.con.raw_sql("UPDATE audit_log SET seq = seq - 1")
        wh.con.raw_sql("DELETE FROM audit_log WHERE seq = 3")
        report = audit.verify(wh)
        assert (report.seq, report.problem) == (3, "truncated") and "entries 3 to 5 are missing" in report.message
        assert "Einträge 3 bis 5 fehlen am Ende" in report.message.de
        wh.con.raw_sql("DROP TABLE audit_log")
        report = audit.verify(wh)
        assert report.problem == "gone" and "records 5 entries written" in report.message
        assert "verzeichnet 5 Einträge" in report.message.de


def test_a_chain_rewritten_from_the_start_is_caught_by_the_head_file(tmp_path):
    path = str(tmp_path / "w.duckdb")
    _filled(path, 3)
    with connect(path) as wh:
        rows = audit.read(wh)
        noted = rows["hash"][1]
        wh.con.raw_sql("DELETE FROM audit_log")
        prev = audit.GENESIS
        for r in rows.itertuples():  # a careful forger: every hash recomputed, every link right
            h = audit.entry_hash(prev, r.seq, r.at, "os:mallory", r.action, r.target, r.details)
            wh.append(
                "audit_log",
                pd.DataFrame([{**r._asdict(), "actor": "os:mallory", "prev_hash": prev, "hash": h}]).drop(
                    columns="Index"
                ),
            )
            prev = h
        report = audit.verify(wh)
    assert (report.seq, report.problem) == (3, "rewritten") and "rewritten" in report.message
    (tmp_path / ".nomagic" / "audit_head.json").unlink()  # the forger removed the head file too
    with connect(path) as wh:
        assert audit.verify(wh).intact
        report = audit.verify(wh, expect=(2, noted))  # ... but a hash noted elsewhere still tells
    assert (report.seq, report.problem) == (2, "rewritten") and "differs from the one you noted" in report.message
    assert "weicht von dem notierten ab" in report.message.de
    with connect(path) as wh:
        report = audit.verify(wh, expect=(7, noted))
    assert (report.seq, report.problem) == (4, "truncated") and "--expect records that entry 7" in report.message


def test_appenders_in_threads_never_fork_the_chain(tmp_path):
    path = str(tmp_path / "w.duckdb")
    connect(path).close()

    def append(k: int) -> None:
        with connect(path) as wh:  # each thread its own connection, as the server's threads do
            for i in range(5):
                audit.record(wh, "data.load", target=f"t{k}", details={"i": i})

    threads = [threading.Thread(target=append, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with connect(path) as wh:
        report = audit.verify(wh)
        assert report.intact and report.entries == 20
        assert sorted(audit.read(wh)["seq"]) == list(range(1, 21))


def test_personal_data_is_refused_in_details(wh):
    with pytest.raises(ValueError, match="pseudonym"):
        audit.record(wh, "privacy.erase", details={"customer_id": "C00042"})
    assert not wh.has("audit_log") or audit.read(wh).empty


# -- pseudonyms ------------------------------------------------------------------------------------


def test_pseudonyms_are_stable_per_salt_and_hide_the_id(tmp_path):
    url = str(tmp_path / "w.duckdb")
    salt = audit.load_salt(url)
    path = tmp_path / ".nomagic" / "salt"
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert audit.load_salt(url) == salt and len(salt) == 64  # created once, then kept
    p = audit.pseudonym("C00042", salt)
    assert p == audit.pseudonym("C00042", salt) and p.startswith("ps_") and "C00042" not in p
    assert audit.pseudonym(42, salt) == audit.pseudonym("42", salt) == audit.pseudonym(42.0, salt)
    assert p != audit.pseudonym("C00043", salt) and p != audit.pseudonym("C00042", "ab" * 32)
    with connect(url) as wh:
        e = audit.record(wh, "privacy.erase", target=p, details={"tables": 9})
        assert "C00042" not in json.dumps(e) and audit.verify(wh).intact
    (tmp_path / "other").mkdir()
    os.environ["NOMAGIC_SALT"] = str(tmp_path / "other" / "salt")
    try:
        assert audit.load_salt(url) != salt  # a salt kept elsewhere ($NOMAGIC_SALT)
    finally:
        del os.environ["NOMAGIC_SALT"]
    path.write_text("not a salt\n")
    with pytest.raises(audit.InputError, match="not a nomagic salt file"):
        audit.load_salt(url)


# -- the command line ------------------------------------------------------------------------------


def test_cli_verify_and_list_exit_codes_and_words(tmp_path, capsys):
    path = str(tmp_path / "w.duckdb")
    _filled(path, 3)
    assert _run(["audit", "verify", "-w", path]) == 0
    out = capsys.readouterr().out
    assert "chain intact: 3 entries" in out
    noted = re.search(r"\b3:[0-9a-f]{64}\b", out).group()
    assert _run(["--lang", "de", "audit", "verify", "-w", path]) == 0
    assert "Kette intakt: 3 Einträge" in capsys.readouterr().out

    assert _run(["audit", "list", "-w", path, "--json", str(tmp_path / "a.json")]) == 0
    out = capsys.readouterr().out
    assert "Audit log: 3 of 3 entries" in out and "data.load" in out and "rows=3,000" in out
    doc = json.loads((tmp_path / "a.json").read_text())
    assert [e["seq"] for e in doc] == [1, 2, 3] and doc[2]["details"] == {"rows": 3000}
    assert doc[0]["at"].endswith("Z") and doc[0]["actor"] == "os:ada"
    assert _run(["--lang", "de", "audit", "list", "-w", path, "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "Audit-Protokoll: 2 von 3 Einträgen" in out and "rows=3.000" in out and "wer" in out
    assert _run(["audit", "list", "-w", path, "--action", "key"]) == 0
    assert "no audit entries match" in capsys.readouterr().out
    assert _run(["audit", "list", "-w", path, "--since", "soon"]) == 2
    assert "--since 'soon'" in capsys.readouterr().err

    assert _run(["audit", "verify", "-w", path, "--expect", noted]) == 0
    assert _run(["audit", "verify", "-w", path, "--expect", "3:abc"]) == 2
    assert "SEQ:HASH" in capsys.readouterr().err

    with connect(path) as wh:
        wh.con.raw_sql("UPDATE audit_log SET details = '{\"rows\":1}' WHERE seq = 2")
    assert _run(["audit", "verify", "-w", path]) == 1
    out = capsys.readouterr().out
    assert "tampered:" in out and "entry 2 (data.load" in out and "3 entries read" in out
    assert _run(["--lang", "de", "audit", "verify", "-w", path]) == 1
    out = capsys.readouterr().out
    assert "manipuliert:" in out and "Eintrag 2 (data.load" in out


def test_cli_on_a_warehouse_without_a_log(tmp_path, capsys):
    path = str(tmp_path / "w.duckdb")
    connect(path).close()
    assert _run(["audit", "verify", "-w", path]) == 0
    assert "no audit log yet: 0 entries" in capsys.readouterr().out
    assert _run(["--lang", "de", "audit", "list", "-w", path]) == 0
    assert "das Audit-Protokoll ist leer" in capsys.readouterr().out
    assert _run(["audit", "list", "-w", str(tmp_path / "none.duckdb")]) == 2  # nothing created by reading
    assert not (tmp_path / "none.duckdb").exists()


def _customers_csv(path) -> str:
    pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "created_at": ["2026-01-05", "2026-02-01", "2026-03-09"],
            "country": ["DE", "AT", "DE"],
            "consent_email": [True, False, True],
            "consent_profiling": [True, True, False],
        }
    ).to_csv(path, index=False)
    return str(path)


def test_a_load_leaves_an_entry_without_the_data(tmp_path, capsys):
    path = str(tmp_path / "w.duckdb")
    csv = _customers_csv(tmp_path / "customers.csv")
    assert _run(["load", "customers", csv, "-w", path]) == 0
    capsys.readouterr()
    with connect(path) as wh:
        rows = audit.read(wh, action="data.load")
        assert audit.verify(wh).intact
    assert len(rows) == 1 and rows["target"][0] == "customers"
    details = json.loads(rows["details"][0])
    assert details["source"] == "customers.csv" and details["rows_read"] == 3 and details["inserted"] == 3
    assert "C1" not in rows["details"][0] and str(tmp_path) not in rows["details"][0]  # no data, no full path


def test_a_failed_audit_write_fails_the_command_with_a_clear_message(tmp_path, capsys):
    path = str(tmp_path / "w.duckdb")
    with connect(path) as wh:  # a table in the way: the log cannot be appended to
        wh.write("audit_log", pd.DataFrame({"x": [1]}))
    csv = _customers_csv(tmp_path / "customers.csv")
    assert _run(["load", "customers", csv, "-w", path]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "data.load was done, but the audit log" in err and "this command fails" in err
    assert _run(["--lang", "de", "load", "customers", csv, "-w", path]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "data.load wurde ausgeführt, aber das Audit-Protokoll" in err and "schlägt dieser Befehl fehl" in err


def test_key_changes_are_logged_and_a_key_the_log_misses_does_not_work(tmp_path, capsys):
    from nomagic.serve.keys import KeyStore

    path, keys = str(tmp_path / "w.duckdb"), str(tmp_path / "keys.json")
    assert _run(["keys", "create", "--role", "analyst", "--name", "crm", "--keys", keys, "-w", path]) == 0
    key = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("nm_"))
    info = KeyStore(keys).verify(key)
    assert _run(["keys", "revoke", info.key_id, "--keys", keys, "-w", path]) == 0
    with connect(path) as wh:
        rows = audit.read(wh, action="key")
    assert list(rows["action"]) == ["key.create", "key.revoke"]
    assert list(rows["target"]) == [f"key:{info.key_id}"] * 2
    assert key not in rows.to_string() and json.loads(rows["details"][0])["role"] == "analyst"

    with connect(path) as wh:
        wh.con.raw_sql("DROP TABLE audit_log")
        wh.write("audit_log", pd.DataFrame({"x": [1]}))
    assert _run(["keys", "create", "--role", "admin", "--keys", keys, "-w", path]) == 2
    captured = capsys.readouterr()
    new = next(line for line in captured.out.splitlines() if line.startswith("nm_")) if "nm_" in captured.out else None
    assert new is None and "revoked again" in captured.out
    assert all(not k.active for k in KeyStore(keys).list())


def test_training_and_rollback_leave_entries(tmp_path, capsys):
    from test_churn import toy_world

    from nomagic.demo_steps import train_use_case
    from nomagic.lifecycle.registry import Registry
    from nomagic.usecases import Churn

    path = str(tmp_path / "shop.duckdb")
    with connect(path) as wh:
        toy_world(wh, n=300, days=420)
        registry = Registry.for_warehouse(wh.url)
        for _ in range(2):
            _, version = train_use_case(wh, Churn, registry, check=False, options={"n_boot": 50, "n_test": 1})
            assert version is not None
    assert _run(["rollback", "churn", "-w", path]) == 0
    capsys.readouterr()
    with connect(path) as wh:
        rows = audit.read(wh, action="model")
        assert audit.verify(wh).intact
    assert list(rows["action"]) == ["model.train", "model.train", "model.rollback"]
    assert list(rows["target"]) == ["churn v0001", "churn v0002", "churn v0001"]
    first, rollback = json.loads(rows["details"][0]), json.loads(rows["details"][2])
    assert first["status"] == "champion" and first["promoted"] is True and first["verdict"]
    assert rollback == {"use_case": "churn", "restored": "v0001", "retired": "v0002", "to": None}


def test_postgres_chain(pg_wh):
    for i in range(3):
        audit.record(pg_wh, "data.load", target=f"t{i}", details={"rows": i})
    assert audit.verify(pg_wh).intact
    pg_wh.con.raw_sql("UPDATE audit_log SET target = 'x' WHERE seq = 2")
    assert (audit.verify(pg_wh).seq, audit.verify(pg_wh).problem) == (2, "edited")
    assert list(audit.read(pg_wh, action="data")["seq"]) == [1, 2, 3]
