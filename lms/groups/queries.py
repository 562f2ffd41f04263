"""Reads of a circle's groups: scoped lookups that 404 outside the circle, the groups page's lists, a
person's own group, and who is in which group (for peer review). Every read counts a group row only while
it is CURRENT, so people who left or were removed drop out of their group without any clean-up."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort

from lms.accounts.models import User
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.core.inputs import number_key
from lms.core.permissions import require
from lms.core.types import one_of
from lms.extensions import db
from lms.groups.models import GROUPED_ROLES, CircleGroup, GroupMember, can_see_all_groups

#: A group row counts while its person is an active learner of the circle who joined (this time) before they
#: were put in the group: leaving, removal, a new joining after either, or becoming staff ends it, whatever
#: path changed the membership. (The join condition of group_members to memberships.)
CURRENT = sa.and_(Membership.circle_id == GroupMember.circle_id, Membership.user_id == GroupMember.user_id,
                  Membership.status == MembershipStatus.active, one_of(Membership.role, GROUPED_ROLES),
                  Membership.joined_at <= GroupMember.added_at)


def get_group_or_404(circle: Circle, group_id: int, user: User) -> CircleGroup:
    """A group of `circle` (404 for an id of another circle or none), if `user` may see every group of the
    circle (403 otherwise: students see only their own group, on the groups page)."""
    group = db.session.scalar(db.select(CircleGroup).where(CircleGroup.id == group_id,
                                                           CircleGroup.circle_id == circle.id))
    if group is None:
        abort(404)
    require(can_see_all_groups(circle, user))
    return group


def groups_of(circle: Circle) -> list[CircleGroup]:
    """The circle's groups in the staff's order (one query)."""
    return list(db.session.scalars(db.select(CircleGroup).where(CircleGroup.circle_id == circle.id)
                                   .order_by(CircleGroup.position, CircleGroup.name_key, CircleGroup.id)))


def group_count(circle: Circle) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(CircleGroup)
                             .where(CircleGroup.circle_id == circle.id)) or 0


def members_by_group(circle: Circle, group_ids: list[int] | None = None) -> dict[int, list[Membership]]:
    """group id → the current members' memberships, by name (one query; `group_ids` limits it)."""
    query = (db.select(GroupMember.group_id, Membership).join(Membership, CURRENT)
             .where(GroupMember.circle_id == circle.id)
             .order_by(Membership.sort_key, Membership.display_name, Membership.id))
    if group_ids is not None:
        query = query.where(GroupMember.group_id.in_(group_ids))
    found: dict[int, list[Membership]] = {}
    for group_id, membership in db.session.execute(query):
        found.setdefault(group_id, []).append(membership)
    return found


def group_ids_by_user(circle_id: int) -> dict[int, int]:
    """user id → group id for the circle's people who are in a group now (one query). Peer review's group
    source (lms/__init__.py registers it with lms/reviews/groups.py)."""
    return dict(db.session.execute(
        db.select(GroupMember.user_id, GroupMember.group_id).join(Membership, CURRENT)
        .where(GroupMember.circle_id == circle_id)).all())


def current_row(circle: Circle, user_id: int) -> GroupMember | None:
    """The person's group row in the circle if it counts now (one query)."""
    return db.session.scalar(db.select(GroupMember).join(Membership, CURRENT)
                             .where(GroupMember.circle_id == circle.id, GroupMember.user_id == user_id))


def rows_of(circle: Circle, user_ids: list[int]) -> dict[int, GroupMember]:
    """user id → their group row in the circle, current or not (one query; the unique key allows one)."""
    if not user_ids:
        return {}
    return {row.user_id: row for row in db.session.scalars(
        db.select(GroupMember).where(GroupMember.circle_id == circle.id, GroupMember.user_id.in_(user_ids)))}


@dataclass
class OwnGroup:
    group: CircleGroup
    members: list[Membership]


def _own_group_statement() -> sa.Select:
    """own_group's query by bound parameters (circle_id, user_id): built once, since building it costs more
    than running it (the home page's card reads the same rows as plain columns: lms.groups.home_section)."""
    statement = _STATEMENTS.get("own")
    if statement is None:
        mine, circle_id = db.aliased(GroupMember), sa.bindparam("circle_id")
        statement = _STATEMENTS["own"] = (
            db.select(CircleGroup, Membership)
            .join(mine, sa.and_(mine.group_id == CircleGroup.id, mine.circle_id == circle_id,
                                mine.user_id == sa.bindparam("user_id")))
            .join(GroupMember, GroupMember.group_id == CircleGroup.id)
            .join(Membership, CURRENT)
            .where(CircleGroup.circle_id == circle_id)
            .order_by(Membership.sort_key, Membership.display_name, Membership.id))
    return statement


_STATEMENTS: dict[str, sa.Select] = {}


def own_group(circle: Circle, user: User) -> OwnGroup | None:
    """The viewer's group in the circle and its current members, by name, or None (one query)."""
    rows = db.session.execute(_own_group_statement(), {"circle_id": circle.id, "user_id": user.id}).all()
    if not rows or not any(m.user_id == user.id for _g, m in rows):
        return None  # no group, or the viewer's own row no longer counts
    return OwnGroup(rows[0][0], [m for _g, m in rows])


def learners(circle: Circle, *, search: str | None = None, unassigned_only: bool = True
             ) -> list[tuple[Membership, int | None]]:
    """The circle's active learners (students and members), by name, each with the id of the group they are in
    now (None: no group); with `unassigned_only`, only those in no group. `search` matches the name in the
    circle, the real name or the student number (staff pages only). One query."""
    current = db.aliased(GroupMember)
    query = (db.select(Membership, current.group_id)
             .outerjoin(current, sa.and_(current.circle_id == Membership.circle_id,
                                         current.user_id == Membership.user_id,
                                         current.added_at >= Membership.joined_at))
             .where(Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
                    Membership.role.in_(list(GROUPED_ROLES)))
             .order_by(Membership.sort_key, Membership.display_name, Membership.id))
    if unassigned_only:
        query = query.where(current.id.is_(None))
    if search and search.strip():
        like = f"%{_escape_like(search.strip().lower())}%"
        matches = [sa.func.lower(Membership.display_name).like(like, escape="\\"),
                   sa.func.lower(Membership.real_name).like(like, escape="\\")]
        number = number_key(search)
        if number:
            matches.append(Membership.student_no_key.like(f"%{_escape_like(number)}%", escape="\\"))
        query = query.where(sa.or_(*matches))
    return [(m, group_id) for m, group_id in db.session.execute(query)]


def unassigned_count(circle: Circle) -> int:
    current = db.aliased(GroupMember)
    return db.session.scalar(
        db.select(sa.func.count()).select_from(Membership)
        .outerjoin(current, sa.and_(current.circle_id == Membership.circle_id, current.user_id == Membership.user_id,
                                    current.added_at >= Membership.joined_at))
        .where(Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
               Membership.role.in_(list(GROUPED_ROLES)), current.id.is_(None))) or 0


def name_taken(circle: Circle, key: str, except_id: int | None = None) -> bool:
    query = db.select(CircleGroup.id).where(CircleGroup.circle_id == circle.id, CircleGroup.name_key == key)
    if except_id is not None:
        query = query.where(CircleGroup.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def taken_keys(circle: Circle) -> set[str]:
    return set(db.session.scalars(db.select(CircleGroup.name_key).where(CircleGroup.circle_id == circle.id)))


def next_position(circle: Circle) -> int:
    return (db.session.scalar(db.select(sa.func.max(CircleGroup.position))
                              .where(CircleGroup.circle_id == circle.id)) or 0) + 1


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
