"""The warehouse: connection, canonical schema, contracts, ingestion and readiness.

This is the only package that may speak an engine's SQL; everything above it uses Ibis.
"""

from nomagic.warehouse.connection import Warehouse, connect
from nomagic.warehouse.contracts import validate
from nomagic.warehouse.ingest import LoadResult, load
from nomagic.warehouse.mapping import Mapping
from nomagic.warehouse.schema import CANONICAL, Column, Table, canonical_table

__all__ = [
    "CANONICAL",
    "Column",
    "LoadResult",
    "Mapping",
    "Table",
    "Warehouse",
    "canonical_table",
    "connect",
    "load",
    "validate",
]
