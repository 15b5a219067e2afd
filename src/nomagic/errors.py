"""The one error family of nomagic.

Every error a user can cause (bad file, bad mapping, unknown table, locked warehouse, ...) is a
``NomagicError`` whose message says what was wrong, where (file, row, column) and what to do.
The CLI prints the message without a traceback and exits with status 2.
"""

from __future__ import annotations


class NomagicError(Exception):
    """Base class of all user-facing errors."""

    exit_code = 2

    def lang(self, lang: str = "en") -> str:
        """The message in ``lang`` (raise with a :func:`nomagic.words.say` Text to give it German)."""
        from nomagic.words import in_lang

        return in_lang(self.args[0], lang) if self.args else ""


class InputError(NomagicError):
    """A source file, mapping or option the user gave is unusable."""


class ContractError(NomagicError):
    """Data breaks the contract of a canonical table and strict mode refuses it."""


class WarehouseError(NomagicError):
    """The warehouse cannot be opened or written (locked, read-only, unknown backend)."""


class NotReadyError(NomagicError):
    """The data is not sufficient for the requested task."""


def writable(path):
    """``path`` as a ``Path`` when its folder exists, else an InputError naming both (nothing is half-written)."""
    from pathlib import Path

    from nomagic.words import say

    path = Path(path)
    if not path.parent.exists():
        raise InputError(
            say(
                "cannot write {o}: folder {f} does not exist",
                "{o} kann nicht geschrieben werden: Ordner {f} existiert nicht",
                o=str(path),
                f=str(path.parent),
            )
        )
    return path
