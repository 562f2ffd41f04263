"""Reads of moderation: the review queue (a circle's, an organization's, the site's), the figures of
response time, scoped lookups."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import abort

from lms.accounts.models import User
from lms.circles.models import STAFF_ROLES, Circle, Membership, MembershipStatus
from lms.core.types import utcnow
from lms.extensions import db
from lms.moderation.kinds import Target, load_target, load_targets
from lms.moderation.models import Report, ReportKind, ReportState
from lms.moderation.notifications import REVIEWERS_OF_STAFF, is_org_admin, org_admin_ids, site_admin_ids

#: queue items a page shows
PER_PAGE = 30
SORTS = ("newest", "most", "oldest")
#: the window of the response-time figures
FIGURE_DAYS = 30


def can_moderate(circle: Circle, user: User | None) -> bool:
    """The circle's staff (owner, teachers, assistants) and its overseers (org admins, site admins)."""
    return circle.can_manage_members(user)


def can_configure(circle: Circle, user: User | None) -> bool:
    """The moderation settings: owner and teachers (and overseers), as the circle's other settings."""
    return circle.can_edit(user)


def _overseers_above(user: User, org_id: int | None) -> set[int]:
    """The people whose reports `user` may not review for not being above them (notifications.admin_ids): for
    anyone but a site admin, the site admins and the admins of the organization `org_id` (above the circles'
    staff, and an org admin's peers); none for a site admin. Up to two queries."""
    if user.is_admin:
        return set()
    found = set(db.session.scalars(site_admin_ids()))
    if org_id is not None:
        found |= set(db.session.scalars(org_admin_ids(org_id)))
    return found


def unreviewable_author_ids(circle: Circle, user: User | None) -> list[int]:
    """The people whose reports (about what they wrote, or their profile) `user` may not see nor act on in
    `circle`'s queue, by the rule of notifications.admin_ids: always themselves; for a member of the staff who
    oversees nothing, every other staff member they do not outrank (notifications.REVIEWERS_OF_STAFF); for
    anyone but a site admin, the site admins and the admins of the circle's organization. Up to three queries."""
    if user is None or not user.is_authenticated:
        return []
    hidden = {user.id} | _overseers_above(user, circle.org_id)
    role = circle.active_role(user)
    if role in STAFF_ROLES and not user.is_admin and not is_org_admin(circle.org_id, user.id):
        staff = db.session.execute(sa.select(Membership.user_id, Membership.role).where(
            Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
            Membership.role.in_(list(STAFF_ROLES)))).all()
        hidden |= {uid for uid, their in staff if role not in REVIEWERS_OF_STAFF.get(their, frozenset())}
    return sorted(hidden)


def org_unreviewable_author_ids(org_id: int, user: User) -> list[int]:
    """The people whose reports `user` may not see in organization `org_id`'s queue: themselves and, for an org
    admin who is not a site admin, their fellow org admins and the site admins (reports about them go above)."""
    return sorted({user.id} | _overseers_above(user, org_id))


def site_unreviewable_author_ids(user: User) -> list[int]:
    """In the site's queue a site admin reviews everyone but themselves."""
    return [user.id]


def can_review(circle: Circle, user: User | None, author_id: int | None) -> bool:
    """May `user` see and act on the reports about what `author_id` wrote (or their profile) in `circle`?"""
    return can_moderate(circle, user) and (author_id is None
                                           or author_id not in unreviewable_author_ids(circle, user))


def can_report(circle: Circle, user: User | None) -> bool:
    """Any active member of an active circle."""
    return circle.active_role(user) is not None


#: messages shown before and after a reported chat message
CONTEXT_BEFORE = 3
CONTEXT_AFTER = 3


@dataclass(frozen=True)
class ContextLine:
    """One chat message around a reported one, as the queue shows it to the staff: marked if it is the reported
    one, hidden, held or deleted (a deleted one's text is not shown, as in the chat)."""

    id: int
    name: str  #: its author as the circle sees them
    at: datetime
    text: str  #: plain text; "" when deleted
    is_reported: bool
    is_hidden: bool
    is_held: bool
    is_deleted: bool
    has_attachment: bool


@dataclass
class QueueItem:
    circle: Circle
    kind: ReportKind
    object_id: int
    count: int  #: reports by members (held items count 0)
    first_at: datetime
    last_at: datetime
    target: Target | None
    author: Membership | None
    reports: list[tuple[Report, str]] = field(default_factory=list)  #: with the reporter's name in the circle
    #: a chat message's neighbours in its channel, the reported one among them (ContextLine), oldest first
    context: list[ContextLine] = field(default_factory=list)

    @property
    def is_held(self) -> bool:
        return any(r.is_held for r, _name in self.reports)

    def age(self, now: datetime) -> timedelta:
        return now - self.first_at


@dataclass
class QueuePage:
    items: list[QueueItem]
    page: int
    has_next: bool
    total: int


def _open(circle_ids, hidden_author_ids) -> list:
    where = [Report.state == ReportState.open]
    if circle_ids is not None:
        where.append(Report.circle_id.in_(circle_ids))
    if hidden_author_ids:
        where.append(sa.or_(Report.author_id.is_(None), Report.author_id.not_in(list(hidden_author_ids))))
    return where


def queue(circle_ids: sa.Select | list[int] | None, *, sort: str = "newest", page: int = 1,
          per_page: int = PER_PAGE, hidden_author_ids: list[int] = ()) -> QueuePage:
    """The open reports of the circles (None: every circle), one item per reported thing: newest report
    first, most reported first, or oldest waiting first; none about `hidden_author_ids` (unreviewable_author_ids).
    Five queries and one per kind of thing shown, and for chat messages two more (the messages around them,
    their authors' names: one a circle), however many items the page holds."""
    grouped = sa.select(Report.circle_id, Report.kind, Report.object_id,
                        sa.func.count(Report.reporter_id).label("n"),
                        sa.func.min(Report.created_at).label("first_at"),
                        sa.func.max(Report.created_at).label("last_at")).where(*_open(circle_ids, hidden_author_ids))
    grouped = grouped.group_by(Report.circle_id, Report.kind, Report.object_id).subquery()
    order = {"newest": [grouped.c.last_at.desc()],
             "most": [grouped.c.n.desc(), grouped.c.last_at.desc()],
             "oldest": [grouped.c.first_at.asc()]}[sort if sort in SORTS else "newest"]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(grouped)) or 0
    page = max(1, page)
    rows = db.session.execute(sa.select(grouped).order_by(*order, grouped.c.object_id.desc())
                              .offset((page - 1) * per_page).limit(per_page + 1)).all()
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    circles = {c.id: c for c in db.session.scalars(sa.select(Circle).where(Circle.id.in_({r.circle_id for r in rows})))}
    targets = load_targets([(circles[r.circle_id], ReportKind(r.kind), r.object_id) for r in rows])
    items = [QueueItem(circles[r.circle_id], ReportKind(r.kind), r.object_id, r.n, r.first_at, r.last_at,
                       targets.get((r.circle_id, ReportKind(r.kind), r.object_id)), None) for r in rows]
    _fill(items)
    _fill_context(items)
    return QueuePage(items, page, has_next, total)


def _fill_context(items: list[QueueItem]) -> None:
    """The messages around each reported chat message (chat_q.around: one query, and one for the names per
    circle). A direct conversation is private to its two people: its context is shown only when one of them
    reported it (they share it by reporting), not for a message the word list held."""
    from lms.chat import queries as chat_q
    from lms.chat.models import ChannelKind
    from lms.chat.text import plain_text

    chat = [i for i in items if i.kind == ReportKind.chat_message and i.target is not None
            and (i.target.obj.channel.kind != ChannelKind.direct or i.count > 0)]
    if not chat:
        return
    found = chat_q.around([i.target.obj for i in chat], CONTEXT_BEFORE, CONTEXT_AFTER)
    by_circle: dict[int, set[int]] = {}
    for item in chat:
        by_circle.setdefault(item.circle.id, set()).update(m.author_id for m in found[item.object_id])
    names = {circle_id: chat_q.people(circle_id, ids) for circle_id, ids in by_circle.items()}
    for item in chat:
        shown = names[item.circle.id]
        item.context = [ContextLine(
            m.id, (shown.get(m.author_id) or {}).get("name") or "?", m.created_at,
            "" if m.deleted_at is not None else plain_text(m.body or ""), m.id == item.object_id,
            m.hidden_at is not None, m.held_at is not None, m.deleted_at is not None,
            m.media_id is not None and m.deleted_at is None) for m in found[item.object_id]]


def _fill(items: list[QueueItem]) -> None:
    """The reports of the items with their reporters' names in the circle, and the authors' memberships (two
    queries)."""
    if not items:
        return
    keys = {(i.circle.id, i.kind, i.object_id): i for i in items}
    reporter = sa.orm.aliased(Membership)
    reports = db.session.execute(
        sa.select(Report, reporter.display_name).outerjoin(
            reporter, sa.and_(reporter.circle_id == Report.circle_id, reporter.user_id == Report.reporter_id))
        .where(Report.state == ReportState.open,
               sa.tuple_(Report.circle_id, Report.kind, Report.object_id).in_(list(keys)))
        .order_by(Report.created_at.desc())).all()
    for report, name in reports:
        item = keys.get((report.circle_id, report.kind, report.object_id))
        if item is not None:
            item.reports.append((report, name or ""))
    pairs = {(i.circle.id, i.target.author_id) for i in items if i.target and i.target.author_id}
    if pairs:
        members = db.session.scalars(sa.select(Membership).where(
            sa.tuple_(Membership.circle_id, Membership.user_id).in_(list(pairs))))
        by_pair = {(m.circle_id, m.user_id): m for m in members}
        for item in items:
            if item.target and item.target.author_id:
                item.author = by_pair.get((item.circle.id, item.target.author_id))


def open_count(circle_ids: sa.Select | list[int] | None, hidden_author_ids: list[int] = ()) -> int:
    grouped = sa.select(Report.kind, Report.object_id).where(*_open(circle_ids, hidden_author_ids))
    return db.session.scalar(sa.select(sa.func.count()).select_from(
        grouped.group_by(Report.kind, Report.object_id).subquery())) or 0


@dataclass(frozen=True)
class Figures:
    count: int  #: reports answered in the window
    median_seconds: int | None
    p95_seconds: int | None
    waiting: int  #: open reports now
    oldest_waiting_seconds: int | None


def _nth(base: sa.Select, n: int) -> int | None:
    return db.session.scalar(base.order_by(Report.response_seconds).offset(n).limit(1))


def figures(circle_ids: sa.Select | list[int] | None, now: datetime | None = None,
            hidden_author_ids: list[int] = ()) -> Figures:
    """Time to first action over the last FIGURE_DAYS days: the median and the 95th percentile (nearest rank),
    each read in SQL by one ordered lookup on the kept response_seconds (no rows brought over); what waits now,
    leaving out the reports about `hidden_author_ids` (the reader's own, and those above them)."""
    now = now or utcnow()
    since = now - timedelta(days=FIGURE_DAYS)
    answered = sa.select(Report.response_seconds).where(Report.resolved_at >= since,
                                                        Report.response_seconds.is_not(None))
    waiting = sa.select(sa.func.count(), sa.func.min(Report.created_at)).where(*_open(None, hidden_author_ids))
    if circle_ids is not None:
        answered = answered.where(Report.circle_id.in_(circle_ids))
        waiting = waiting.where(Report.circle_id.in_(circle_ids))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(answered.subquery())) or 0
    median = p95 = None
    if count:
        median = _nth(answered, (count - 1) // 2)
        p95 = _nth(answered, max(0, -(-95 * count // 100) - 1))
    open_reports, oldest = db.session.execute(waiting).one()
    return Figures(count, median, p95, open_reports or 0,
                   int((now - oldest).total_seconds()) if oldest is not None else None)


def org_circle_ids(org_id: int) -> sa.Select:
    return sa.select(Circle.id).where(Circle.org_id == org_id)


def get_report_target_or_404(circle: Circle, kind: str, object_id: int) -> tuple[ReportKind, Target]:
    try:
        kind = ReportKind(kind)
    except ValueError:
        abort(404)
    target = load_target(circle, kind, object_id)
    if target is None:
        abort(404)
    return kind, target
