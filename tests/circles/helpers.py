"""Helpers for the circle tests: reading back memberships and circles after a request."""
from __future__ import annotations

import csv
import io

from lms.circles.models import Circle, Membership
from lms.extensions import db


def membership(circle, user) -> Membership | None:
    """The current membership of `user` in `circle`, in any status, as the database has it."""
    db.session.expire_all()
    return db.session.scalar(db.select(Membership).where(Membership.circle_id == circle.id,
                                                         Membership.user_id == user.id))


def reload(circle) -> Circle:
    """The circle as the database has it now."""
    db.session.expire_all()
    return db.session.get(Circle, circle.id)


def read_csv(response) -> list[list[str]]:
    """The rows of a CSV download; asserts the UTF-8 byte-order mark spreadsheets need."""
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "CSV without a byte-order mark"
    return list(csv.reader(io.StringIO(text[1:])))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag of an HTML page with its attributes, as a browser's parser sees them."""
    from html.parser import HTMLParser

    found: list[tuple[str, dict[str, str | None]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(html)
    return found
