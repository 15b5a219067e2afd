"""The model registry: every trained version, its evidence and its status.

Where it lives: a ``.nomagic/registry`` folder next to the warehouse's DuckDB file (or in the
current folder for a server warehouse or an in-memory one). Layout::

    .nomagic/registry/<use case>/index.json          versions and their status
    .nomagic/registry/<use case>/<version>/
        meta.json          version, created_at, status, scorer, data fingerprint, configuration
        record.json        the evaluation record (docs/evaluation-record.md)
        model.json         the fitted model (JSON)  + model_lightgbm.txt (LightGBM's text format)
        baseline.json      the fitted baseline (JSON)
        card.md, card.html the model card

Nothing is pickled: every artifact is JSON or LightGBM text, safe to read from anyone.

Status: exactly one version per use case is the ``champion`` (what ``nomagic score`` uses); the one
it replaced is ``retired``; a version registered with ``challenger=True`` waits next to the
champion without replacing it. The champion's ``scorer`` says what scores: ``model`` when the
version passed the no-magic gate, ``baseline`` when it did not.

History: index.json also keeps every change of champion (``history``: when, which version, which
one it replaced, why), so ``nomagic rollback`` can restore the previous champion and nothing is lost.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nomagic.errors import InputError, NotReadyError
from nomagic.lifecycle import card as cards
from nomagic.lifecycle.models import AutoClassifier, baseline_from_dict
from nomagic.lifecycle.record import dumps, now_iso
from nomagic.words import Text, say

CHAMPION, CHALLENGER, RETIRED = "champion", "challenger", "retired"
FOLDER = ".nomagic"


def registry_root(url: str | None) -> Path:
    """The registry folder for a warehouse URL (see the module docstring)."""
    from nomagic.warehouse.connection import _duckdb_path, resolve_url

    env = os.environ.get("NOMAGIC_REGISTRY")
    if env:
        return Path(env)
    path = _duckdb_path(resolve_url(url))
    if path and path != ":memory:":
        return Path(path).expanduser().resolve().parent / FOLDER / "registry"
    return Path.cwd() / FOLDER / "registry"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


@dataclass
class Version:
    """One registered version (its meta.json)."""

    use_case: str
    version: str
    folder: Path
    meta: dict

    @property
    def status(self) -> str:
        return self.meta["status"]

    @property
    def scorer(self) -> str:
        return self.meta["scorer"]

    def record(self) -> dict:
        return json.loads((self.folder / "record.json").read_text())

    def model(self) -> AutoClassifier:
        return AutoClassifier.load(self.folder)

    def baseline(self):
        return baseline_from_dict(json.loads((self.folder / "baseline.json").read_text()))


class Registry:
    """Versions of each use case's models in a folder (see the module docstring).

    Examples
    --------
    >>> import tempfile
    >>> reg = Registry(tempfile.mkdtemp())
    >>> reg.versions("churn")
    []
    """

    def __init__(self, root):
        self.root = Path(root)

    @classmethod
    def for_warehouse(cls, url: str | None) -> Registry:
        return cls(registry_root(url))

    # -------------------------------------------------------------- reading
    def _index_path(self, use_case: str) -> Path:
        return self.root / use_case / "index.json"

    def _index(self, use_case: str) -> list[dict]:
        p = self._index_path(use_case)
        if not p.exists():
            return []
        return json.loads(p.read_text())["versions"]

    def use_cases(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "index.json").exists())

    def versions(self, use_case: str) -> list[Version]:
        out = []
        for row in self._index(use_case):
            folder = self.root / use_case / row["version"]
            meta = json.loads((folder / "meta.json").read_text())
            meta["status"] = row["status"]
            out.append(Version(use_case, row["version"], folder, meta))
        return out

    def get(self, use_case: str, version: str | None = None) -> Version:
        """A version by name, or the champion."""
        versions = self.versions(use_case)
        if version is None:
            champs = [v for v in versions if v.status == CHAMPION]
            if not champs:
                raise NotReadyError(f"no trained {use_case} model in {self.root}; run `nomagic train {use_case}` first")
            return champs[-1]
        for v in versions:
            if v.version == version:
                return v
        known = ", ".join(v.version for v in versions) or "none"
        raise InputError(
            say(
                "no {uc} version '{v}' in {root}; known: {known}",
                "keine Version '{v}' von {uc} in {root}; bekannt: {known}",
                uc=use_case,
                v=version,
                root=str(self.root),
                known=known,
            )
        )

    def champion(self, use_case: str) -> Version | None:
        try:
            return self.get(use_case)
        except NotReadyError:
            return None

    # -------------------------------------------------------------- writing
    def register(self, result, *, challenger: bool = False, action: str = "register", why: str = "") -> Version:
        """Store a :class:`~nomagic.lifecycle.usecase.TrainResult` as a new version.

        The new version becomes the champion (and the old champion is retired) unless
        ``challenger`` is set. A version whose data was not ready is stored as retired.
        ``action`` and ``why`` go into the history (see :meth:`history`).
        """
        record = result.record
        use_case = record["use_case"]
        index = self._index(use_case)
        number = 1 + max((int(r["version"].lstrip("v")) for r in index), default=0)
        version = f"v{number:04d}"
        folder = self.root / use_case / version
        folder.mkdir(parents=True, exist_ok=False)
        artifacts = []
        if result.model is not None:
            artifacts += [p.name for p in result.model.save(folder)]
        if result.baseline is not None:
            (folder / "baseline.json").write_text(json.dumps(result.baseline.to_dict(), indent=1))
            artifacts.append("baseline.json")
        ready = record["verdict"] != "not ready" and result.model is not None
        status = (CHALLENGER if challenger else CHAMPION) if ready else RETIRED
        meta = {
            "use_case": use_case,
            "version": version,
            "created_at": now_iso(),
            "status": status,
            "scorer": record.get("scorer", "baseline"),
            "verdict": record["verdict"],
            "primary_metric": record["primary_metric"],
            "model_value": _value(record, "model"),
            "baseline_value": _value(record, "baseline"),
            "improvement": record["metrics"].get("improvement", {}).get(record["primary_metric"]),
            "data_fingerprint": result.fingerprint or record["data"].get("fingerprint"),
            "config": result.config,
            "features": (record.get("model") or {}).get("features", []),
            "artifacts": artifacts + ["record.json", "meta.json", "card.md", "card.html"],
        }
        (folder / "record.json").write_text(dumps(record) + "\n")
        (folder / "meta.json").write_text(json.dumps(meta, indent=1, default=str) + "\n")
        (folder / "card.md").write_text(cards.markdown(record, meta))
        (folder / "card.html").write_text(cards.html(record, meta))
        replaced = None
        if status == CHAMPION:
            for row in index:
                if row["status"] == CHAMPION:
                    row["status"] = RETIRED
                    replaced = row["version"]
        index.append({"version": version, "status": status, "created_at": meta["created_at"]})
        event = {"version": version, "status": status, "replaced": replaced, "action": action}
        if why:
            event["why"] = str(why)
            if isinstance(why, Text):  # the reason in both languages, as records keep their sentences
                event["why_de"] = why.de
        self._save_index(use_case, index, event)
        return Version(use_case, version, folder, meta)

    def set_status(
        self, use_case: str, version: str, status: str, *, action: str = "set status", why: str = ""
    ) -> None:
        """Promote a version to champion (retiring the old one), or retire / demote it.

        ``action`` and ``why`` go into the use case's history (see :meth:`history`)."""
        if status not in (CHAMPION, CHALLENGER, RETIRED):
            raise InputError(f"unknown status {status!r}")
        index = self._index(use_case)
        if not any(r["version"] == version for r in index):
            raise InputError(say("no {uc} version '{v}'", "keine Version '{v}' von {uc}", uc=use_case, v=version))
        replaced = None
        for row in index:
            if status == CHAMPION and row["status"] == CHAMPION and row["version"] != version:
                row["status"] = RETIRED
                replaced = row["version"]
            if row["version"] == version:
                row["status"] = status
        event = {"version": version, "status": status, "replaced": replaced, "action": action}
        if why:
            event["why"] = str(why)
            if isinstance(why, Text):  # the reason in both languages, as records keep their sentences
                event["why_de"] = why.de
        self._save_index(use_case, index, event)

    def _save_index(self, use_case: str, index: list[dict], event: dict | None = None) -> None:
        """Write the index; ``event`` is appended to its history (older indexes have none: it starts empty)."""
        history = self.history(use_case)
        if event is not None:
            history.append({"at": now_iso(), **event})
        doc = {"use_case": use_case, "versions": index, "history": history}
        _atomic_write(self._index_path(use_case), json.dumps(doc, indent=1))

    # -------------------------------------------------------------- history and rollback
    def history(self, use_case: str) -> list[dict]:
        """Every change of status, oldest first: ``{"at", "version", "status", "replaced", "action", "why"?}``.

        Kept in index.json next to the versions; an index written before the history existed has none."""
        p = self._index_path(use_case)
        if not p.exists():
            return []
        return list(json.loads(p.read_text()).get("history", []))

    def previous_champion(self, use_case: str) -> Version | None:
        """The version that was champion before the current one (None when there was none).

        From the history: the version the current champion replaced when it last became champion.
        An index without history: the newest retired version that had something to score with."""
        current = self.champion(use_case)
        versions = {v.version: v for v in self.versions(use_case)}
        if current is not None:
            for event in reversed(self.history(use_case)):
                if event.get("version") == current.version and event.get("status") == CHAMPION:
                    before = event.get("replaced")
                    return versions.get(before) if before else None
        usable = [v for v in versions.values() if v.status == RETIRED and v.meta.get("verdict") != "not ready"]
        usable = [v for v in usable if current is None or v.version != current.version]
        return usable[-1] if usable else None

    def rollback(self, use_case: str, to: str | None = None, *, why: str = "") -> tuple[Version | None, Version]:
        """Make ``to`` (default: the previous champion) the champion again; returns ``(replaced, restored)``.

        Nothing is deleted: the replaced champion is retired and the step is written to the history."""
        current = self.champion(use_case)
        if to is None:
            target = self.previous_champion(use_case)
            if target is None:
                raise InputError(
                    say(
                        "{uc} has no earlier champion to roll back to (registry {root}); `nomagic models {uc}` lists "
                        "the versions, `--to VERSION` picks one",
                        "{uc} hat keinen früheren Champion, zu dem zurückgekehrt werden kann (Register {root}); "
                        "`nomagic models {uc}` listet die Versionen, `--to VERSION` wählt eine",
                        uc=use_case,
                        root=str(self.root),
                    )
                )
        else:
            target = self.get(use_case, to)
        if target.meta.get("verdict") == "not ready" or not (target.folder / "baseline.json").exists():
            raise InputError(
                say(
                    "{uc} {v} cannot serve: nothing was trained in it (its data was not ready)",
                    "{uc} {v} kann nicht bewerten: darin wurde nichts trainiert (seine Daten waren nicht bereit)",
                    uc=use_case,
                    v=target.version,
                )
            )
        if current is not None and current.version == target.version:
            raise InputError(
                say(
                    "{uc} {v} is the champion already",
                    "{uc} {v} ist bereits der Champion",
                    uc=use_case,
                    v=target.version,
                )
            )
        self.set_status(use_case, target.version, CHAMPION, action="rollback", why=why)
        return current, self.get(use_case, target.version)


def _value(record: dict, who: str):
    m = record.get("metrics", {}).get(who, {}).get(record["primary_metric"])
    return m["value"] if m else None
