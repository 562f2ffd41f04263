"""The organization's people: its roster (everyone in its classes or in the organization), searched by name,
real name, student number or email, and moving or adding a student to another class (their work stays in
the old one)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles import operations as circle_ops
from lms.circles.models import Circle, Membership, MembershipStatus, Role
from lms.core.inputs import comparison_key, number_key
from lms.extensions import db
from lms.orgs.models import Organization, OrgMembership


class PeopleError(ValueError):
    """A move or an addition that cannot be made; the message is for the person."""


def _org_class_ids(org: Organization) -> sa.Select:
    return sa.select(Circle.id).where(Circle.org_id == org.id)


def people_page(org: Organization, *, search: str | None = None, page: int = 1, per_page: int = 50):
    """One page of the organization's people (a member of one of its classes, in any status but pending or
    turned down, or of the organization itself), by name; `search` matches the account's name or email, or
    the name, real name or student number they have in one of its classes."""
    in_class = sa.select(Membership.user_id).where(
        Membership.circle_id.in_(_org_class_ids(org)),
        Membership.status.in_([MembershipStatus.active, MembershipStatus.left, MembershipStatus.removed]))
    in_org = sa.select(OrgMembership.user_id).where(OrgMembership.org_id == org.id)
    query = sa.select(User).where(sa.or_(User.id.in_(in_class), User.id.in_(in_org)))
    if search:
        text = f"%{search.strip().lower()}%"
        key = comparison_key(search)
        number = number_key(search)
        matches = [Membership.display_key.like(f"%{key}%") if key else sa.false(),
                   sa.func.lower(Membership.real_name).like(text)]
        if number:
            matches.append(Membership.student_no_key.like(f"%{number}%"))
        by_identity = sa.select(Membership.user_id).where(Membership.circle_id.in_(_org_class_ids(org)),
                                                           sa.or_(*matches))
        query = query.where(sa.or_(sa.func.lower(User.name).like(text), sa.func.lower(User.email).like(text),
                                   User.id.in_(by_identity)))
    query = query.order_by(User.sort_key, User.name, User.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def classes_of(org: Organization, user_ids: list[int]) -> dict[int, list[Membership]]:
    """The memberships (active or past) of these people in the organization's classes, in one query:
    {user id: memberships, current first, then by class name}."""
    found: dict[int, list[Membership]] = {user_id: [] for user_id in user_ids}
    if not user_ids:
        return found
    order = sa.case({MembershipStatus.active: 0}, value=Membership.status, else_=1)
    for membership in db.session.scalars(
        sa.select(Membership).join(Circle, Circle.id == Membership.circle_id)
        .options(sa.orm.contains_eager(Membership.circle))
        .where(Membership.user_id.in_(user_ids), Circle.org_id == org.id,
               Membership.status.in_([MembershipStatus.active, MembershipStatus.left, MembershipStatus.removed]))
        .order_by(order, Circle.sort_key, Circle.name, Circle.id)
    ):
        found[membership.user_id].append(membership)
    return found


def place_student(user: User, target: Circle, actor: User, *, leaving: Membership | None = None,
                  identity: tuple[str | None, str | None, str | None] | None = None,
                  via: str = "org_add") -> Membership:
    """Enrol `user` as a student of `target` (a class of the same organization), with the name, real name and
    student number they have in `leaving` (or in none); with `leaving`, they leave that class: their work,
    grades and history stay there, as when someone leaves. Audited. Raises PeopleError when they are already
    an active member of `target`, `leaving` is not theirs, is a staff role or is in an archived class, or the
    classes are of two organizations; IdentityError (lms.circles) when their name or number is taken in
    `target`. `identity` (name, real name, student number; a None part: none) is used when there is no
    `leaving`; `via` is what the audit entry of an addition says (org_add, org_csv)."""
    if target.is_archived:
        raise PeopleError(_l("%(name)s is archived: it takes no new students.", name=target.name))
    current = target.membership_of(user)
    if current is not None and current.status == MembershipStatus.active:
        raise PeopleError(_l("%(person)s is already in %(name)s.", person=user.name, name=target.name))
    if leaving is not None:
        if leaving.user_id != user.id or leaving.circle.org_id != target.org_id or leaving.circle_id == target.id:
            raise PeopleError(_l("Choose one of their classes in this organization to move them from."))
        if leaving.role != Role.student or leaving.status != MembershipStatus.active:
            raise PeopleError(_l("Only a current student of a class can be moved from it."))
        if leaving.circle.is_archived:  # read-only: its students stay in it (its term's report counts them)
            raise PeopleError(_l("This circle is archived: it can be read, but nothing in it can be changed."))
    name, real_name, student_no = ((leaving.display_name, leaving.real_name, leaving.student_no) if leaving
                                   else identity or (None, None, None))
    membership = circle_ops.add_member(target, user, Role.student, via="added", actor=actor, readmit=True,
                                       display_name=name, real_name=real_name, student_no=student_no)
    if leaving is not None:
        circle_ops.leave_circle(leaving)
        record_event(AuditAction.member_removed, actor, target=leaving,
                     details={"role": leaving.role.value, "from": "active", "via": "org_move", "to": target.name,
                              "to_id": target.id})
    record_event(AuditAction.member_role_changed, actor, target=membership,
                 details={"from": None, "to": Role.student.value, "via": "org_move" if leaving else via})
    return membership


def removable_from(org: Organization, user: User, actor: User) -> tuple[list[Membership], list[Membership]]:
    """The person's current memberships in the organization's classes, split into those a removal takes them out
    of and those it leaves (a class they own: its ownership must be handed over first; an archived class: it is
    read-only). Loaded in one query (classes_of)."""
    current = [m for m in classes_of(org, [user.id])[user.id] if m.status == MembershipStatus.active]
    kept = [m for m in current if m.role == Role.owner or m.circle.is_archived or m.user_id == actor.id]
    return [m for m in current if m not in kept], kept


def remove_from_all_classes(org: Organization, user: User, actor: User) -> list[Membership]:
    """Take `user` out of every class of `org` they are in (removable_from), each through the circles' own
    removal (lms.circles remove_member): their work, grades and history stay in each class, they are told and
    their open pages hear it, and each class's audit log records it; one audit entry for the organization
    names the classes. Returns the memberships removed. Raises PeopleError when there is none."""
    removing, _kept = removable_from(org, user, actor)
    if not removing:
        raise PeopleError(_l("%(person)s is in no class of the organization they can be removed from.",
                             person=user.name))
    for membership in removing:
        circle_ops.remove_member(membership, actor)
    record_event(AuditAction.member_removed, actor, target=user, org_id=org.id,
                 details={"via": "org_remove_all", "org": org.name,
                          "removed_from": [m.circle.name for m in removing]})
    return removing
