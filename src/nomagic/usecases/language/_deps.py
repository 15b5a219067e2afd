"""Lazy imports of the optional language dependencies (the ``nlp`` extra)."""

from __future__ import annotations

import importlib

from nomagic.errors import InputError
from nomagic.words import say

HINT = "pip install 'nomagic[nlp]'"


def need(module: str, what: str):
    """Import ``module`` or raise an :class:`InputError` that says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise InputError(
            say(
                "{what} needs the Python package {module!r}, which is not installed: {hint}",
                "{what} braucht das Python-Paket {module!r}, das nicht installiert ist: {hint}",
                what=what,
                module=module,
                hint=HINT,
            )
        ) from exc


def have(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
