"""How an audit event's details read on the log page: a translated label for every key, a translated
word for every coded value, names instead of database ids, a release's grades as one line per student.
The record itself and the CSV keep the raw values."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.audit.models import AuditEvent
from lms.audit.registry import vocabulary
from lms.core.i18n import format_names, moment_in_zone

#: The labels of the keys every kind of event may hold; each domain adds its own (lms/audit/registry.py).
BASE_LABELS = {"change": _l("Change")}

#: A moment as `record_event` stores a datetime (str() or ISO 8601, always with its UTC offset).
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


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
    lookups = vocabulary().names
    users = {i for i in users if isinstance(i, int)}
    assignments = {i for i in assignments if isinstance(i, int)}
    criteria = {int(k) for k in criteria if str(k).isdigit()}
    if users and "users" in lookups:
        names.users = lookups["users"](users)
    if assignments and "assignments" in lookups:
        names.assignments = lookups["assignments"](assignments)
    if criteria and "criteria" in lookups:
        names.criteria = {str(i): t for i, t in lookups["criteria"](criteria).items()}
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
        return moment_in_zone(datetime.fromisoformat(value), "medium")
    if isinstance(value, dict):
        return format_names([_("%(label)s: %(value)s", label=k, value=_show(v)) for k, v in value.items()])
    if isinstance(value, list):
        return format_names([_show(v) for v in value])
    return str(value)


def _calendar_day(value: str) -> str:
    """A day stored as ISO 8601 ("2026-12-20") in the reader's language (20 Dec 2026, 2026年12月20日); a day
    has no time zone. Anything else as stored."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return format_date(day, "medium")


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
    return _("%(label)s: %(value)s", label=name, value=score)


class _Presenter:
    """The lines of one event, reading its values by what the action means."""

    def __init__(self, action: str, names: Names):
        self.action, self.names = action, names
        self.vocabulary = vocabulary()

    def value(self, key: str, value) -> str | list[str]:
        v = self.vocabulary
        if key in v.words:
            if key in v.blanks and value in (None, ""):
                return str(v.blanks[key])
            return "–" if value is None else _word(v.words[key], value)
        if key in ("from", "to", "change") and self.action in v.changes:
            return "–" if value is None else _word(v.changes[self.action], value)
        if key in v.dates and isinstance(value, str):
            return _calendar_day(value)
        if key == "student_id":
            return self.names.users.get(value) or _deleted(_("Student"), value)
        if key == "assignment_id":
            return self.names.assignments.get(value) or _deleted(_("Assignment"), value)
        if key == "previous_owner_ids":
            return format_names([self.names.users.get(i) or _deleted(_("User"), i) for i in value or []]) or "–"
        if key == "grades":
            return [_grade_line(g, self.names) for g in value or [] if isinstance(g, dict)]
        if key == "criterion_scores" and isinstance(value, dict):
            return format_names([_("%(label)s: %(value)s", label=self.names.criteria.get(str(k), k), value=_show(v))
                                 for k, v in value.items()]) or "–"
        if key == "penalty_percent" and isinstance(value, (int, float)):
            return f"{_number(value)} %"
        return _show(value)

    def lines(self, details: dict) -> list[tuple[str, str | list[str]]]:
        # keys starting with "_" are kept for the code that reads the record back (a merge's undo data),
        # not for people: the page leaves them out; the record and the CSV keep them
        details = {k: v for k, v in (details or {}).items() if not str(k).startswith("_")}
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
                label = _label("excused") if self.action in ("grade_excused", "grade_unexcused") \
                    else _label("change")
                lines.append((label, f"{self.value('change', old)} → {self.value('change', new)}"))
        if "from" in details:  # a state left behind, with nothing it became (a removal's status before)
            details["status"] = details.pop("from")
        for key, value in details.items():
            if isinstance(value, dict) and set(value) == {"from", "to"}:  # one field's change
                lines.append((_label(key), f"{self.value(key, value['from'])} → {self.value(key, value['to'])}"))
            elif key == "status":
                lines.append((_label(key), "–" if value is None else self.value(key, value)))
            elif key == "previous_owners":
                lines.append((_label(key), ", ".join(str(v) for v in value or []) or "–"))
            else:
                lines.append((_label(key), self.value(key, value)))
        return lines


def _label(key: str) -> str:
    return str(vocabulary().labels.get(key) or BASE_LABELS.get(key) or key)


def _word(words: dict, value) -> str:
    """The registered word for a coded value, else the value as stored (a name since retired)."""
    try:
        return str(words.get(value, value))
    except TypeError:  # an unhashable value (a list) has no word
        return str(value)


def detail_lines(details: dict, action: str = "", names: Names | None = None) -> list[tuple[str, str | list[str]]]:
    """An event's details as (label, text) lines, `text` a list of lines for a list of grades: a from/to
    pair becomes "old → new", per field when both sides are records (only the fields that changed), and
    so does a field whose value is a {"from", "to"} pair. Coded values read as words, ids as names
    (frozen in the details, else from `names`)."""
    return _Presenter(action, names or Names()).lines(details)
