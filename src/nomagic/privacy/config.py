"""``.nomagic/config.toml``, read in one place: the settings next to the warehouse (retrain policy, review,
retention, records, k-anonymity) each take their own table of it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from nomagic.errors import InputError
from nomagic.words import say


def read(path) -> dict:
    """The whole document at ``path``; ``{}`` without a file. Invalid TOML is an InputError naming the file.

    >>> read("/nonexistent/config.toml")
    {}
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            say("{path} is not valid TOML: {e}", "{path} ist kein gültiges TOML: {e}", path=str(path), e=str(exc))
        ) from exc
