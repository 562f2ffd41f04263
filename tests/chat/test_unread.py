"""Unread counts stay bounded: a long history counts as "99+" without counting it all."""
from __future__ import annotations

import sqlalchemy as sa

from lms.chat import queries as q
from lms.chat.models import ChatMessage
from lms.core.types import utcnow
from lms.extensions import db


def test_unread_is_counted_up_to_the_cap(world):
    """With 150 unread messages in the main channel and 3 in another, are they counted 100 (the cap) and 3?"""
    from lms.chat import operations as ops

    other = ops.create_channel(world.circle, world.user("teacher"), name="Q&A")
    db.session.commit()
    now = utcnow()
    rows = [{"channel_id": world.main.id, "circle_id": world.circle.id, "author_id": world.user("teacher").id,
             "body": f"m{n}", "created_at": now} for n in range(150)]
    rows += [{"channel_id": other.id, "circle_id": world.circle.id, "author_id": world.user("teacher").id,
              "body": f"q{n}", "created_at": now} for n in range(3)]
    db.session.execute(sa.insert(ChatMessage.__table__), rows)
    db.session.commit()
    counts = q.unread_counts([world.main.id, other.id], world.user("student").id)
    assert counts == {world.main.id: q.UNREAD_CAP, other.id: 3}
    assert q.unread_counts([world.main.id], world.user("teacher").id) == {}
