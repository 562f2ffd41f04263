"""How an audit event's details read on the log page: a translated label for every key, a translated
word for every coded value, names instead of database ids, a release's grades as one line per student.
The record itself and the CSV keep the raw values."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import format_decimal, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.circles.forms import ROLE_LABELS
from lms.circles.models import MembershipStatus, Role
from lms.core.i18n import local_datetime
from lms.extensions import db
from lms.grading.exports.options import BLANK_LABELS, FORMAT_LABELS, MATCH_LABELS, SCALE_LABELS
from lms.grading.models import Criterion
from lms.homework.models import Assignment
from lms.orgs.forms import ORG_ROLE_LABELS
from lms.orgs.models import OrgRole

#: Names shown for the keys operations put in `details`.
DETAIL_LABELS = {
    "role": _l("Role"), "org": _l("Organization"), "score": _l("Score"), "penalty_percent": _l("Late penalty %"),
    "excused": _l("Excused"), "criterion_scores": _l("Rubric scores"), "released": _l("Released"),
    "count": _l("Students"), "via": _l("How"), "feedback_changed": _l("Feedback changed"),
    "new_account": _l("New account"), "assignment_id": _l("Assignment"), "assignment": _l("Assignment"),
    "student_id": _l("Student"), "student": _l("Student"),
    "previous_owner_ids": _l("Previous owner"), "previous_owners": _l("Previous owner"), "grades": _l("Grades"),
    "change": _l("Change"), "display_name": _l("Name in the circle"), "real_name": _l("Real name"),
    "student_no": _l("Student number"), "due_at": _l("Due"), "closes_at": _l("Closes"), "reason": _l("Reason"),
    "format": _l("Format"), "blanks": _l("Blank grades"), "match": _l("Matched by"), "scale": _l("Scale"),
    "released_only": _l("Released grades only"), "students": _l("Students"), "assignments": _l("Assignments"),
    "with_canvas_export": _l("With Canvas's export"), "status_before": _l("Membership before"),
    "status": _l("Membership before"),
}

STATUS_LABELS = {
    MembershipStatus.active: _l("Active"),
    MembershipStatus.pending: _l("Waiting for approval"),
    MembershipStatus.rejected: _l("Request declined"),
    MembershipStatus.left: _l("Left"),
    MembershipStatus.removed: _l("Removed"),
}

#: How someone came in (`via` of a membership change) or how a grade was set (`via` of a grade change).
VIA_LABELS = {
    "readmitted": _l("Readmitted by the staff"), "roster": _l("Roster import"), "invite": _l("Invite link"),
    "course_code": _l("Course code"), "code": _l("Join code"), "open": _l("Open join"),
    "request": _l("Request approved"), "added": _l("Added by the staff"), "owner": _l("Created the circle"),
    "org_assignment": _l("Assigned by the organization"), "graded": _l("Graded"),
    "regrade_resolved": _l("Regrade request answered"),
}

_ORG_ACTIONS = {"org_admin_granted", "org_admin_revoked", "org_teacher_granted", "org_teacher_revoked"}
_ROLE_ACTIONS = {"member_role_changed", "owner_changed"}
_STATUS_ACTIONS = {"member_removed", "member_readmitted"}

_ENUMS = {
    "role": lambda v: _from_enum(Role, ROLE_LABELS, v),
    "status_before": lambda v: _from_enum(MembershipStatus, STATUS_LABELS, v) if v else _("not a member"),
    "via": lambda v: str(VIA_LABELS.get(v, v)),
    "format": lambda v: str(FORMAT_LABELS.get(v, v)),
    "blanks": lambda v: str(BLANK_LABELS.get(v, v)),
    "match": lambda v: str(MATCH_LABELS.get(v, v)),
    "scale": lambda v: str(SCALE_LABELS.get(v, v)),
}

#: A moment as `record_event` stores a datetime (str() or ISO 8601, always with its UTC offset).
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def _from_enum(enum_type, labels: dict, value) -> str:
    if value is None:
        return "–"
    try:
        return str(labels[enum_type(value)])
    except (ValueError, KeyError):
        return str(value)


@dataclass
class Names:
    """Current names for the ids that events recorded before names were frozen into their details."""

    users: dict[int, str] = field(default_factory=dict)
    assignments: dict[int, str] = field(default_factory=dict)
    criteria: dict[str, str] = field(default_factory=dict)


def names_for(events: list[AuditEvent]) -> Names:
    """The names of every user, assignment and rubric criterion the events' details mention by id only,
    in at most three queries whatever the number of events."""
    users, assignments, criteria = set(), set(), set()
    for event in events:
        d = event.details or {}
        if "student_id" in d and "student" not in d:
            users.add(d["student_id"])
        if "assignment_id" in d and "assignment" not in d:
            assignments.add(d["assignment_id"])
        if "previous_owners" not in d:
            users.update(d.get("previous_owner_ids") or [])
        for grade in d.get("grades") or []:
            if isinstance(grade, dict) and "name" not in grade:
                users.add(grade.get("student_id"))
        for side in (d.get("from"), d.get("to")):
            if isinstance(side, dict):
                criteria.update((side.get("criterion_scores") or {}).keys())
    names = Names()
    users = {i for i in users if isinstance(i, int)}
    assignments = {i for i in assignments if isinstance(i, int)}
    criteria = {int(k) for k in criteria if str(k).isdigit()}
    if users:
        names.users = dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(users))).all())
    if assignments:
        names.assignments = dict(db.session.execute(
            sa.select(Assignment.id, Assignment.title).where(Assignment.id.in_(assignments))).all())
    if criteria:
        names.criteria = {str(i): t for i, t in db.session.execute(
            sa.select(Criterion.id, Criterion.title).where(Criterion.id.in_(criteria))).all()}
    return names


def _number(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_decimal(value, format="#,##0.##")
    return str(value)


def _show(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, str) and _MOMENT.fullmatch(value):
        # stored in UTC; read in the viewer's zone, named, as every time on the page is
        return f"{local_datetime(datetime.fromisoformat(value), 'medium')} ({get_timezone()})"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    return str(value)


def _deleted(kind: str, ident) -> str:
    return _("%(kind)s #%(id)s (deleted)", kind=kind, id=ident)


def _grade_line(grade: dict, names: Names) -> str:
    name = grade.get("name") or names.users.get(grade.get("student_id")) or _deleted(_("Student"), grade.get("student_id"))
    if grade.get("excused"):
        return _("%(name)s: excused", name=name)
    score = _show(grade.get("score"))
    if grade.get("penalty_percent"):
        return _("%(name)s: %(score)s (late %(percent)s %%)", name=name, score=score,
                 percent=_number(grade["penalty_percent"]))
    return f"{name}: {score}"


class _Presenter:
    """The lines of one event, reading its values by what the action means."""

    def __init__(self, action: str, names: Names):
        self.action, self.names = action, names

    def value(self, key: str, value) -> str | list[str]:
        if key in _ENUMS:
            return _ENUMS[key](value) if value is not None or key == "status_before" else "–"
        if key in ("from", "to", "change"):
            if self.action in _ORG_ACTIONS:
                return _from_enum(OrgRole, ORG_ROLE_LABELS, value)
            if self.action in _ROLE_ACTIONS:
                return _from_enum(Role, ROLE_LABELS, value)
            if self.action in _STATUS_ACTIONS:
                return _from_enum(MembershipStatus, STATUS_LABELS, value)
        if key == "student_id":
            return self.names.users.get(value) or _deleted(_("Student"), value)
        if key == "assignment_id":
            return self.names.assignments.get(value) or _deleted(_("Assignment"), value)
        if key == "previous_owner_ids":
            return ", ".join(self.names.users.get(i) or _deleted(_("User"), i) for i in value or []) or "–"
        if key == "grades":
            return [_grade_line(g, self.names) for g in value or [] if isinstance(g, dict)]
        if key == "criterion_scores" and isinstance(value, dict):
            return ", ".join(f"{self.names.criteria.get(str(k), k)}: {_show(v)}" for k, v in value.items()) or "–"
        if key == "penalty_percent" and isinstance(value, (int, float)):
            return f"{_number(value)} %"
        return _show(value)

    def lines(self, details: dict) -> list[tuple[str, str | list[str]]]:
        details = dict(details or {})
        for frozen, raw in (("student", "student_id"), ("assignment", "assignment_id"),
                            ("previous_owners", "previous_owner_ids")):
            if frozen in details:
                details.pop(raw, None)
        lines: list[tuple[str, str | list[str]]] = []
        if "from" in details and "to" in details:
            old, new = details.pop("from"), details.pop("to")
            if isinstance(old, dict) and isinstance(new, dict):
                for key in [*old, *(k for k in new if k not in old)]:
                    if old.get(key) != new.get(key):
                        lines.append((_label(key), f"{self.value(key, old.get(key))} → {self.value(key, new.get(key))}"))
            else:
                label = DETAIL_LABELS["excused"] if self.action in ("grade_excused", "grade_unexcused") \
                    else DETAIL_LABELS["change"]
                lines.append((str(label), f"{self.value('change', old)} → {self.value('change', new)}"))
        if "from" in details:  # a state left behind, with nothing it became (a removal's status before)
            details["status"] = details.pop("from")
        for key, value in details.items():
            if isinstance(value, dict) and set(value) == {"from", "to"}:  # one field's change
                lines.append((_label(key), f"{self.value(key, value['from'])} → {self.value(key, value['to'])}"))
            elif key == "status":
                lines.append((_label(key), _from_enum(MembershipStatus, STATUS_LABELS, value)))
            elif key == "previous_owners":
                lines.append((_label(key), ", ".join(str(v) for v in value or []) or "–"))
            else:
                lines.append((_label(key), self.value(key, value)))
        return lines


def _label(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key))


def detail_lines(details: dict, action: str = "", names: Names | None = None) -> list[tuple[str, str | list[str]]]:
    """An event's details as (label, text) lines, `text` a list of lines for a list of grades: a from/to
    pair becomes "old → new", per field when both sides are records (only the fields that changed), and
    so does a field whose value is a {"from", "to"} pair. Coded values read as words, ids as names
    (frozen in the details, else from `names`)."""
    return _Presenter(action, names or Names()).lines(details)
