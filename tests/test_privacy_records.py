"""The record of processing activities (Art. 30): per use case purpose, data read, consent needed, outputs,
retention, legal basis and the champion's model card, in Markdown and HTML, English and German; a bad
``[records]`` value names the file and the key; `nomagic privacy records --out FOLDER`."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest

import nomagic.cli.privacy  # noqa: F401  (registers `privacy`)
from nomagic import cli
from nomagic.cli import main
from nomagic.cli.privacy import _activities
from nomagic.errors import InputError
from nomagic.privacy import records
from nomagic.privacy.records import Activity
from nomagic.warehouse import connect
from nomagic.words import say

NOW = datetime(2026, 12, 7, 9, 30)
CHURN = Activity(
    "churn",
    say("Which customers will leave?", "Welche Kunden wandern ab?"),
    {"customers": ("customer_id", "created_at"), "orders": ("customer_id", "ordered_at")},
    ("scores_churn",),
)
SENDTIME = Activity("sendtime", "At what hour?", {"messages": ("customer_id", "sent_at")}, ("sendtime_scores",))
BUDGET = Activity("budget", "Which channels?", {"media_spend": ("date", "spend")}, ())


@pytest.fixture(autouse=True)
def _own_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var in ("NOMAGIC_REGISTRY", "NOMAGIC_SALT", "NOMAGIC_WAREHOUSE", "NOMAGIC_LANG"):
        monkeypatch.delenv(var, raising=False)
    for con in (cli.console, cli.err_console):
        monkeypatch.setattr(con, "width", 400)


def _world(tmp_path, config: str = "") -> str:
    url = f"duckdb://{tmp_path / 'wh.duckdb'}"
    with connect(url) as wh:
        wh.write("customers", pd.DataFrame({"customer_id": ["a"]}))
    folder = tmp_path / ".nomagic"
    (folder / "registry" / "churn" / "v3").mkdir(parents=True)
    (folder / "registry" / "churn" / "v3" / "card.md").write_text("# card\n")
    index = {"versions": [{"version": "v2", "status": "retired"}, {"version": "v3", "status": "champion"}]}
    (folder / "registry" / "churn" / "index.json").write_text(json.dumps(index))
    (folder / "config.toml").write_text(config)
    return url


CONFIG = (
    '[retention]\norders = "2y"\n[records]\ncontroller = "Beispiel GmbH"\n'
    'legal_basis.churn = "legitimate interest (Art. 6(1)(f) GDPR)"\n'
)


def test_the_record_as_data(tmp_path):
    with connect(_world(tmp_path, CONFIG)) as wh:
        doc = records.build(wh, [CHURN, SENDTIME, BUDGET], now=NOW)
    churn, sendtime, budget = doc["activities"]
    assert doc["controller"] == "Beispiel GmbH"
    assert churn["consent"] == ["profiling"] and sendtime["consent"] == ["email", "profiling"]
    assert budget["consent"] == [] and budget["champion"] is None
    assert churn["retention"] == {"customers": None, "orders": "2y"}
    assert churn["legal_basis"].startswith("legitimate interest") and sendtime["legal_basis"] is None
    assert churn["champion"]["version"] == "v3" and churn["champion"]["cards"][0].endswith("v3/card.md")


def test_markdown_and_html_in_both_languages(tmp_path):
    with connect(_world(tmp_path, CONFIG)) as wh:
        doc = records.build(wh, [CHURN, SENDTIME, BUDGET], now=NOW)
    en, de = records.markdown(doc, "en"), records.markdown(doc, "de")
    assert en.startswith("# Record of processing activities (Art. 30 GDPR)")
    assert "**Purpose**: Which customers will leave?" in en
    assert "e-mail marketing (consent_email), profiling (consent_profiling)" in en
    assert "not configured — set it" in en and "champion v3; model card" in en
    assert "none: it writes nothing about a single person" in en
    assert "customers: until the person is erased" in en and "orders: 2y" in en
    assert de.startswith("# Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)")
    assert "**Zweck**: Welche Kunden wandern ab?" in de
    assert "E-Mail-Werbung (consent_email), Profiling (consent_profiling)" in de
    assert "nicht festgelegt — bitte festlegen" in de and "Champion v3; Modellkarte" in de
    assert "am 07.12.2026 erzeugt" in de and "Verantwortlicher: Beispiel GmbH" in de
    page = records.html(doc, "de")
    assert page.startswith("<!doctype html>") and 'lang="de"' in page and "<th>Rechtsgrundlage</th>" in page
    assert "<script" not in page and "http" not in page


def test_html_escapes_configured_text(tmp_path):
    with connect(_world(tmp_path, '[records]\nlegal_basis.churn = "<b>contract</b>"\n')) as wh:
        page = records.html(records.build(wh, [CHURN], now=NOW), "en")
    assert "&lt;b&gt;contract&lt;/b&gt;" in page and "<b>contract" not in page


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ("[records]\nlegal_basis.churn = 3\n", "records.legal_basis.churn"),
        ('[records]\nlegal_basis = "consent"\n', "records.legal_basis"),
        ("[records]\ncontroller = 1\n", "records.controller"),
    ],
)
def test_a_bad_setting_names_file_and_key(tmp_path, config, key):
    with connect(_world(tmp_path, config)) as wh, pytest.raises(InputError) as err:
        records.build(wh, [CHURN])
    assert "config.toml" in str(err.value) and key in str(err.value) and key in err.value.lang("de")


def test_every_registered_use_case_is_an_activity():
    acts = {a.name: a for a in _activities()}
    assert {"churn", "propensity", "clv", "sendtime", "uplift", "bandits", "budget"} <= set(acts)
    assert acts["churn"].outputs == ("scores_churn",) and "orders" in acts["churn"].tables
    assert acts["sendtime"].outputs == ("sendtime_scores",) and acts["bandits"].outputs == ("decisions",)
    assert acts["budget"].outputs == ()


def test_cli_writes_the_four_files(tmp_path, capsys):
    url = _world(tmp_path, CONFIG)
    try:
        main(["privacy", "records", "--warehouse", url, "--out", str(tmp_path / "rec")])
    except SystemExit as exc:
        assert not exc.code
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == sorted(records.FILES)
    de = (tmp_path / "rec" / "records.de.md").read_text()
    assert "## churn" in de and "## sendtime" in de and "Einwilligung" in de
    assert "record of processing activities written" in " ".join(capsys.readouterr().out.split())
