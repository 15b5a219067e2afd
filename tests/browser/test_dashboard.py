"""The dashboard in a real browser: log in, click through every page, check what is shown (screenshots kept)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_login_refuses_a_wrong_key_then_shows_the_overview(page, server, login):
    page.goto(server["url"] + "/dashboard")
    page.fill("#api_key", "nm_00000000_not-a-key")
    page.click("#login")
    assert "unknown or revoked" in page.inner_text("#login-error")
    login(page)
    rows = page.locator("#reality-table tbody tr")
    names = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert {"churn", "propensity", "clv"} <= set(names)
    assert "ROC-AUC" in page.inner_text("#reality-table")
    health = page.inner_text("#health-table")
    assert "customers" in health and "orders" in health
    assert page.inner_text("#role") == "analyst"


def test_language_switch(page, login):
    login(page)
    page.click("#lang-switch")
    assert "Realitätscheck" in page.inner_text("main") and "Datenqualität" in page.inner_text("main")
    page.click("text=Kundenwert")  # the navigation is German too, and the choice sticks
    assert page.inner_text("h1") == "Kundenwert"
    page.click("#lang-switch")
    assert page.inner_text("h1") == "Customer value"


def test_use_case_page_shows_drivers_lift_calibration_fairness(page, login):
    login(page)
    page.click("nav >> text=churn")
    assert page.inner_text("#use-case-title").startswith("churn")
    assert page.locator("ol.drivers li").count() >= 3
    assert page.locator("#metrics-table tbody tr").count() >= 3
    from nomagic.report import charts

    if charts.available():
        figures = page.locator("figure.chart")
        kinds = {figures.nth(i).get_attribute("data-kind") for i in range(figures.count())}
        assert {"lift", "calibration", "drivers"} <= kinds
        assert page.locator("figure.chart svg").count() >= 3
    page.click("text=Model card")
    assert page.locator("details[open]").count() == 1


def test_clv_page_lists_and_looks_up_customers(page, login):
    login(page)
    page.click("nav >> text=Customer value")
    assert "customers" in page.inner_text("#clv-summary")
    assert page.locator("#clv-deciles tbody tr").count() == 10
    first = page.locator("#clv-top tbody tr").first.locator("a")
    cid = first.inner_text()
    first.click()
    assert cid in page.inner_text("#clv-customer")
    page.fill("#customer_id", "no-such-customer")
    page.click("#lookup")
    assert page.is_visible("#clv-unknown")


def test_recommendations_for_a_chosen_customer(page, server, login):
    rec = server["app"].state.nm.recommender
    cid = next(c for c in sorted(rec.rows) if len(rec.rows[c]) >= 5)
    login(page)
    page.click("nav >> text=Recommendations")
    page.fill("#customer_id", cid)
    page.click("#lookup")
    assert page.inner_text("#recs-customer") == cid
    rows = page.locator("#recs-table tbody tr")
    assert rows.count() >= 5
    assert any(w in page.inner_text("#recs-table") for w in ("because you bought", "similar to", "popular"))
    page.fill("#customer_id", "no-such-customer")
    page.click("#lookup")
    assert page.is_visible("#recs-unknown")


def test_segments_page(page, login):
    login(page)
    page.click("nav >> text=Segments")
    rows = page.locator("#segments-table tbody tr")
    assert rows.count() >= 3
    assert "%" in page.inner_text("#segments-table")


def test_viewer_sees_summaries_but_not_customers(page, server, login):
    login(page, "viewer")
    page.click("nav >> text=Customer value")
    assert "analyst" in page.inner_text("#error")
    page.goto(server["url"] + "/dashboard/use-case/propensity")
    assert page.inner_text("#use-case-title").startswith("propensity")


def test_api_reference_and_logout(page, login):
    login(page)
    page.click("nav >> text=API")
    assert "/api/v1/score/{use_case}" in page.inner_text("#endpoints")
    page.go_back()
    page.click("#logout")
    assert "/login" in page.url
    page.goto(page.url.split("/login")[0] + "/dashboard/segments")
    assert "/login" in page.url
