"""Groups of a circle and who is in them (a person is in at most one group per circle)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, Circle, Role
from lms.core.inputs import comparison_key
from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

#: The roles a group is made of: the circle's learners (staff are never put in a group).
GROUPED_ROLES = frozenset(Role) - STAFF_ROLES
#: Longest group name.
NAME_MAX = 80


def can_manage_groups(circle: Circle, user: User | None) -> bool:
    """Create, rename, delete groups and move people between them: the staff who manage members (owner,
    teachers, assistants, overseers), while the circle is not archived (an archived circle is read-only)."""
    return not circle.is_archived and circle.can_manage_members(user)


def can_see_all_groups(circle: Circle, user: User | None) -> bool:
    """Every group and its members: the staff, also in an archived circle. Students see only their own."""
    return circle.can_manage_members(user)


class CircleGroup(db.Model):
    """A named set of a circle's students (Canvas's group in a group set, Moodle's group)."""

    __tablename__ = "circle_groups"
    __table_args__ = (
        # Names are unique in a circle as people compare them: "Team A", "team a" and "Ｔｅａｍ Ａ" are one.
        sa.UniqueConstraint("circle_id", "name_key", name="uq_circle_groups_circle_name_key"),
        # The target of group_members' (group_id, circle_id) key, which keeps a member's circle its group's.
        sa.UniqueConstraint("id", "circle_id", name="uq_circle_groups_id_circle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    #: the name as compared (lms.core.inputs.comparison_key), kept by the setter of `name`
    name_key: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    #: the order the staff see the groups in (new groups go last)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    circle: Mapped[Circle] = relationship()

    @validates("name")
    def _keep_name_key(self, _key, value):
        self.name_key = comparison_key(value)[:NAME_MAX]
        return value

    def can_manage(self, user: User | None) -> bool:
        return can_manage_groups(self.circle, user)

    def __repr__(self) -> str:
        return f"<CircleGroup {self.id} {self.name!r}>"


class GroupMember(db.Model):
    """One person in one group. The row counts only while its person is an active member who has been in
    the circle since before it was added (lms/groups/queries.py, CURRENT): someone who left or was removed
    drops out of their group at once, and comes back (readmitted, or joining again) in no group."""

    __tablename__ = "group_members"
    __table_args__ = (
        # At most one group per person and circle (circle_id is stored for this constraint).
        sa.UniqueConstraint("circle_id", "user_id", name="uq_group_members_circle_user"),
        # ...and that circle is always the group's own.
        sa.ForeignKeyConstraint(["group_id", "circle_id"], ["circle_groups.id", "circle_groups.circle_id"],
                                ondelete="CASCADE", name="fk_group_members_group_circle"),
        sa.Index("ix_group_members_group", "group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column()
    circle_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<GroupMember group={self.group_id} user={self.user_id}>"
