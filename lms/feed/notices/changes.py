"""A published notice's edit told to the members (optionally asking them to confirm again), and what
changed between two versions (a word diff of the Markdown, for the history page)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.core.types import utcnow
from lms.core.urls import path_for
from lms.extensions import db
from lms.feed.notices import notifications as tell
from lms.feed.notices import queries as q
from lms.feed.notices.models import Notice, NoticeRead
from lms.notifications import Kind, notify, register_kind

#: the params' "variant" of a change that asks members to confirm the notice again
CONFIRM_AGAIN = "confirm_again"

NOTICE_CHANGED = register_kind(Kind(
    "notice_changed", label=_l("Changes to notices in my circles"),
    message=_l("%(actor)s changed the notice “%(title)s” in %(circle)s"),
    variants=((CONFIRM_AGAIN, _l("%(actor)s changed the must-read notice “%(title)s” in %(circle)s: please read it "
                                 "again and confirm")),),
    mail_template="notices/notice", mail_context=tell.mail_context))


def tell_change(notice: Notice, editor: User, *, confirm_again: bool = False, now: datetime | None = None):
    """After an edit of a published notice (the caller checked can_edit and saved it): with `confirm_again`
    (a notice that asks for confirmation) every member's confirmation is cleared, so it is back on top for
    them and the deadline's reminder and escalation go out again; then the audience is told of the change.
    Returns the FanOut of a big circle's notifications or None; nothing for a notice not yet published
    (its announcement is still to come)."""
    now = now or utcnow()
    if not notice.is_published(now):
        return None
    confirm_again = confirm_again and notice.asks_confirmation
    if confirm_again:
        db.session.execute(sa.update(NoticeRead).where(NoticeRead.notice_id == notice.id)
                           .values(confirmed_at=None).execution_options(synchronize_session="fetch"))
        notice.deadline_reminded_at = notice.escalated_at = None
        db.session.flush()
    membership = notice.circle.membership_of(editor)
    params = {"actor": membership.display_name if membership is not None else editor.name,
              "title": notice.title, "circle": notice.circle.name}
    if confirm_again:
        params["variant"] = CONFIRM_AGAIN
    recipients = [user_id for user_id in q.audience_user_ids(notice) if user_id != editor.id]
    return notify(NOTICE_CHANGED, recipients,
                  url=path_for("notices.show", circle_id=notice.circle_id, notice_id=notice.id), params=params,
                  circle_id=notice.circle_id, subject=(tell.SUBJECT, notice.id), actor_id=editor.id,
                  progress_to=editor.id)


# -- what changed ----------------------------------------------------------------------------------

#: a run of spaces, one CJK character (Chinese has no spaces between words), a word, or one other sign
_TOKEN = re.compile(r"\s+|[\u2e80-\u9fff\uf900-\ufaff\u3040-\u30ff]|\w+|[^\w\s]")
#: past this many tokens on a side, changed lines are shown whole (SequenceMatcher grows with the square)
MAX_WORD_TOKENS = 4000


@dataclass(frozen=True)
class Piece:
    kind: str  #: "same", "added" or "removed"
    text: str


def _merge(pieces: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if merged and merged[-1].kind == piece.kind:
            merged[-1] = Piece(piece.kind, merged[-1].text + piece.text)
        else:
            merged.append(piece)
    return merged


def _words(before: str, after: str) -> list[Piece]:
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    if len(a) > MAX_WORD_TOKENS or len(b) > MAX_WORD_TOKENS:
        return [Piece("removed", before), Piece("added", after)]
    pieces = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
        else:
            pieces.append(Piece("removed", "".join(a[i1:i2])))
            pieces.append(Piece("added", "".join(b[j1:j2])))
    return pieces


def text_diff(before: str, after: str) -> list[Piece]:
    """What changed from `before` to `after`: lines compared first, words within changed lines. Plain text
    pieces (the page escapes them)."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
        elif op == "replace":
            pieces.extend(_words("".join(a[i1:i2]), "".join(b[j1:j2])))
        else:
            pieces.append(Piece("removed", "".join(a[i1:i2])))
            pieces.append(Piece("added", "".join(b[j1:j2])))
    return _merge(pieces)


@dataclass(frozen=True)
class RevisionChange:
    title_changed: bool
    body: list[Piece]  #: the text's diff; empty when the text did not change


def revision_changes(revisions) -> dict[int, RevisionChange]:
    """For each revision (newest first, as queries.revisions gives them) but the first, what changed from
    the one before it, by revision number."""
    changes = {}
    for newer, older in zip(revisions, revisions[1:]):
        body = text_diff(older.body_md or "", newer.body_md or "") if newer.body_md != older.body_md else []
        changes[newer.number] = RevisionChange(newer.title != older.title, body)
    return changes
