"""Canonical row contracts: one pydantic model per raw entity.

Only what identifies a row is required (and, for a till line, what makes it a sale: the
article, quantity and price the marts sum); every other field is optional: missing, it
loads as NULL, and invalid, it is nulled and counted (``on_invalid`` in a definition).

The models are the single statement of what a valid row is (types, required fields,
bounds, allowed values, patterns, dates not in the future). Ingestion never validates row
by row in Python: :func:`column_rules` turns a model into plain rules that
``ingestion.sql`` compiles into one vectorised DuckDB query. The models still validate a
single row in Python, which the tests use to check that both readings agree.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.fields import FieldInfo


class NotInFuture:
    """Marker: a date or timestamp later than the load time (plus one day of slack) is invalid."""


class JsonText:
    """Marker: the field holds a JSON document (raw type ``JSON``)."""


Json = Annotated[str, JsonText()]
Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
PastTimestamp = Annotated[dt.datetime, NotInFuture()]
PastDate = Annotated[dt.date, NotInFuture()]


class BirthDateBounds:
    """Marker: a birth date, bounded per source (``birth_dates:`` of a definition)."""


# Dates before 1900 are storable (public person files, genealogy CRMs); a definition
# narrows the bounds for its source. The floor only rejects what no person can have.
BIRTH_DATE_FLOOR = dt.date(1800, 1, 1)
BirthDate = Annotated[dt.date, NotInFuture(), BirthDateBounds(), Field(ge=BIRTH_DATE_FLOOR)]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Contract(BaseModel):
    """Base of every contract: fields are canonical raw columns, in raw-table order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _not_in_future(cls, value: object, info: typing.Any) -> object:
        field = cls.model_fields[info.field_name]
        if value is not None and any(isinstance(m, NotInFuture) for m in field.metadata):
            now = dt.datetime.now() + dt.timedelta(days=1)
            if isinstance(value, dt.datetime):
                in_future = value > now
            elif isinstance(value, dt.date):
                in_future = value > now.date()
            else:
                raise TypeError(f"NotInFuture marks dates and timestamps, not {type(value)}")
            if in_future:
                raise ValueError("must not be in the future")
        return value


class PosReceiptLine(Contract):
    """One line of a till receipt."""

    store_id: str
    receipt_id: str
    line_number: int = Field(ge=1)
    sold_at: PastTimestamp
    sku: str
    product_name: str | None = None
    category: str | None = None
    quantity: int = Field(ge=1, le=9999)
    unit_price: Money = Field(ge=0)
    discount_amount: Money | None = Field(None, ge=0)
    unit_cost: Money | None = Field(None, ge=0)
    # Free text: tills name tenders their own way, and an unknown tender is no reason to
    # lose a sale (the marts group by it as given).
    payment_method: str | None = None
    loyalty_card_id: str | None = None
    customer_last_name: str | None = None
    customer_first_name: str | None = None
    customer_email: str | None = None
    customer_phone: str | None = None
    customer_postcode: str | None = None
    customer_city: str | None = None
    customer_birth_date: BirthDate | None = None
    email_opt_in: bool | None = None
    sms_opt_in: bool | None = None


class WebEvent(Contract):
    """One GA4 event."""

    event_at: PastTimestamp
    # GA4's rule for event names (recommended and custom alike): a letter, then letters,
    # digits or underscores, at most 40. The marts read the recommended e-commerce events.
    event_name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
    user_pseudo_id: str
    user_id: str | None = None
    session_id: str | None = None
    page_location: str | None = None
    page_title: str | None = None
    transaction_id: str | None = None
    purchase_revenue: Money | None = Field(None, ge=0)
    items: Json | None = None
    event_params: Json | None = None
    device_category: str | None = None
    geo_city: str | None = None
    traffic_source: str | None = None
    traffic_medium: str | None = None


class WebAccount(Contract):
    """One e-shop account."""

    account_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    birth_date: BirthDate | None = None
    phone: str | None = None
    address_line: str | None = None
    postcode: str | None = None
    city: str | None = None
    email_opt_in: bool | None = None
    sms_opt_in: bool | None = None
    created_at: PastTimestamp | None = None
    updated_at: PastTimestamp | None = None
    other_email: str | None = None
    other_phone: str | None = None


class EmailSubscriber(Contract):
    """One subscriber of the e-mail platform."""

    email: str = Field(pattern=EMAIL_PATTERN)
    first_name: str | None = None
    last_name: str | None = None
    status: Literal["subscribed", "unsubscribed", "cleaned", "pending"] | None = None
    opted_in_at: PastTimestamp | None = None
    status_changed_at: PastTimestamp | None = None
    postcode: str | None = None


class EmailActivity(Contract):
    """One e-mail campaign event for one recipient."""

    campaign_id: str
    campaign_name: str | None = None
    email: str = Field(pattern=EMAIL_PATTERN)
    activity_type: Literal[
        "sent", "delivered", "open", "click", "bounce", "unsubscribe", "complaint"
    ]
    activity_at: PastTimestamp
    url: str | None = None
    bounce_type: str | None = None


class CallCenterTicket(Contract):
    """One call-center ticket."""

    ticket_id: str
    opened_at: PastTimestamp
    closed_at: PastTimestamp | None = None
    caller_name: str | None = None
    caller_phone: str | None = None
    caller_email: str | None = None
    loyalty_card_id: str | None = None
    contact_channel: Literal["phone", "chat", "email"] | None = None
    reason: str | None = None
    status: Literal["open", "closed", "escalated"] | None = None
    duration_seconds: int | None = Field(None, ge=0, le=86400)
    csat: int | None = Field(None, ge=1, le=5)
    verbatim: str | None = None
    caller_other_email: str | None = None
    caller_other_phone: str | None = None


class CustomerReview(Contract):
    """One review or social mention: what a customer wrote in public, and who they are there."""

    review_id: str
    written_at: PastTimestamp
    platform: str | None = None
    author_name: str | None = None
    author_handle: str | None = None
    author_email: str | None = None
    rating: int | None = Field(None, ge=1, le=5)
    text: str | None = None
    product: str | None = None
    store: str | None = None


class SmsActivity(Contract):
    """One event of an SMS campaign platform for one phone number: a send, its delivery
    report, a link click, or an inbound reply (whose text is what the customer wrote)."""

    event_id: str
    campaign_id: str | None = None
    campaign_name: str | None = None
    phone: str
    activity_type: Literal["sent", "delivered", "failed", "click", "reply"]
    activity_at: PastTimestamp
    url: str | None = None
    reply_text: str | None = None


class Contact(Contract):
    """One person as another system knows them: a CRM contact, a loyalty-programme member,
    a marketplace buyer, a franchise's customer file. The generic way in for person data."""

    contact_id: str
    full_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: BirthDate | None = None
    address_line: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    # A national or CRM identifier (SSN, NIR, customer number): declared as a strong
    # identifier or compared attribute under the source's `identities:`.
    national_id: str | None = None
    email_opt_in: bool | None = None
    sms_opt_in: bool | None = None
    created_at: PastTimestamp | None = None
    updated_at: PastTimestamp | None = None
    other_email: str | None = None
    other_phone: str | None = None


CONTRACTS: dict[str, type[Contract]] = {
    "pos_receipt_line": PosReceiptLine,
    "web_event": WebEvent,
    "web_account": WebAccount,
    "email_subscriber": EmailSubscriber,
    "email_activity": EmailActivity,
    "callcenter_ticket": CallCenterTicket,
    "customer_review": CustomerReview,
    "sms_activity": SmsActivity,
    "contact": Contact,
}


# A person's second e-mail or phone in one row (the home landline beside the mobile, a work
# address beside the personal one) has its own field, named by `other_field`: a definition
# maps both columns as a list (`phone: [Tél. portable, Tél. domicile]`) and identity keeps
# each value as an identifier of the record.
_CONTACT_FIELD = re.compile(r"^(.*?)(email|phone)$")


def other_field(field: str, contract: type[Contract]) -> str | None:
    """The field holding a second value of ``field`` (``phone`` -> ``other_phone``,
    ``caller_email`` -> ``caller_other_email``), when the contract has one."""
    match = _CONTACT_FIELD.match(field)
    if not match or "other_" in field:
        return None
    other = f"{match.group(1)}other_{match.group(2)}"
    return other if other in contract.model_fields else None


@dataclass(frozen=True)
class ColumnRule:
    """What one canonical column must satisfy, in a form SQL can be generated from."""

    name: str
    sql_type: str
    required: bool
    ge: object = None
    le: object = None
    allowed: tuple[str, ...] = ()
    pattern: str | None = None
    not_in_future: bool = False
    birth_date: bool = False


# Keyed by the annotation a field unwraps to (any object), so a lookup needs no cast.
_SQL_TYPES: dict[object, str] = {
    str: "VARCHAR",
    int: "INTEGER",
    Decimal: "DECIMAL(12,2)",
    dt.datetime: "TIMESTAMP",
    dt.date: "DATE",
    bool: "BOOLEAN",
}


def _unwrap(annotation: object) -> tuple[object, list[object]]:
    """Strip ``X | None`` and ``Annotated`` to the base type, collecting metadata."""
    metadata: list[object] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata.extend(extra)
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation, metadata


def column_rules(contract: type[Contract]) -> list[ColumnRule]:
    """The contract's fields as :class:`ColumnRule` objects, in declaration order."""
    rules = []
    for name, field in contract.model_fields.items():
        base, metadata = _unwrap(field.annotation)
        # Field(...) nested in an Annotated alias keeps its constraints in its own metadata.
        metadata = [
            inner
            for item in (*metadata, *field.metadata)
            for inner in (item.metadata if isinstance(item, FieldInfo) else [item])
        ]
        allowed: tuple[str, ...] = ()
        if typing.get_origin(base) is Literal:
            allowed, base = tuple(typing.get_args(base)), str
        is_json = any(isinstance(m, JsonText) for m in metadata)
        sql_type = "JSON" if is_json else _SQL_TYPES[base]
        bounds: dict[str, object] = {}
        pattern = None
        for item in metadata:
            for key in ("ge", "le"):
                if getattr(item, key, None) is not None:
                    bounds[key] = getattr(item, key)
            pattern = getattr(item, "pattern", None) or pattern
        rules.append(
            ColumnRule(
                name=name,
                sql_type=sql_type,
                required=field.is_required(),
                ge=bounds.get("ge"),
                le=bounds.get("le"),
                allowed=allowed,
                pattern=pattern,
                not_in_future=any(isinstance(m, NotInFuture) for m in metadata),
                birth_date=any(isinstance(m, BirthDateBounds) for m in metadata),
            )
        )
    return rules
