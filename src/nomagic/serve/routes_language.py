"""Language over the API: the sentiment of a text, and answers from the FAQ.

``POST /api/v1/sentiment`` classifies a text with the sentiment champion of the registry (trained on
your labelled documents by ``nomagic train sentiment`` or the demo) or, without one, with the
lexicon baseline (VADER / textblob-de), and says which. ``POST /api/v1/monitor`` turns a batch of
brand mentions into volume and sentiment per period, spike alerts and (on request) topics -- the
record of ``nomagic monitor brand``. ``POST /api/v1/faq`` answers from the
``documents`` rows with ``source = 'faq'``, citing the source document, or hands off to a person
when it is not sure; each answer (the source document, or ``handoff``) is logged as a decision. Texts are never logged; personal data (e-mail addresses, phone numbers,
IBANs) is masked before a text is classified. Both need the ``nlp`` extra; without it they
answer 404 with the install hint. Models load on first use and stay loaded.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field, field_validator

from nomagic.errors import NomagicError
from nomagic.serve.i18n import pick as pick_lang
from nomagic.serve.schemas import Strict, errors
from nomagic.serve.security import require
from nomagic.words import Text as Words
from nomagic.words import in_lang, say

router = APIRouter(tags=["language"])
_LOCK = threading.Lock()
_ERRORS = errors(400, 401, 403, 404, 413, 422, words={404: "No model or FAQ available (or the nlp extra is missing)"})
Text = Field(..., min_length=1, max_length=5000)


class SentimentRequest(Strict):
    text: str = Text


class SentimentResponse(BaseModel):
    label: str
    probabilities: dict[str, float] = Field(default_factory=dict, description="Per class; empty for the lexicon.")
    scorer: str = Field(..., description="model (the registry's champion) or lexicon (the baseline)")
    model_version: str


class Mention(Strict):
    text: str = Text
    time: datetime = Field(..., description="When it was posted (ISO 8601; a zone is converted to UTC).")
    brand: str | None = Field(None, max_length=200, description="The brand it is about; else found by `brands`.")
    label: str | None = Field(None, max_length=50, description="A known sentiment label, if any.")

    @field_validator("time")
    @classmethod
    def _plausible(cls, v: datetime) -> datetime:
        if not 1970 <= v.year <= 2200:
            raise ValueError("time must lie between 1970 and 2200")
        return v


class MonitorRequest(Strict):
    mentions: list[Mention] = Field(..., min_length=1, max_length=20_000)
    brands: dict[str, list[str]] | None = Field(
        None, max_length=50, description="Brands to find in the text, with aliases: {'Acme': ['acme', 'acmeshop']}."
    )
    period: Literal["auto", "hour", "day", "week"] = "auto"
    topics: int = Field(0, ge=0, le=30, description="0: no topics (fast); N: N topic clusters.")
    z: float = Field(5.0, ge=2.0, le=20.0, description="Alert threshold in standard deviations.")
    min_count: int = Field(10, ge=1, le=1_000_000, description="Least mentions in a period for an alert.")


class MonitorResponse(BaseModel):
    data: dict[str, Any]
    sentiment: dict[str, Any]
    totals: dict[str, Any]
    series: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    alert_rule: str
    topics: list[dict[str, Any]]
    warnings: list[str]


class FaqRequest(Strict):
    question: str = Text


class FaqResponse(BaseModel):
    answer: str
    source: str | None = Field(None, description="The FAQ document the answer comes from.")
    confidence: float
    handoff: bool = Field(..., description="True: not sure enough; a person should answer.")
    lang: str


def _lang(request: Request) -> str:
    """The client's language (``?lang=de`` or ``Accept-Language``), as the rest of the API reads it."""
    return pick_lang(None, request.query_params.get("lang"), request.headers.get("accept-language"))


def _in(obj, lang: str):
    """A record with every sentence (a Text) in ``lang``: the API answers in the client's language."""
    if isinstance(obj, Words):
        return in_lang(obj, lang)
    if isinstance(obj, dict):
        return {k: _in(v, lang) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_in(v, lang) for v in obj]
    return obj


def _words(exc: NomagicError):
    """An error's message with its German (the app's handler answers in the client's language)."""
    return exc.args[0] if exc.args else str(exc)


def _cache(request: Request) -> dict:
    app = request.app
    if not hasattr(app.state, "language"):
        app.state.language = {}
    return app.state.language


def _sentiment_model(request: Request):
    """(predictor, scorer, version): the champion when the registry has one, else the lexicon."""
    cache = _cache(request)
    with _LOCK:
        if "sentiment" not in cache:
            from nomagic.lifecycle.registry import Registry

            champion = Registry.for_warehouse(request.app.state.url).champion("sentiment")
            if champion is not None and champion.scorer == "model":
                from nomagic.usecases.language.textclf import load_classifier

                cache["sentiment"] = (load_classifier(champion.folder), "model", champion.version)
            else:
                from nomagic.usecases.language.sentiment import LexiconSentiment

                cache["sentiment"] = (LexiconSentiment().fit(), "lexicon", "lexicon")
        return cache["sentiment"]


def _faq(request: Request):
    cache = _cache(request)
    with _LOCK:
        if "faq" not in cache:
            from nomagic.usecases.language.faq import FaqAssistant
            from nomagic.warehouse import connect

            with connect(request.app.state.url) as wh:
                if "documents" not in wh.tables():
                    raise HTTPException(
                        404,
                        say(
                            "no FAQ: the warehouse has no documents table",
                            "keine FAQ: das Warehouse hat keine Tabelle documents",
                        ),
                    )
                cache["faq"] = FaqAssistant.from_warehouse(wh)
        return cache["faq"]


@router.post("/sentiment", response_model=SentimentResponse, responses=_ERRORS, summary="Sentiment of a text")
def sentiment(body: SentimentRequest, request: Request, key=Depends(require("analyst"))):
    from nomagic.privacy.pii import mask_pii

    try:
        model, scorer, version = _sentiment_model(request)
        text = mask_pii(body.text)
        if scorer == "model":
            proba = model.predict_proba([text])[0]
            classes = [str(c) for c in model.classes_]
            label = classes[int(proba.argmax())]
            probs = {c: round(float(p), 4) for c, p in zip(classes, proba, strict=True)}
        else:
            label, probs = str(model.predict([text])[0]), {}
    except NomagicError as exc:  # the nlp extra is missing, or a model cannot load
        raise HTTPException(404, _words(exc)) from exc
    return SentimentResponse(label=label, probabilities=probs, scorer=scorer, model_version=version)


@router.post(
    "/monitor", response_model=MonitorResponse, responses=_ERRORS, summary="Volume, sentiment, alerts of mentions"
)
def monitor_mentions(body: MonitorRequest, request: Request, key=Depends(require("analyst"))):
    import pandas as pd

    from nomagic.usecases.language._deps import HINT
    from nomagic.usecases.language.monitor import monitor

    rows = [m.model_dump() for m in body.mentions]
    frame = pd.DataFrame(rows)
    frame["time"] = pd.to_datetime(frame["time"], utc=True).dt.tz_convert(None)
    labelled = frame["label"].notna().all()
    try:
        predictor, words = None, ""
        if not labelled:
            model, scorer, version = _sentiment_model(request)
            if scorer == "model":
                predictor = model
                words = say(
                    "the registry's sentiment champion ({v})", "der Stimmungs-Champion der Registry ({v})", v=version
                )
        rec = monitor(
            frame,
            text="text",
            time_col="time",
            brand_col="brand" if frame["brand"].notna().any() else None,
            brands=body.brands,
            label_col="label" if labelled else None,
            predictor=predictor,
            predictor_words=words,
            period=body.period,
            topics=body.topics if body.topics > 0 else False,
            z=body.z,
            min_count=body.min_count,
        )
    except NomagicError as exc:
        raise HTTPException(404 if HINT in str(exc) else 422, _words(exc)) from exc
    rec = _in(rec, _lang(request))
    return MonitorResponse(**{k: rec[k] for k in MonitorResponse.model_fields})


@router.post("/faq", response_model=FaqResponse, responses=_ERRORS, summary="An answer from the FAQ, with its source")
def faq(body: FaqRequest, request: Request, key=Depends(require("viewer"))):
    try:
        a = _faq(request).ask(body.question)
    except NomagicError as exc:
        raise HTTPException(404, _words(exc)) from exc
    # the answer given (or the handoff) is a decision; the question itself is never stored
    request.app.state.decisions.add("faq", "anonymous", [a.source or "handoff"], [1.0], "faq-hybrid-retrieval")
    return FaqResponse(
        answer=a.answer, source=a.source, confidence=round(float(a.confidence), 4), handoff=bool(a.handoff), lang=a.lang
    )
