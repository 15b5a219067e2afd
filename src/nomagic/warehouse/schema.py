"""The canonical marketing data model, as code.

Each canonical table is a :class:`Table` of :class:`Column` s. The column rules (type, required,
nullable, ranges, references, time order) *are* the table's contract: :mod:`.contracts` turns them
into checks. docs/data-model.md documents the same model for people; a test keeps the two in step.

Columns a user's source has beyond these are kept as attributes (extra columns of the table).
"""

from __future__ import annotations

from dataclasses import dataclass

from nomagic.errors import InputError
from nomagic.words import say

#: Logical column types, named as Ibis names them.
TYPES = ("string", "int64", "float64", "boolean", "timestamp", "date")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table and its contract.

    Parameters
    ----------
    name : canonical column name.
    dtype : one of :data:`TYPES`.
    required : the source must provide it (directly, by mapping or by a default).
    nullable : blank values are allowed.
    min, max : inclusive value range for numbers.
    not_future : timestamps/dates may not lie after the load time.
    references : ``"table.column"`` that must hold every non-null value.
    after : name of a timestamp column of the same row this one may not precede.
    allowed : the closed set of allowed values.
    free_text : people write it (reviews, tickets): personal data in it is masked before it is stored.
    description : one line for docs/data-model.md.
    """

    name: str
    dtype: str
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    not_future: bool = False
    references: str | None = None
    after: str | None = None
    allowed: tuple[str, ...] | None = None
    free_text: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if self.dtype not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.dtype!r}")


@dataclass(frozen=True)
class Table:
    """A canonical table: its key, its columns and the column that orders it in time."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    time_column: str | None = None
    description: str = ""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _c(name: str, dtype: str, **kw) -> Column:
    return Column(name, dtype, **kw)


def _opt(name: str, dtype: str, **kw) -> Column:
    """An optional, nullable column."""
    return Column(name, dtype, required=False, nullable=True, **kw)


_MONEY = {"min": 0.0}
_PROB = {"min": 0.0, "max": 1.0}

CANONICAL: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "customers",
            ("customer_id",),
            (
                _c("customer_id", "string", description="the customer's id"),
                _c("created_at", "timestamp", not_future=True, description="signup or first contact"),
                _c("country", "string", nullable=True, description="ISO country code"),
                _c("consent_email", "boolean", description="may receive marketing e-mail"),
                _c("consent_profiling", "boolean", description="may be profiled and scored"),
            ),
            time_column="created_at",
            description="one row per customer",
        ),
        Table(
            "products",
            ("product_id",),
            (
                _c("product_id", "string"),
                _c("name", "string"),
                _c("category", "string", nullable=True),
                _c("price", "float64", min=0.0),
                _opt("description", "string"),
                _opt("image_uri", "string"),
                _c("in_stock", "boolean"),
            ),
            description="the catalogue",
        ),
        Table(
            "orders",
            ("order_id",),
            (
                _c("order_id", "string"),
                _c("customer_id", "string", references="customers.customer_id"),
                _c("ordered_at", "timestamp", not_future=True),
                _c("revenue", "float64", **_MONEY, description="order value (>= 0)"),
            ),
            time_column="ordered_at",
            description="one row per order",
        ),
        Table(
            "order_lines",
            ("order_id", "product_id"),
            (
                _c("order_id", "string", references="orders.order_id"),
                _c("product_id", "string", references="products.product_id"),
                _c("quantity", "int64", min=0),
                _c("price", "float64", **_MONEY, description="unit price"),
            ),
            description="what each order contained",
        ),
        Table(
            "events",
            ("event_id",),
            (
                _c("event_id", "string"),
                _c("customer_id", "string", references="customers.customer_id"),
                _c("occurred_at", "timestamp", not_future=True),
                _c("type", "string", allowed=("view", "click", "cart", "search", "visit")),
                _opt("product_id", "string", references="products.product_id"),
                _opt("campaign_id", "string", references="campaigns.campaign_id"),
            ),
            time_column="occurred_at",
            description="behaviour on site and in app",
        ),
        Table(
            "campaigns",
            ("campaign_id",),
            (
                _c("campaign_id", "string"),
                _c("channel", "string"),
                _c("name", "string"),
                _c("started_at", "timestamp"),
                _opt("ended_at", "timestamp", after="started_at"),
                _opt("budget", "float64", **_MONEY),
            ),
            time_column="started_at",
            description="marketing campaigns",
        ),
        Table(
            "messages",
            ("message_id",),
            (
                _c("message_id", "string"),
                _c("campaign_id", "string", references="campaigns.campaign_id"),
                _c("customer_id", "string", references="customers.customer_id"),
                _c("sent_at", "timestamp", not_future=True),
                _opt("variant", "string"),
                _c("in_control", "boolean", description="held out as randomised control"),
                _opt("opened_at", "timestamp", after="sent_at", not_future=True),
                _opt("clicked_at", "timestamp", after="sent_at", not_future=True),
                _opt("converted_at", "timestamp", after="sent_at", not_future=True),
                _opt("revenue", "float64", **_MONEY),
                _opt("propensity", "float64", **_PROB, description="probability of the logged action"),
            ),
            time_column="sent_at",
            description="one row per message sent (or held back as control)",
        ),
        Table(
            "media_spend",
            ("date", "channel"),
            (
                _c("date", "date", not_future=True),
                _c("channel", "string"),
                _c("spend", "float64", **_MONEY),
                _opt("impressions", "float64", min=0.0),
                _opt("clicks", "float64", min=0.0),
            ),
            time_column="date",
            description="paid media per day and channel",
        ),
        Table(
            "kpis",
            ("date",),
            (
                _c("date", "date", not_future=True),
                _c("revenue", "float64", **_MONEY),
                _opt("orders", "float64", min=0.0),
            ),
            time_column="date",
            description="business KPIs per day; extra columns are control variables",
        ),
        Table(
            "documents",
            ("document_id",),
            (
                _c("document_id", "string"),
                _c("source", "string", allowed=("review", "social", "ticket", "faq")),
                _c("created_at", "timestamp", not_future=True),
                _opt("lang", "string"),
                _c("text", "string", free_text=True),
                _opt("label", "string"),
            ),
            time_column="created_at",
            description="reviews, social posts, tickets and FAQ entries",
        ),
        Table(
            "images",
            ("image_id",),
            (
                _c("image_id", "string"),
                _c("uri", "string"),
                _opt("product_id", "string", references="products.product_id"),
                _opt("label", "string"),
            ),
            description="product and brand images",
        ),
        Table(
            "ad_requests",
            ("request_id",),
            (
                _c("request_id", "string"),
                _c("occurred_at", "timestamp", not_future=True),
                _opt("bid", "float64", min=0.0),
                _c("won", "boolean"),
                _opt("price", "float64", min=0.0, description="market (clearing) price"),
                _opt("clicked", "boolean"),
                _opt("converted", "boolean"),
            ),
            time_column="occurred_at",
            description="bid requests; extra columns are context features",
        ),
        Table(
            "decisions",
            ("decision_id",),
            (
                _c("decision_id", "string"),
                _c("occurred_at", "timestamp", not_future=True),
                _c("use_case", "string"),
                _c("unit_id", "string"),
                _c("action", "string"),
                _c("propensity", "float64", **_PROB),
                _c("model_version", "string"),
                _opt("reward", "float64"),
            ),
            time_column="occurred_at",
            description="every decision the system made, with its propensity",
        ),
    )
}


def canonical_table(name: str) -> Table:
    """The canonical table called ``name``, or a clear error listing the known ones."""
    try:
        return CANONICAL[name]
    except KeyError:
        raise InputError(
            say(
                "unknown table {name!r}; the canonical tables are: {known}",
                "unbekannte Tabelle {name!r}; die kanonischen Tabellen sind: {known}",
                name=name,
                known=", ".join(CANONICAL),
            )
        ) from None


#: Tables that nomagic itself keeps next to the canonical ones.
QUARANTINE = "quarantine"
LOADS = "_nomagic_loads"
