"""How notices' audit events read on the log (lms/audit/registry.py): their detail keys and the current titles."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.audit.registry import describe_details, register_names
from lms.extensions import db
from lms.feed.notices.models import Notice


def notice_titles(ids: set[int]) -> dict[int, str]:
    """The current title of each notice, in one query."""
    return dict(db.session.execute(sa.select(Notice.id, Notice.title).where(Notice.id.in_(ids))).all())


def register(app: Flask) -> None:
    """Tell the audit log of `app` how notices' events read (called when the blueprint is registered)."""
    describe_details(app, labels={
        "title": _l("Title"), "title_before": _l("Title before"), "text_changed": _l("Text changed"),
        "pinned": _l("Pinned"), "must_read": _l("Must read"), "recipients": _l("Recipients"),
    })
    register_names(app, "notices", notice_titles)
