"""The feed's part of the circle's home page (lms.circles.home), its upload purpose and audit labels."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound

from lms.circles.queries import get_circle_or_404
from lms.feed.posts import queries as q
from lms.feed.posts.models import Post

#: how the feed's audit details read (lms.audit.registry)
AUDIT_LABELS = {"author_id": _l("Author"), "reason": _l("Reason")}

#: posts on the home page
HOME_POSTS = 5


def load_home_section(circle, viewer, membership) -> dict | None:
    """The newest posts with a thumbnail of each one's first image (one query), for members and overseers;
    an empty feed says so and links to it."""
    if not circle.can_view(viewer):
        return None
    items, thumbs = q.latest_posts(circle, HOME_POSTS)
    return {"items": items, "thumbs": thumbs}


def has_posts(circle_id: sa.ColumnElement[int], _viewer_id) -> sa.ColumnElement[bool]:
    """The section's probe (lms.circles.home), read with the circle: whether its feed has any post at all."""
    return sa.exists().where(Post.circle_id == circle_id)


def empty_home_section(circle, viewer, membership) -> dict | None:
    """load_home_section for a circle without any post (its probe said so): the empty feed, no query."""
    if not circle.can_view(viewer):
        return None
    return {"items": [], "thumbs": {}}


def may_upload_for_feed(user, circle_id: int) -> int | None:
    """An upload for the feed of `circle_id` (a post's video): the circle, if `user` may post there."""
    try:
        circle = get_circle_or_404(circle_id, user)
    except NotFound:
        return None
    return circle.id if q.feed_settings(circle).can_post(circle, user) else None
