"""Live pushes of the homework domain (sent after the commit)."""
from __future__ import annotations

from lms.core.realtime import emit_to_room

#: the Socket.IO namespace of homework pages (lms/homework/events.py)
NAMESPACE = "/homework"


def submission_room(submission_id: int) -> str:
    return f"submission:{submission_id}"


def comments_changed(submission) -> None:
    """Tell the pages watching `submission` to reload its comments, once the transaction commits.
    Only the fact travels: each page reloads through the JSON endpoint, which shows each viewer
    what they may see."""
    emit_to_room(submission_room(submission.id), "comments_changed", {"submission_id": submission.id},
                 namespace=NAMESPACE)
