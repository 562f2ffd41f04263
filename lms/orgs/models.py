"""Organizations (schools) and who administers or teaches in them."""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.circles.locks import register_lock_source
from lms.circles.models import Circle, JoinPolicy
from lms.circles.oversight import register_overseers
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db


class OrgRole(enum.StrEnum):
    admin = "admin"
    teacher = "teacher"
    student = "student"


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[OrgMembership]] = relationship(back_populates="org", cascade="all, delete-orphan",
                                                            lazy="raise")

    def role_of(self, user: User | None) -> OrgRole | None:
        if user is None or not user.is_authenticated:
            return None
        cache = self.__dict__.setdefault("_role_cache", {})
        if user.id not in cache:
            cache[user.id] = db.session.scalar(
                db.select(OrgMembership.role).where(OrgMembership.org_id == self.id, OrgMembership.user_id == user.id)
            )
        return cache[user.id]

    def can_view(self, user: User) -> bool:
        return user.is_authenticated and (user.is_admin or self.role_of(user) is not None)

    def can_manage(self, user: User) -> bool:
        """Org admins and site admins: create classes, assign teachers, import rosters."""
        return user.is_authenticated and (user.is_admin or self.role_of(user) == OrgRole.admin)

    def can_view_console(self, user: User) -> bool:
        """The classes at a glance: its admins and site admins see every class, its teachers their own."""
        return user.is_authenticated and (user.is_admin or self.role_of(user) in (OrgRole.admin, OrgRole.teacher))

    def can_view_audit(self, user: User) -> bool:
        """Org admins and site admins read the organization's audit log."""
        return self.can_manage(user)

    def can_appoint_admins(self, user: User) -> bool:
        """Only site admins name (or remove) an organization's admins."""
        return user.is_authenticated and user.is_admin

    def can_grant(self, user: User, role: OrgRole) -> bool:
        """May `user` give someone `role` here, or take it away: admin is the site admins' call."""
        return self.can_appoint_admins(user) if role == OrgRole.admin else self.can_manage(user)

    def can_teach(self, user: User) -> bool:
        """May own and teach the organization's classes: its teachers and its admins."""
        return self.role_of(user) in (OrgRole.teacher, OrgRole.admin)

    def remember_role(self, user: User, role: OrgRole | None) -> None:
        """Keep the per-object role cache right after an operation changed `user`'s role."""
        self.__dict__.setdefault("_role_cache", {})[user.id] = role


class OrgMembership(db.Model):
    __tablename__ = "org_memberships"
    __table_args__ = (sa.UniqueConstraint("org_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[OrgRole] = mapped_column(enum_column(OrgRole, name="org_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organization] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(lazy="joined")


class Term(db.Model):
    """An academic session of an organization (autumn term, school year): its classes belong to it, and at
    its end the admins archive them in one action."""

    __tablename__ = "terms"
    __table_args__ = (sa.Index("ix_terms_org_starts", "org_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    #: when an admin archived the term's classes (None: not yet)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Term {self.id} {self.name!r}>"


class ClassSetting(enum.StrEnum):
    """The settings a school gives its new classes, each of which it may lock (OrgClassDefaults.locked)."""

    join_policy = "join_policy"
    require_real_name = "require_real_name"
    require_student_no = "require_student_no"
    who_may_post = "who_may_post"  #: the feed's (lms.feed FeedSettings.who_may_post)
    chat_enabled = "chat_enabled"  #: lms.chat ChatSettings.is_enabled
    file_quota = "file_quota"  #: lms.files FileSettings.quota_bytes
    word_list = "word_list"  #: lms.moderation CircleModeration.word_list


class PostingRule(enum.StrEnum):
    """Who may post in a class's feed: the values of lms.feed's WhoMayPost (the feed sits above the orgs)."""

    everyone = "everyone"
    staff = "staff"


class OrgClassDefaults(db.Model):
    """The settings every new class of an organization takes, and which of them its classes may not change
    (locked). One row per organization; none: the site's defaults, nothing locked (lms/orgs/class_defaults.py)."""

    __tablename__ = "org_class_defaults"

    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    join_policy: Mapped[JoinPolicy] = mapped_column(enum_column(JoinPolicy, name="org_default_join_policy"),
                                                    default=JoinPolicy.code)
    require_real_name: Mapped[bool] = mapped_column(default=False)
    require_student_no: Mapped[bool] = mapped_column(default=False)
    who_may_post: Mapped[PostingRule] = mapped_column(enum_column(PostingRule, name="org_default_who_may_post"),
                                                      default=PostingRule.everyone)
    #: None: as the kind of class has it (on for teaching classes, off for others)
    chat_enabled: Mapped[bool | None] = mapped_column()
    #: bytes a class's files may take; None: the site's FILES_CIRCLE_QUOTA_BYTES
    file_quota_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: one entry a line, as a class's own list (lms.moderation CircleModeration.word_list)
    word_list: Mapped[str] = mapped_column(sa.Text, default="")
    #: the ClassSetting names the classes may not change, sorted
    locked: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def is_locked(self, setting: ClassSetting | str) -> bool:
        return str(setting) in (self.locked or [])



class ClassFigures(db.Model):
    """A class's figures in the school console, kept so that the table of 500 classes is one read: counted by
    lms.orgs.console.figures and counted again when a viewer finds them older than CONSOLE_FIGURES_MAX_AGE (or
    asks for a recount). `figures` holds ClassRow's counted fields by name (figures.KEPT_FIELDS)."""

    __tablename__ = "class_figures"

    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)

# An organization groups circles: the circle's side of that link is mapped here, so the circles never
# import the organizations (tests/test_layers.py). `Circle.org` is read with the circle, in one query.
Circle.org = relationship(Organization, lazy="joined")
#: the term the class belongs to (lazy="raise": pages that show terms read them in one query of their own)
Circle.term = relationship(Term, lazy="raise")


def _administers(circle: Circle, user: User) -> bool:
    return circle.org is not None and circle.org.role_of(user) == OrgRole.admin


def _administered_circle_ids(user: User) -> sa.Select:
    org_ids = sa.select(OrgMembership.org_id).where(OrgMembership.user_id == user.id,
                                                    OrgMembership.role == OrgRole.admin)
    return sa.select(Circle.id).where(Circle.org_id.in_(org_ids))


# The admins of a circle's organization see and manage it like its staff.
register_overseers("org_admins", _administers, _administered_circle_ids)


def _org_locks(circle: Circle) -> dict[str, str]:
    """The settings the circle's organization locks, with the organization's name (read once per circle object)."""
    if circle.org_id is None:
        return {}
    cache = circle.__dict__.setdefault("_org_locks", [])
    if not cache:
        locked = db.session.scalar(sa.select(OrgClassDefaults.locked).where(OrgClassDefaults.org_id == circle.org_id))
        cache.append({name: circle.org.name for name in locked or []})
    return cache[0]


# The settings a school locks are read-only in its classes (lms/circles/locks.py).
register_lock_source("org_class_defaults", _org_locks)
