"""Feed pages: the feed, a post, comments, likes, essentials, contest entries, search."""
from __future__ import annotations

from lms.feed.posts import bp  # noqa: F401
