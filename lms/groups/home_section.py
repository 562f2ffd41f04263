"""The circle home page's "My group" card (lms/circles/home.py): a student's group and who is in it. One
query for a learner, none for anyone else."""
from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from lms.accounts.models import User
from lms.circles.home import SIDE, HomeSection
from lms.circles.models import Circle, Membership
from lms.circles.queries import ShownMember, ShownUser
from lms.extensions import db
from lms.groups.models import GROUPED_ROLES, CircleGroup, GroupMember
from lms.groups.queries import CURRENT


class HomeGroup(NamedTuple):
    """The viewer's group as the card shows it: its name and current members (as _partials/member.html
    shows them), by name."""

    name: str
    members: list[ShownMember]


def _statement() -> sa.Select:
    """The card's query by bound parameters (circle_id, user_id), built once: the group the viewer is in
    and its current members (lms.groups.queries.own_group's rows), as plain columns: the page asks on every
    view, and model objects cost more to build than the query to run."""
    statement = _STATEMENTS.get("own")
    if statement is None:
        mine, circle_id = db.aliased(GroupMember), sa.bindparam("circle_id")
        statement = _STATEMENTS["own"] = (
            sa.select(CircleGroup.name, Membership.id, Membership.display_name, Membership.real_name,
                      Membership.student_no, Membership.role, User.id, User.name, User.avatar_key)
            .join(mine, sa.and_(mine.group_id == CircleGroup.id, mine.circle_id == circle_id,
                                mine.user_id == sa.bindparam("user_id")))
            .join(GroupMember, GroupMember.group_id == CircleGroup.id)
            .join(Membership, CURRENT)
            .join(User, User.id == Membership.user_id)
            .where(CircleGroup.circle_id == circle_id)
            .order_by(Membership.sort_key, Membership.display_name, Membership.id))
    return statement


_STATEMENTS: dict[str, sa.Select] = {}


def own_group(circle: Circle, viewer: User) -> HomeGroup | None:
    """The viewer's group in the circle and its current members, by name, or None (one query, plain rows on
    the session's connection)."""
    rows = db.session.connection().execute(_statement(), {"circle_id": circle.id, "user_id": viewer.id}).all()
    if not any(row[6] == viewer.id for row in rows):
        return None  # no group, or the viewer's own row no longer counts
    return HomeGroup(rows[0][0], [ShownMember(*row[1:6], ShownUser(*row[6:9])) for row in rows])


def load_own_group(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """The card's context, or None (staff, people in no group)."""
    if membership is None or not membership.is_active or membership.role not in GROUPED_ROLES:
        return None
    mine = own_group(circle, viewer)
    if mine is None:
        return None
    return {"own_group": mine}


def in_a_group(circle_id: sa.ColumnElement[int], viewer_id: sa.BindParameter[int]) -> sa.ColumnElement[bool]:
    """The card's probe (lms.circles.home), read with the circle: whether the viewer has a group row there at
    all (the card then checks it still counts)."""
    return sa.exists().where(GroupMember.circle_id == circle_id, GroupMember.user_id == viewer_id)


SECTION = HomeSection(name="own_group", column=SIDE, order=20, template="groups/_home_group.html",
                      load=load_own_group, probe=in_a_group)
