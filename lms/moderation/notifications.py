"""What moderation tells people (lms.notifications kinds): the circle's admins of a new report or a held post
and again when one waits too long; the reporter when their report is answered; the author of what was acted on.

Low (lms/moderation/policy.py holds posts through it): it knows circles, orgs and accounts, no content domain.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, Circle, Membership, MembershipStatus, Role
from lms.core.urls import path_for
from lms.extensions import db
from lms.notifications import Kind, MailRule, notify, register_kind
from lms.orgs.models import OrgMembership, OrgRole

#: what a notification is about (lms.notifications subject): a circle's queue
SUBJECT = "moderation_queue"
#: the longest excerpt of reported text a notification carries
EXCERPT = 80

REPORT_FILED = register_kind(Kind(
    "moderation_report", label=_l("Reports and posts held for review in circles I moderate"),
    message=_l("Reported in %(circle)s: “%(excerpt)s”"),
    variants=(("spam", _l("Reported as spam in %(circle)s: “%(excerpt)s”")),
              ("abuse", _l("Reported as abuse in %(circle)s: “%(excerpt)s”")),
              ("inappropriate", _l("Reported as inappropriate in %(circle)s: “%(excerpt)s”")),
              ("other", _l("Reported in %(circle)s: “%(excerpt)s”")),
              ("word_list", _l("Held for review in %(circle)s (a word on the circle's list): “%(excerpt)s”")),
              ("first_post", _l("Held for review in %(circle)s (a new member's first post): “%(excerpt)s”"))),
    staff_only=True))
REPORT_WAITING = register_kind(Kind(
    "moderation_escalation", label=_l("Reports waiting too long for an answer"),
    message=_l("A report in %(circle)s has waited more than %(minutes)s minutes: “%(excerpt)s”"),
    staff_only=True))
REPORT_ANSWERED = register_kind(Kind(
    "moderation_report_answered", label=_l("Answers to my reports"),
    message=_l("The staff of %(circle)s acted on your report about “%(excerpt)s”."),
    # the variant is the action taken (report_answered): the reporter reads what was done and the staff's reason
    variants=(
        ("dismissed", _l("The staff of %(circle)s looked at your report about “%(excerpt)s” and left it "
                         "as it is.")),
        ("dismissed_reason", _l("The staff of %(circle)s looked at your report about “%(excerpt)s” and left it "
                                "as it is. Their reason: %(reason)s")),
        ("hide", _l("The staff of %(circle)s hid what you reported (“%(excerpt)s”). Reason: %(reason)s")),
        ("delete", _l("The staff of %(circle)s deleted what you reported (“%(excerpt)s”). Reason: %(reason)s")),
        ("site_hide", _l("A site administrator hid what you reported (“%(excerpt)s”). Reason: %(reason)s")),
        ("warn", _l("After your report about “%(excerpt)s”, the staff of %(circle)s warned the person concerned. "
                    "Reason: %(reason)s")),
        ("mute", _l("After your report about “%(excerpt)s”, the staff of %(circle)s muted the person concerned "
                    "for a while. Reason: %(reason)s")),
        ("remove", _l("After your report about “%(excerpt)s”, the staff of %(circle)s removed the person "
                      "concerned from the circle. Reason: %(reason)s")),
        ("ban", _l("After your report about “%(excerpt)s”, the staff of %(circle)s banned the person concerned "
                   "from the circle and hid what they wrote there. Reason: %(reason)s")),
        ("suspend", _l("After your report about “%(excerpt)s”, a site administrator suspended the account of the "
                       "person concerned. Reason: %(reason)s")),
    )))
#: the actions whose answer to the reporter names them (REPORT_ANSWERED's variants); any other: "acted on"
ANSWERED_ACTIONS = frozenset({"hide", "delete", "site_hide", "warn", "mute", "remove", "ban", "suspend"})
CONTENT_MODERATED = register_kind(Kind(
    "moderation_action", label=_l("Moderation of what I wrote"),
    message=_l("The staff of %(circle)s took action on what you wrote (“%(excerpt)s”). Reason: %(reason)s"),
    variants=(
        ("hide", _l("The staff of %(circle)s hid what you wrote (“%(excerpt)s”). Reason: %(reason)s")),
        ("unhide", _l("The staff of %(circle)s showed again what you wrote (“%(excerpt)s”).")),
        ("delete", _l("The staff of %(circle)s deleted what you wrote (“%(excerpt)s”). Reason: %(reason)s")),
        ("approve", _l("What you wrote in %(circle)s (“%(excerpt)s”) was approved: everyone sees it now.")),
        ("warn", _l("A warning from the staff of %(circle)s about “%(excerpt)s”: %(reason)s")),
        ("remove", _l("You were removed from %(circle)s. Reason: %(reason)s")),
        ("ban", _l("You were banned from %(circle)s and what you wrote there is hidden. Reason: %(reason)s")),
        ("site_hide", _l("A site administrator hid what you wrote (“%(excerpt)s”). Reason: %(reason)s")),
    )))


def excerpt(text: str | None) -> str:
    """The text on one line, at most EXCERPT characters; "(no text)" for a photo or clip alone (never “”)."""
    text = " ".join((text or "").split())
    if not text:
        return str(_l("(no text)"))
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"


#: who in a circle may review what a staff member of a role wrote (or their profile), besides the overseers:
#: the owner for a teacher or an assistant; nobody in the circle for the owner. Never the subject.
REVIEWERS_OF_STAFF = {Role.teacher: frozenset({Role.owner}), Role.assistant: frozenset({Role.owner})}


def staff_role(circle: Circle, user_id: int | None) -> Role | None:
    """The role of `user_id` in `circle` if they are its active staff, else None (one query)."""
    if user_id is None:
        return None
    return db.session.scalar(sa.select(Membership.role).where(
        Membership.circle_id == circle.id, Membership.user_id == user_id,
        Membership.status == MembershipStatus.active, Membership.role.in_(list(STAFF_ROLES))))


def site_admin_ids() -> sa.Select:
    """The site's active admins (a select of user ids)."""
    return sa.select(User.id).where(User.is_admin.is_(True), User.is_disabled.is_(False))


def org_admin_ids(org_id: int | None) -> sa.Select | None:
    """The admins of organization `org_id` (a select of user ids); None without an organization."""
    if org_id is None:
        return None
    return sa.select(OrgMembership.user_id).where(OrgMembership.org_id == org_id, OrgMembership.role == OrgRole.admin)


def is_site_admin(user_id: int | None) -> bool:
    return user_id is not None and bool(db.session.scalar(site_admin_ids().where(User.id == user_id)))


def is_org_admin(org_id: int | None, user_id: int | None) -> bool:
    ids = org_admin_ids(org_id)
    return ids is not None and user_id is not None and bool(
        db.session.scalar(ids.where(OrgMembership.user_id == user_id)))


def admin_ids(circle: Circle, subject_id: int | None = None) -> list[int]:
    """Who answers reports about `subject_id` (the author of what is reported, or the reported member) in
    `circle`, never the subject, and about staff only those above them:
    - a site admin: the other site admins;
    - an admin of the circle's organization: the site admins (not their fellow org admins);
    - staff of the circle: the staff who outrank them (REVIEWERS_OF_STAFF), the organization's admins and the
      site admins;
    - anyone else: the circle's active staff and the admins of its organization.
    lms.moderation.queries.unreviewable_author_ids keeps each queue to the same rule. At most four queries."""
    if is_site_admin(subject_id):
        parts = [site_admin_ids()]
    elif is_org_admin(circle.org_id, subject_id):
        parts = [site_admin_ids()]
    else:
        subject_role = staff_role(circle, subject_id)
        roles = list(STAFF_ROLES) if subject_role is None else list(REVIEWERS_OF_STAFF.get(subject_role, ()))
        parts = [sa.select(Membership.user_id).where(Membership.circle_id == circle.id,
                                                     Membership.status == MembershipStatus.active,
                                                     Membership.role.in_(roles))]
        if circle.org_id is not None:
            parts.append(org_admin_ids(circle.org_id))
        if subject_role is not None:
            parts.append(site_admin_ids())
    found = db.session.scalars(sa.union(*parts)) if len(parts) > 1 else db.session.scalars(parts[0])
    return [i for i in dict.fromkeys(found) if i != subject_id]


def queue_url(circle_id: int) -> str:
    return path_for("moderation.queue", circle_id=circle_id)


def report_filed(circle: Circle, *, reason: str, text: str, actor_id: int | None, dedupe_key: str,
                 subject_id: int | None = None) -> None:
    """Tell the circle's admins (admin_ids: about a staff member, only those above them) at once (bell, and
    mail by their preference) of a new report or a held post (`reason` a ReportReason value), after the
    commit. The reporter is not named: reviewers read who in the queue."""
    params = {"circle": circle.name, "excerpt": excerpt(text), "variant": reason}
    notify(REPORT_FILED, admin_ids(circle, subject_id), url=queue_url(circle.id), params=params, circle_id=circle.id,
           subject=(SUBJECT, circle.id), dedupe_key=dedupe_key)


def report_waiting(circle: Circle, *, minutes: int, text: str, dedupe_key: str,
                   subject_id: int | None = None) -> None:
    """Remind the circle's admins (as report_filed) that a report still waits (escalation), mailed at once."""
    notify(REPORT_WAITING, admin_ids(circle, subject_id), url=queue_url(circle.id),
           params={"circle": circle.name, "minutes": str(minutes), "excerpt": excerpt(text)},
           circle_id=circle.id, subject=(SUBJECT, circle.id), mail=MailRule.always, dedupe_key=dedupe_key)


def report_answered(circle: Circle, reporter_ids: list[int], *, text: str, action: str, reason: str, actor_id: int,
                    url: str) -> None:
    """Tell the reporters of a thing what the staff did about their report (`action` an ActionKind value: hidden,
    deleted, its author warned, muted, removed, banned or suspended, or the report dismissed) with the staff's
    reason when they gave one; after the commit."""
    reason = (reason or "").strip()
    params = {"circle": circle.name, "excerpt": excerpt(text), "action": action}
    if action == "dismiss":
        params["variant"] = "dismissed_reason" if reason else "dismissed"
    elif action in ANSWERED_ACTIONS and reason:
        params["variant"] = action
    if reason:
        params["reason"] = reason
    notify(REPORT_ANSWERED, reporter_ids, url=url, params=params, circle_id=circle.id, actor_id=actor_id)


def author_told(circle: Circle, author_id: int, *, action: str, text: str, reason: str, actor_id: int,
                url: str) -> None:
    notify(CONTENT_MODERATED, [author_id], url=url,
           params={"circle": circle.name, "excerpt": excerpt(text), "reason": reason, "variant": action},
           circle_id=circle.id, actor_id=actor_id)
