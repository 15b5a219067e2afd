"""German for the warehouse layer: readiness findings, leakage evidence, load and mapping errors, the HTML page."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_readiness import CHURN, NOW, build_world, churn_frame, leaky_features, write_csv

from nomagic.errors import ContractError, InputError, NomagicError, WarehouseError
from nomagic.report.readiness import render_html, verdict_word
from nomagic.warehouse import connect, load
from nomagic.warehouse.contracts import reason_text
from nomagic.warehouse.mapping import Mapping
from nomagic.warehouse.readiness import check_file, check_tables, check_use_case, check_warehouse
from nomagic.words import Text


def german(findings) -> dict[str, str]:
    """English message → German message, asserting that each one has its own German."""
    out = {}
    for f in findings:
        assert isinstance(f.message, Text), f.message
        assert f.message.de != str(f.message), f"no German for: {f.message}"
        out[str(f.message)] = f.message.de
    return out


def test_file_findings_speak_german_with_german_numbers(tmp_path):
    df = churn_frame(1500, leak=True)
    df.loc[::50, "charges"] = np.nan  # some blanks
    df["plan"] = "basic"  # a constant
    r = check_file(write_csv(tmp_path, "kunden.csv", df), "churn")
    de = " | ".join(german(r.findings).values())
    assert "Leakage-Verdacht: status sagt das Label allein fast perfekt vorher" in de
    assert "Einzelspalten-AUC 0,9" in de  # a decimal comma
    assert "enthält nur einen Wert ('basic')" in de
    assert "keine Zeitspalte: eine geschichtete Aufteilung" in de
    # thousands with a dot, shares with a decimal comma and a space before %
    blanks = next(f.message for f in r.findings if str(f.subject) == "missing values")
    assert blanks.de.startswith("Lücken in 1 Spalte(n): charges 30 (2,0 %)"), blanks.de
    suspect = r.leakage.suspects[0]
    assert suspect.reason.de == "sagt das Label allein fast perfekt vorher"
    assert "'cancelled':" in suspect.evidence.de and "%" in suspect.evidence.de


def test_label_balance_in_german(tmp_path):
    df = churn_frame(1500)
    df["churn"] = np.where(np.arange(1500) < 10, "Yes", "No")  # a rare class
    r = check_file(write_csv(tmp_path, "rare.csv", df), "churn")
    blocker = next(f.message for f in r.findings if f.level == "blocker")
    assert blocker.de.startswith("die seltenste Klasse 'Yes' hat nur 10 Zeilen (nötig: 20)")
    assert "No 1.490 (99,3 %) / Yes 10 (0,7 %)" in blocker.de
    assert "No 1,490 (99.3%) / Yes 10 (0.7%)" in blocker  # the English is as before


def test_to_dict_keeps_both_languages(tmp_path):
    r = check_file(write_csv(tmp_path, "x.csv", churn_frame(600, leak=True)), "churn")
    doc = json.loads(r.to_json())
    first = doc["findings"][0]
    assert first["level"] == "blocker" and first["message"].startswith("leakage suspect")
    assert first["message_de"].startswith("Leakage-Verdacht")
    assert doc["verdict"] == "not ready"  # the code stays English
    suspect = doc["leakage"]["suspects"][0]
    assert suspect["reason"] == "predicts the label almost perfectly on its own"
    assert suspect["reason_de"] == "sagt das Label allein fast perfekt vorher"
    assert suspect["evidence_de"].startswith("Einzelspalten-AUC")


def test_tables_and_use_case_in_german(wh, tmp_path):
    customers, orders = build_world(tmp_path)
    load(wh, "customers", str(customers), now=NOW)
    (tmp_path / "bad.csv").write_text("order_id,customer_id,ordered_at,revenue\nx1,c1,2024-01-01,-5\n")
    load(wh, "orders", str(orders), now=NOW)
    load(wh, "orders", str(tmp_path / "bad.csv"), now=NOW)
    tables = {t.name: t for t in check_tables(wh, now=NOW)}
    orders_de = german(tables["orders"].findings)
    cover = next(v for k, v in orders_de.items() if " from 2023-01-" in k)
    assert " Zeilen vom " in cover and ".01.2023 bis " in cover and " Tage)" in cover  # dates as 07.12.2026
    quarantined = next(v for k, v in orders_de.items() if "quarantined" in k)
    assert quarantined.startswith("1 Quellzeile beim Laden in Quarantäne gestellt")
    assert "revenue unter dem Minimum 0 (1)" in quarantined  # the reason read back from the quarantine table

    r = check_use_case(wh, CHURN.__class__(**{**CHURN.__dict__, "features": leaky_features}), name="churn", now=NOW)
    use_case_de = german(r.findings)
    assert any(v.startswith("Historie: ") and " Tage (nötig: 180)" in v for v in use_case_de.values())
    assert any("wurde nach dem Stichtag erfasst" in v for v in use_case_de.values())
    assert any(str(f.subject) == "use case churn" and f.subject.de == "Anwendungsfall churn" for f in r.findings)


def test_use_case_without_tables_in_german(wh):
    r = check_use_case(wh, CHURN, name="churn")
    de = german(r.findings)
    assert de["needs table customers, which is not loaded: `nomagic load customers FILE`"] == (
        "braucht die Tabelle customers, die nicht geladen ist: `nomagic load customers FILE`"
    )
    empty = check_warehouse(wh)
    assert empty.findings[0].message.de.startswith("enthält noch keine kanonischen Tabellen")


def test_html_in_german(wh, tmp_path):
    customers, orders = build_world(tmp_path)
    load(wh, "customers", str(customers), now=NOW)
    load(wh, "orders", str(orders), now=NOW)
    r = check_warehouse(wh, CHURN, use_case="churn", now=NOW)
    page = render_html(r, lang="de")
    assert "<html lang='de'>" in page and "<h2>Warum</h2>" in page
    assert "Datenprüfung des Warehouse" in page and "Anwendungsfall churn" in page
    assert verdict_word(r.verdict, "de") in page and "fehlende Werte je Spalte" in page
    for english in ("<h2>Why</h2>", "missing values per column", "made by nomagic check", "latest record"):
        assert english not in page
    assert "Why" in render_html(r)  # English stays the default
    f = render_html(check_file(write_csv(tmp_path, "x.csv", churn_frame(1500, leak=True)), "churn"), lang="de")
    assert "Leakage: wie gut jede Spalte allein churn vorhersagt" in f and "Verdacht" in f
    assert "Zeilen" in f and "1.500" in f and "0,5 heißt kein Signal" in f


def test_load_errors_in_german(wh, tmp_path):
    src = tmp_path / "orders.csv"
    src.write_text("order_id,customer_id,revenue\no1,c1,10\n")
    with pytest.raises(InputError) as exc:
        load(wh, "orders", str(src))
    assert "required column(s) ordered_at of table orders are missing" in str(exc.value)
    assert exc.value.lang("de").endswith(
        "die Pflichtspalte(n) ordered_at der Tabelle orders fehlen (die Quelle hat: order_id, customer_id, revenue); "
        "sie ergänzen oder mit --mapping FILE.toml zuordnen"
    )

    bad = tmp_path / "bad.csv"
    bad.write_text("order_id,customer_id,ordered_at,revenue\no1,c1,2024-01-01,-5\no2,c1,2024-01-02,zehn\n")
    with pytest.raises(ContractError) as exc:
        load(wh, "orders", str(bad), strict=True, now=NOW)
    de = exc.value.lang("de")
    assert "2 Zeile(n) verletzen den Datenvertrag von orders; mit --strict wurde nichts geladen" in de
    assert "bad.csv, Zeile 1, Spalte revenue: unter dem Minimum 0 (Wert '-5')" in de
    assert "bad.csv, Zeile 2, Spalte revenue: keine Zahl" in de

    res = load(wh, "orders", str(bad), now=NOW)
    assert res.describe_issues()[0].de.startswith(f"{bad}, Zeile 1, Spalte revenue: unter dem Minimum 0")
    assert res.warnings[0].de == "orders.customer_id verweist auf customers, das noch nicht geladen ist: nicht geprüft"


def test_source_and_mapping_errors_in_german(wh, tmp_path):
    def de_of(call) -> str:
        with pytest.raises(NomagicError) as exc:
            call()
        assert exc.value.lang("de") != str(exc.value)
        return exc.value.lang("de")

    assert de_of(lambda: load(wh, "orders", str(tmp_path / "nope.csv"))).endswith("nope.csv: Datei nicht gefunden")
    (tmp_path / "dupe.csv").write_text("a,a\n1,2\n")
    assert "Zeile 1 (Kopfzeile) nennt diese Spalten doppelt: a" in de_of(
        lambda: load(wh, "orders", str(tmp_path / "dupe.csv"))
    )
    assert de_of(lambda: load(wh, "nope", "x.csv")).startswith("unbekannte Tabelle 'nope'")
    m = tmp_path / "m.toml"
    m.write_text('[columns]\nordered_at = "Datum"\n[extra]\n')
    assert "unbekannte(r) Abschnitt(e) extra" in de_of(lambda: Mapping.load(m))
    m.write_text('[columns]\nordered_at = "Datum"\n')
    src = tmp_path / "o.csv"
    src.write_text("order_id,customer_id,revenue\no1,c1,1\n")
    assert "ordnet ordered_at der Spalte 'Datum' zu, die" in de_of(lambda: load(wh, "orders", str(src), mapping=m))
    with pytest.raises(WarehouseError) as exc:
        connect(str(tmp_path / "no" / "such" / "dir.duckdb"))
    assert "lässt sich nicht öffnen: der Ordner" in exc.value.lang("de")


def test_contract_reasons_round_trip():
    assert reason_text("below the minimum 0.5").de == "unter dem Minimum 0,5"
    assert reason_text("not found in customers.customer_id").de == "nicht gefunden in customers.customer_id"
    assert reason_text("duplicate key").de == "doppelter Schlüssel"
    assert reason_text("something new") == "something new"  # unknown: English, unchanged
    assert str(reason_text("lies in the future")) == "lies in the future"


def test_file_typing_notes_in_german(tmp_path):
    df = pd.DataFrame({"y": ["Yes", "No"] * 300, "amount": ["1.234,5"] * 590 + ["n.a."] * 10})
    r = check_file(write_csv(tmp_path, "t.csv", df), "y")
    note = next(c.note for c in r.columns if c.name == "amount")
    assert str(note).startswith("numbers stored as text: 10 values are not numbers")
    assert note.de.startswith("Zahlen als Text gespeichert: 10 Werte sind keine Zahlen (z. B. 'n.a.')")
