"""Reads of notices: what a viewer may see, scoped lookups that 404, lists by keyset, receipts counted in SQL."""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort

from lms.accounts.models import User
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.circles.queries import ShownMember, ShownUser
from lms.core.types import one_of, utcnow
from lms.extensions import db
from lms.feed.notices.models import AUDIENCE_ROLES, Notice, NoticeAttachment, NoticeRead, NoticeRevision, can_see_drafts


def visible_notices(circle: Circle, viewer: User | None, now: datetime | None = None) -> sa.Select:
    """A select of the circle's notices `viewer` may see now: published ones (publish_at passed) for
    members; the staff of the circle (and overseers) also see scheduled ones and drafts. Call after
    checking that the viewer may see the circle (get_circle_or_404)."""
    query = sa.select(Notice).where(Notice.circle_id == circle.id)
    if not can_see_drafts(circle, viewer):
        query = query.where(Notice.publish_at <= (now or utcnow()))
    return query


def get_notice_or_404(circle: Circle, notice_id: int, user: User | None) -> Notice:
    """The circle's notice if `user` may see it now; 404 otherwise (another circle's id, a future one)."""
    notice = db.session.scalar(sa.select(Notice).where(Notice.id == notice_id, Notice.circle_id == circle.id))
    if notice is None or not notice.can_view(user):
        abort(404)
    return notice


# -- lists ---------------------------------------------------------------------------------------

class Rank(enum.IntEnum):
    """Where a notice stands in a viewer's list: must-read ones they have not confirmed first, then pinned."""

    must_read = 0
    pinned = 1
    other = 2


def audience_filter(notice: Notice | None = None, *, user_id=None):
    """THE audience rule in SQL (AUDIENCE_ROLES): conditions on Membership for those a notice is for, the
    circle's active learners (students, members) but its author, never its staff. Receipts and their counts,
    reminders, escalations and the "new notice" notifications read it with `notice`; the calendar's
    confirm-by entries and the must-read rank read it correlated to Notice (no `notice`) for one `user_id`
    (a value or a bound parameter)."""
    if notice is not None:
        conditions = [Membership.circle_id == notice.circle_id]
        if notice.author_id is not None:
            conditions.append(Membership.user_id != notice.author_id)
    else:
        conditions = [Membership.circle_id == Notice.circle_id,
                      sa.or_(Notice.author_id.is_(None), Notice.author_id != Membership.user_id)]
    if user_id is not None:
        conditions.append(Membership.user_id == user_id)
    return sa.and_(*conditions, Membership.status == MembershipStatus.active, one_of(Membership.role, AUDIENCE_ROLES))


def is_audience_of_notice(user_id):
    """A correlated EXISTS: the viewer `user_id` is of the audience of the row's Notice (audience_filter)."""
    return sa.select(Membership.id).where(audience_filter(user_id=user_id)).exists()


def _ranked(viewer_id, now):
    """The rank and sort time of a notice, for a query that outer-joins the viewer's NoticeRead (`viewer_id`
    and `now`: values or bound parameters). Only its audience has anything to confirm: a must-read notice is
    not kept on top for its author or the circle's staff."""
    waiting = sa.and_(Notice.is_must_read, Notice.publish_at <= now, NoticeRead.confirmed_at.is_(None),
                      is_audience_of_notice(viewer_id))
    rank = sa.case((waiting, int(Rank.must_read)),
                   (Notice.is_pinned, int(Rank.pinned)), else_=int(Rank.other))
    # drafts (staff only) sort by when they were written
    sort_at = sa.func.coalesce(Notice.publish_at, Notice.created_at)
    return rank, sort_at


class Cursor(NamedTuple):
    """Where a page of the list ends: the rank, time and id of its last notice."""

    rank: int
    at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.rank}.{int(self.at.timestamp() * 1_000_000)}.{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        try:
            rank, micros, notice_id = (int(part) for part in (text or "").split("."))
            return cls(rank, datetime.fromtimestamp(micros / 1_000_000, timezone.utc), notice_id)
        except (ValueError, OverflowError, OSError):
            return None


class HomeNotice(NamedTuple):
    """A notice as the home page's list shows it (feed/notices/_item.html), read as plain values: the page
    runs this query on every view, and model objects cost more to build than the query to run."""

    id: int
    title: str
    is_pinned: bool
    is_must_read: bool
    publish_at: datetime | None
    confirm_by: datetime | None

    @property
    def is_draft(self) -> bool:
        return self.publish_at is None

    def is_scheduled(self, now: datetime | None = None) -> bool:
        return self.publish_at is not None and self.publish_at > (now or utcnow())


class ListedNotice(NamedTuple):
    notice: Notice | HomeNotice  #: a HomeNotice on the home page (home_notices)
    rank: Rank
    opened: bool
    confirmed: bool


def notices_page(circle: Circle, viewer: User, *, after: Cursor | None = None, per_page: int = 20,
                 now: datetime | None = None) -> tuple[list[ListedNotice], Cursor | None]:
    """One page of the notices `viewer` sees in `circle`: must-read ones they have not confirmed, then
    pinned, then the rest, newest first within each; by keyset (no OFFSET). Returns the rows and the
    cursor of the next page (None on the last). One query."""
    now = now or utcnow()
    rank, sort_at = _ranked(viewer.id, now)
    query = (visible_notices(circle, viewer, now)
             .add_columns(rank.label("rank"), sort_at.label("sort_at"), NoticeRead.opened_at, NoticeRead.confirmed_at)
             .outerjoin(NoticeRead, sa.and_(NoticeRead.notice_id == Notice.id, NoticeRead.user_id == viewer.id))
             .order_by(rank, sort_at.desc(), Notice.id.desc()).limit(per_page + 1))
    if after is not None:
        query = query.where(sa.or_(rank > after.rank, sa.and_(rank == after.rank, sa.or_(
            sort_at < after.at, sa.and_(sort_at == after.at, Notice.id < after.id)))))
    rows = db.session.execute(query).all()
    listed = [ListedNotice(n, Rank(r), opened is not None, confirmed is not None)
              for n, r, _at, opened, confirmed in rows[:per_page]]
    cursor = None
    if len(rows) > per_page:
        last = rows[per_page - 1]
        cursor = Cursor(last[1], _aware(last[2]), last[0].id)
    return listed, cursor


def _aware(value) -> datetime:
    """A sort time as read back: coalesce() loses the column type, so SQLite hands back text or a naive time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


#: most must-read and pinned notices the home page lists (the rest are on the notices page)
HOME_TOP = 20


def _home_statement() -> sa.Select:
    """home_notices' query by bound parameters (viewer_id, circle_id, now, latest): built once, since
    building it (a union of two subqueries, three copies of the rank) costs several times running it."""
    statement = _HOME_STATEMENT.get("home")
    if statement is None:
        viewer_id, now = sa.bindparam("viewer_id"), sa.bindparam("now", type_=Notice.publish_at.type)
        rank, sort_at = _ranked(viewer_id, now)
        base = (sa.select(Notice.id.label("notice_id"), rank.label("rank"), sort_at.label("sort_at"),
                          NoticeRead.opened_at.label("opened_at"), NoticeRead.confirmed_at.label("confirmed_at"))
                .outerjoin(NoticeRead, sa.and_(NoticeRead.notice_id == Notice.id, NoticeRead.user_id == viewer_id))
                .where(Notice.circle_id == sa.bindparam("circle_id"), Notice.publish_at <= now))
        top = base.where(rank < int(Rank.other)).order_by(rank, sort_at.desc(), Notice.id.desc()).limit(HOME_TOP)
        rest = (base.where(rank == int(Rank.other)).order_by(sort_at.desc(), Notice.id.desc())
                .limit(sa.bindparam("latest")))
        parts = sa.union_all(*(sa.select(*part.subquery().c) for part in (top, rest))).subquery("parts")
        # plain columns, no entity: no author or circle joined in, no objects built (HomeNotice)
        statement = _HOME_STATEMENT["home"] = (
            sa.select(Notice.id, Notice.title, Notice.is_pinned, Notice.is_must_read, Notice.publish_at,
                      Notice.confirm_by, parts.c.rank, parts.c.opened_at, parts.c.confirmed_at)
            .join(parts, parts.c.notice_id == Notice.id)
            .order_by(parts.c.rank, parts.c.sort_at.desc(), Notice.id.desc()))
    return statement


_HOME_STATEMENT: dict[str, sa.Select] = {}


def home_notices(circle: Circle, viewer: User, latest: int = 3, now: datetime | None = None) -> list[ListedNotice]:
    """For the circle's home page: the must-read notices the viewer has not confirmed and the pinned ones
    (up to HOME_TOP), then the `latest` newest others; published only, even for staff. One query: each
    part ordered and limited in a subquery of its own, then both together. Plain rows, on the session's
    connection (its transaction; nothing to autoflush on a page that only reads)."""
    rows = db.session.connection().execute(_home_statement(), {"viewer_id": viewer.id, "circle_id": circle.id,
                                                               "now": now or utcnow(), "latest": latest})
    return [ListedNotice(HomeNotice(*row[:6]), Rank(row[6]), row[7] is not None, row[8] is not None) for row in rows]


def read_of(notice: Notice, user: User) -> NoticeRead | None:
    return db.session.scalar(sa.select(NoticeRead).where(NoticeRead.notice_id == notice.id,
                                                         NoticeRead.user_id == user.id))


def revisions(notice: Notice) -> list[NoticeRevision]:
    return list(db.session.scalars(sa.select(NoticeRevision).where(NoticeRevision.notice_id == notice.id)
                                   .order_by(NoticeRevision.number.desc())))


def attachment_of(circle: Circle, media_id: int) -> NoticeAttachment | None:
    """The attachment holding `media_id` in one of the circle's notices (the first one, if several)."""
    return db.session.scalar(sa.select(NoticeAttachment).join(Notice)
                             .where(Notice.circle_id == circle.id, NoticeAttachment.media_id == media_id)
                             .order_by(NoticeAttachment.id).limit(1))


def can_fetch_notice_media(viewer: User, notice_id: int | None, media, rendition) -> bool:
    """The "notice" media subject (lms.uploads.access): the file is attached to the notice and the
    viewer may see that notice now (a member of its circle; a stranger or a removed member may not)."""
    from lms.uploads.access import Rendition

    if notice_id is None or rendition not in (Rendition.file, Rendition.state):
        return False
    notice = db.session.get(Notice, notice_id)
    if notice is None or not notice.can_view(viewer):
        return False
    return bool(db.session.scalar(sa.select(sa.exists().where(
        NoticeAttachment.notice_id == notice.id, NoticeAttachment.media_id == media.id))))


# -- receipts ------------------------------------------------------------------------------------

class ReceiptFilter(enum.StrEnum):
    all = "all"
    read = "read"  #: reached the notice's level ("opened", or "confirmed" when it asks for that)
    unread = "unread"  #: has not: whom a reminder goes to
    opened = "opened"  #: opened it, whatever the level
    confirmed = "confirmed"


def audience(notice: Notice) -> sa.Select:
    """Memberships of those a notice is for (audience_filter): its circle's active learners but its author."""
    return sa.select(Membership).where(audience_filter(notice))


def _has_read(notice: Notice):
    """Whether the joined NoticeRead reaches the notice's level."""
    if notice.asks_confirmation:
        return NoticeRead.confirmed_at.is_not(None)
    return NoticeRead.id.is_not(None)


def _filtered(notice: Notice, which: ReceiptFilter):
    if which == ReceiptFilter.read:
        return _has_read(notice)
    if which == ReceiptFilter.unread:
        return ~_has_read(notice) if notice.asks_confirmation else NoticeRead.id.is_(None)
    if which == ReceiptFilter.opened:
        return NoticeRead.id.is_not(None)
    if which == ReceiptFilter.confirmed:
        return NoticeRead.confirmed_at.is_not(None)
    return sa.true()


def _joined(notice: Notice) -> sa.Select:
    return (sa.select(Membership.id, Membership.display_name, Membership.real_name, Membership.student_no,
                      Membership.role, User.id, User.name, User.avatar_key, NoticeRead.opened_at,
                      NoticeRead.confirmed_at, Membership.sort_key)
            .join(User, User.id == Membership.user_id)
            .outerjoin(NoticeRead, sa.and_(NoticeRead.notice_id == notice.id, NoticeRead.user_id == Membership.user_id))
            .where(audience_filter(notice)))


class Counts(NamedTuple):
    total: int
    read: int
    unread: int
    opened: int
    confirmed: int

    def of(self, which: ReceiptFilter) -> int:
        return self.total if which == ReceiptFilter.all else getattr(self, which.value)


def receipt_counts(notice: Notice) -> Counts:
    """How many of the audience have read, opened, confirmed: one query, counted in SQL."""
    def count(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    row = db.session.execute(_counts_statement(notice, count)).one()
    total, read, opened, confirmed = (int(v or 0) for v in row)
    return Counts(total, read, total - read, opened, confirmed)


def _counts_statement(notice: Notice, count) -> sa.Select:
    return (sa.select(sa.func.count(Membership.id), count(_has_read(notice)), count(NoticeRead.id.is_not(None)),
                      count(NoticeRead.confirmed_at.is_not(None)))
            .select_from(Membership)
            .outerjoin(NoticeRead, sa.and_(NoticeRead.notice_id == notice.id, NoticeRead.user_id == Membership.user_id))
            .where(audience_filter(notice)))


class Receipt(NamedTuple):
    member: ShownMember
    opened_at: datetime | None
    confirmed_at: datetime | None


class ReceiptCursor(NamedTuple):
    """Where a page of receipts ends: the sort key, display name and membership id of its last row (the
    page's order)."""

    key: str
    name: str
    id: int

    def encode(self) -> dict:
        return {"after_key": self.key, "after_name": self.name, "after": self.id}

    @classmethod
    def read(cls, key: str | None, name: str | None, membership_id: str | None) -> ReceiptCursor | None:
        try:
            return cls(key or "", name or "", int(membership_id)) if membership_id else None
        except ValueError:
            return None


def _receipt(row) -> Receipt:
    return Receipt(ShownMember(*row[:5], ShownUser(*row[5:8])), row[8], row[9])


def receipts_page(notice: Notice, which: ReceiptFilter = ReceiptFilter.all, *, after: ReceiptCursor | None = None,
                  per_page: int = 50) -> tuple[list[Receipt], ReceiptCursor | None]:
    """One page of the notice's audience with their receipt, by name (lms.core.collation), keyset (no OFFSET);
    the next page's cursor or None. One query whatever the circle's size."""
    order = (Membership.sort_key, Membership.display_name, Membership.id)
    query = _joined(notice).where(_filtered(notice, which)).order_by(*order)
    if after is not None:
        query = query.where(sa.tuple_(*order) > sa.tuple_(after.key, after.name, after.id))
    rows = db.session.execute(query.limit(per_page + 1)).all()
    receipts = [_receipt(row) for row in rows[:per_page]]
    if len(rows) <= per_page:
        return receipts, None
    last = rows[per_page - 1]
    return receipts, ReceiptCursor(last[10], last[1], last[0])


def all_receipts(notice: Notice, which: ReceiptFilter = ReceiptFilter.all, batch: int = 1000):
    """Every receipt under a filter, by name, streamed in keyset batches (exports)."""
    after = None
    while True:
        rows, after = receipts_page(notice, which, after=after, per_page=batch)
        yield from rows
        if after is None:
            return


def unread_user_ids(notice: Notice) -> list[int]:
    """Ids of the audience who have not reached the notice's level (whom a reminder goes to). One query."""
    query = (sa.select(Membership.user_id).select_from(Membership)
             .outerjoin(NoticeRead, sa.and_(NoticeRead.notice_id == notice.id, NoticeRead.user_id == Membership.user_id))
             .where(audience_filter(notice), _filtered(notice, ReceiptFilter.unread)))
    return list(db.session.scalars(query.order_by(Membership.user_id)))


def audience_user_ids(notice: Notice) -> list[int]:
    return list(db.session.scalars(audience(notice).with_only_columns(Membership.user_id).order_by(Membership.user_id)))


def staff_user_ids(circle: Circle) -> list[int]:
    """The circle's active staff, to whose open receipts pages a new read is pushed."""
    from lms.circles.models import STAFF_ROLES

    return list(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
        Membership.role.in_(list(STAFF_ROLES)))))


# -- periodic work -------------------------------------------------------------------------------

def due_announcements(now: datetime | None = None) -> list[int]:
    """Ids of notices whose publish time has passed and whose members were not told yet."""
    return list(db.session.scalars(sa.select(Notice.id).where(
        Notice.announced_at.is_(None), Notice.publish_at <= (now or utcnow())).order_by(Notice.publish_at)))


def deadline_candidates(now: datetime | None = None) -> list[Notice]:
    """Published must-read notices with a deadline whose reminder or escalation may be due."""
    now = now or utcnow()
    return list(db.session.scalars(sa.select(Notice).where(
        Notice.is_must_read, Notice.confirm_by.is_not(None), Notice.remind_hours.is_not(None),
        Notice.publish_at <= now,
        sa.or_(Notice.deadline_reminded_at.is_(None),
               sa.and_(Notice.escalate_hours.is_not(None), Notice.escalated_at.is_(None))))))

