"""Every state change of roster sync: plan a OneRoster set against an organization (the preview), apply
it in the request's one transaction, and keep the record. Operations flush; the request commits."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _

from lms.accounts.models import User
from lms.accounts.operations import AccountError, clean_name
from lms.circles import operations as circle_ops
from lms.circles.forms import ROLE_LABELS
from lms.circles.models import Circle, CircleKind, JoinPolicy, Membership, Role
from lms.core.inputs import normalize_number
from lms.core.types import utcnow
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import Organization, OrgMembership, OrgRole
from lms.roster_sync.models import RosterImport, RosterImportState, RosterLink, RosterLinkKind
from lms.roster_sync.oneroster import Problem, Record, RosterFileError, RosterSet

#: enrollments.csv role → the circle's role (administrators and proctors help, as assistants do)
ROLE_MAP = {"student": Role.student, "teacher": Role.teacher, "aide": Role.assistant,
            "proctor": Role.assistant, "administrator": Role.assistant}
#: at most this many change lines are kept with an import's record (the counts are always whole)
MAX_LINES = 5000
#: scripts written without spaces between family and given name (Chinese, Japanese, Korean)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f·・]+")
#: an account made by an import has no password until its owner sets one (reset, or school sign-in)
UNUSABLE_PASSWORD = "!roster"


def real_name(given: str, family: str) -> str:
    """A person's real name from OneRoster's givenName and familyName: family name first without a space
    when both are written in CJK (王 + 小明 → 王小明), else "given family"."""
    given, family = " ".join(given.split()), " ".join(family.split())
    if given and family and _CJK.fullmatch(given) and _CJK.fullmatch(family):
        return family + given
    return " ".join(part for part in (given, family) if part)


@dataclass
class Line:
    """One line of the preview and the report: where in the zip, what, and what happens to it."""
    file: str
    line: int | None
    kind: str  #: class | account | membership
    action: str  #: create | update | link | add | change | readmit | remove | skip
    text: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "kind": self.kind, "action": self.action, "text": self.text}


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
    new_users: list[Record] = field(default_factory=list)
    matched: list[tuple[User, Record]] = field(default_factory=list)  #: found by email, to be linked
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
                "accounts_created": len(self.new_users), "accounts_linked": len(self.matched),
                "memberships_added": len(self.adds),
                "memberships_changed": len(self.changes), "memberships_linked": len(self.links),
                "memberships_removed": len(self.removes), "skipped": self.skipped, "unchanged": self.unchanged}

    @property
    def has_changes(self) -> bool:
        return any(v for k, v in self.counts.items() if k not in ("skipped", "unchanged")) or bool(self.org_links)

    def line(self, file, line, kind, action, text) -> None:
        self.lines.append(Line(file, line, kind, action, text))
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
        if record.deleted:
            plan.line("classes.csv", record.line, "class", "skip",
                      _("%(name)s is marked to be deleted: the circle is left as it is (archive it by hand).",
                        name=label))
            continue
        circle = plan.circles.get(record.sourced_id)
        if circle is None:
            plan.new_classes.append(record)
            plan.line("classes.csv", record.line, "class", "create", _("New circle: %(name)s", name=label))
        elif circle.name != title:
            plan.renamed.append((circle, record))
            plan.line("classes.csv", record.line, "class", "update",
                      _("Renamed: %(old)s → %(new)s", old=circle.name, new=title))
        else:
            plan.unchanged += 1


def _plan_users(org, roster, links, plan: Plan) -> None:
    ids = {link.local_id for link in links[RosterLinkKind.user].values()}
    accounts = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(ids)))} if ids else {}
    linked_to: dict[int, str] = {}
    for sid, link in links[RosterLinkKind.user].items():
        if link.local_id in accounts:
            plan.users[sid] = accounts[link.local_id]
            linked_to[link.local_id] = sid
    records = [r for r in roster.of("users.csv").values() if not r.deleted]
    emails = {r["email"].lower() for r in records if r.sourced_id not in plan.users and r["email"]}
    by_email = {u.email: u for u in db.session.scalars(db.select(User).where(User.email.in_(emails)))} if emails else {}
    seen_email: dict[str, int] = {}
    for record in roster.of("users.csv").values():
        name = real_name(record["givenName"], record["familyName"])
        if record.deleted:
            plan.line("users.csv", record.line, "account", "skip",
                      _("%(name)s is marked to be deleted: the account stays (accounts are never deleted).", name=name))
            continue
        email = record["email"].lower()
        if email:
            if email in seen_email:
                plan.problems.append(Problem("users.csv", record.line, "email",
                                             _("%(email)s is also on line %(line)d.", email=email,
                                               line=seen_email[email])))
                continue
            seen_email[email] = record.line
        if record.sourced_id in plan.users:
            plan.unchanged += 1
            continue
        user = by_email.get(email) if email else None
        if user is not None:
            if user.id in linked_to:
                plan.problems.append(Problem("users.csv", record.line, "email", _(
                    "The account %(email)s is already linked to the user %(other)s of this organization.",
                    email=email, other=linked_to[user.id])))
                continue
            linked_to[user.id] = record.sourced_id
            plan.users[record.sourced_id] = user
            plan.matched.append((user, record))
            plan.line("users.csv", record.line, "account", "link",
                      _("%(name)s: linked to the existing account %(email)s", name=name, email=email))
        elif record["enabledUser"] == "false":
            plan.line("users.csv", record.line, "account", "skip",
                      _("%(name)s is disabled in the school's system (enabledUser false): no account is made, and "
                        "their enrollments are skipped.", name=name))
        elif not email:
            plan.line("users.csv", record.line, "account", "skip",
                      _("%(name)s has no email and no linked account: no account is made, and their "
                        "enrollments are skipped. Add an email in the school's system, or link them by hand.",
                        name=name))
        else:
            plan.new_users.append(record)
            plan.line("users.csv", record.line, "account", "create",
                      _("New account: %(name)s (%(email)s)", name=name, email=email))


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
            plan.line("enrollments.csv", record.line, "membership", "skip",
                      _("%(name)s in %(circle)s: the role %(role)s is not one Circles knows; skipped.",
                        name=who, circle=class_label(csid), role=record["role"]))
            continue
        if user is None and usid not in new_users:
            plan.line("enrollments.csv", record.line, "membership", "skip",
                      _("%(name)s in %(circle)s: skipped, as they have no account.", name=who, circle=class_label(csid)))
            continue
        if csid not in plan.circles and csid not in new_classes:
            plan.line("enrollments.csv", record.line, "membership", "skip",
                      _("%(name)s in %(circle)s: skipped, as the class is not imported.", name=who,
                        circle=class_label(csid)))
            continue
        if (csid, usid) in pairs:
            plan.line("enrollments.csv", record.line, "membership", "skip",
                      _("%(name)s is enrolled in %(circle)s on line %(line)d already; this line is skipped.",
                        name=who, circle=class_label(csid), line=pairs[(csid, usid)]))
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
                what = [text for cond, text in (
                    (new_role, _("role %(role)s", role=str(ROLE_LABELS[new_role]) if new_role else "")),
                    (new_real, _("real name %(name)s", name=new_real or "")),
                    (new_number, _("student number %(number)s", number=new_number or ""))) if cond]
                plan.line("enrollments.csv", record.line, "membership", "change",
                          _("%(name)s in %(circle)s: %(changes)s", name=who, circle=circle.name,
                            changes=", ".join(what)))
            elif (enrollment_links.get(record.sourced_id) is None
                  or enrollment_links[record.sourced_id].local_id != membership.id):
                plan.links.append((membership, record))
                plan.line("enrollments.csv", record.line, "membership", "link",
                          _("%(name)s in %(circle)s: already a member; linked.", name=who, circle=circle.name))
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
        if membership is not None and membership.is_barred:
            text = _("%(name)s in %(circle)s: readmitted (was removed) as %(role)s.", name=who,
                     circle=class_label(csid), role=str(ROLE_LABELS[role]))
            action = "readmit"
        else:
            text = _("%(name)s in %(circle)s: added as %(role)s.", name=who, circle=class_label(csid), role=str(ROLE_LABELS[role]))
            action = "add"
        plan.line("enrollments.csv", record.line, "membership", action, text)
    for csid in new_classes - set(owners):
        plan.line("classes.csv", classes_file[csid].line, "class", "create",
                  _("%(name)s has no teacher in the file: you will own it.", name=class_label(csid)))
    if roster.mode("enrollments.csv") == "bulk":
        for sid, link in enrollment_links.items():
            if sid not in present:
                _plan_removal(plan, link, by_id, sid, None, None, None, actor)


def _plan_removal(plan: Plan, link: RosterLink | None, by_id: dict[int, Membership], sid: str, line: int | None,
                  who: str | None, circle_name: str | None, actor: User) -> None:
    """A dropped enrollment: its member (if still active) is removed, never deleted."""
    membership = by_id.get(link.local_id) if link is not None else None
    if membership is None or not membership.is_active:
        if line is not None:
            plan.unchanged += 1
        return
    who = who or membership.display_name
    circle_name = circle_name or membership.circle.name
    if membership.role == Role.owner or membership.user_id == actor.id:
        plan.line("enrollments.csv", line, "membership", "skip",
                  _("%(name)s in %(circle)s: dropped from the class, but the owner (or you) is not removed.",
                    name=who, circle=circle_name))
        return
    plan.removes.append((membership, sid))
    plan.line("enrollments.csv", line, "membership", "remove",
              _("%(name)s in %(circle)s: dropped from the class; removed.", name=who, circle=circle_name))


class RosterApplyError(RosterFileError):
    """The import could not be applied; the caller rolls back. `problems` say which line."""


def apply_import(org: Organization, roster: RosterSet, actor: User, record: RosterImport) -> Plan:
    """Apply `roster` to `org` as planned now (plan_import), all of it or nothing, and mark `record` applied
    with the counts and lines. The caller checked `org.can_manage(actor)` and commits; on
    RosterApplyError (a row that cannot be applied: a student number taken, a name that is not single-line
    text) it rolls back."""
    plan = plan_import(org, roster, actor)
    if plan.problems:
        raise RosterApplyError(plan.problems)
    links = _links(org)
    new_links: list[RosterLink] = []

    def link(kind: RosterLinkKind, sid: str, local_id: int) -> None:
        existing = links[kind].get(sid)
        if existing is None:
            # added together at the end: one flush inserts them all, not one per autoflush
            existing = RosterLink(org_id=org.id, kind=kind, sourced_id=sid, local_id=local_id)
            new_links.append(existing)
            links[kind][sid] = existing
        existing.local_id = local_id

    def fail(file: str, line: int | None, column: str | None, message) -> RosterApplyError:
        return RosterApplyError([Problem(file, line, column, str(message))])

    for sid in plan.org_links:
        link(RosterLinkKind.org, sid, org.id)
    users = dict(plan.users)
    for row in plan.new_users:
        name = real_name(row["givenName"], row["familyName"]) or row["username"] or row["email"].split("@")[0]
        try:
            name = clean_name(name)
        except AccountError as error:
            raise fail("users.csv", row.line, "givenName", error) from None
        user = User(email=row["email"].lower(), name=name, password_hash=f"{UNUSABLE_PASSWORD}:{secrets.token_hex(8)}")
        db.session.add(user)
        users[row.sourced_id] = user
    db.session.flush()
    for row in plan.new_users:
        link(RosterLinkKind.user, row.sourced_id, users[row.sourced_id].id)
    for user, row in plan.matched:
        link(RosterLinkKind.user, row.sourced_id, user.id)
    circles = dict(plan.circles)
    owners = {add.class_sid: add for add in plan.adds if add.is_owner}
    for row in plan.new_classes:
        owner_add = owners.get(row.sourced_id)
        owner = users[owner_add.user_sid] if owner_add else actor
        try:
            circle = circle_ops.create_circle(owner, row["title"], kind=CircleKind.teaching,
                                              join_policy=JoinPolicy.invite, org=org)
        except circle_ops.CircleError as error:
            raise fail("classes.csv", row.line, "title", error) from None
        circles[row.sourced_id] = circle
        link(RosterLinkKind.klass, row.sourced_id, circle.id)
    for circle, row in plan.renamed:
        try:
            circle_ops.update_circle(circle, name=row["title"], description=circle.description, kind=circle.kind,
                                     join_policy=circle.join_policy, require_real_name=circle.require_real_name,
                                     require_student_no=circle.require_student_no)
        except circle_ops.CircleError as error:
            raise fail("classes.csv", row.line, "title", error) from None
    org_roles: dict[int, tuple[User, OrgRole]] = {}
    for add in plan.adds:
        circle, user = circles[add.class_sid], users[add.user_sid]
        try:
            if add.is_owner:
                membership = circle.membership_of(user)
                if add.real_name:
                    circle_ops.update_identity(membership, display_name=membership.display_name,
                                               real_name=add.real_name, actor=actor)
            else:
                membership = circle_ops.add_member(circle, user, add.role, via="roster", real_name=add.real_name,
                                                   student_no=add.number, actor=actor, readmit=True)
        except circle_ops.CircleError as error:
            raise fail("enrollments.csv", add.record.line, None, _("%(name)s: %(problem)s", name=user.name,
                                                                   problem=error)) from None
        link(RosterLinkKind.enrollment, add.record.sourced_id, membership.id)
        wanted = OrgRole.student if add.role == Role.student else OrgRole.teacher
        if org_roles.get(user.id, (None, None))[1] != OrgRole.teacher:
            org_roles[user.id] = (user, wanted)
    for membership, row, role, real, number in plan.changes:
        try:
            if role is not None:
                circle_ops.change_role(membership, role, actor)
            if real or number:
                circle_ops.update_identity(membership, display_name=membership.display_name,
                                           real_name=real or circle_ops.KEEP, student_no=number or circle_ops.KEEP,
                                           actor=actor)
        except circle_ops.CircleError as error:
            raise fail("enrollments.csv", row.line, None, _("%(name)s: %(problem)s", name=membership.display_name,
                                                            problem=error)) from None
        link(RosterLinkKind.enrollment, row.sourced_id, membership.id)
    for membership, row in plan.links:
        link(RosterLinkKind.enrollment, row.sourced_id, membership.id)
    for membership, _sid in plan.removes:
        try:
            circle_ops.remove_member(membership, actor)
        except circle_ops.CircleError as error:
            raise fail("enrollments.csv", None, None, _("%(name)s: %(problem)s", name=membership.display_name,
                                                        problem=error)) from None
    have_role = set(db.session.scalars(db.select(OrgMembership.user_id).where(
        OrgMembership.org_id == org.id, OrgMembership.user_id.in_(list(org_roles))))) if org_roles else set()
    for user, role in org_roles.values():
        if user.id not in have_role:
            org_ops.add_org_member(org, user, role, actor)
    db.session.add_all(new_links)
    record.state = RosterImportState.applied
    record.applied_at = utcnow()
    record.counts = plan.counts
    record.lines = [line.as_dict() for line in plan.lines[:MAX_LINES]]
    db.session.flush()
    return plan


def record_preview(org: Organization, actor: User, *, file_name: str, file_key: str, file_bytes: int,
                   plan: Plan) -> RosterImport:
    """Keep a checked upload and what its preview counted, waiting to be applied (or left)."""
    modes = {plan.roster.mode(f) for f in ("classes.csv", "users.csv", "enrollments.csv")} - {"absent"}
    record = RosterImport(org_id=org.id, actor_id=actor.id, file_name=(file_name or "roster.zip")[:255],
                          file_key=file_key, file_bytes=file_bytes,
                          mode=modes.pop() if len(modes) == 1 else "mixed", state=RosterImportState.previewed,
                          counts=plan.counts, lines=[line.as_dict() for line in plan.lines[:MAX_LINES]])
    db.session.add(record)
    db.session.flush()
    return record
