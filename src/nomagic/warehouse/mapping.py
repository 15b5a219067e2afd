"""Mapping files: a user's column names and value codes onto a canonical table.

A mapping is a small TOML file, so nobody has to rename their data::

    table = "customers"              # optional: the table this mapping is for

    [columns]                        # canonical name = the source's column
    customer_id = "customerID"
    consent_email = "Newsletter"

    [values.consent_email]           # source value = canonical value
    "Yes" = true
    "No" = false

    [defaults]                       # a constant for a canonical column the source lacks
    country = "US"

    [formats]                        # strptime format of a time column
    created_at = "%d.%m.%Y"

    [csv]
    delimiter = ";"
    encoding = "cp1252"
    decimal = ","                    # German numbers: 1.234,56

Source columns that are not mapped are kept as attributes of the table.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nomagic.errors import InputError
from nomagic.warehouse.schema import Table
from nomagic.words import say

_SECTIONS = {"table", "columns", "values", "defaults", "formats", "csv"}


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str | None = None
    decimal: str = "."
    table: str | None = None
    origin: str = "(no mapping)"

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        path = Path(path)
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(
                say("{path}: mapping file not found", "{path}: Mapping-Datei nicht gefunden", path=path)
            ) from None
        except tomllib.TOMLDecodeError as exc:
            # tomllib's own words (with line and column) stay English
            raise InputError(
                say("{path}: not valid TOML: {why}", "{path}: kein gültiges TOML: {why}", path=path, why=str(exc))
            ) from None
        unknown = set(doc) - _SECTIONS
        if unknown:
            raise InputError(
                say(
                    "{path}: unknown section(s) {unknown}; allowed: {allowed}",
                    "{path}: unbekannte(r) Abschnitt(e) {unknown}; erlaubt: {allowed}",
                    path=path,
                    unknown=", ".join(sorted(unknown)),
                    allowed=", ".join(sorted(_SECTIONS)),
                )
            )
        csv_opts = doc.get("csv", {})
        return cls(
            columns={k: str(v) for k, v in doc.get("columns", {}).items()},
            values={k: {str(a): b for a, b in v.items()} for k, v in doc.get("values", {}).items()},
            defaults=dict(doc.get("defaults", {})),
            formats={k: str(v) for k, v in doc.get("formats", {}).items()},
            delimiter=csv_opts.get("delimiter"),
            encoding=csv_opts.get("encoding"),
            decimal=csv_opts.get("decimal", "."),
            table=doc.get("table"),
            origin=str(path),
        )

    def check(self, table: Table, source: str, source_columns: list[str]) -> None:
        """Refuse a mapping that names unknown canonical columns or absent source columns."""
        if self.table and self.table != table.name:
            raise InputError(
                say(
                    "{origin}: this mapping is for table {mine!r}, not {table!r}",
                    "{origin}: dieses Mapping gilt für die Tabelle {mine!r}, nicht für {table!r}",
                    origin=self.origin,
                    mine=self.table,
                    table=table.name,
                )
            )
        canon = set(table.column_names)
        for section in ("columns", "values", "defaults", "formats"):
            for name in getattr(self, section):
                if name not in canon:
                    raise InputError(
                        say(
                            "{origin}: [{section}] names {name!r}, which is not a column of {table} "
                            "(its columns: {columns})",
                            "{origin}: [{section}] nennt {name!r}, das keine Spalte von {table} ist "
                            "(ihre Spalten: {columns})",
                            origin=self.origin,
                            section=section,
                            name=name,
                            table=table.name,
                            columns=", ".join(table.column_names),
                        )
                    )
        present = set(source_columns)
        for canonical, src in self.columns.items():
            if src not in present:
                raise InputError(
                    say(
                        "{origin}: [columns] maps {canonical} to column {src!r}, which {source} does not have "
                        "(its columns: {columns})",
                        "{origin}: [columns] ordnet {canonical} der Spalte {src!r} zu, die {source} nicht hat "
                        "(ihre Spalten: {columns})",
                        origin=self.origin,
                        canonical=canonical,
                        src=src,
                        source=source,
                        columns=", ".join(source_columns),
                    )
                )

    def source_of(self, canonical: str, source_columns: list[str]) -> str | None:
        """The source column feeding a canonical column: mapped, else same name, else none."""
        if canonical in self.columns:
            return self.columns[canonical]
        if canonical in source_columns and canonical not in self.columns.values():
            return canonical
        return None
