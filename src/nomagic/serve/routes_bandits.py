"""Bandit experiments over the API: decide which variant a unit gets, then report its reward.

``POST /api/v1/bandits/{experiment}/decide`` draws a variant by Beta-Bernoulli Thompson sampling
(with a 5 % exploration floor, so no propensity reaches zero) and logs the decision with its
propensity to the ``decisions`` table; ``POST /api/v1/bandits/{experiment}/reward`` reports the
0-1 reward of that decision, which updates the posterior and the decision's ``reward`` in the
warehouse. The answer carries the stopping rule's verdict ("95 % sure that no variant is more than
1 % better"). An experiment's state (successes and failures per arm) is kept in
``.nomagic/bandits/<experiment>.json`` next to the registry, so it survives a restart.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from nomagic.serve.schemas import Strict, errors
from nomagic.serve.security import require
from nomagic.usecases.bandits.policies import DEFAULT_EXPLORATION as EXPLORATION
from nomagic.usecases.bandits.policies import ThompsonSampling
from nomagic.usecases.bandits.stopping import stopping_rule
from nomagic.words import Text, say

router = APIRouter(tags=["bandits"])
MODEL_VERSION = "thompson-sampling-api-1"
MAX_OPEN_DECISIONS = 1_000_000
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_ERRORS = errors(
    400,
    401,
    403,
    404,
    409,
    413,
    422,
    words={
        403: "The key's role may not use this route, or the unit is a customer who may not be profiled (or, for an "
        "e-mail experiment, e-mailed): the reason says which",
        404: "Unknown experiment or decision",
        409: "Other arms than the experiment's",
    },
)


class DecideRequest(Strict):
    unit_id: str = Field(..., min_length=1, max_length=128, description="Who gets the variant (e.g. a customer id).")
    arms: list[str] = Field(..., min_length=2, max_length=20, description="The variants; fixed for an experiment.")


class Stop(BaseModel):
    stop: bool
    best: str | None
    message: str = Field(..., description="The stopping rule's verdict in plain English.")
    message_de: str = Field(..., description="The same in German.")

    @classmethod
    def of(cls, stop: bool, best: str | None, message: Text) -> Stop:
        return cls(stop=stop, best=best, message=str(message), message_de=message.de)


class DecideResponse(BaseModel):
    experiment: str
    decision_id: str = Field(..., description="The logged decision; the review item's id when the decision is held.")
    action: str | None = Field(..., description="The variant to use; null when the decision is held for a person.")
    propensity: float = Field(..., description="The probability the chosen variant had (for off-policy evaluation).")
    model_version: str
    review: str | None = Field(
        None,
        description="Human review (Art. 22), for decisions [review] in .nomagic/config.toml calls significant: "
        "pending (held: do not act; answered with 202), approved (acted on) or overridden (not acted on: 202).",
    )
    review_id: str | None = None
    proposed_action: str | None = Field(None, description="The variant the bandit proposed, when held.")
    message: str | None = Field(None, description='"held for human review", when held.')
    message_de: str | None = None


class RewardRequest(Strict):
    decision_id: str = Field(..., min_length=1, max_length=64)
    reward: float = Field(..., ge=0.0, le=1.0, description="1 = success (open, click, sale), 0 = none; or a share.")


class RewardResponse(BaseModel):
    experiment: str
    decision_id: str
    trials: dict[str, float]
    successes: dict[str, float]
    stopping: Stop


class Experiments:
    """Every experiment's bandit, the decisions waiting for a reward, and the state on disk."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.bandits: dict[str, ThompsonSampling] = {}
        self.open: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self.lock = threading.Lock()

    def _path(self, name: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{name}.json"

    def get(self, name: str, arms: list[str] | None) -> ThompsonSampling:
        bandit = self.bandits.get(name)
        if bandit is None:
            path = self._path(name)
            saved = json.loads(path.read_text()) if path is not None and path.exists() else None
            if saved is None and arms is None:
                raise HTTPException(
                    404,
                    say(
                        "unknown experiment {n!r}: it has made no decision yet",
                        "Unbekanntes Experiment {n!r}: Es hat noch keine Entscheidung getroffen",
                        n=name,
                    ),
                )
            bandit = ThompsonSampling(saved["arms"] if saved else arms, exploration=EXPLORATION, n_draws=2000)
            bandit._ensure()
            if saved:
                bandit.successes_ = np.asarray(saved["successes"], dtype=float)
                bandit.failures_ = np.asarray(saved["failures"], dtype=float)
            self.bandits[name] = bandit
        if arms is not None and list(arms) != list(bandit.arms_):
            raise HTTPException(
                409,
                say(
                    "experiment {n!r} has the arms {a}; start a new experiment for other arms",
                    "Das Experiment {n!r} hat die Arme {a}; für andere Arme ein neues Experiment beginnen",
                    n=name,
                    a=str(list(bandit.arms_)),
                ),
            )
        return bandit

    def save(self, name: str) -> None:
        path = self._path(name)
        if path is None:
            return
        b = self.bandits[name]
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"arms": list(b.arms_), "successes": b.successes_.tolist(), "failures": b.failures_.tolist()}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc))
        tmp.replace(path)  # atomic: a crash never leaves half a file


def _experiments(request: Request) -> Experiments:
    app = request.app
    if not hasattr(app.state, "experiments"):
        folder = None
        if app.state.url is not None:
            from nomagic.serve.keys import keys_path

            folder = keys_path(app.state.url).parent / "bandits"
        app.state.experiments = Experiments(folder)
    return app.state.experiments


def summaries(request: Request) -> list[dict]:
    """Every experiment (in memory or on disk): per arm trials, successes, rate and P(best); the stopping rule."""
    ex = _experiments(request)
    names = set(ex.bandits)
    if ex.folder is not None and ex.folder.exists():
        names |= {p.stem for p in ex.folder.glob("*.json") if NAME.match(p.stem)}
    out = []
    with ex.lock:
        for name in sorted(names):
            b = ex.get(name, None)
            trials = b.successes_ + b.failures_
            best = b.prob_best(2000) if trials.sum() else np.full(len(b.arms_), np.nan)
            arms = [
                {
                    "arm": str(a),
                    "trials": float(n),
                    "successes": float(k),
                    "rate": float(k / n) if n else None,
                    "prob_best": None if np.isnan(p) else float(p),
                }
                for a, n, k, p in zip(b.arms_, trials, b.successes_, best, strict=True)
            ]
            out.append({"name": name, "arms": arms, "stopping": _stop(b).model_dump()})
    return out


def _name(experiment: str) -> str:
    if not NAME.match(experiment):
        raise HTTPException(
            422,
            say(
                "the experiment name may hold letters, digits, '_', '-' and '.' (1-64 characters)",
                "Der Name des Experiments darf Buchstaben, Ziffern, '_', '-' und '.' enthalten (1-64 Zeichen)",
            ),
        )
    return experiment


def _stop(b: ThompsonSampling) -> Stop:
    trials = b.successes_ + b.failures_
    if trials.sum() == 0:
        return Stop.of(False, None, say("Keep testing: no rewards yet.", "Weiter testen: noch keine Belohnungen."))
    d = stopping_rule(b.successes_, trials, arms=[str(a) for a in b.arms_], min_trials=30, n_draws=5000)
    return Stop.of(bool(d.stop), None if d.best is None else str(d.best), d.message)


@router.post(
    "/bandits/{experiment}/decide",
    response_model=DecideResponse,
    responses={**_ERRORS, 202: {"model": DecideResponse, "description": "Held for human review: do not act"}},
    summary="Which variant this unit gets (Thompson sampling); logged with its propensity",
)
def decide(experiment: str, body: DecideRequest, request: Request, key=Depends(require("analyst"))):
    name = _name(experiment)
    if len(set(body.arms)) != len(body.arms):
        raise HTTPException(422, say("the arms must be distinct", "Die Arme müssen verschieden sein"))
    why = request.app.state.decisions.refusal(f"bandit:{name}", body.unit_id)  # the privacy policy, before deciding
    if why is not None:
        raise HTTPException(
            403, say("no decision about this unit: {why}", "keine Entscheidung für diese Einheit: {why}", why=why)
        )
    ex = _experiments(request)
    with ex.lock:
        b = ex.get(name, body.arms)
        d = b.decide()
        action = str(d.action)
        held, status = _held(request, name, body.unit_id, action, float(d.propensity))
        if held is not None:  # a significant decision: not made, not logged, no reward expected
            return held
        [decision_id] = request.app.state.decisions.add(
            f"bandit:{name}", body.unit_id, [action], [d.propensity], MODEL_VERSION
        )
        ex.open[decision_id] = (name, list(b.arms_).index(d.action))
        while len(ex.open) > MAX_OPEN_DECISIONS:
            ex.open.popitem(last=False)
    return DecideResponse(
        experiment=name,
        decision_id=decision_id,
        action=action,
        propensity=round(float(d.propensity), 6),
        model_version=MODEL_VERSION,
        review=status,
    )


def _held(request: Request, name: str, unit_id: str, action: str, propensity: float):
    """(202 "held for human review", status) when a person must approve this decision first (or overrode it);
    (None, status) when it may be acted on (status None: no review needed, or "approved")."""
    from nomagic.privacy.review import APPROVED, HELD

    why = say(
        "experiment {n}: Thompson sampling chose the variant {a} (probability {p:.1%})",
        "Experiment {n}: Thompson-Sampling wählte die Variante {a} (Wahrscheinlichkeit {p:.1%})",
        n=name,
        a=action,
        p=propensity,
    )
    status, review_id = request.app.state.decisions.hold(f"bandit:{name}", unit_id, action, why, MODEL_VERSION)
    if status is None or status == APPROVED:
        return None, status
    words = (
        HELD
        if status != "overridden"
        else say(
            "overridden by a person after review: not acted on",
            "nach Prüfung von einer Person verworfen: nicht umgesetzt",
        )
    )
    body = DecideResponse(
        experiment=name,
        decision_id=review_id,
        action=None,
        propensity=round(propensity, 6),
        model_version=MODEL_VERSION,
        review=status,
        review_id=review_id,
        proposed_action=action,
        message=str(words),
        message_de=words.de,
    )
    return JSONResponse(body.model_dump(), status_code=202), status


@router.post(
    "/bandits/{experiment}/reward",
    response_model=RewardResponse,
    responses=_ERRORS,
    summary="The reward of a decision: updates the posterior and the decision's reward",
)
def reward(experiment: str, body: RewardRequest, request: Request, key=Depends(require("analyst"))):
    name = _name(experiment)
    ex = _experiments(request)
    with ex.lock:
        owner = ex.open.get(body.decision_id)
        if owner is None or owner[0] != name:
            raise HTTPException(
                404,
                say(
                    "no open decision {d!r} in experiment {n!r} (unknown, already rewarded, or made before a restart)",
                    "Keine offene Entscheidung {d!r} im Experiment {n!r} (unbekannt, schon belohnt oder vor einem "
                    "Neustart getroffen)",
                    d=body.decision_id,
                    n=name,
                ),
            )
        b = ex.get(name, None)
        del ex.open[body.decision_id]
        b.update(b.arms_[owner[1]], body.reward)
        ex.save(name)
        request.app.state.decisions.reward(body.decision_id, body.reward)
        trials = b.successes_ + b.failures_
        arms = [str(a) for a in b.arms_]
        return RewardResponse(
            experiment=name,
            decision_id=body.decision_id,
            trials=dict(zip(arms, trials.tolist(), strict=True)),
            successes=dict(zip(arms, b.successes_.tolist(), strict=True)),
            stopping=_stop(b),
        )
