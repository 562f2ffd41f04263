"""Circle chat (issue 17): a chat per circle (on by default for teaching circles), extra channels for all or
chosen members, direct messages, live over Socket.IO namespace /chat (lms/chat/events.py).

The blueprint `chat` serves /c/<circle_id>/chat/...; lms/__init__.py imports lms.chat.routes, which attaches the
views (so the models import without cycles).
"""
from flask import Blueprint

bp = Blueprint("chat", __name__)


@bp.record_once
def _register(state) -> None:
    """What chat adds to lower packages: the departure hook (a member who leaves or is removed is cut off at
    once), the upload purpose and media subject of attachments, the notification kinds (lms/chat/hooks.py)."""
    from lms.chat import hooks

    hooks.register(state.app)


__all__ = ["bp"]
