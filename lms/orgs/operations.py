"""Every state change of organizations. Operations flush; the request (or CLI command) commits."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles import operations as circle_ops
from lms.circles.models import Circle, CircleKind, JoinPolicy, MembershipStatus, Role
from lms.core.inputs import line_problem
from lms.extensions import db
from lms.orgs.class_defaults import apply_class_defaults, defaults_of
from lms.orgs.models import ClassSetting, Organization, OrgMembership, OrgRole


class OrgError(ValueError):
    """A refused organization change; the message is for the user."""


def create_org(name: str, description: str = "") -> Organization:
    """Create an organization (a school). Raises OrgError if the name is blank."""
    name = " ".join((name or "").split())
    if not name:
        raise OrgError(_l("Give the organization a name."))
    problem = line_problem(name)
    if problem:
        raise OrgError(problem)
    org = Organization(name=name[:120], description=(description or "").strip())
    db.session.add(org)
    db.session.flush()
    return org


def add_org_member(org: Organization, user: User, role: OrgRole, actor: User | None = None) -> OrgMembership:
    """Make `user` an admin, teacher or student of `org`, or change the role they have there.

    The caller checks that `actor` (None: the system) may grant `role` (and take away the current
    one). Granting or taking away admin or teacher is written to the audit log.
    Raises OrgError if the user already has exactly this role.
    """
    membership = db.session.scalar(
        db.select(OrgMembership).where(OrgMembership.org_id == org.id, OrgMembership.user_id == user.id)
    )
    if membership is not None and membership.role == role:
        raise OrgError(_l("%(name)s already has this role in the organization.", name=user.name))
    old_role = membership.role if membership is not None else None
    if membership is None:
        membership = OrgMembership(org_id=org.id, user_id=user.id, user=user, role=role)
        db.session.add(membership)
    else:
        membership.role = role
    db.session.flush()
    org.remember_role(user, role)
    _audit_org_role(org, user, old_role, role, actor)
    return membership


def remove_org_member(membership: OrgMembership, actor: User | None = None) -> None:
    """Take someone out of the organization. The classes they own or teach keep them as members;
    they only lose what the organization role gave (overseeing its classes, owning new ones)."""
    org = membership.org
    user = membership.user
    old_role = membership.role
    db.session.delete(membership)
    db.session.flush()
    org.remember_role(user, None)
    _audit_org_role(org, user, old_role, None, actor)


def _audit_org_role(org: Organization, user: User, old: OrgRole | None, new: OrgRole | None,
                    actor: User | None) -> None:
    """Record a change that gives or takes away admin or teacher powers (students are not audited)."""
    if new == OrgRole.admin:
        action = AuditAction.org_admin_granted
    elif old == OrgRole.admin:
        action = AuditAction.org_admin_revoked
    elif new == OrgRole.teacher:
        action = AuditAction.org_teacher_granted
    elif old == OrgRole.teacher:
        action = AuditAction.org_teacher_revoked
    else:
        return
    record_event(action, actor, target=user, org_id=org.id,
                 details={"org": org.name, "from": old.value if old else None, "to": new.value if new else None})


def create_classes(org: Organization, names: list[str], teacher: User, kind: CircleKind,
                   join_policy: JoinPolicy, actor: User) -> list[Circle]:
    """Create one class (circle) of `org` per name, each owned by `teacher`, and return them.

    Each class takes the school's settings (lms/orgs/class_defaults.py), the join policy given here unless the
    school locks it. Blank and repeated names are skipped, and so are names the organization already has a class
    for, so sending the same list twice creates nothing new. Raises OrgError if `teacher` does not
    teach in the organization, or if no name is left to create.
    """
    if not org.can_teach(teacher):
        raise OrgError(_l("%(name)s is not a teacher of this organization. Add them as a teacher first.",
                          name=teacher.name))
    wanted: dict[str, str] = {}
    for raw in names:
        name = " ".join((raw or "").split())[:120]
        problem = line_problem(name) if name else None
        if problem:
            raise OrgError(_l("%(problem)s (%(name)s)", problem=problem, name=name[:40]))
        if name and name.casefold() not in wanted:
            wanted[name.casefold()] = name
    if not wanted:
        raise OrgError(_l("Enter at least one class name, one per line."))
    existing = {n.casefold() for n in db.session.scalars(
        db.select(Circle.name).where(Circle.org_id == org.id, Circle.is_archived.is_(False)))}
    todo = [name for key, name in wanted.items() if key not in existing]
    if not todo:
        raise OrgError(_l("The organization already has every class in this list."))
    circles = [circle_ops.create_circle(teacher, name, kind=kind, join_policy=join_policy, org=org) for name in todo]
    for circle in circles:
        # the school's defaults, but the join policy chosen here unless the school locks it
        apply_class_defaults(circle, org, keep=[ClassSetting.join_policy])
    return circles


def assign_teacher(circle: Circle, user: User, actor: User) -> None:
    """Make `user`, a teacher of the circle's organization, a teacher of the circle.

    A new or former member joins as a teacher; a current student, member or assistant becomes a
    teacher. Raises OrgError if the circle has no organization, `user` does not teach in it, or
    already teaches this class; CircleError (from the circles domain) if the role cannot change.
    """
    org = circle.org
    if org is None or not org.can_teach(user):
        raise OrgError(_l("%(name)s is not a teacher of this organization. Add them as a teacher first.",
                          name=user.name))
    membership = circle.membership_of(user)
    if membership is not None and membership.status == MembershipStatus.active:
        if membership.role in (Role.owner, Role.teacher):
            raise OrgError(_l("%(name)s already teaches this class.", name=user.name))
        circle_ops.change_role(membership, Role.teacher, actor)
        return
    previous = membership.status.value if membership is not None else None
    membership = circle_ops.add_member(circle, user, Role.teacher)
    record_event(AuditAction.member_role_changed, actor, target=membership,
                 details={"from": None, "to": Role.teacher.value, "via": "org_assignment", "status_before": previous})


def place_circle(circle: Circle, org: Organization, actor: User) -> None:
    """Put a circle that belongs to no organization into `org` (a teacher's own circle into their school):
    it is listed among the organization's classes and its admins oversee it. The caller checked
    `circle.can_place_in_org(actor, org)`. The settings the school locks (lms/orgs/class_defaults.py) replace the
    circle's own; the others stay as its owner set them. Raises OrgError if the circle is in an organization already
    (it is taken out first, so no school loses a class without its own audit record)."""
    if circle.org_id is not None:
        raise OrgError(_l("This circle already belongs to an organization. Take it out of that one first."))
    circle.org, circle.org_id = org, org.id
    db.session.flush()
    # the circle keeps its own settings but those the school locks (they are not the class's to choose)
    apply_class_defaults(circle, org, only=defaults_of(org).locked)
    record_event(AuditAction.circle_moved_to_org, actor, target=circle, circle_id=circle.id, org_id=org.id,
                 details={"org": org.name})


def take_circle_out(circle: Circle, actor: User) -> Organization:
    """Take a circle out of its organization; its admins no longer see or oversee it, and its members
    and work stay as they are. Returns the organization it left. The caller checked
    `circle.can_take_out_of_org(actor)`. Raises OrgError if the circle is in no organization."""
    org = circle.org
    if org is None:
        raise OrgError(_l("This circle belongs to no organization."))
    circle.org, circle.org_id = None, None
    db.session.flush()
    record_event(AuditAction.circle_removed_from_org, actor, target=circle, circle_id=circle.id, org_id=org.id,
                 details={"org": org.name})
    return org
