"""Circles, memberships (one identity per person in a circle), invites, course codes."""
from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from lms.accounts.models import User
from lms.core.collation import KEY_LENGTH, sort_key
from lms.core.inputs import comparison_key, normalize_number, number_key
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.circles import oversight
from lms.extensions import db


class CircleKind(enum.StrEnum):
    teaching = "teaching"
    internal = "internal"
    community = "community"


class JoinPolicy(enum.StrEnum):
    open = "open"  #: anyone signed in who has the circle's link joins at once
    invite = "invite"  #: only invite links and course codes
    code = "code"  #: the circle's join code (or an invite link / course code)
    approval = "approval"  #: the join code or link sends a request the staff approve


class Role(enum.StrEnum):
    owner = "owner"
    teacher = "teacher"
    assistant = "assistant"
    student = "student"
    member = "member"


STAFF_ROLES = frozenset({Role.owner, Role.teacher, Role.assistant})
TEACHING_ROLES = frozenset({Role.owner, Role.teacher})


class MembershipStatus(enum.StrEnum):
    active = "active"
    pending = "pending"  #: asked to join, waiting for approval
    rejected = "rejected"
    left = "left"
    removed = "removed"


#: Statuses that keep a person out: no join path (invite, code, course code, open join, request,
#: staff add, bulk enrolment) brings them back; only a readmission by the staff does.
BARRED_STATUSES = frozenset({MembershipStatus.removed})
#: Statuses whose holder no longer claims a name in the circle (it is free for someone else).
RELEASED_STATUSES = frozenset({MembershipStatus.left, MembershipStatus.rejected})


class Circle(db.Model):
    __tablename__ = "circles"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the organization (school) the circle is a class of; lms/orgs maps `Circle.org` onto it, since
    #: organizations group circles and the circles do not depend on them
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True)
    kind: Mapped[CircleKind] = mapped_column(enum_column(CircleKind, name="circle_kind"), default=CircleKind.teaching)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: how the name sorts (lms.core.collation.sort_key: numbers by value, Chinese by pinyin), kept by its setter
    sort_key: Mapped[str] = mapped_column(sa.String(KEY_LENGTH), default="", server_default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    cover_key: Mapped[str | None] = mapped_column(sa.String(200))
    join_policy: Mapped[JoinPolicy] = mapped_column(enum_column(JoinPolicy, name="join_policy"), default=JoinPolicy.code)
    #: the short code shown to the class; None when joining by code is off
    join_code: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    require_real_name: Mapped[bool] = mapped_column(default=False)
    require_student_no: Mapped[bool] = mapped_column(default=False)
    is_archived: Mapped[bool] = mapped_column(default=False)
    #: the term (academic session) of the circle's organization it belongs to; lms/orgs maps `Circle.term`
    term_id: Mapped[int | None] = mapped_column(sa.ForeignKey("terms.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: kept in step by the membership operations, so big circles never count rows per page
    member_count: Mapped[int] = mapped_column(default=0)
    #: IANA time zone of the circle (late days end at the due time's wall clock here); None: the site's
    timezone: Mapped[str | None] = mapped_column(sa.String(64))

    @validates("name")
    def _keep_sort_key(self, _key, value):
        self.sort_key = sort_key(value)
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The circle's time zone, else the site's default (an unknown stored name never breaks a page)."""
        for name in (self.timezone, current_app.config["BABEL_DEFAULT_TIMEZONE"]):
            if name:
                try:
                    return ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError):
                    continue
        return ZoneInfo("UTC")

    # -- who is the acting user here ------------------------------------------------------
    def membership_of(self, user: User | None) -> Membership | None:
        """The user's membership in any status, loaded once per circle object."""
        if user is None or not user.is_authenticated:
            return None
        cache = self.__dict__.setdefault("_membership_cache", {})
        if user.id not in cache:
            cache[user.id] = db.session.scalar(_MEMBERSHIP_OF, {"circle_id": self.id, "user_id": user.id})
        return cache[user.id]

    def keep_membership_of(self, user: User, membership: Membership | None) -> None:
        """What membership_of(user) answers, read along with the circle (circles.queries)."""
        self.__dict__.setdefault("_membership_cache", {})[user.id] = membership

    def active_role(self, user: User | None) -> Role | None:
        membership = self.membership_of(user)
        if membership is None or membership.status != MembershipStatus.active:
            return None
        return membership.role

    def _is_overseer(self, user: User | None) -> bool:
        """Site admins, and whoever a registered rule names (the admins of the circle's organization,
        lms/circles/oversight.py), see and manage it like staff."""
        return bool(user and user.is_authenticated and (user.is_admin or oversight.oversees(self, user)))

    # -- predicates -----------------------------------------------------------------------
    def can_view(self, user: User | None) -> bool:
        """Members and overseers see the circle's pages; everyone else gets 404."""
        return self.active_role(user) is not None or self._is_overseer(user)

    def can_preview(self, user: User | None) -> bool:
        """May see the circle's name and description to decide whether to join; a removed member may
        see it whatever the join policy, to be told they were removed (they knew the circle)."""
        if self.can_view(user):
            return True
        if not self.is_archived and self.join_policy in (JoinPolicy.open, JoinPolicy.approval):
            return True
        membership = self.membership_of(user)
        return membership is not None and membership.is_barred

    def can_join_directly(self) -> bool:
        return not self.is_archived and self.join_policy == JoinPolicy.open

    def can_request_to_join(self) -> bool:
        return not self.is_archived and self.join_policy == JoinPolicy.approval

    def can_manage_members(self, user: User | None) -> bool:
        """Enrol, approve, edit identities, remove students: owner, teacher, assistant."""
        return self.active_role(user) in STAFF_ROLES or self._is_overseer(user)

    def can_change_roles(self, user: User | None) -> bool:
        return self.active_role(user) in TEACHING_ROLES or self._is_overseer(user)

    def can_edit(self, user: User | None) -> bool:
        """Settings, join policy, codes: owner and teachers."""
        return self.active_role(user) in TEACHING_ROLES or self._is_overseer(user)

    def can_archive(self, user: User | None) -> bool:
        return self.active_role(user) == Role.owner or self._is_overseer(user)

    def can_transfer_ownership(self, user: User | None) -> bool:
        return self.active_role(user) == Role.owner or self._is_overseer(user)

    def can_place_in_org(self, user: User | None, org) -> bool:
        """The owner puts a circle that is in no organization into `org` (an lms.orgs Organization),
        one where they teach (or administer), so its admins see and oversee it like the classes they
        created."""
        return self.org_id is None and self.active_role(user) == Role.owner and org.can_teach(user)

    def can_take_out_of_org(self, user: User | None) -> bool:
        """The owner, or an admin of its organization (or a site admin), takes the circle out again."""
        return self.org_id is not None and (self.active_role(user) == Role.owner or self._is_overseer(user))

    def can_leave(self, user: User | None) -> bool:
        """Anyone but the owner (who must hand the circle over first)."""
        role = self.active_role(user)
        return role is not None and role != Role.owner

    def __repr__(self) -> str:
        return f"<Circle {self.id} {self.name!r}>"


class Membership(db.Model):
    """A person's one identity inside a circle: role, the name everyone sees, real name, number."""

    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("circle_id", "user_id"),
        # Empty numbers are NULL, which both SQLite and PostgreSQL let repeat.
        sa.UniqueConstraint("circle_id", "student_no_key", name="uq_memberships_circle_student_no_key"),
        sa.UniqueConstraint("circle_id", "display_key", name="uq_memberships_circle_display_key"),
        sa.Index("ix_memberships_circle_status_role", "circle_id", "status", "role"),
        sa.Index("ix_memberships_circle_status_joined", "circle_id", "status", "joined_at"),  # newest members
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, name="member_role"))
    status: Mapped[MembershipStatus] = mapped_column(enum_column(MembershipStatus, name="membership_status"),
                                                     default=MembershipStatus.active)
    display_name: Mapped[str] = mapped_column(sa.String(100))  #: how everyone in the circle sees them
    #: how the display name sorts (lms.core.collation.sort_key: Chinese by pinyin), kept by its setter;
    #: lists of members order by it, then by the display name
    sort_key: Mapped[str] = mapped_column(sa.String(KEY_LENGTH), default="", server_default="")
    real_name: Mapped[str | None] = mapped_column(sa.String(100))
    #: as the school writes it, for pages and exports (lms.core.inputs.normalize_number)
    student_no: Mapped[str | None] = mapped_column(sa.String(40))
    #: the number as compared (lms.core.inputs.number_key: no dashes, no spaces), kept by the setter of
    #: student_no; unique in the circle, so "SR2026 002" cannot join beside "SR2026-002"
    student_no_key: Mapped[str | None] = mapped_column(sa.String(40))
    #: the display name as compared for "already taken" (lms.core.inputs.comparison_key); None once
    #: the person left or was turned down, so the name is free again
    display_key: Mapped[str | None] = mapped_column(sa.String(100))
    #: staff set the real name or student number: the person can no longer change them
    is_identity_locked: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: how they came in: "owner", "invite", "code", "course_code", "open", "request", "roster", "added"
    joined_via: Mapped[str] = mapped_column(sa.String(20), default="added")
    request_message: Mapped[str | None] = mapped_column(sa.String(500))
    #: muted by the staff until then (UTC; lms.circles.operations.muting): they read, they do not write
    #: (chat, posts, comments, video comments); None, or a time past: not muted
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why the staff muted them (shown to them with muted_until); None when not muted
    mute_reason: Mapped[str | None] = mapped_column(sa.String(500))

    circle: Mapped[Circle] = relationship()
    user: Mapped[User] = relationship(lazy="joined")

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.active

    def is_muted(self, now: datetime | None = None) -> bool:
        """Muted by the staff at `now` (default: the server's clock)."""
        return self.muted_until is not None and self.muted_until > (now or utcnow())

    @property
    def is_barred(self) -> bool:
        """Removed by the staff: only a readmission brings them back."""
        return self.status in BARRED_STATUSES

    @validates("display_name")
    def _keep_display_key(self, _key, value):
        self.display_key = (comparison_key(value)[:100] or None) if self.status not in RELEASED_STATUSES else None
        self.sort_key = sort_key(value)
        return value

    @validates("student_no")
    def _normalize_student_no(self, _key, value):
        number = normalize_number(value)
        self.student_no_key = number_key(number)
        return number

    # -- who may change this identity ------------------------------------------------------
    def can_edit_identity(self, user: User | None) -> bool:
        """The person, or the staff: a staff member's identity only by the teachers (or overseers)."""
        if user is None or not user.is_authenticated:
            return False
        if user.id == self.user_id:
            return True
        if self.is_staff:
            return self.circle.can_change_roles(user)
        return self.circle.can_manage_members(user)

    def can_edit_real_name(self, user: User | None) -> bool:
        return self._can_edit_private(user, self.circle.require_real_name)

    def can_edit_student_no(self, user: User | None) -> bool:
        return self._can_edit_private(user, self.circle.require_student_no)

    def _can_edit_private(self, user: User | None, asked_on_joining: bool) -> bool:
        # As Canvas and Moodle treat the SIS id: the staff set it. A student may fill it in only
        # when the circle asks for it, and only until the staff have set it.
        if not self.can_edit_identity(user):
            return False
        if user.id != self.user_id or self.is_staff:
            return True
        return asked_on_joining and not self.is_identity_locked


#: Circle.membership_of runs on every circle page: built once, as building costs more than running it.
_MEMBERSHIP_OF = db.select(Membership).where(Membership.circle_id == db.bindparam("circle_id"),
                                             Membership.user_id == db.bindparam("user_id"))


class Invite(db.Model):
    """A shareable link that enrols whoever opens it with a given role."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, name="invite_role"))
    max_uses: Mapped[int | None] = mapped_column()  #: None: unlimited
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    circle: Mapped[Circle] = relationship(lazy="joined")

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()

    @property
    def is_used_up(self) -> bool:
        return self.max_uses is not None and self.uses >= self.max_uses

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired and not self.is_used_up and not self.circle.is_archived


class CourseCode(db.Model):
    """A single-use code from a batch; whoever redeems it becomes a student of the circle."""

    __tablename__ = "course_codes"
    __table_args__ = (sa.Index("ix_course_codes_circle_batch", "circle_id", "batch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    batch: Mapped[str] = mapped_column(sa.String(40))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeemed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    circle: Mapped[Circle] = relationship(lazy="joined")
    redeemed_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()
