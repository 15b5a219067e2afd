"""Data-subject rights over the API (GDPR Art. 15 / 20, 17, 21), for an admin key: export, erase, object.

The same functions as ``nomagic privacy export|erase|object`` (:mod:`nomagic.privacy.subject`), with the API key
as the actor in the audit log. After an erasure or an objection the server forgets at once what it held in
memory: the decisions waiting to be written are flushed first (so the erasure removes them too), then the
consent snapshot and the loaded tables are read again, so no later answer names the person.
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from nomagic.errors import NomagicError
from nomagic.serve.api import client_lang, error_words, request_warehouse
from nomagic.serve.schemas import Strict, errors
from nomagic.serve.security import require
from nomagic.words import in_lang

router = APIRouter(tags=["privacy"])

_ERRORS = errors(
    400,
    401,
    403,
    404,
    413,
    422,
    503,
    words={404: "This server has no warehouse", 503: "The warehouse is busy; retry shortly"},
)


class Subject(Strict):
    customer_id: str = Field(..., min_length=1, max_length=200, description="The person's id in the warehouse.")


class ErasureRequest(Subject):
    reason: str | None = Field(
        None, max_length=500, description="Why (e.g. the ticket); kept masked, with the id replaced by its pseudonym."
    )


class ErasureAnswer(BaseModel):
    pseudonym: str = Field(..., description="The salted hash the audit log and the suppression list keep.")
    rows: int
    tables: dict[str, int]
    files: int
    caches: int
    versions: list[dict[str, Any]] = Field(..., description="Model versions trained on the person: due for retraining.")
    message: str
    warnings: list[str]
    remaining: list[str] = Field(..., description="What still names the person and what to do about it.")


class ObjectionAnswer(BaseModel):
    pseudonym: str
    objected_at: str
    new: bool
    known: bool
    message: str


@contextlib.contextmanager
def _warehouse(request: Request):
    """:func:`~nomagic.serve.api.request_warehouse`, with a nomagic error (bad input, a broken table) as a 400
    that gives the reason in both languages."""
    with request_warehouse(request) as wh:
        try:
            yield wh
        except NomagicError as exc:
            raise HTTPException(400, error_words(exc)) from exc


def _actor(key) -> str:
    from nomagic.privacy import audit

    return audit.key_actor(key.key_id, key.name)


def _forget(request: Request) -> None:
    """What the server holds in memory follows the warehouse at once: consent snapshot and loaded tables."""
    request.app.state.decisions.refresh_consent()
    request.app.state.reload()


@router.post(
    "/privacy/export",
    tags=["privacy"],
    responses=_ERRORS,
    summary="Everything held about one person (Art. 15 / 20), as docs/privacy-export.schema.json; logged",
)
def export(body: Subject, request: Request, key=Depends(require("admin"))) -> dict:
    from nomagic.privacy import subject

    with _warehouse(request) as wh:  # decisions taken a moment ago are written first: held about the person too
        doc = subject.export_document(wh, body.customer_id)
        subject.log_export(wh, doc, actor=_actor(key))
    return doc


@router.post(
    "/privacy/erase",
    response_model=ErasureAnswer,
    tags=["privacy"],
    responses=_ERRORS,
    summary="Erase one person from every table, file and cache (Art. 17); suppression-listed and logged",
)
def erase(body: ErasureRequest, request: Request, key=Depends(require("admin"))) -> ErasureAnswer:
    from nomagic.privacy import subject

    lang = client_lang(request)
    with _warehouse(request) as wh:  # the decisions still in memory are written first, so they are erased too
        result = subject.erase(wh, body.customer_id, body.reason, actor=_actor(key))
    _forget(request)
    return ErasureAnswer(
        pseudonym=result.pseudonym,
        rows=result.rows,
        tables=result.tables,
        files=len(result.files),
        caches=result.caches,
        versions=result.versions,
        message=in_lang(result.words, lang),
        warnings=[in_lang(w, lang) for w in result.warnings],
        remaining=[in_lang(w, lang) for w in result.remaining],
    )


@router.post(
    "/privacy/object",
    response_model=ObjectionAnswer,
    tags=["privacy"],
    responses=_ERRORS,
    summary="Record an objection (Art. 21): no more profiling or direct marketing, from this answer on",
)
def object_to_processing(body: Subject, request: Request, key=Depends(require("admin"))) -> ObjectionAnswer:
    from nomagic.privacy import subject

    with _warehouse(request) as wh:
        out = subject.object_to_processing(wh, body.customer_id, actor=_actor(key))
    _forget(request)
    return ObjectionAnswer(
        pseudonym=out["pseudonym"],
        objected_at=str(out["objected_at"]),
        new=bool(out["new"]),
        known=bool(out["known"]),
        message=in_lang(out["message"], client_lang(request)),
    )
