"""The API's request and response models: the OpenAPI document at ``/openapi.json`` is built from them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CustomerId = Field(
    ...,
    min_length=1,
    max_length=128,
    description="The customer's id, as in the customers table.",
    examples=["c000001"],
)


class Strict(BaseModel):
    """Requests: unknown fields are refused (a typo in a field name is an error, not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class ScoreRequest(Strict):
    customer_id: str = CustomerId


class RecommendRequest(Strict):
    customer_id: str = CustomerId
    n: int = Field(10, ge=1, le=50, description="How many products (1-50).")


class Error(BaseModel):
    """Every 4xx answer: what was wrong and what to do."""

    error: str = Field(..., description="A short code: not_found, unauthorized, forbidden, invalid, too_large, ...")
    detail: str = Field(..., description="What was wrong, in plain words.")
    problems: list[dict[str, Any]] = Field(default_factory=list, description="Per-field problems, for invalid input.")


ERROR_WORDS = {
    400: "Malformed JSON",
    401: "Missing, unknown or revoked API key",
    403: "The key's role may not use this route",
    404: "Unknown customer, or no trained model",
    413: "Request body too large",
    422: "Wrong fields or types",
}


def errors(*codes: int, words: dict[int, str] | None = None) -> dict:
    """The OpenAPI ``responses`` of a route: each code answers an :class:`Error`; ``words`` says what a
    code means on this route where it differs from :data:`ERROR_WORDS`."""
    said = {**ERROR_WORDS, **(words or {})}
    return {c: {"model": Error, "description": said[c]} for c in codes}


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Component(BaseModel):
    name: str
    status: Literal["ready", "loading", "absent", "failed"]
    version: str | None = None
    detail: str = ""


class Readiness(BaseModel):
    ready: bool = Field(..., description="True when every component that exists is loaded.")
    components: list[Component]
    loaded_at: str
    load_seconds: float
    decisions_pending: int
    decisions_written: int


class Score(BaseModel):
    customer_id: str
    use_case: str
    score: float = Field(..., ge=0, le=1, description="The probability (churn: of no order in 90 days).")
    decile: int = Field(..., ge=1, le=10, description="1 = the top 10% of scores.")
    reasons: list[str] = Field(..., description="The top reasons, in plain words.")
    scorer: Literal["model", "baseline"] = Field(..., description="model, or baseline when the model lost the gate.")
    model_version: str
    as_of: str = Field(..., description="The date the features were computed at.")


class Clv(BaseModel):
    customer_id: str
    clv: float | None = Field(None, description="Discounted 12-month customer lifetime value.")
    clv_low: float | None = None
    clv_high: float | None = None
    p_alive: float | None = Field(None, description="Probability the customer is still active.")
    expected_orders_90d: float | None = None
    expected_orders_365d: float | None = None
    expected_spend: float | None = None
    model: str = ""
    as_of: str = ""


class Recommendation(BaseModel):
    product_id: str
    name: str = Field("", description="The product's name from the products table (English).")
    name_de: str = Field("", description="The product's German name (products.name_de), else the name.")
    score: float
    reason: str
    decision_id: str = Field(..., description="The row logged in the decisions table for this item.")


class Recommendations(BaseModel):
    customer_id: str
    items: list[Recommendation]
    model_version: str
    propensity: float = Field(
        ..., description="The probability the policy had of showing each item (1: deterministic)."
    )
    note: str = Field("", description="Why the list is empty or short, when it is.")


class RecordSummary(BaseModel):
    use_case: str
    version: str
    verdict: str
    scorer: str
    primary_metric: str
    model_value: float | None = None
    baseline_value: float | None = None
    improvement: float | None = None
    improvement_ci: list[float] | None = None
    explanation: str = ""
    created_at: str = ""


class Records(BaseModel):
    records: list[RecordSummary]


class RecordDetail(BaseModel):
    use_case: str
    version: str
    record: dict[str, Any] = Field(..., description="The evaluation record (docs/evaluation-record.md).")


class WhoAmI(BaseModel):
    key_id: str
    role: Literal["viewer", "analyst", "admin"]
    name: str = ""


class Reloaded(BaseModel):
    use_cases: list[str]
    load_seconds: float
