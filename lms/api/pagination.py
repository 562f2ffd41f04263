"""Cursor pagination: `?cursor=` is opaque to clients (the last id of the previous page) and `limit`
is 1..MAX_LIMIT; a page's `next_cursor` is null on the last page."""
from __future__ import annotations

import base64
import binascii

from flask import request
from flask_babel import gettext as _

from lms.core.errors import abort_with

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _sep, value = text.partition(":")
        if kind != "id" or not value.isdigit():
            raise ValueError(text)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        abort_with(400, _("This cursor is not valid. Use the next_cursor of the previous page."))


def page_args() -> tuple[int | None, int]:
    """(after, limit) from the query string; 400 for a bad cursor or limit."""
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        abort_with(400, _("limit must be a whole number from 1 to %(max)d.", max=MAX_LIMIT))
    return decode_cursor(request.args.get("cursor")), int(raw)


def page(rows: list, limit: int, key=lambda row: row.id) -> tuple[list, str | None]:
    """The page's rows and the next cursor, from up to limit + 1 rows read."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(key(rows[-1]))
    return rows, None
