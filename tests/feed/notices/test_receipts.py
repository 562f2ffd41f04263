"""Read receipts: opening and confirming, filters and counts, keyset pages, exports, reminders to exactly those
who have not read, the live push to the staff's receipts page."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from lms.accounts import operations as account_ops
from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.extensions import db
from lms.feed.notices import operations as ops
from lms.feed.notices import queries as q
from lms.feed.notices.models import ReceiptLevel
from tests.fixtures.app import page_text
from tests.fixtures.factories import PASSWORD


def _receipts_url(notice):
    return f"/circles/{notice.circle_id}/notices/{notice.id}/receipts"


def test_opening_records_opened_and_the_button_records_confirmed(klass, notices, client_as):
    """Does a student's first opening count as opened, and "I have read this" as confirmed (once)?"""
    notice = notices.notice(klass.circle, klass.teacher, is_must_read=True, title="Rules")
    assert notice.receipt_level == ReceiptLevel.confirmed  # must-read is read once confirmed
    student = client_as(klass.student)
    page = student.get(f"/circles/{klass.circle.id}/notices/{notice.id}").get_data(as_text=True)
    assert "I have read this" in page
    read = q.read_of(notice, klass.student)
    assert read.opened_at is not None and read.confirmed_at is None
    assert student.post(f"/circles/{klass.circle.id}/notices/{notice.id}/confirm").status_code == 302
    student.post(f"/circles/{klass.circle.id}/notices/{notice.id}/confirm")
    db.session.expire_all()
    read = q.read_of(notice, klass.student)
    assert read.confirmed_at is not None
    counts = q.receipt_counts(notice)
    assert counts == q.Counts(total=2, read=1, unread=1, opened=1, confirmed=1)  # the learners only
    # the staff's own opening is no receipt; the teacher (author) is not counted at all
    client_as(klass.teacher).get(f"/circles/{klass.circle.id}/notices/{notice.id}")
    assert q.read_of(notice, klass.teacher) is None


def test_a_student_cannot_confirm_an_opened_level_notice(klass, notices, client_as):
    """Is the confirm button refused (403) where the notice asks only to be opened?"""
    notice = notices.notice(klass.circle, klass.teacher)
    assert client_as(klass.student).post(f"/circles/{klass.circle.id}/notices/{notice.id}/confirm").status_code == 403


def test_confirming_pushes_the_new_receipt_to_the_staffs_pages(klass, notices, client_as, monkeypatch):
    """Are the staff (and only they) told after the commit that the student confirmed?"""
    from lms.feed.notices import notifications as tell

    sent = []
    monkeypatch.setattr(tell, "emit_to_user", lambda user_id, event, data: sent.append((user_id, event, data)))
    notice = notices.notice(klass.circle, klass.teacher, is_must_read=True)
    ops.confirm_notice(notice, klass.student)
    db.session.commit()
    member = klass.circle.membership_of(klass.student)
    assert {u for u, *_ in sent} == {klass.owner.id, klass.teacher.id, klass.assistant.id}
    assert {(e, d["membership_id"], d["confirmed"]) for _u, e, d in sent} == {("notice_receipt", member.id, True)}


@pytest.fixture
def crowd(app, notices):
    """A circle of 1 teacher and 7 students: 2 confirmed, 2 only opened, 3 did nothing."""
    owner = account_ops.register_user("crowd-owner@example.org", PASSWORD, "Owner")
    circle = circle_ops.create_circle(owner, "Crowd")
    students = []
    for i in range(7):
        user = account_ops.register_user(f"crowd{i}@example.org", PASSWORD, f"S{i}")
        circle_ops.add_member(circle, user, Role.student, display_name=f"Student {i}", real_name=f"Real {i}",
                              student_no=f"=1+{i}" if i == 0 else f"N{i:03d}")
        students.append(user)
    db.session.commit()
    notice = notices.notice(circle, owner, title="Trip", receipt_level=ReceiptLevel.confirmed)
    for user in students[:2]:
        ops.confirm_notice(notice, user)
    for user in students[2:4]:
        ops.open_notice(notice, user)
    db.session.commit()
    return circle, owner, students, notice


@pytest.mark.parametrize("which, names", [
    ("all", [f"Student {i}" for i in range(7)]),
    ("read", ["Student 0", "Student 1"]),
    ("unread", ["Student 2", "Student 3", "Student 4", "Student 5", "Student 6"]),
    ("opened", ["Student 0", "Student 1", "Student 2", "Student 3"]),
    ("confirmed", ["Student 0", "Student 1"]),
])
def test_filters_and_keyset_pages(crowd, which, names):
    """Does each filter list exactly its members, page after page by keyset, matching its count?"""
    _circle, _owner, _students, notice = crowd
    seen, after = [], None
    while True:
        rows, after = q.receipts_page(notice, q.ReceiptFilter(which), after=after, per_page=2)
        seen += [r.member.display_name for r in rows]
        if after is None:
            break
    assert seen == names
    assert q.receipt_counts(notice).of(q.ReceiptFilter(which)) == len(names)


def test_receipts_page_shows_the_circle_identity_and_counts(crowd, client_as):
    """Does the staff's page name members by display name, real name and number, with the counts?"""
    _circle, owner, _students, notice = crowd
    page = client_as(owner).get(_receipts_url(notice) + "?filter=unread").get_data(as_text=True)
    assert "Student 4" in page and "Real 4" in page and "N004" in page and "Student 0" not in page
    assert 'data-count="unread">5<' in page and 'data-count="read">2<' in page
    # a notice that asks for confirmation: its "read" tab says Confirmed, and the count is not shown twice
    tabs = page_text(client_as(owner).get(_receipts_url(notice)))
    assert "Confirmed 2 Not confirmed 5 Opened 4" in tabs and "Not read" not in tabs
    assert 'data-count="confirmed"' not in page and "Remind those who have not confirmed" in tabs
    counts = client_as(owner).get(_receipts_url(notice) + "/counts").get_json()
    assert counts == {"total": 7, "read": 2, "unread": 5, "opened": 4, "confirmed": 2}


def test_exports_list_everyone_filtered_and_guard_formulas(crowd, client_as):
    """Do the CSV and XLSX exports hold the filtered members with their identity, no cell a formula?"""
    _circle, owner, _students, notice = crowd
    client = client_as(owner)
    response = client.get(_receipts_url(notice).replace("/receipts", "/receipts.csv") + "?filter=confirmed")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == ["Student 0", "Student 1"]
    assert rows[1][2] == "'=1+0"  # a number that reads as a formula is kept as text
    assert rows[1][4] and rows[2][4]
    response = client.get(_receipts_url(notice).replace("/receipts", "/receipts.xlsx"))
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 8 and values[1][0] == "Student 0" and values[1][2] == "=1+0"
    assert sheet.cell(2, 3).data_type == "s"


def test_remind_goes_to_exactly_those_who_have_not_read(crowd, client_as, notices):
    """Does "Remind those who have not read" notify only the five who have not confirmed, each once per press?"""
    _circle, owner, students, notice = crowd
    response = client_as(owner).post(_receipts_url(notice).replace("/receipts", "/remind"))
    assert response.status_code == 302
    reminded = notices.notifications("must_read_reminder")
    assert sorted(n.user_id for n in reminded) == sorted(u.id for u in students[2:])
    from lms.audit.models import AuditEvent

    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "notice_reminded"))
    assert event is not None and event.details["recipients"] == 5


def test_remind_to_more_than_the_inline_limit_is_a_background_job(app, notices, client_as, monkeypatch):
    """Is a reminder to more members than notify writes inline run as a fan-out job whose id the page follows?"""
    import lms.notifications.operations as notify_ops

    monkeypatch.setattr(notify_ops, "FAN_OUT_INLINE", 3)
    owner = account_ops.register_user("big-owner@example.org", PASSWORD, "Owner")
    circle = circle_ops.create_circle(owner, "Big")
    users = []
    for i in range(5):
        users.append(account_ops.register_user(f"big{i}@example.org", PASSWORD, f"B{i}"))
        circle_ops.add_member(circle, users[-1], Role.student)
    db.session.commit()
    notice = notices.notice(circle, owner, title="Big one")
    response = client_as(owner).post(_receipts_url(notice).replace("/receipts", "/remind"))
    assert "fan_out=" in response.headers["Location"]
    page = client_as(owner).get(response.headers["Location"]).get_data(as_text=True)
    assert "data-fan-out-id" in page
    assert len(notices.notifications("must_read_reminder")) == 5  # the inline jobs backend ran it
    # the page opened after the job finished shows it finished, not a bar at 0
    assert 'max="5" value="5"' in page and "Every reminder is sent." in page
    # someone else following the same address sees no progress of a job they did not start
    other = client_as(users[0]).get(response.headers["Location"])
    assert other.status_code in (403, 404) or "data-fan-out-id" not in other.get_data(as_text=True)


def _circle_of(size: int, notices):
    owner = account_ops.register_user(f"q{size}-owner@example.org", PASSWORD, "Owner")
    circle = circle_ops.create_circle(owner, f"Q{size}")
    db.session.flush()
    from lms.circles.models import Membership

    users = [account_ops.register_user(f"q{size}-{i}@example.org", PASSWORD, f"Q{i}") for i in range(size)]
    db.session.add_all([Membership(circle_id=circle.id, user_id=u.id, role=Role.student, display_name=f"M{i:04d}")
                        for i, u in enumerate(users)])
    db.session.commit()
    notice = notices.notice(circle, owner, title="Count me", is_must_read=True)
    for user in users[::3]:
        ops.confirm_notice(notice, user)
    db.session.commit()
    return owner, notice


def test_the_receipts_page_costs_the_same_queries_for_50_and_500_members(app, notices, client_as, count_queries):
    """Is the receipts page's query count independent of the circle's size?"""
    counts = []
    for size in (50, 500):
        owner, notice = _circle_of(size, notices)
        client = client_as(owner)
        client.get(_receipts_url(notice))  # warm up (session, caches)

        def fetch():
            assert client.get(_receipts_url(notice)).status_code == 200

        counts.append(count_queries(fetch))
    assert counts[0] == counts[1]


def test_staff_are_no_audience_for_receipts_reminders_calendar_or_the_top(klass, notices, client_as):
    """Receipts, reminders, the confirm-by calendar entry and the must-read "stays on top" are for the
    circle's learners: the co-teacher (owner), assistant and author are neither counted, listed, reminded,
    nor asked to confirm."""
    from datetime import timedelta

    from lms.calendar.sources import events_for
    from lms.core.types import utcnow

    notice = notices.notice(klass.circle, klass.teacher, is_must_read=True, title="Rules",
                            confirm_by=utcnow() + timedelta(days=2))
    for staff in (klass.owner, klass.assistant):
        client_as(staff).get(f"/circles/{klass.circle.id}/notices/{notice.id}")  # staff opening: no receipt
        assert q.read_of(notice, staff) is None
    assert q.receipt_counts(notice).total == 2
    listed, _ = q.receipts_page(notice)
    assert sorted(r.member.user.id for r in listed) == sorted([klass.student.id, klass.classmate.id])
    assert q.unread_user_ids(notice) == sorted([klass.student.id, klass.classmate.id])
    count, _ = ops.remind_unread(notice, klass.teacher)
    assert count == 2
    window = (utcnow(), utcnow() + timedelta(days=7))
    for staff in (klass.teacher, klass.owner, klass.assistant):
        assert [e for e in events_for(staff, [klass.circle.id], *window) if e.kind == "notice_deadline"] == []
        top = [row for row in q.home_notices(klass.circle, staff) if row.rank == q.Rank.must_read]
        assert top == []
        assert "I have read this" not in client_as(staff).get(
            f"/circles/{klass.circle.id}/notices/{notice.id}").get_data(as_text=True)
    assert [row.rank for row in q.home_notices(klass.circle, klass.student)] == [q.Rank.must_read]
    assert [e.kind for e in events_for(klass.student, [klass.circle.id], *window)] == ["notice_deadline"]


def test_a_notice_that_asks_no_confirmation_shows_read_tabs_only(klass, notices, client_as):
    """Reading is opening for it: no "Opened" tab beside "Read" with the same count, no "Confirmed" tab."""
    import re

    notice = notices.notice(klass.circle, klass.teacher, title="Plain")
    html = client_as(klass.teacher).get(_receipts_url(notice)).get_data(as_text=True)
    tabs = " ".join(re.sub(r"<[^>]+>", " ", re.search(r'<nav class="subtabs receipt-filters">(.*?)</nav>', html, re.S)
                           .group(1)).split())
    assert tabs == "Everyone 2 Read 0 Not read 2"
    assert "Remind those who have not read" in html


def test_the_notice_page_counts_confirmations_under_their_name(crowd, client_as):
    """A notice that asks for confirmation says how many confirmed it, not "have read it" for the same count."""
    _circle, owner, _students, notice = crowd
    text = page_text(client_as(owner).get(_receipts_url(notice).removesuffix("/receipts")))
    assert "2 of 7 have confirmed it" in text and "have read it" not in text
