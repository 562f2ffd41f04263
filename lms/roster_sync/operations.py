"""Every state change of roster sync: apply a planned OneRoster set in one transaction (lms/roster_sync/planning.py
makes the plan), keep the record, queue the apply job, mail the new accounts how to sign in, and purge the
zips of previews never applied. Operations flush; the request (or the job) commits."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from lms.accounts.models import User
from lms.accounts.operations import AccountError, clean_name, password_reset_token
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles import operations as circle_ops
from lms.circles.models import CircleKind, JoinPolicy, Membership, Role
from lms.core.i18n import recipient_locale
from lms.core.inputs import number_key
from lms.core.mail import send_mail
from lms.core.types import utcnow
from lms.core.urls import external_url
from lms.extensions import db
from lms.identity.queries import sign_in_providers
from lms.jobs import Task, delete_stored_after_commit, enqueue_after_commit
from lms.orgs import operations as org_ops
from lms.orgs.class_defaults import apply_class_defaults
from lms.orgs.models import ClassSetting, Organization, OrgMembership, OrgRole
from lms.roster_sync.models import RosterImport, RosterImportState, RosterLink, RosterLinkKind
from lms.roster_sync.oneroster import Problem, RosterFileError, RosterSet
from lms.roster_sync.planning import (MAX_LINES, ROLE_MAP, Plan, _links, known_sourced_ids, plan_import,
                                      real_name)

__all__ = ["MAX_LINES", "ROLE_MAP", "Plan", "known_sourced_ids", "plan_import", "real_name", "RosterApplyError",
           "apply_import", "record_preview", "start_apply", "fail_apply", "purge_previews", "UNUSABLE_PASSWORD"]

#: an account made by an import has no password until its owner sets one (the mailed link, or school sign-in)
UNUSABLE_PASSWORD = "!roster"
#: a preview's zip is kept this long for its Apply button, then deleted (the record and its lines stay)
PREVIEW_KEPT = timedelta(days=1)
#: (done, total) steps of an apply, for the progress shown while the job runs
Progress = Callable[[int, int], None]


class RosterApplyError(RosterFileError):
    """The import could not be applied; the caller rolls back. `problems` say which line."""


def apply_import(org: Organization, roster: RosterSet, actor: User, record: RosterImport,
                 progress: Progress | None = None) -> Plan:
    """Apply `roster` to `org` as planned now (plan_import), all of it or nothing, and mark `record` applied
    with the counts and lines; classes the file ended are archived, accounts the roster made take the file's
    name and email (an account linked by email keeps its own), new accounts are mailed how to sign in (after
    the commit), and the audit log gets one roster_imported event. `progress(done, total)` is told as the steps go. The caller checked
    `org.can_manage(actor)` and commits; on RosterApplyError (a row that cannot be applied: a student number
    taken, a name that is not single-line text) it rolls back."""
    plan = plan_import(org, roster, actor)
    if plan.problems:
        raise RosterApplyError(plan.problems)
    # the steps are the changes the preview counted (record.changes), so the page says "3 of 9 changes applied"
    total = max(1, sum(v for k, v in plan.counts.items() if k not in ("skipped", "unchanged")))
    every = max(1, total // 100)  # about a hundred reports, however long the file
    done = 0
    if progress is not None:
        progress(0, total)

    def step(count: int = 1) -> None:
        nonlocal done
        done += count
        if progress is not None and (done % every == 0 or done >= total):
            progress(min(done, total), total)
    links = _links(org)
    new_links: list[RosterLink] = []

    def link(kind: RosterLinkKind, sid: str, local_id: int, managed: bool = False) -> None:
        existing = links[kind].get(sid)
        if existing is None:
            # added together at the end: one flush inserts them all, not one per autoflush
            existing = RosterLink(org_id=org.id, kind=kind, sourced_id=sid, local_id=local_id, managed=managed)
            new_links.append(existing)
            links[kind][sid] = existing
        elif existing.local_id != local_id:
            existing.managed = managed
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
        step()
    db.session.flush()
    for user, row, new_name, new_email in plan.account_changes:
        if new_name:
            user.name = new_name
        if new_email:
            user.email = new_email
        step()
    for row in plan.new_users:
        link(RosterLinkKind.user, row.sourced_id, users[row.sourced_id].id, managed=True)
    for user, row in plan.matched:
        link(RosterLinkKind.user, row.sourced_id, user.id)
        step()
    circles = dict(plan.circles)
    owners = {add.class_sid: add for add in plan.adds if add.is_owner}
    for row in plan.new_classes:
        owner_add = owners.get(row.sourced_id)
        owner = users[owner_add.user_sid] if owner_add else actor
        try:
            circle = circle_ops.create_circle(owner, row["title"], kind=CircleKind.teaching,
                                              join_policy=JoinPolicy.invite, org=org)
            # the school's settings for classes; the roster decides who joins, unless the school locks it
            apply_class_defaults(circle, org, keep=[ClassSetting.join_policy])
        except circle_ops.CircleError as error:
            raise fail("classes.csv", row.line, "title", error) from None
        circles[row.sourced_id] = circle
        link(RosterLinkKind.klass, row.sourced_id, circle.id)
        step()
    for circle in plan.archived:
        circle_ops.set_archived(circle, True)
        step()
    names = {circle.id: circle.name for circle, _row in plan.renamed}  #: as they are, for messages (rolled back)
    for circle, row in plan.renamed:
        try:
            circle_ops.update_circle(circle, name=row["title"], description=circle.description, kind=circle.kind,
                                     join_policy=circle.join_policy, require_real_name=circle.require_real_name,
                                     require_student_no=circle.require_student_no)
        except circle_ops.CircleError as error:
            raise fail("classes.csv", row.line, "title", error) from None
        step()
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
            raise _membership_problem(add.record.line, circle, names, user.name, add.number, error) from None
        link(RosterLinkKind.enrollment, add.record.sourced_id, membership.id)
        step()
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
            raise _membership_problem(row.line, membership.circle, names, membership.display_name, number,
                                      error) from None
        link(RosterLinkKind.enrollment, row.sourced_id, membership.id)
        step()
    for membership, row in plan.links:
        link(RosterLinkKind.enrollment, row.sourced_id, membership.id)
        step()
    for membership, _sid in plan.removes:
        try:
            circle_ops.remove_member(membership, actor)
        except circle_ops.CircleError as error:
            raise fail("enrollments.csv", None, None, _("%(name)s: %(problem)s", name=membership.display_name,
                                                        problem=error)) from None
        step()
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
    record.problems = []
    db.session.flush()
    record_event(AuditAction.roster_imported, actor, target=record, org_id=org.id, target_label=record.file_name,
                 details={"file": record.file_name, **{k: v for k, v in plan.counts.items() if v}})
    _mail_sign_in_guidance(org, [users[row.sourced_id] for row in plan.new_users])
    if progress is not None:
        progress(total, total)
    return plan


def _membership_problem(line: int, circle, names: dict[int, str], name: str, number: str | None,
                        error: circle_ops.CircleError) -> RosterApplyError:
    """An enrollment row the circle refused, worded for the admin importing: the row, the student number and
    the member who holds it (the circle's own message speaks to a student). `names`: circles' names before
    this import renamed them (the renaming is rolled back with the rest)."""
    circle_name = names.get(circle.id, circle.name)
    if isinstance(error, circle_ops.IdentityError) and error.field == "student_no" and number:
        holder = db.session.scalar(db.select(Membership).where(
            Membership.circle_id == circle.id, Membership.student_no_key == number_key(number)).limit(1))
        other = holder.real_name or holder.display_name if holder is not None else "?"
        message = _("The student number %(number)s of %(name)s is already held by %(other)s in %(circle)s. "
                    "Correct it in the school's system (or change the number of %(other)s on the circle's roster), "
                    "then apply again.", number=number, name=name, other=other, circle=circle_name)
        return RosterApplyError([Problem("enrollments.csv", line, "userSourcedId", message)])
    return RosterApplyError([Problem("enrollments.csv", line, None,
                                     _("%(name)s in %(circle)s: %(problem)s", name=name, circle=circle_name,
                                       problem=error))])


def _mail_sign_in_guidance(org: Organization, users: list[User]) -> None:
    """Tell each account the import made how to sign in (mailed after the commit): with the school's sign-in
    when the organization (or the site) has a provider, else by setting a password through the link."""
    if not users:
        return
    providers = sign_in_providers(org.id)
    school = next((p for p, _name in providers if p.org_id == org.id), None) or \
        (providers[0][0] if providers else None)
    login_url = external_url("identity.org_login", org_id=org.id)
    for user in users:
        locale = recipient_locale(user)
        with force_locale(locale):
            subject = _("Your Circles account at %(org)s", org=org.name)
        if school is not None:
            send_mail(user.email, subject, "roster_sync/welcome_school", locale=locale, user=user, org=org,
                      provider=school.name, link=login_url)
        else:
            send_mail(user.email, subject, "roster_sync/welcome_password", locale=locale, user=user, org=org,
                      link=external_url("accounts.reset_password", token=password_reset_token(user)))


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


def start_apply(record: RosterImport, actor: User) -> bool:
    """Mark a previewed import as being applied and queue the job that applies it (after the commit).
    False when it is not waiting to be applied (applied, running, or its zip is gone). The caller holds the
    row locked, so two admins pressing Apply at once queue one job."""
    if record.state not in (RosterImportState.previewed, RosterImportState.failed) or record.file_key is None:
        return False
    record.state = RosterImportState.applying
    record.problems = []
    db.session.flush()
    enqueue_after_commit(Task.apply_roster_import, record.id, actor.id)
    return True


def fail_apply(record: RosterImport, problems: list[Problem]) -> None:
    """Keep why the apply changed nothing; the import can be applied again once the cause is fixed."""
    record.state = RosterImportState.failed
    record.problems = [{"file": p.file, "line": p.line, "column": p.column, "message": p.message}
                       for p in problems[:50]]
    db.session.flush()


def purge_previews(now=None) -> int:
    """Delete the zips of previews older than PREVIEW_KEPT that were never applied (the record and its lines
    stay, without an Apply button). An apply whose job never finished within that time (the embedded worker's
    queue does not survive a restart; its transaction committed nothing) is marked failed first. Returns how
    many zips were deleted."""
    cutoff = (now or utcnow()) - PREVIEW_KEPT
    for record in db.session.scalars(db.select(RosterImport).where(
            RosterImport.state == RosterImportState.applying, RosterImport.created_at < cutoff)):
        fail_apply(record, [Problem(record.file_name, None, None,
                                    str(_l("The apply was interrupted; nothing was changed. Upload the zip again.")))])
    stale = list(db.session.scalars(db.select(RosterImport).where(
        RosterImport.file_key.is_not(None), RosterImport.created_at < cutoff,
        RosterImport.state.in_([RosterImportState.previewed, RosterImportState.failed]))))
    for record in stale:
        delete_stored_after_commit(record.file_key)
        record.file_key = None
    db.session.flush()
    return len(stale)
