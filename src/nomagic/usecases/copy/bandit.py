"""Hand the passing candidates to a bandit experiment of ``nomagic serve``.

The REST API's bandit experiments (``POST /api/v1/bandits/{experiment}/decide`` and ``/reward``, see
docs/serve.md) keep each experiment's state in ``<experiments folder>/<name>.json`` as
``{"arms", "successes", "failures"}``; the folder is ``bandits/`` next to the key file
(``.nomagic/bandits`` beside the registry, or beside ``$NOMAGIC_KEYS``). :func:`write_experiment`
creates that file with no trials yet, so the API serves the candidates as variants at once (Thompson
sampling, 2 % exploration floor) and the dashboard lists the experiment. The arms are the copy itself:
``decide`` answers with the line to send. Where each arm came from (template or generated, guardrail
results, predicted open rates) is kept next to it in ``.nomagic/copy/<name>.json``, outside the
experiments folder, so the API never mistakes it for an experiment.

Examples
--------
>>> import tempfile, pathlib
>>> from nomagic.usecases.copy.brief import Candidate
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "bandits"
>>> cs = [Candidate({"subject": s}, source="template", passed=True) for s in ("New: boots", "Discover boots")]
>>> out = write_experiment(folder, "boots-autumn", cs, report={"source": "template"})
>>> json.loads(out["path"].read_text())
{'arms': ['New: boots', 'Discover boots'], 'successes': [0.0, 0.0], 'failures': [0.0, 0.0]}
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from nomagic.errors import InputError
from nomagic.usecases.copy.brief import Candidate
from nomagic.words import localise, say

#: As the API checks experiment names (nomagic.serve.routes_bandits.NAME).
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
#: The API takes 2 to 20 arms per experiment.
MIN_ARMS, MAX_ARMS = 2, 20


def experiments_folder(url: str | None = None) -> Path:
    """The folder the API keeps its bandit experiments in, for the warehouse at ``url``.

    The same place as ``nomagic.serve.keys.keys_path(url).parent / "bandits"`` (computed here without
    importing the server, which needs the ``serve`` extra).
    """
    env = os.environ.get("NOMAGIC_KEYS")
    if env:
        return Path(env).parent / "bandits"
    from nomagic.lifecycle.registry import registry_root

    return registry_root(url).parent / "bandits"


def _atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_experiment(
    folder, name: str, candidates: list[Candidate], *, report: dict | None = None, replace: bool = False
) -> dict:
    """Create experiment ``name`` with the passing ``candidates`` as arms (no trials yet).

    Returns ``{"experiment", "path", "provenance", "arms"}``. Refuses a bad name, fewer than 2 or more than
    20 arms, a candidate that failed its guardrails, and (unless ``replace``) an existing experiment:
    its learnt successes would be lost.
    """
    if not NAME.match(name or ""):
        raise InputError(
            say(
                "bandit experiment name {name!r}: use letters, digits, '_', '-' and '.' (1-64 characters)",
                "Name des Bandit-Experiments {name!r}: Buchstaben, Ziffern, '_', '-' und '.' verwenden (1-64 Zeichen)",
                name=name,
            )
        )
    failed = [c.text for c in candidates if not c.passed]
    if failed:
        raise InputError(
            say(
                "only candidates that passed the guardrails go to a bandit; {line!r} did not",
                "nur Kandidaten, die die Leitplanken bestanden haben, gehen an einen Bandit; {line!r} hat sie nicht "
                "bestanden",
                line=failed[0],
            )
        )
    arms = [c.text for c in candidates]
    if len(set(arms)) != len(arms):
        raise InputError(say("the bandit's arms must be distinct", "die Varianten des Bandits müssen verschieden sein"))
    if not MIN_ARMS <= len(arms) <= MAX_ARMS:
        more = len(arms) >= MIN_ARMS
        raise InputError(
            say(
                "a bandit experiment needs {lo} to {hi} variants; {n} candidate(s) passed the guardrails{hint}",
                "ein Bandit-Experiment braucht {lo} bis {hi} Varianten; {n} Kandidat(en) haben die Leitplanken "
                "bestanden{hint}",
                lo=MIN_ARMS,
                hi=MAX_ARMS,
                n=len(arms),
                hint=say(" (use --arms to keep fewer)", " (mit --arms weniger behalten)") if more else "",
            )
        )
    folder = Path(folder)
    path = folder / f"{name}.json"
    if path.exists() and not replace:
        raise InputError(
            say(
                "the bandit experiment {name!r} exists already ({path}); choose another name, or replace it "
                "(its learnt successes and failures are then lost)",
                "das Bandit-Experiment {name!r} gibt es schon ({path}); einen anderen Namen wählen oder es ersetzen "
                "(seine gelernten Erfolge und Misserfolge gehen dann verloren)",
                name=name,
                path=path,
            )
        )
    _atomic(path, json.dumps({"arms": arms, "successes": [0.0] * len(arms), "failures": [0.0] * len(arms)}))
    provenance = folder.parent / "copy" / f"{name}.json"
    # the words in both languages (a reason, a caveat: "<key>_de" next to each)
    doc = localise({"experiment": name, "arms": [c.as_dict() for c in candidates], **(report or {})})
    _atomic(provenance, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return {"experiment": name, "path": path, "provenance": provenance, "arms": arms}


__all__ = ["MAX_ARMS", "MIN_ARMS", "NAME", "experiments_folder", "write_experiment"]
