"""How the circles' audit events read on the log (lms/audit/registry.py): memberships, roles, owners,
and the circles themselves (their current names, finding them by name, their organization)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.audit.models import AuditAction
from lms.audit.registry import describe_details, register_circles
from lms.circles.forms import ROLE_LABELS
from lms.circles.models import Circle, MembershipStatus
from lms.extensions import db

STATUS_LABELS = {
    MembershipStatus.active: _l("Active"),
    MembershipStatus.pending: _l("Waiting for approval"),
    MembershipStatus.rejected: _l("Request declined"),
    MembershipStatus.left: _l("Left"),
    MembershipStatus.removed: _l("Removed"),
}

#: How someone came in (`via` of a membership change).
VIA_LABELS = {
    "readmitted": _l("Readmitted by the staff"), "roster": _l("Roster import"), "invite": _l("Invite link"),
    "course_code": _l("Course code"), "code": _l("Join code"), "open": _l("Open join"),
    "request": _l("Request approved"), "added": _l("Added by the staff"), "owner": _l("Created the circle"),
}


def circle_names(ids: set[int]) -> dict[int, str]:
    """The current name of each circle, in one query."""
    return dict(db.session.execute(db.select(Circle.id, Circle.name).where(Circle.id.in_(ids))).all())


def circles_matching(like: str):
    """The ids of the circles whose name matches the (lower-case, escaped) LIKE pattern."""
    return db.select(Circle.id).where(db.func.lower(Circle.name).like(like, escape="\\"))


def circle_org(circle_id: int) -> int | None:
    """The organization the circle belongs to at this moment."""
    circle = db.session.get(Circle, circle_id)  # usually already in the session: no query
    return circle.org_id if circle is not None else None


def register(app: Flask) -> None:
    """Tell the audit log of `app` how the circles' events read (called when the blueprint is registered)."""
    describe_details(
        app,
        labels={"role": _l("Role"), "via": _l("How"), "previous_owner_ids": _l("Previous owner"),
                "previous_owners": _l("Previous owner"), "display_name": _l("Name in the circle"),
                "real_name": _l("Real name"), "student_no": _l("Student number"),
                "status_before": _l("Membership before"), "status": _l("Membership before"),
                "muted_until": _l("Muted until"), "mute_reason": _l("Reason"), "reason": _l("Reason")},
        words={"role": ROLE_LABELS, "status_before": STATUS_LABELS, "status": STATUS_LABELS, "via": VIA_LABELS},
        blanks={"status_before": _l("not a member")},
        changes=[((AuditAction.member_role_changed, AuditAction.owner_changed), ROLE_LABELS),
                 ((AuditAction.member_removed, AuditAction.member_readmitted), STATUS_LABELS)],
    )
    register_circles(app, names=circle_names, matching=circles_matching, org_of=circle_org)
