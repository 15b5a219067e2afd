"""The canonical model in code and in docs/data-model.md stay in step."""

from pathlib import Path

import pytest

from nomagic.errors import InputError
from nomagic.warehouse.schema import CANONICAL, Column, canonical_table

DOC = (Path(__file__).resolve().parents[1] / "docs" / "data-model.md").read_text()


@pytest.mark.parametrize("table", list(CANONICAL.values()), ids=list(CANONICAL))
def test_every_table_and_column_is_documented(table):
    assert f"## `{table.name}`" in DOC
    section = DOC.split(f"## `{table.name}`")[1].split("\n## ")[0]
    for col in table.columns:
        assert f"| `{col.name}` | {col.dtype} |" in section, col.name


def test_keys_and_references_point_at_real_columns():
    for table in CANONICAL.values():
        assert all(k in table.column_names for k in table.key)
        for col in table.columns:
            if col.references:
                ref_table, ref_col = col.references.split(".")
                assert ref_col in CANONICAL[ref_table].column_names
            if col.after:
                assert col.after in table.column_names


def test_unknown_table_and_type():
    with pytest.raises(InputError, match="canonical tables are"):
        canonical_table("nope")
    with pytest.raises(ValueError):
        Column("x", "varchar")
