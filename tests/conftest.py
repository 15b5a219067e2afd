"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A path in ../shared/data; skips the test where it is absent, fails in CI (CI=true)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real data {path} is missing in CI")
        pytest.skip(f"real data {path} not available")
    return path


@pytest.fixture
def wh(tmp_path):
    """A fresh DuckDB warehouse file in a temp folder."""
    from nomagic.warehouse import connect

    w = connect(str(tmp_path / "wh.duckdb"))
    yield w
    w.close()


@pytest.fixture
def pg_wh():
    """A fresh PostgreSQL database as a warehouse (NOMAGIC_TEST_POSTGRES; .ci/run starts a server)."""
    import uuid

    from nomagic.warehouse import connect

    url = os.environ.get("NOMAGIC_TEST_POSTGRES")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("NOMAGIC_TEST_POSTGRES is not set in CI (.ci/run starts PostgreSQL)")
        pytest.skip("set NOMAGIC_TEST_POSTGRES=postgres://... to test PostgreSQL")
    name = f"nm_{uuid.uuid4().hex[:8]}"
    admin = connect(url)
    admin.con.raw_sql(f"CREATE DATABASE {name}")
    admin.close()
    w = connect(url.rsplit("/", 1)[0] + "/" + name)
    yield w
    w.close()
    admin = connect(url)
    admin.con.raw_sql(f"DROP DATABASE {name}")
    admin.close()
