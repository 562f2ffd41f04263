"""Moderation (issue 17): reports, the review queue, takedowns, circle moderation settings.

`policy` and `models` are low (every writing domain screens its text and checks its write rate with
`lms.moderation.policy`); the rest (queue, actions, routes) is high: it reads and changes the content
domains. The blueprint `moderation` serves /c/<circle_id>/moderation/... and /moderation/...;
lms/__init__.py imports lms.moderation.routes, which attaches the views.
"""
from flask import Blueprint

bp = Blueprint("moderation", __name__)


@bp.record_once
def _register(state) -> None:
    """Notification kinds and audit labels (lms/moderation/hooks.py)."""
    from lms.moderation import hooks

    hooks.register(state.app)


__all__ = ["bp"]
