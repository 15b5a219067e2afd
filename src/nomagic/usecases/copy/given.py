"""Your own lines as a generator, so that they go through the same guardrails, scoring and bandit.

Examples
--------
>>> from nomagic.usecases.copy.brief import Brief
>>> [c.source for c in GivenCandidates(["Neu: Laufschuhe"]).generate(Brief(product="x"), 5)]
['written by you']
"""

from __future__ import annotations

from nomagic.errors import InputError
from nomagic.usecases.copy.brief import AD_JOIN, Brief, Candidate, check_kind
from nomagic.words import Text, say

SOURCE = "written by you"


class GivenCandidates:
    """Candidates you wrote: subject lines as they are; ads as ``headline — description`` (or ``headline | description``)."""

    source = SOURCE
    label = Text("written by you (no generator)", "von Ihnen geschrieben (kein Generator)")

    def __init__(self, lines):
        self.lines = [str(s).strip() for s in lines if str(s).strip()]
        if not self.lines:
            raise InputError(say("give at least one candidate line", "mindestens eine Kandidatenzeile angeben"))

    def generate(self, brief: Brief, n: int, kind: str = "subject") -> list[Candidate]:
        fields = check_kind(kind)
        out = []
        for line in self.lines[:n]:
            if len(fields) == 1:
                out.append(Candidate({"subject": line}, source=SOURCE, angle="yours"))
                continue
            sep = AD_JOIN if AD_JOIN in line else " | "
            if sep not in line:
                raise InputError(
                    say(
                        "an ad candidate is 'headline — description' (or 'headline | description'): {line!r}",
                        "ein Anzeigen-Kandidat ist 'Überschrift — Beschreibung' (oder 'Überschrift | Beschreibung'): "
                        "{line!r}",
                        line=line,
                    )
                )
            head, desc = (p.strip() for p in line.split(sep, 1))
            out.append(Candidate({"headline": head, "description": desc}, source=SOURCE, angle="yours"))
        return out


__all__ = ["GivenCandidates"]
