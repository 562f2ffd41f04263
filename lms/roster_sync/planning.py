"""Planning a OneRoster set against an organization: what applying it would change (the preview), line by
line, without writing anything. lms/roster_sync/operations.py applies the plan."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.accounts.operations import AccountError, clean_name
from lms.circles.models import Circle, Membership, Role
from lms.core.inputs import normalize_number
from lms.extensions import db
from lms.orgs.models import Organization
from lms.roster_sync.models import RosterLink, RosterLinkKind
from lms.roster_sync.oneroster import Problem, Record, RosterSet

#: enrollments.csv role → the circle's role (administrators and proctors help, as assistants do)
ROLE_MAP = {"student": Role.student, "teacher": Role.teacher, "aide": Role.assistant,
            "proctor": Role.assistant, "administrator": Role.assistant}
#: at most this many change lines are kept with an import's record (the counts are always whole)
MAX_LINES = 5000
#: scripts written without spaces between family and given name (Chinese, Japanese, Korean)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f·・]+")


def real_name(given: str, family: str) -> str:
    """A person's real name from OneRoster's givenName and familyName: family name first without a space
    when both are written in CJK (王 + 小明 → 王小明), else "given family"."""
    given, family = " ".join(given.split()), " ".join(family.split())
    if given and family and _CJK.fullmatch(given) and _CJK.fullmatch(family):
        return family + given
    return " ".join(part for part in (given, family) if part)


@dataclass
class Line:
    """One line of the preview and the report: where in the zip, what, and what happens to it; its words
    are a message id of lms/roster_sync/messages.py and the parameters, rendered in the reader's language."""
    file: str
    line: int | None
    kind: str  #: class | account | membership
    action: str  #: create | update | archive | link | add | change | readmit | remove | skip
    msg: str
    params: dict[str, Any]

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "kind": self.kind, "action": self.action, "msg": self.msg,
                "params": self.params}


@dataclass
class _Add:
    record: Record
    class_sid: str
    user_sid: str
    role: Role
    real_name: str | None
    number: str | None
    is_owner: bool = False  #: the first teacher of a new class owns it


@dataclass
class Plan:
    """What applying a roster set would change (nothing is written while planning)."""
    roster: RosterSet
    circles: dict[str, Circle] = field(default_factory=dict)  #: class sourcedId → linked circle
    users: dict[str, User] = field(default_factory=dict)  #: user sourcedId → linked or matched account
    new_classes: list[Record] = field(default_factory=list)
    renamed: list[tuple[Circle, Record]] = field(default_factory=list)
    archived: list[Circle] = field(default_factory=list)  #: linked classes deleted or dropped from the file
    new_users: list[Record] = field(default_factory=list)
    matched: list[tuple[User, Record]] = field(default_factory=list)  #: found by email, to be linked
    #: linked accounts whose name or email the file changes: (account, row, new name or None, new email or None)
    account_changes: list[tuple[User, Record, str | None, str | None]] = field(default_factory=list)
    adds: list[_Add] = field(default_factory=list)
    changes: list[tuple[Membership, Record, Role | None, str | None, str | None]] = field(default_factory=list)
    links: list[tuple[Membership, Record]] = field(default_factory=list)
    removes: list[tuple[Membership, str]] = field(default_factory=list)
    org_links: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {"classes_created": len(self.new_classes), "classes_updated": len(self.renamed),
                "classes_archived": len(self.archived),
                "accounts_created": len(self.new_users), "accounts_linked": len(self.matched),
                "accounts_updated": len(self.account_changes),
                "memberships_added": len(self.adds),
                "memberships_changed": len(self.changes), "memberships_linked": len(self.links),
                "memberships_removed": len(self.removes), "skipped": self.skipped, "unchanged": self.unchanged}

    @property
    def has_changes(self) -> bool:
        return any(v for k, v in self.counts.items() if k not in ("skipped", "unchanged")) or bool(self.org_links)

    def line(self, file: str, line: int | None, kind: str, action: str, msg: str, **params: Any) -> None:
        self.lines.append(Line(file, line, kind, action, msg, params))
        if action == "skip":
            self.skipped += 1


def _links(org: Organization) -> dict[RosterLinkKind, dict[str, RosterLink]]:
    found: dict[RosterLinkKind, dict[str, RosterLink]] = {kind: {} for kind in RosterLinkKind}
    for link in db.session.scalars(db.select(RosterLink).where(RosterLink.org_id == org.id)):
        found[link.kind][link.sourced_id] = link
    return found


def known_sourced_ids(org: Organization) -> dict[str, set[str]]:
    """The sourcedIds earlier imports linked in `org`, by file, for the reader's reference checks."""
    links = _links(org)
    return {"orgs.csv": set(links[RosterLinkKind.org]), "classes.csv": set(links[RosterLinkKind.klass]),
            "users.csv": set(links[RosterLinkKind.user])}


def plan_import(org: Organization, roster: RosterSet, actor: User) -> Plan:
    """What importing `roster` into `org` would do: classes to create or rename, accounts to create or
    link (by sourcedId link first, then by email), memberships to add, change, readmit or remove.
    Reads only. Problems that would stop the import (an email linked to another sourcedId, the same
    email twice) are in `plan.problems`."""
    plan = Plan(roster)
    links = _links(org)
    _plan_classes(org, roster, links, plan)
    _plan_users(org, roster, links, plan)
    _plan_enrollments(org, roster, links, plan, actor)
    for record in roster.of("orgs.csv").values():
        if not record.deleted and record.sourced_id not in links[RosterLinkKind.org]:
            plan.org_links.append(record.sourced_id)
    return plan


def _plan_classes(org, roster, links, plan: Plan) -> None:
    ids = {link.local_id for link in links[RosterLinkKind.klass].values()}
    circles = {c.id: c for c in db.session.scalars(
        db.select(Circle).where(Circle.id.in_(ids), Circle.org_id == org.id))} if ids else {}
    for sid, link in links[RosterLinkKind.klass].items():
        if link.local_id in circles:
            plan.circles[sid] = circles[link.local_id]
    for record in roster.of("classes.csv").values():
        title = " ".join(record["title"].split())[:120]
        code = record["classCode"]
        label = f"{title} ({code})" if code else title
        circle = plan.circles.get(record.sourced_id)
        if record.deleted:
            if circle is not None and not circle.is_archived:
                plan.archived.append(circle)
                plan.line("classes.csv", record.line, "class", "archive", "class_deleted", name=circle.name)
            else:
                plan.unchanged += 1
            continue
        if circle is None:
            plan.new_classes.append(record)
            plan.line("classes.csv", record.line, "class", "create", "class_new", name=label)
        elif circle.name != title:
            plan.renamed.append((circle, record))
            plan.line("classes.csv", record.line, "class", "update", "class_renamed", old=circle.name, new=title)
        else:
            plan.unchanged += 1
    if roster.mode("classes.csv") == "bulk":
        # a bulk file is the whole list: a class linked earlier and missing now has ended
        listed = set(roster.of("classes.csv"))
        for sid, circle in plan.circles.items():
            if sid not in listed and not circle.is_archived:
                plan.archived.append(circle)
                plan.line("classes.csv", None, "class", "archive", "class_dropped", name=circle.name)


def _plan_users(org, roster, links, plan: Plan) -> None:
    ids = {link.local_id for link in links[RosterLinkKind.user].values()}
    accounts = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(ids)))} if ids else {}
    linked_to: dict[int, str] = {}
    managed: set[str] = set()  #: sourcedIds of accounts the roster made (the file keeps their name and email)
    for sid, link in links[RosterLinkKind.user].items():
        if link.local_id in accounts:
            plan.users[sid] = accounts[link.local_id]
            linked_to[link.local_id] = sid
            if link.managed:
                managed.add(sid)
    records = [r for r in roster.of("users.csv").values() if not r.deleted]
    emails = {r["email"].lower() for r in records if r["email"]}
    by_email = {u.email: u for u in db.session.scalars(db.select(User).where(User.email.in_(emails)))} if emails else {}
    taken = {address: user.id for address, user in by_email.items()}  #: emails accounts hold now
    seen_email: dict[str, int] = {}
    for record in roster.of("users.csv").values():
        name = real_name(record["givenName"], record["familyName"])
        if record.deleted:
            plan.line("users.csv", record.line, "account", "skip", "user_deleted", name=name)
            continue
        email = record["email"].lower()
        if email:
            if email in seen_email:
                plan.problems.append(Problem("users.csv", record.line, "email",
                                             str(_l("%(email)s is also on line %(line)d.", email=email,
                                                    line=seen_email[email]))))
                continue
            seen_email[email] = record.line
        if record.sourced_id in plan.users:
            if record.sourced_id in managed:
                _plan_account_change(plan, plan.users[record.sourced_id], record, name, email, taken)
            else:
                # an account of its own, linked by email: it keeps its name and email, as on the first import
                # (the circle's real name still comes from the file, on the membership)
                plan.unchanged += 1
            continue
        user = by_email.get(email) if email else None
        if user is not None:
            if user.id in linked_to:
                plan.problems.append(Problem("users.csv", record.line, "email", str(_l(
                    "The account %(email)s is already linked to the user %(other)s of this organization.",
                    email=email, other=linked_to[user.id]))))
                continue
            linked_to[user.id] = record.sourced_id
            plan.users[record.sourced_id] = user
            plan.matched.append((user, record))
            plan.line("users.csv", record.line, "account", "link", "user_linked", name=name, email=email)
        elif record["enabledUser"] == "false":
            plan.line("users.csv", record.line, "account", "skip", "user_disabled", name=name)
        elif not email:
            plan.line("users.csv", record.line, "account", "skip", "user_no_email", name=name)
        else:
            plan.new_users.append(record)
            plan.line("users.csv", record.line, "account", "create", "user_new", name=name, email=email)


def _plan_account_change(plan: Plan, user: User, record: Record, name: str, email: str,
                         taken: dict[str, int]) -> None:
    """An account the roster made, described again: its name and email follow the school's system (a new
    email another account holds is left out and said so). Accounts linked by email never come here."""
    try:
        cleaned = clean_name(name) if name else None
    except AccountError:
        cleaned = None  # a name that is not single-line text: the account keeps its own
    new_name = cleaned if cleaned and cleaned != user.name else None
    new_email = email if email and email != user.email else None
    if new_email and taken.get(new_email, user.id) != user.id:
        plan.line("users.csv", record.line, "account", "skip", "user_email_taken", name=user.name, email=new_email)
        new_email = None
    if new_name or new_email:
        plan.account_changes.append((user, record, new_name, new_email))
        changes = [[field, value] for field, value in (("name", new_name), ("email", new_email)) if value]
        plan.line("users.csv", record.line, "account", "update", "user_changed", name=user.name, changes=changes)
    else:
        plan.unchanged += 1


def _plan_enrollments(org, roster, links, plan: Plan, actor: User) -> None:
    enrollment_links = links[RosterLinkKind.enrollment]
    circle_ids = {c.id for c in plan.circles.values()}
    memberships = list(db.session.scalars(db.select(Membership).where(Membership.circle_id.in_(circle_ids)))) \
        if circle_ids else []
    by_id = {m.id: m for m in memberships}
    by_pair = {(m.circle_id, m.user_id): m for m in memberships}
    new_classes = {r.sourced_id for r in plan.new_classes}
    new_users = {r.sourced_id: r for r in plan.new_users}
    users_file = roster.of("users.csv")
    classes_file = roster.of("classes.csv")
    delta = roster.mode("enrollments.csv") == "delta"
    present: set[str] = set()
    pairs: dict[tuple[str, str], int] = {}
    owners: dict[str, _Add] = {}

    def class_label(sid: str) -> str:
        circle = plan.circles.get(sid)
        return circle.name if circle is not None else classes_file[sid]["title"] if sid in classes_file else sid

    for record in roster.of("enrollments.csv").values():
        csid, usid = record["classSourcedId"], record["userSourcedId"]
        user_record = users_file.get(usid)
        user = plan.users.get(usid)
        who = (real_name(user_record["givenName"], user_record["familyName"]) if user_record
               else user.name if user else usid)
        if record.deleted:
            if delta:
                _plan_removal(plan, enrollment_links.get(record.sourced_id), by_id, record.sourced_id, record.line,
                              who, class_label(csid), actor)
            continue
        present.add(record.sourced_id)
        role = ROLE_MAP.get(record["role"])
        if role is None:
            plan.line("enrollments.csv", record.line, "membership", "skip", "enrol_unknown_role", name=who,
                      circle=class_label(csid), value=record["role"])
            continue
        if user is None and usid not in new_users:
            plan.line("enrollments.csv", record.line, "membership", "skip", "enrol_no_account", name=who,
                      circle=class_label(csid))
            continue
        if csid not in plan.circles and csid not in new_classes:
            plan.line("enrollments.csv", record.line, "membership", "skip", "enrol_no_class", name=who,
                      circle=class_label(csid))
            continue
        if (csid, usid) in pairs:
            plan.line("enrollments.csv", record.line, "membership", "skip", "enrol_twice", name=who,
                      circle=class_label(csid), line=pairs[(csid, usid)])
            continue
        pairs[(csid, usid)] = record.line
        given = real_name(user_record["givenName"], user_record["familyName"]) if user_record else None
        number = normalize_number(user_record["identifier"]) if user_record and role == Role.student else None
        circle = plan.circles.get(csid)
        membership = by_pair.get((circle.id, user.id)) if circle is not None and user is not None else None
        if membership is not None and membership.is_active:
            new_role = role if membership.role != Role.owner and membership.role != role else None
            new_real = given if given and given != membership.real_name else None
            new_number = number if number and number != membership.student_no else None
            if new_role or new_real or new_number:
                plan.changes.append((membership, record, new_role, new_real, new_number))
                what = [[key, str(value)] for key, value in (
                    ("role", new_role), ("real_name", new_real), ("student_no", new_number)) if value]
                plan.line("enrollments.csv", record.line, "membership", "change", "enrol_changed", name=who,
                          circle=circle.name, changes=what)
            elif (enrollment_links.get(record.sourced_id) is None
                  or enrollment_links[record.sourced_id].local_id != membership.id):
                plan.links.append((membership, record))
                plan.line("enrollments.csv", record.line, "membership", "link", "enrol_linked", name=who,
                          circle=circle.name)
            else:
                plan.unchanged += 1
            continue
        add = _Add(record, csid, usid, role, given, number)
        if circle is None and role == Role.teacher and (csid not in owners or (
                record["primary"] == "true" and owners[csid].record["primary"] != "true")):
            if csid in owners:
                owners[csid].is_owner = False
            owners[csid] = add
            add.is_owner = True
        plan.adds.append(add)
        action, msg = ("readmit", "enrol_readmit") if membership is not None and membership.is_barred \
            else ("add", "enrol_add")
        plan.line("enrollments.csv", record.line, "membership", action, msg, name=who, circle=class_label(csid),
                  role=str(role))
    for csid in new_classes - set(owners):
        plan.line("classes.csv", classes_file[csid].line, "class", "create", "class_no_teacher",
                  name=class_label(csid))
    if roster.mode("enrollments.csv") == "bulk":
        for sid, link in enrollment_links.items():
            if sid not in present:
                _plan_removal(plan, link, by_id, sid, None, None, None, actor)


def _plan_removal(plan: Plan, link: RosterLink | None, by_id: dict[int, Membership], sid: str, line: int | None,
                  who: str | None, circle_name: str | None, actor: User) -> None:
    """A dropped enrollment: its member (if still active) is removed, never deleted."""
    membership = by_id.get(link.local_id) if link is not None else None
    if membership is not None and (membership.circle.is_archived
                                   or any(c.id == membership.circle_id for c in plan.archived)):
        return  # the class itself ended: its circle is archived with its roster as it was
    if membership is None or not membership.is_active:
        if line is not None:
            plan.unchanged += 1
        return
    who = who or membership.display_name
    circle_name = circle_name or membership.circle.name
    if membership.role == Role.owner or membership.user_id == actor.id:
        plan.line("enrollments.csv", line, "membership", "skip", "enrol_keep_owner", name=who, circle=circle_name)
        return
    plan.removes.append((membership, sid))
    plan.line("enrollments.csv", line, "membership", "remove", "enrol_remove", name=who, circle=circle_name)


