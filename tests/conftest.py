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
