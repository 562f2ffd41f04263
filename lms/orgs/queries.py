"""Reads of organizations, and scoped lookups that 404 outside the organization."""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.circles.models import Circle, Membership, MembershipStatus, Role
from lms.core.types import one_of
from lms.extensions import db
from lms.orgs.models import Organization, OrgMembership, OrgRole, Term


def get_org_or_404(org_id: int, user: User) -> Organization:
    """The organization if `user` may see it (its members and site admins); 404 otherwise."""
    org = db.session.get(Organization, org_id)
    if org is None or not org.can_view(user):
        abort(404)
    return org


def get_org_membership_or_404(org: Organization, membership_id: int) -> OrgMembership:
    """A membership of this organization; ids from other organizations 404."""
    membership = db.session.scalar(
        db.select(OrgMembership).where(OrgMembership.id == membership_id, OrgMembership.org_id == org.id)
    )
    if membership is None:
        abort(404)
    return membership


def get_org_class_or_404(org: Organization, circle_id: int) -> Circle:
    """A class (circle) of this organization; circles of other organizations or none 404."""
    circle = db.session.scalar(db.select(Circle).where(Circle.id == circle_id, Circle.org_id == org.id))
    if circle is None:
        abort(404)
    return circle


def find_user(user_id: int | None) -> User | None:
    """An account by id (for choices made from a list); None if there is none."""
    return db.session.get(User, user_id) if user_id else None


_ORG_ROLE_ORDER = db.case({OrgRole.admin: 0, OrgRole.teacher: 1, OrgRole.student: 2}, value=OrgMembership.role)


def org_staff(org: Organization) -> list[OrgMembership]:
    """The organization's admins and teachers with their accounts, admins first, then by name."""
    return list(db.session.scalars(
        db.select(OrgMembership).join(OrgMembership.user).options(contains_eager(OrgMembership.user))
        .where(OrgMembership.org_id == org.id, OrgMembership.role.in_([OrgRole.admin, OrgRole.teacher]))
        .order_by(_ORG_ROLE_ORDER, User.sort_key, User.name, User.id)
    ))


def role_counts(org: Organization) -> dict[OrgRole, int]:
    """How many admins, teachers and students the organization has."""
    rows = db.session.execute(
        db.select(OrgMembership.role, db.func.count()).where(OrgMembership.org_id == org.id)
        .group_by(OrgMembership.role)
    ).all()
    counts = {role: 0 for role in OrgRole}
    counts.update({role: n for role, n in rows})
    return counts


def classes_page(org: Organization, *, page: int = 1, per_page: int = 50, search: str | None = None):
    """One page of the organization's classes: current ones first, then by name."""
    query = db.select(Circle).where(Circle.org_id == org.id)
    if search:
        query = query.where(db.func.lower(Circle.name).like(f"%{search.strip().lower()}%"))
    query = query.order_by(Circle.is_archived, Circle.sort_key, Circle.name, Circle.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def class_teachers(circles: list[Circle]) -> dict[int, list[Membership]]:
    """The active owners and teachers of each circle, in one query: {circle id: memberships}."""
    ids = [circle.id for circle in circles]
    found: dict[int, list[Membership]] = {circle_id: [] for circle_id in ids}
    if not ids:
        return found
    order = db.case({Role.owner: 0, Role.teacher: 1}, value=Membership.role)
    for membership in db.session.scalars(
        db.select(Membership).where(Membership.circle_id.in_(ids), Membership.status == MembershipStatus.active,
                                    Membership.role.in_([Role.owner, Role.teacher]))
        .order_by(order, Membership.sort_key, Membership.display_name, Membership.id)
    ):
        found[membership.circle_id].append(membership)
    return found


def class_choices(org: Organization) -> list[tuple[int, str]]:
    """(id, label) of the organization's current classes, by name, for a select; a name that two of them share
    (a class copied into the next term keeps its name) is followed by each one's term."""
    rows = db.session.execute(
        db.select(Circle.id, Circle.name, Term.name).outerjoin(Term, Term.id == Circle.term_id)
        .where(Circle.org_id == org.id, Circle.is_archived.is_(False))
        .order_by(Circle.sort_key, Circle.name, Term.starts_on, Circle.id)
    ).all()
    shared = {name for name, n in Counter(name for _id, name, _term in rows).items() if n > 1}
    return [(circle_id, _("%(name)s (%(term)s)", name=name, term=term) if name in shared and term else name)
            for circle_id, name, term in rows]


def my_orgs(user: User) -> list[tuple[Organization, OrgRole]]:
    """The organizations `user` belongs to, with their role there, by name."""
    rows = db.session.execute(
        db.select(Organization, OrgMembership.role).join(OrgMembership, OrgMembership.org_id == Organization.id)
        .where(OrgMembership.user_id == user.id).order_by(_ORG_ROLE_ORDER, Organization.name)
    ).all()
    return [(org, role) for org, role in rows]


def orgs_page(*, page: int = 1, per_page: int = 50):
    """One page of every organization, by name (for site admins)."""
    query = db.select(Organization).order_by(Organization.name, Organization.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def org_sizes(orgs: list[Organization]) -> dict[int, tuple[int, int]]:
    """{org id: (classes, people)} for the given organizations, in two aggregate queries."""
    ids = [org.id for org in orgs]
    if not ids:
        return {}
    classes = dict(db.session.execute(
        db.select(Circle.org_id, db.func.count()).where(Circle.org_id.in_(ids)).group_by(Circle.org_id)
    ).all())
    people = dict(db.session.execute(
        db.select(OrgMembership.org_id, db.func.count()).where(OrgMembership.org_id.in_(ids))
        .group_by(OrgMembership.org_id)
    ).all())
    return {org_id: (classes.get(org_id, 0), people.get(org_id, 0)) for org_id in ids}


#: the session fact (lms.accounts.hooks.register_session_fact): is the person an admin or teacher of an organization?
TEACHES_IN_AN_ORG = "teaches_in_an_org"


def teaches_in_an_org(user_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """EXISTS an admin or teacher role of `user_id` in an organization: most people (students) have
    none, and their pages then ask nothing more about organizations."""
    return sa.exists().where(OrgMembership.user_id == user_id,
                             one_of(OrgMembership.role, [OrgRole.admin, OrgRole.teacher]))


def teaching_orgs(user: User) -> list[tuple[Organization, OrgRole]]:
    """The organizations where `user` is an admin or a teacher, with that role, admins' first, by name:
    where they may own classes, and what their home page links to."""
    return [(org, role) for org, role in my_orgs(user) if role in (OrgRole.admin, OrgRole.teacher)]


def shares_an_organization_with(viewer: User, user_id: int) -> sa.ColumnElement[bool]:
    """Is `viewer` in an organization `user_id` is in, or an admin of an organization with a circle
    `user_id` belongs to (in any status)? A condition for one query (the avatar rule the organizations
    register with lms/accounts/hooks.py)."""
    mine = db.aliased(OrgMembership)
    theirs = db.aliased(OrgMembership)
    shared_org = (db.select(mine.id).join(theirs, theirs.org_id == mine.org_id)
                  .where(mine.user_id == viewer.id, theirs.user_id == user_id))
    overseen_circle = (db.select(mine.id).join(Circle, Circle.org_id == mine.org_id)
                       .join(Membership, Membership.circle_id == Circle.id)
                       .where(mine.user_id == viewer.id, mine.role == OrgRole.admin, Membership.user_id == user_id))
    return sa.or_(shared_org.exists(), overseen_circle.exists())


def audit_scope(org: Organization) -> sa.ColumnElement[bool]:
    """The organization's audit events: recorded for it, or about one of its circles (as it is now or was then)."""
    return sa.or_(AuditEvent.org_id == org.id,
                  AuditEvent.circle_id.in_(sa.select(Circle.id).where(Circle.org_id == org.id)))
