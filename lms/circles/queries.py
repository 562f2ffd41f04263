"""Reads of circles, scoped lookups that 404 outside the circle."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, current_app, g
from sqlalchemy.orm import lazyload
from werkzeug.exceptions import HTTPException

from lms.accounts.models import User
from lms.audit.models import AuditAction, AuditEvent
from lms.circles.codes import COURSE_CODE_LENGTH, JOIN_CODE_LENGTH, normalize_token
from lms.circles.models import STAFF_ROLES, Circle, CourseCode, Invite, Membership, MembershipStatus, Role
from lms.core.inputs import number_key
from lms.core.urls import is_local_path
from lms.circles.oversight import overseen_circle_ids
from lms.extensions import db


# Every circle page starts here, and asks at once who the user is in the circle: the circle and the
# user's membership (if any) come in one query, by a statement built once (Session.get builds its
# statement on each call).
_CIRCLE_BY_ID = db.select(Circle).where(Circle.id == db.bindparam("circle_id"))
_CIRCLE_AND_MEMBERSHIP = (
    db.select(Circle, Membership)
    .outerjoin(Membership, db.and_(Membership.circle_id == Circle.id, Membership.user_id == db.bindparam("user_id")))
    .where(Circle.id == db.bindparam("circle_id"))
    # the membership's user is the person asking, already in the session (no join, no query)
    .options(lazyload(Membership.user))
)


#: (the circles.id column, the user's id as a bound parameter) -> a scalar SQL expression about them (an EXISTS)
CircleFact = Callable[[sa.ColumnElement[int], sa.BindParameter[int]], sa.ColumnElement[Any]]


def _circle_with_facts(facts: Mapping[str, CircleFact]) -> sa.Select:
    """_CIRCLE_AND_MEMBERSHIP with `facts` as labelled columns after the two entities, built once per app and
    set of facts (building it costs more than running it)."""
    key = tuple(facts.items())
    kept = current_app.extensions.setdefault("lms.circles.circle_with_facts", {})
    statement = kept.get(key)
    if statement is None:
        user_id = db.bindparam("user_id")
        statement = kept[key] = _CIRCLE_AND_MEMBERSHIP.add_columns(
            *(fact(Circle.id, user_id).label(f"fact_{n}") for n, fact in enumerate(facts.values())))
    return statement


def get_circle_or_404(circle_id: int, user: User, *, preview: bool = False) -> Circle:
    """The circle if `user` may see it (or, with preview, see its join page); 404 otherwise."""
    return get_circle_and_facts_or_404(circle_id, user, None, preview=preview)[0]


def get_circle_and_facts_or_404(circle_id: int, user: User, facts: Mapping[str, CircleFact] | None, *,
                                preview: bool = False) -> tuple[Circle, dict[str, Any] | None]:
    """get_circle_or_404, and `facts` about the circle and the signed-in `user` by name, read in the same query
    (the circle's home page asks its sections' probes so). The facts are None when they were not read: no
    facts asked, an anonymous user, or the circle already loaded in this request (no query then)."""
    found = None
    if db.session.identity_key(Circle, circle_id) in db.session.identity_map:
        circle = db.session.get(Circle, circle_id)  # loaded before in this request: no query, as ever
    elif user is not None and user.is_authenticated:
        statement = _circle_with_facts(facts) if facts else _CIRCLE_AND_MEMBERSHIP
        row = db.session.execute(statement, {"circle_id": circle_id, "user_id": user.id}).first()
        circle = row[0] if row else None
        if circle is not None:
            circle.keep_membership_of(user, row[1])
            if facts:
                found = {name: bool(value) if isinstance(value, int) else value
                         for name, value in zip(facts, row[2:])}
    else:
        circle = db.session.scalar(_CIRCLE_BY_ID, {"circle_id": circle_id})
    if circle is None:
        abort(404)
    allowed = circle.can_preview(user) if preview else circle.can_view(user)
    if not allowed:
        abort(404)
    # a visitor whose zone is known neither from a profile nor the browser sees the circle's times
    # in the circle's zone (lms.core.i18n.select_timezone)
    g.circle_timezone = circle.timezone
    return circle, found


def get_membership_or_404(circle: Circle, membership_id: int) -> Membership:
    membership = db.session.scalar(
        db.select(Membership).where(Membership.id == membership_id, Membership.circle_id == circle.id)
    )
    if membership is None:
        abort(404)
    return membership


def get_invite_or_404(circle: Circle, invite_id: int) -> Invite:
    invite = db.session.scalar(db.select(Invite).where(Invite.id == invite_id, Invite.circle_id == circle.id))
    if invite is None:
        abort(404)
    return invite


def find_invite(token: str) -> Invite | None:
    """The invite a token (as typed or pasted, see normalize_token) stands for."""
    token = normalize_token(token)
    if not token:
        return None
    return db.session.scalar(db.select(Invite).where(Invite.token == token))


def circle_invited_to(path: str | None) -> Circle | None:
    """The circle a path on this site invites into: `/i/<token>` of an invite that still works.

    For naming the class on the register and sign-in pages. Join codes are left out on purpose: they
    are short, and an unthrottled page that named their circle would let codes be guessed.
    """
    if not is_local_path(path):
        return None
    try:
        endpoint, values = current_app.url_map.bind("localhost").match(urlsplit(path).path, method="GET")
    except HTTPException:
        return None
    if endpoint != "circles.invite":
        return None
    invite = find_invite(values["token"])
    return invite.circle if invite is not None and invite.is_usable else None


def find_code(code: str) -> Circle | CourseCode | None:
    """What a normalised code opens: a circle (its join code) or a single-use course code."""
    if len(code) == JOIN_CODE_LENGTH:
        return db.session.scalar(db.select(Circle).where(Circle.join_code == code))
    if len(code) == COURSE_CODE_LENGTH:
        return db.session.scalar(db.select(CourseCode).where(CourseCode.code == code))
    return None


def my_circles(user: User) -> list[tuple[Circle, Membership]]:
    """The circles `user` is an active member of, newest first, with their membership."""
    rows = db.session.execute(
        db.select(Circle, Membership)
        .join(Membership, Membership.circle_id == Circle.id)
        .where(Membership.user_id == user.id, Membership.status == MembershipStatus.active)
        .order_by(Circle.is_archived, Membership.joined_at.desc())
    ).all()
    return [(circle, membership) for circle, membership in rows]


def my_pending_requests(user: User) -> list[Membership]:
    return list(db.session.scalars(
        db.select(Membership).where(Membership.user_id == user.id, Membership.status == MembershipStatus.pending)
    ))


def overseen_circles(user: User) -> list[Circle]:
    """Circles `user` oversees without being a member (those of the organizations they administer,
    lms/circles/oversight.py), by name."""
    ids = overseen_circle_ids(user)
    if ids is None:
        return []
    return list(db.session.scalars(db.select(Circle).where(Circle.id.in_(ids)).order_by(Circle.sort_key, Circle.name)))


_ROLE_ORDER = db.case(
    {Role.owner: 0, Role.teacher: 1, Role.assistant: 2, Role.student: 3, Role.member: 4},
    value=Membership.role,
)


def members_page(circle: Circle, *, page: int = 1, per_page: int = 50, search: str | None = None,
                 role: Role | None = None, status: MembershipStatus = MembershipStatus.active,
                 search_private: bool = False):
    """One page of a circle's members, staff first then by name; searchable by the display name, and
    with `search_private` (staff only) by real name and student number too.

    Students must not search the private fields: a match would tell them whose number it is.
    """
    query = db.select(Membership).where(Membership.circle_id == circle.id, Membership.status == status)
    if role is not None:
        query = query.where(Membership.role == role)
    if search and search.strip():
        like = f"%{_escape_like(search.strip().lower())}%"
        matches = [db.func.lower(Membership.display_name).like(like, escape="\\")]
        if search_private:
            matches.append(db.func.lower(Membership.real_name).like(like, escape="\\"))
            # Numbers are compared by their key: "sr2026 002" finds SR2026-002 (full width, dashes, case).
            number = number_key(search)
            if number:
                matches.append(Membership.student_no_key.like(f"%{_escape_like(number)}%", escape="\\"))
        query = query.where(db.or_(*matches))
    query = query.order_by(_ROLE_ORDER, Membership.sort_key, Membership.display_name, Membership.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def _escape_like(text: str) -> str:
    """`text` matched literally by LIKE: % and _ typed in a search are not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ShownUser(NamedTuple):
    """What _partials/avatar.html shows of a person."""

    id: int
    name: str
    avatar_key: str | None


class ShownMember(NamedTuple):
    """A member as _partials/member.html shows them, read as plain values: a list of names need
    not build two model objects a row, which cost the circle's home page more than its SQL."""

    id: int
    display_name: str
    real_name: str | None
    student_no: str | None
    role: Role
    user: ShownUser


# Built once, at import: building a statement costs more than running it (scripts/bench/pages).
_SHOWN_MEMBERS = (
    db.select(Membership.id, Membership.display_name, Membership.real_name, Membership.student_no, Membership.role,
              User.id, User.name, User.avatar_key)
    .join(User, User.id == Membership.user_id)
    .where(Membership.circle_id == db.bindparam("circle_id"), Membership.status == MembershipStatus.active)
)


def _staff_and_recent():
    """Both of the home page's lists in one statement: the staff (part 0, by rank then name) and, in a
    subquery of their own with its limit, the newest members (part 1, newest first).

    The staff come one role at a time, each part an equality on ix_memberships_circle_status_role: under
    one OR (or IN) of the three roles SQLite's planner, which knows only the average rows per role, read
    every membership of the circle (a 5,000-member circle's page spent most of its SQL time there)."""
    staff = [_SHOWN_MEMBERS.add_columns(db.literal(0).label("sort_part"), db.literal(rank).label("sort_rank"),
                                        Membership.sort_key.label("sort_name"),
                                        db.cast(db.null(), Membership.joined_at.type).label("sort_joined"))
             .where(Membership.role == role)
             for rank, role in enumerate((Role.owner, Role.teacher, Role.assistant))]
    newest = _SHOWN_MEMBERS.add_columns(db.literal(1).label("sort_part"), db.literal(0).label("sort_rank"),
                                        db.null().label("sort_name"), Membership.joined_at.label("sort_joined")) \
        .order_by(Membership.joined_at.desc()).limit(db.bindparam("limit")).subquery()
    both = db.union_all(*staff, db.select(*newest.c)).subquery()
    return (db.select(*list(both.c)[:8], both.c.sort_part)
            .order_by(both.c.sort_part, both.c.sort_rank, both.c.sort_name, both.c.sort_joined.desc()))


_STAFF_AND_RECENT = _staff_and_recent()


def staff_and_recent_members(circle: Circle, limit: int = 12) -> tuple[list[ShownMember], list[ShownMember]]:
    """The circle's active owner, teachers and assistants, by rank then name; and the `limit` members who
    joined last, newest first. One query (the circle's home page shows both)."""
    staff: list[ShownMember] = []
    recent: list[ShownMember] = []
    # Plain rows need none of the ORM's result handling: run on the session's connection (its
    # transaction; operations flush what they change, so there is nothing to autoflush).
    for row in db.session.connection().execute(_STAFF_AND_RECENT, {"circle_id": circle.id, "limit": limit}):
        (recent if row[8] else staff).append(ShownMember(*row[:5], ShownUser(*row[5:8])))
    return staff, recent


def removed_count(circle: Circle) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Membership).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.removed)) or 0


def removed_at(memberships: list[Membership]) -> dict[int, datetime]:
    """When each of these (removed) memberships was last removed, by membership id, read from the
    audit log's member_removed events in one query; a removal older than the log is absent."""
    ids = [m.id for m in memberships]
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(AuditEvent.target_id, db.func.max(AuditEvent.at))
        .where(AuditEvent.target_type == Membership.__tablename__, AuditEvent.target_id.in_(ids),
               AuditEvent.action == AuditAction.member_removed.value)
        .group_by(AuditEvent.target_id))
    return {target_id: at for target_id, at in rows}


def muted_members(circle: Circle) -> list[Membership]:
    """The circle's active members muted now, the mute ending first first (for the staff's Unmute)."""
    from lms.core.types import utcnow

    return list(db.session.scalars(sa.select(Membership).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
        Membership.muted_until > utcnow()).order_by(Membership.muted_until)))


def pending_count(circle: Circle) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Membership).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.pending)) or 0


def active_invites(circle: Circle) -> list[Invite]:
    return list(db.session.scalars(
        db.select(Invite).where(Invite.circle_id == circle.id, Invite.revoked_at.is_(None))
        .order_by(Invite.created_at.desc())
    ))


def course_code_batches(circle: Circle) -> list[tuple[str, int, int]]:
    """Each batch of course codes: (batch name, codes, redeemed)."""
    rows = db.session.execute(
        db.select(CourseCode.batch, db.func.count(CourseCode.id), db.func.count(CourseCode.redeemed_at))
        .where(CourseCode.circle_id == circle.id).group_by(CourseCode.batch).order_by(CourseCode.batch)
    ).all()
    return [(batch, total, used) for batch, total, used in rows]


def course_codes(circle: Circle, batch: str) -> list[CourseCode]:
    return list(db.session.scalars(
        db.select(CourseCode).where(CourseCode.circle_id == circle.id, CourseCode.batch == batch)
        .order_by(CourseCode.id)
    ))


def shares_a_circle_with(viewer: User, user_id: int) -> sa.ColumnElement[bool]:
    """Is `viewer` an active member of a circle `user_id` is active in (for staff: of a circle that lists
    them at all, removed, pending and former members included)? A condition for one query (the avatar
    rule the circles register with lms/accounts/hooks.py)."""
    mine = db.aliased(Membership)
    theirs = db.aliased(Membership)
    return (
        db.select(mine.id).join(theirs, theirs.circle_id == mine.circle_id)
        .where(mine.user_id == viewer.id, mine.status == MembershipStatus.active, theirs.user_id == user_id,
               db.or_(theirs.status == MembershipStatus.active, mine.role.in_(list(STAFF_ROLES))))
    ).exists()


def removed_from(circle_id: int, user: User):
    """The circle if `user` was removed from it (their membership's status), else None: lms.core.errors words a
    removed member's refused page with it."""
    status = db.session.scalar(sa.select(Membership.status).where(Membership.circle_id == circle_id,
                                                                  Membership.user_id == user.id))
    return db.session.get(Circle, circle_id) if status == MembershipStatus.removed else None


def removal_reason(circle: Circle) -> str | None:
    """The reason the staff gave when they last removed the signed-in person from `circle`, as their member_removed
    notification carries it (lms.circles.notifications.member_removed); None when they gave none. The removed pages
    (circles/barred.html, errors/removed.html) repeat it, so it is not only in the bell."""
    from flask_login import current_user

    from lms.notifications.models import Notification

    if not current_user.is_authenticated:
        return None
    params = db.session.scalar(
        sa.select(Notification.params).where(Notification.user_id == current_user.id,
                                             Notification.circle_id == circle.id,
                                             Notification.kind == "member_removed")
        .order_by(Notification.id.desc()).limit(1))
    return (params or {}).get("reason") or None
