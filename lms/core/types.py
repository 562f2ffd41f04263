"""Column types shared by every domain."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware (UTC).

    SQLite keeps no offset, so storing naive UTC everywhere gives the same values on every database.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def enum_column(enum_cls: type[enum.Enum], **kwargs) -> sa.Enum:
    """A string column holding an enum's values (portable, no native database enum type)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        **kwargs,
    )


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def one_of(column: sa.ColumnElement, values) -> sa.ColumnElement[bool]:
    """`column IN (values)` for a short fixed list, as `column = a OR column = b ...`: in_() binds an
    "expanding" parameter, and every execution then rewrites the statement's SQL text to fit it (on a
    statement that runs on every page, a measurable share of the page; scripts/bench/pages)."""
    return sa.or_(*(column == value for value in values))
