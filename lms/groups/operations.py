"""Every change to a circle's groups: create, rename, delete, put people in, move them, take them out, split
the students in no group at random. Each is on the audit log. Flush, never commit."""
from __future__ import annotations

import random
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.core.inputs import TextRejected, clean_line, comparison_key
from lms.core.types import utcnow
from lms.extensions import db
from lms.groups import queries as q
from lms.groups.models import GROUPED_ROLES, NAME_MAX, CircleGroup, GroupMember

#: Most groups a circle may have (a class of 500 in pairs is 250).
MAX_GROUPS = 300
#: Most people put in a group by one request.
MAX_ADDED = 1000


class GroupError(ValueError):
    """A refused change to groups; the message is for the user, `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


def _clean_name(circle: Circle, name: str | None, except_id: int | None = None) -> str:
    try:
        text = clean_line(name, max_length=NAME_MAX)
    except TextRejected as error:
        raise GroupError(str(error), "name") from None
    if q.name_taken(circle, comparison_key(text)[:NAME_MAX], except_id):
        raise GroupError(_l("This circle already has a group called “%(name)s”.", name=text), "name")
    return text


def _check_room(circle: Circle, more: int = 1) -> None:
    if q.group_count(circle) + more > MAX_GROUPS:
        raise GroupError(_l("A circle can have at most %(max)d groups.", max=MAX_GROUPS))


def create_group(circle: Circle, actor: User, name: str) -> CircleGroup:
    """A new, empty group of `circle`, last in the list. Raises GroupError (field "name"): a name that is
    empty, too long, not a single line, or already a group's in the circle (compared as people read it:
    case, width and invisible characters aside); or the circle has MAX_GROUPS groups."""
    name = _clean_name(circle, name)
    _check_room(circle)
    group = CircleGroup(circle_id=circle.id, name=name, position=q.next_position(circle), created_by_id=actor.id)
    group.circle = circle
    db.session.add(group)
    db.session.flush()
    record_event(AuditAction.group_created, actor, target=group, details={"group": group.name})
    return group


def rename_group(group: CircleGroup, actor: User, name: str) -> None:
    """Give `group` another name (same checks as create_group)."""
    name = _clean_name(group.circle, name, except_id=group.id)
    if name == group.name:
        return
    before = group.name
    group.name = name
    db.session.flush()
    record_event(AuditAction.group_renamed, actor, target=group, details={"from": before, "to": name})


def delete_group(group: CircleGroup, actor: User) -> int:
    """Delete `group`; its members are in no group afterwards (their rows go with it). Returns how many
    people were in it."""
    members = q.members_by_group(group.circle, [group.id]).get(group.id, [])
    record_event(AuditAction.group_deleted, actor, target=group,
                 details={"group": group.name, "members": [m.display_name for m in members]})
    db.session.execute(db.delete(GroupMember).where(GroupMember.group_id == group.id))
    db.session.delete(group)
    db.session.flush()
    return len(members)


def _learner_memberships(circle: Circle, user_ids: Iterable[int]) -> list[Membership]:
    ids = sorted({int(i) for i in user_ids})
    if len(ids) > MAX_ADDED:
        raise GroupError(_l("Choose at most %(max)d people at a time.", max=MAX_ADDED))
    if not ids:
        raise GroupError(_l("Choose at least one student."), "user_ids")
    found = list(db.session.scalars(db.select(Membership).where(
        Membership.circle_id == circle.id, Membership.user_id.in_(ids), Membership.status == MembershipStatus.active,
        Membership.role.in_(list(GROUPED_ROLES)))
        .order_by(Membership.sort_key, Membership.display_name, Membership.id)))
    if len(found) != len(ids):
        raise GroupError(_l("Only the circle's current students can be put in a group."), "user_ids")
    return found


def _place(group: CircleGroup, membership: Membership, row: GroupMember | None, now) -> int | None:
    """Put one person in `group`, reusing their row in the circle (the unique key allows one): returns the id
    of the group they were in until now, None if none (or if their old row no longer counted)."""
    was = None
    if row is None:
        db.session.add(GroupMember(group_id=group.id, circle_id=group.circle_id, user_id=membership.user_id,
                                   added_at=now))
        return None
    if row.added_at >= membership.joined_at:
        was = row.group_id
    row.group_id = group.id
    row.added_at = now
    return was


def add_members(group: CircleGroup, actor: User, user_ids: Iterable[int]) -> tuple[list[Membership], int]:
    """Put the circle's active learners `user_ids` in `group`; one who is in another group now moves (a
    person is in one group per circle). Returns (the people put in, how many of them moved). One audit record
    for the request. Raises GroupError: nobody chosen, more than MAX_ADDED, or someone who is not an active
    student (or member) of the circle, e.g. staff, a person who left, or an id from another circle."""
    memberships = _learner_memberships(group.circle, user_ids)
    rows = q.rows_of(group.circle, [m.user_id for m in memberships])
    now = utcnow()
    placed, moved_from = [], {}
    names = {g.id: g.name for g in q.groups_of(group.circle)}
    for membership in memberships:
        row = rows.get(membership.user_id)
        if row is not None and row.group_id == group.id and row.added_at >= membership.joined_at:
            continue  # already in it
        was = _place(group, membership, row, now)
        placed.append(membership)
        if was is not None:
            moved_from[membership.display_name] = names.get(was, "")
    db.session.flush()
    if placed:
        details = {"group": group.name, "members": [m.display_name for m in placed]}
        if moved_from:
            details["moved_from"] = [f"{name} ({old})" for name, old in moved_from.items()]
        record_event(AuditAction.group_members_added, actor, target=group, details=details)
    return placed, len(moved_from)


def move_member(group: CircleGroup, membership: Membership, to: CircleGroup, actor: User) -> None:
    """Move a member of `group` to `to`, another group of the same circle. Raises GroupError when `to` is the
    group they are in, or they are not in `group` now."""
    if to.circle_id != group.circle_id:
        raise GroupError(_l("Choose one of this circle's groups."), "group_id")
    row = _current(group, membership)
    if to.id == group.id:
        raise GroupError(_l("%(name)s is already in %(group)s.", name=membership.display_name, group=group.name),
                         "group_id")
    row.group_id = to.id
    row.added_at = utcnow()
    db.session.flush()
    record_event(AuditAction.group_member_moved, actor, target=membership,
                 details={"from": group.name, "to": to.name})


def remove_member(group: CircleGroup, membership: Membership, actor: User) -> None:
    """Take `membership`'s person out of `group` (they stay in the circle, in no group). Raises GroupError
    if they are not in it now."""
    row = _current(group, membership)
    db.session.delete(row)
    db.session.flush()
    record_event(AuditAction.group_member_removed, actor, target=membership, details={"group": group.name})


def _current(group: CircleGroup, membership: Membership) -> GroupMember:
    row = q.current_row(group.circle, membership.user_id)
    if row is None or row.group_id != group.id:
        raise GroupError(_l("%(name)s is not in %(group)s.", name=membership.display_name, group=group.name))
    return row


def split_randomly(circle: Circle, actor: User, count: int, prefix: str, *,
                   rng: random.Random | None = None) -> list[CircleGroup]:
    """Make `count` new groups named "`prefix` 1", "`prefix` 2"... (numbers a name of the circle already has
    are skipped) and deal the active learners in no group into them at random, so their sizes differ by one
    at most (Canvas's "split students into groups"). Returns the new groups. Raises GroupError: a count below
    1 or above the number of students in no group, a prefix that is not a name, too many groups."""
    try:
        prefix = clean_line(prefix, max_length=NAME_MAX - 6)
    except TextRejected as error:
        raise GroupError(str(error), "name_start") from None
    people = [m for m, _group in q.learners(circle, unassigned_only=True)]
    if not people:
        raise GroupError(_l("Every student is in a group already."), "count")
    if count is None or isinstance(count, bool) or not 1 <= count <= len(people):
        raise GroupError(_l("Give a whole number from 1 to %(max)d (the students in no group).", max=len(people)),
                         "count")
    _check_room(circle, count)
    (rng or random.SystemRandom()).shuffle(people)
    taken = q.taken_keys(circle)
    position = q.next_position(circle)
    groups, number = [], 0
    for _ in range(count):
        number += 1
        while comparison_key(f"{prefix} {number}")[:NAME_MAX] in taken:
            number += 1
        group = CircleGroup(circle_id=circle.id, name=f"{prefix} {number}", position=position,
                            created_by_id=actor.id)
        group.circle = circle
        position += 1
        db.session.add(group)
        groups.append(group)
    db.session.flush()
    rows = q.rows_of(circle, [m.user_id for m in people])  # stale rows of people who came back
    now = utcnow()
    dealt: dict[int, list[str]] = {}
    for i, membership in enumerate(people):
        group = groups[i % count]
        _place(group, membership, rows.get(membership.user_id), now)
        dealt.setdefault(group.id, []).append(membership.display_name)
    db.session.flush()
    record_event(AuditAction.groups_split, actor, target=circle,
                 details={"groups": [f"{g.name}: {len(dealt.get(g.id, []))}" for g in groups],
                          "members": len(people)})
    return groups
