"""What a validated launch does: find or link the person, map the course onto a circle, enrol them with the
role the platform gives. Operations flush; the request commits."""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.accounts.operations import AccountError, clean_name, normalize_email
from lms.accounts.queries import get_user_by_email
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.models import Circle, Role
from lms.circles.operations import CircleError
from lms.circles.operations.circles import create_circle
from lms.circles.operations.membership import add_member
from lms.core.types import utcnow
from lms.extensions import db
from lms.identity.models import ExternalIdentity, IdentityKind
from lms.identity.queries import find_identity
from lms.lti import launch as lti
from lms.lti.launch import LaunchError
from lms.lti.models import LtiContext, LtiLaunchState, LtiPlatform
from lms.orgs.class_defaults import apply_class_defaults
from lms.orgs.models import OrgMembership, OrgRole

#: how long a login initiation waits for its launch
STATE_TTL = timedelta(minutes=10)

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
_TEACHER_ROLES = {f"{_MEMBERSHIP}#Instructor", f"{_MEMBERSHIP}#Administrator", f"{_MEMBERSHIP}#ContentDeveloper",
                  "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
                  "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
                  "Instructor", "Administrator"}  # LTI 1.1 short names some platforms still send
_ASSISTANT_ROLES = {f"{_MEMBERSHIP}/Instructor#TeachingAssistant", f"{_MEMBERSHIP}#Mentor", "TeachingAssistant"}


def circle_role(roles: Any) -> Role:
    """The circle role for the platform's LTI roles: Instructor or Administrator (course or institution)
    → teacher; TeachingAssistant (or Mentor) → assistant; Learner and anything else → student."""
    roles = {r for r in roles if isinstance(r, str)} if isinstance(roles, list) else set()
    if roles & _TEACHER_ROLES:
        return Role.teacher
    if roles & _ASSISTANT_ROLES:
        return Role.assistant
    return Role.student


# -- login initiation state ----------------------------------------------------------------------

def start_login(platform: LtiPlatform) -> LtiLaunchState:
    """A fresh state and nonce for a login initiation (old, expired ones are swept)."""
    db.session.execute(sa.delete(LtiLaunchState).where(LtiLaunchState.expires_at < utcnow()))
    row = LtiLaunchState(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32), platform_id=platform.id,
                         expires_at=utcnow() + STATE_TTL)
    db.session.add(row)
    db.session.flush()
    return row


def take_state(state: str) -> LtiLaunchState | None:
    """The waiting login for `state`, deleted so that it serves one launch only; None if unknown or expired."""
    if not state or len(state) > 64:
        return None
    row = db.session.get(LtiLaunchState, state)
    if row is None:
        return None
    db.session.delete(row)
    db.session.flush()
    return row if row.expires_at >= utcnow() else None


# -- the person ----------------------------------------------------------------------------------

def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = unicodedata.normalize("NFKC", value).strip()
    return value[:limit] or None


def person_name(claims: dict[str, Any]) -> str | None:
    name = _text(claims.get("name"), 100)
    if not name:
        name = _text(" ".join(p for p in (claims.get("given_name"), claims.get("family_name")) if isinstance(p, str)),
                     100)
    return name


def _placeholder_email(platform: LtiPlatform, subject: str) -> str:
    """An address no one receives mail at (RFC 2606 .invalid), unique per platform person, for an account
    made from a launch without a usable email."""
    digest = hashlib.sha256(f"{platform.issuer}\n{subject}".encode()).hexdigest()[:24]
    return f"lti-{platform.id}-{digest}@lti.invalid"


def _remember(identity: ExternalIdentity, email: str | None, claims: dict[str, Any]) -> None:
    identity.email = email or identity.email
    lis = claims.get(lti.CLAIM_LIS)
    number = _text(lis.get("person_sourcedid"), 64) if isinstance(lis, dict) else None
    identity.student_number = number or identity.student_number
    identity.last_used_at = utcnow()


def _in_platform_org(platform: LtiPlatform, user: User) -> bool:
    """An organization's platform (registered by its admins, who choose its keys) may sign in only the
    organization's members: else an org admin could mint launches for anyone sharing the issuer (Canvas
    cloud's issuer is the same for every school). A site-wide platform may sign in anyone."""
    if platform.org_id is None:
        return True
    return db.session.scalar(sa.select(OrgMembership.id).where(OrgMembership.org_id == platform.org_id,
                                                               OrgMembership.user_id == user.id)) is not None


def launch_user(platform: LtiPlatform, claims: dict[str, Any]) -> tuple[User, bool]:
    """The account a validated launch signs in, and whether it was made now.

    A known (issuer, subject) signs its account in. Otherwise, when the platform is trusted for email
    (`trust_email`, set by the admin: LTI has no email_verified claim), an account with the launch's email
    gets the identity linked; else a new account is made (the launch's email if no account has it, else
    a placeholder address) and the identity linked to it."""
    subject = claims["sub"][:255]
    email = _text(claims.get("email"), 254)
    email = normalize_email(email) if email and "@" in email else None
    identity = find_identity(platform.issuer, subject)
    if identity is not None:
        if identity.user.is_disabled:
            raise LaunchError(_l("This account is disabled. Ask an administrator."), 403)
        if not _in_platform_org(platform, identity.user):
            raise LaunchError(_l("This account belongs to another organization: it cannot sign in through this "
                                 "organization's platform. Ask the site administrator."), 403)
        _remember(identity, email, claims)
        return identity.user, False
    user = get_user_by_email(email) if email and platform.trust_email else None
    if user is not None and not _in_platform_org(platform, user):
        user = None  # an organization's platform links only its own members' accounts by email
    created = user is None
    if user is not None and user.is_disabled:
        raise LaunchError(_l("This account is disabled. Ask an administrator."), 403)
    if user is None:
        address = email if email and get_user_by_email(email) is None else _placeholder_email(platform, subject)
        try:
            name = clean_name(person_name(claims) or (email or "").partition("@")[0] or "LTI user")
        except AccountError:
            name = clean_name("LTI user")
        user = User(email=address, password_hash="", name=name)  # no password: signs in through the platform
        db.session.add(user)
        db.session.flush()
        if platform.org_id is not None:
            role = OrgRole.teacher if circle_role(claims.get(lti.CLAIM_ROLES)) == Role.teacher else OrgRole.student
            db.session.add(OrgMembership(org_id=platform.org_id, user_id=user.id, user=user, role=role))
            db.session.flush()
    identity = ExternalIdentity(user=user, user_id=user.id, kind=IdentityKind.lti.value, issuer=platform.issuer,
                                subject=subject, linked_at=utcnow())
    _remember(identity, email, claims)
    db.session.add(identity)
    db.session.flush()
    record_event(AuditAction.sign_in_linked, user, target=user, org_id=platform.org_id,
                 details={"provider": platform.name, "issuer": platform.issuer, "by_email": not created, "lti": True})
    return user, created


# -- the course ----------------------------------------------------------------------------------

def _remember_services(mapped: LtiContext, claims: dict[str, Any]) -> None:
    nrps = claims.get(lti.CLAIM_NRPS)
    url = nrps.get("context_memberships_url") if isinstance(nrps, dict) else None
    if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 500:
        mapped.memberships_url = url
    ags = claims.get(lti.CLAIM_AGS)
    url = ags.get("lineitems") if isinstance(ags, dict) else None
    if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 500:
        mapped.lineitems_url = url
        scopes = ags.get("scope")
        mapped.ags_scopes = [x for x in scopes if isinstance(x, str)][:10] if isinstance(scopes, list) else []


def launch_circle(platform: LtiPlatform, user: User, claims: dict[str, Any]) -> Circle:
    """The circle of the launch's course, with `user` an active member: made on a teacher's first launch
    (the teacher its owner); a student or assistant is enrolled with the role the platform gives and the
    name it sends. Raises LaunchError when the course has no circle yet and `user` is no teacher, or they
    were removed from the circle."""
    context = claims[lti.CLAIM_CONTEXT]
    context_id = str(context["id"])[:255]
    title = _text(context.get("title"), 255) or _text(context.get("label"), 255) or ""
    role = circle_role(claims.get(lti.CLAIM_ROLES))
    mapped = db.session.scalar(sa.select(LtiContext).where(LtiContext.platform_id == platform.id,
                                                           LtiContext.context_id == context_id))
    if mapped is None:
        if role != Role.teacher:
            raise LaunchError(_l("Your teacher has not opened Circles in this course yet. Try again after they "
                                 "have."), 403)
        org = None
        if platform.org_id is not None:
            from lms.orgs.models import Organization
            org = db.session.get(Organization, platform.org_id)
        try:
            circle = create_circle(user, (title or _l("Course from %(platform)s", platform=platform.name))[:120],
                                   org=org)
        except CircleError:
            circle = create_circle(user, str(_l("Course from %(platform)s", platform=platform.name))[:120], org=org)
        if org is not None:
            apply_class_defaults(circle, org)  # the school's settings for classes
        mapped = LtiContext(platform_id=platform.id, context_id=context_id, circle_id=circle.id, title=title)
        _remember_services(mapped, claims)
        db.session.add(mapped)
        db.session.flush()
        _first_sync(mapped, user)
        return circle
    circle = mapped.circle
    if title and mapped.title != title:
        mapped.title = title
    _remember_services(mapped, claims)
    membership = circle.membership_of(user)
    if membership is not None and membership.is_barred:
        raise LaunchError(_l("You were removed from this circle. Ask its teacher to readmit you."), 403)
    _enrol(circle, user, role, person_name(claims), student_number(claims))
    _sync_if_stale(mapped)
    return circle


def student_number(claims: dict[str, Any]) -> str | None:
    """The platform's person_sourcedid (Moodle: the user's ID number), the school's student number."""
    lis = claims.get(lti.CLAIM_LIS)
    return _text(lis.get("person_sourcedid"), 64) if isinstance(lis, dict) else None


def _enrol(circle: Circle, user: User, role: Role, name: str | None, number: str | None = None) -> bool:
    """Make `user` an active member with `role` unless they are one (or were removed); True if added now."""
    membership = circle.membership_of(user)
    if membership is not None and (membership.is_active or membership.is_barred):
        return False
    try:
        with db.session.begin_nested():
            add_member(circle, user, role, via="lti", real_name=name, student_no=number)
    except CircleError:
        add_member(circle, user, role, via="lti")  # the name is taken or malformed: the default name instead
    return True


# -- registering platforms (site admin) ------------------------------------------------------------

def save_platform(platform: LtiPlatform | None, settings: dict[str, Any], actor: User) -> LtiPlatform:
    """Create (`platform` None) or change a platform's registration (audited as lti_platform_changed).
    Raises LaunchError when another registration has the same issuer and client id."""
    taken = db.session.scalar(sa.select(LtiPlatform.id).where(LtiPlatform.issuer == settings["issuer"],
                                                             LtiPlatform.client_id == settings["client_id"]))
    if taken is not None and (platform is None or taken != platform.id):
        raise LaunchError(_l("A platform with this issuer and client ID is already registered."))
    created = platform is None
    if platform is None:
        platform = LtiPlatform()
        db.session.add(platform)
    old_keyset = platform.keyset_url
    changed = sorted(key for key, value in settings.items() if getattr(platform, key) != value)
    for key, value in settings.items():
        setattr(platform, key, value)
    db.session.flush()
    if created or changed:
        record_event(AuditAction.lti_platform_changed, actor, target=platform, org_id=platform.org_id,
                     target_label=platform.name,
                     details={"change": "created" if created else "updated", "fields": ", ".join(changed),
                              "issuer": platform.issuer})
    if old_keyset:
        from lms.lti import keys
        keys.forget(old_keyset)
    return platform


# -- Names and Role Provisioning Services: the course's roster -------------------------------------

#: NRPS membership statuses (NRPS 2.0 §2.3: "Active", "Inactive", and "Deleted" in a differences list):
#: only an Active member belongs in the circle
ACTIVE = "Active"
#: a launch reads the roster again when it was last read longer ago than this
ROSTER_STALE = timedelta(hours=1)


def _circle_owner(circle: Circle) -> User | None:
    from lms.circles.models import Membership

    return db.session.scalar(sa.select(User).join(Membership, Membership.user_id == User.id)
                             .where(Membership.circle_id == circle.id, Membership.role == Role.owner).limit(1))


def _drop_absent(mapped: LtiContext, present: set[str], actor: User | None) -> list[str]:
    """Remove (through the circles' removal operation, audited) the circle's students who came from this
    platform's launches or roster (`joined_via` "lti", linked to the platform) and are no longer Active on
    its roster. Staff, and people who joined another way, are never removed by a sync. Their names."""
    from lms.circles.models import Membership, MembershipStatus
    from lms.circles.operations.membership import remove_member

    circle, platform = mapped.circle, mapped.platform
    rows = db.session.execute(
        sa.select(Membership, ExternalIdentity.subject)
        .join(ExternalIdentity, sa.and_(ExternalIdentity.user_id == Membership.user_id,
                                        ExternalIdentity.issuer == platform.issuer))
        .where(Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
               Membership.joined_via == "lti", Membership.role.in_([Role.student, Role.member]))).all()
    subjects: dict[int, tuple[Membership, set[str]]] = {}
    for membership, subject in rows:
        subjects.setdefault(membership.id, (membership, set()))[1].add(subject)
    actor = actor or _circle_owner(circle)
    removed = []
    for membership, subs in subjects.values():
        if subs & present or actor is None:
            continue
        try:
            with db.session.begin_nested():
                remove_member(membership, actor)
        except CircleError:
            continue
        removed.append(membership.real_name or membership.display_name or "")
    return removed


def sync_roster(mapped: LtiContext, members: list[dict[str, Any]], actor: User | None = None) -> dict[str, Any]:
    """Apply the platform's roster (NRPS membership container `members`) to the context's circle: each Active
    member is found or made as a launch would (`user_id` is the launch's `sub`) and enrolled with the mapped
    role; members marked Inactive or Deleted, and students who came from the platform but are no longer on
    its roster, are removed through the circles' removal operation (`actor`, else the circle's owner, is
    the remover in the audit log). People the circle removed are not readmitted. A roster with no Active
    member removes no one (a platform fault looks the same). Returns the report."""
    platform, circle = mapped.platform, mapped.circle
    counts: dict[str, Any] = {"added": 0, "already": 0, "skipped": 0, "removed": 0, "inactive": 0}
    present: set[str] = set()
    for member in members:
        subject = member.get("user_id") if isinstance(member, dict) else None
        if isinstance(subject, int) and not isinstance(subject, bool):
            subject = str(subject)  # a number where the spec says string: the launch's sub is its string form
        if not isinstance(subject, str) or not subject:
            counts["skipped"] += 1
            continue
        if member.get("status", ACTIVE) != ACTIVE:
            counts["inactive"] += 1
            continue
        present.add(subject)
        claims = {"sub": subject, lti.CLAIM_ROLES: member.get("roles"),
                  **{k: member[k] for k in ("email", "name", "given_name", "family_name") if k in member}}
        if isinstance(member.get("lis_person_sourcedid"), str):  # NRPS's name for the launch's lis claim
            claims[lti.CLAIM_LIS] = {"person_sourcedid": member["lis_person_sourcedid"]}
        try:
            user, _created = launch_user(platform, claims)
        except LaunchError:  # a disabled account
            counts["skipped"] += 1
            continue
        membership = circle.membership_of(user)
        if membership is not None and membership.is_barred:
            counts["skipped"] += 1
        elif _enrol(circle, user, circle_role(member.get("roles")), person_name(claims), student_number(claims)):
            counts["added"] += 1
        else:
            counts["already"] += 1
    removed = _drop_absent(mapped, present, actor) if present else []
    counts["removed"] = len(removed)
    counts["removed_names"] = removed[:50]
    return counts


def sync_from_platform(mapped: LtiContext, actor: User | None) -> dict[str, Any]:
    """Read the course's roster from the platform and apply it; the report (or the error, under "error") is
    kept on the context with the time. Never raises for a platform fault: the report says it."""
    from lms.lti import services

    try:
        members = services.roster(mapped.platform, mapped.memberships_url)
    except LaunchError as error:
        report: dict[str, Any] = {"error": str(error)}
    else:
        report = sync_roster(mapped, members, actor)
    report["at"] = utcnow().isoformat()
    mapped.roster_synced_at = utcnow()
    mapped.roster_report = report
    db.session.flush()
    return report


def _first_sync(mapped: LtiContext, teacher: User) -> None:
    """A new course's roster is read in its first launch, so the teacher lands on a circle with the course's
    people in it (not "1 member" until a job runs). A fault the report cannot hold leaves the launch whole and
    queues the read instead."""
    if not mapped.memberships_url:
        return
    try:
        with db.session.begin_nested():
            sync_from_platform(mapped, teacher)
    except Exception:  # noqa: BLE001  (the launch goes on; the job tries again)
        from flask import current_app

        current_app.logger.exception("LTI: the first roster read of context %s failed", mapped.id)
        _sync_if_stale(mapped)


def _sync_if_stale(mapped: LtiContext) -> None:
    """Queue a roster read after a launch's commit when the roster was not read lately."""
    from lms.jobs import Task, enqueue_after_commit

    last = mapped.roster_synced_at
    if not mapped.memberships_url or (last is not None and last > utcnow() - ROSTER_STALE):
        return
    mapped.roster_synced_at = utcnow()  # one queued read, however many launch meanwhile
    db.session.flush()
    enqueue_after_commit(Task.lti_sync_roster, mapped.id)


# -- Assignment and Grade Services: released grades to the LMS gradebook ---------------------------

def released_scores(mapped: LtiContext, assignment) -> list[tuple[str, float]]:
    """(platform subject, final score) of the assignment's released, counted grades of people linked to the
    context's platform; an excused grade or one without a score is not sent."""
    from lms.grading.models import Grade

    rows = db.session.execute(
        sa.select(Grade, ExternalIdentity.subject)
        .join(ExternalIdentity, sa.and_(ExternalIdentity.user_id == Grade.student_id,
                                        ExternalIdentity.issuer == mapped.platform.issuer))
        .where(Grade.assignment_id == assignment.id, Grade.released_at.is_not(None))
        .order_by(Grade.id)).all()
    return [(subject, grade.final_score) for grade, subject in rows
            if not grade.is_excused and grade.final_score is not None]
